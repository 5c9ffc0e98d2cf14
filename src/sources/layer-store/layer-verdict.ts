/**
 * What a layer check says, whatever proves the layer: Docker's tar-split record rebuilt
 * with the folder's files (tar-split.ts), or the layer's own blob in containerd's content
 * store (layer-blob.ts). Both read the folder once, gather the paths that differ from the
 * layer's tar with what differs, hash a tar, and end in one verdict: verified, tampered
 * (each path named), or not checked with why. What cannot be read is never thrown: the
 * triage goes on with the layer indexed from what there is.
 */
import { constants } from 'node:fs';
import { emptyLayerIndex, type LayerIndex } from '../../layers/layer-index.js';
import type { FileType } from '../../report/file-meta.js';
import type { LayerCheck } from '../../report/triage-report.js';
import {
  compareLayerTree,
  folderFingerprint,
  pathOfKey,
  walkLayerFolder,
  type LayerFolder,
} from './layer-tree.js';
import { readAllAttributes } from './overlay-xattrs.js';
import type { RecordedEntry } from './tar-headers.js';

export interface LayerRebuild {
  index: LayerIndex;
  check: LayerCheck;
  /** The folder's fingerprint as it was checked (folderFingerprint), where it was read. */
  fingerprint?: string;
}

/** Paths named in the check's one-line detail; the report lists more. */
const MAX_NAMED_IN_DETAIL = 8;
const MAX_LISTED = 100;

const FILE_TYPE = new Map<number, FileType>([
  [constants.S_IFREG, 'file'],
  [constants.S_IFDIR, 'directory'],
  [constants.S_IFLNK, 'symlink'],
  [constants.S_IFCHR, 'char-device'],
  [constants.S_IFBLK, 'block-device'],
  [constants.S_IFIFO, 'fifo'],
  [constants.S_IFSOCK, 'socket'],
]);

/** The layer folder read once: every entry's lstat and every extended attribute. */
export async function readLayerFolder(
  layerDir: string,
  signal?: AbortSignal,
): Promise<LayerFolder | { missing: string }> {
  const [entries, attributes] = await Promise.all([
    walkLayerFolder(layerDir, signal).catch((e: NodeJS.ErrnoException) => {
      if (signal?.aborted) throw e;
      return e.code === 'ENOENT'
        ? `its folder ${layerDir} is missing`
        : `its folder ${layerDir} cannot be read (${e.code ?? e.message})`;
    }),
    readAllAttributes(layerDir),
  ]);
  return typeof entries === 'string' ? { missing: entries } : { entries, attributes };
}

/** The layer as its folder alone shows it, for when its record cannot be read. */
export function indexFromFolder(folder: LayerFolder, diffId: string): LayerIndex {
  const index = emptyLayerIndex(diffId);
  for (const [key, disk] of folder.entries) {
    if (key === '/') continue;
    const path = pathOfKey(key);
    if (disk.format === constants.S_IFCHR && disk.rdev === 0) index.whiteouts.add(path);
    else index.entries.set(path, FILE_TYPE.get(disk.format) ?? 'other');
  }
  for (const [key, attributes] of folder.attributes.byPath)
    if (
      key !== '/' &&
      (attributes.has('trusted.overlay.opaque') || attributes.has('user.overlay.opaque'))
    )
      index.opaqueDirs.add(pathOfKey(key));
  return index;
}

/** The paths of a layer folder that differ from the layer's tar, each with what differs. */
export class LayerDifferences {
  readonly byKey = new Map<string, string[]>();
  /** Names that climb out of the layer, which no folder can hold. */
  readonly outside: string[] = [];

  add(key: string, what: string): void {
    const list = this.byKey.get(key);
    if (list) list.push(what);
    else this.byKey.set(key, [what]);
  }
}

/** What one kind of proof says in the verdict's words. */
export interface ProofWords {
  /** Of a layer whose tar hashes to its diff id and whose folder matches it. */
  verified: string;
  /** Of a tar that hashes to `actual` though no entry differs. */
  unexplainedHash: (actual: string) => string;
}

/** The check's verdict once the whole tar was read and hashed to `actual`. */
export async function layerVerdict(
  base: { diffId: string; position: number },
  read: {
    index: LayerIndex;
    folder: LayerFolder;
    recorded: readonly RecordedEntry[];
    differences: LayerDifferences;
    actual: string;
  },
  words: ProofWords,
): Promise<LayerRebuild> {
  const { index, folder, differences, actual } = read;
  const fingerprint = folderFingerprint(folder.entries);
  if (differences.outside.length > 0 && differences.byKey.size === 0)
    return {
      index,
      fingerprint,
      check: {
        ...base,
        status: 'not-checked',
        detail: `its tar names paths outside the layer (${differences.outside.slice(0, MAX_NAMED_IN_DETAIL).join(', ')}), which no folder can hold: a crafted layer, which cannot be rebuilt to its diff id`,
      },
    };

  const tree = await compareLayerTree(read.recorded, folder);
  for (const [key, what] of tree.differences) for (const w of what) differences.add(key, w);
  const notes = tree.notes.length > 0 ? { notes: tree.notes.slice(0, MAX_LISTED) } : {};
  if (actual === base.diffId && differences.byKey.size === 0)
    return {
      index,
      fingerprint,
      check: folder.attributes.problem
        ? {
            ...base,
            status: 'not-checked',
            detail: `partly checked: contents and every entry's type, mode, owner and links match the layer's record, but extended attributes (file capabilities, opaque folders) could not be read: ${folder.attributes.problem}`,
            ...notes,
          }
        : { ...base, status: 'verified', detail: words.verified, ...notes },
    };

  // By path: the folder's walk has no order worth keeping.
  const listed = [...differences.byKey]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, what]) => ({ path: pathOfKey(key), what }));
  const named = listed
    .slice(0, MAX_NAMED_IN_DETAIL)
    .map((d) => `${JSON.stringify(d.path)} ${d.what.join(', ')}`);
  const more = listed.length > named.length ? ` (and ${listed.length - named.length} more)` : '';
  const hash =
    actual === base.diffId
      ? ''
      : listed.length === 0
        ? words.unexplainedHash(actual)
        : `; it rebuilds to ${actual}, not its diff id`;
  return {
    index,
    fingerprint,
    check: {
      ...base,
      status: 'tampered',
      detail:
        listed.length === 0
          ? hash
          : `${listed.length} entr${listed.length === 1 ? 'y' : 'ies'} of the layer folder differ from the layer's record: ${named.join('; ')}${more}${hash}`,
      differences: listed.slice(0, MAX_LISTED),
      differenceCount: listed.length,
      ...notes,
    },
  };
}

/** A layer left not checked, indexed from its folder where there is one. */
export function notChecked(
  base: { diffId: string; position: number },
  folder: LayerFolder | undefined,
  fallback: LayerIndex | undefined,
  detail: string,
): LayerRebuild {
  return {
    index:
      fallback ?? (folder ? indexFromFolder(folder, base.diffId) : emptyLayerIndex(base.diffId)),
    check: { ...base, status: 'not-checked', detail },
  };
}

export const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
