/**
 * A volume or bind mount compared with the image's content at the same path. Docker
 * fills a new volume from the image and keeps each file's size, mode, owner and mtime,
 * so a file whose metadata still matches and whose ctime is that of the copy is the
 * image's; only the others are hashed and read. Cost follows the change: every entry is
 * stat'ed, few are read. A bind mount has no such copy: its files are hashed (within a
 * bound). Both sides are folders on the engine's host, read without following a link.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { CaseFolder } from '../../case/case-folder.js';
import { storedName } from '../../case/container-path.js';
import type { CustodyLog } from '../../case/custody.js';
import { Cancelled } from '../../errors.js';
import { findOriginLayer, type LayerIndex } from '../../layers/layer-index.js';
import type { ChangeKind, MountPlace } from '../../report/change.js';
import type { NotCollected } from '../../report/triage-report.js';
import type { MountedChange, MountsRead } from '../evidence-source.js';
import { resolveInLayer, storeResolved, walkLayerDir, type Resolved } from './layer-dir.js';

export interface ImageFolders {
  /** The image's layers, bottom first: indexes, and the folder of each. */
  indexes: readonly LayerIndex[];
  dirs: readonly string[];
}

export interface CompareMountOptions {
  /** Entries of the mount walked at most. */
  maxEntries: number;
  /** Bytes hashed at most (both sides), for files whose metadata does not settle it. */
  maxHashBytes: number;
  maxContentBytes: number;
  signal?: AbortSignal;
}

export interface MountComparison {
  changes: MountedChange[];
  /** Bytes hashed (both sides), against the triage's bound. */
  hashedBytes: number;
  /** What a bound cut short, in words. */
  note?: string;
}

/** A volume's copy of the image happened at once: a later ctime means a later write. */
const COPY_WINDOW_MS = 2000;

export async function sha256Of(raw: Buffer): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(raw, constants.O_RDONLY | constants.O_NOFOLLOW);
  for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The image's entries under `destination`, each resolved in the layer that provides it. */
async function imageEntries(
  image: ImageFolders,
  destination: string,
): Promise<Map<string, Resolved>> {
  const paths = new Set<string>();
  for (const index of image.indexes)
    for (const path of index.entries.keys())
      if (path.startsWith(destination + '/')) paths.add(path);
  const found = new Map<string, Resolved>();
  for (const path of paths) {
    const position = findOriginLayer(image.indexes, path);
    if (position === undefined) continue;
    const at = await resolveInLayer(image.dirs[position]!, path);
    if (at) found.set(path.slice(destination.length), at);
  }
  return found;
}

export async function compareMountWithImage(
  hostDir: string,
  mount: MountPlace,
  image: ImageFolders,
  folder: CaseFolder,
  opts: CompareMountOptions,
): Promise<MountComparison> {
  const notes: string[] = [];
  const mounted = new Map<string, Resolved>();
  for await (const entry of walkLayerDir(hostDir)) {
    if (mounted.size >= opts.maxEntries) {
      notes.push(`only the first ${opts.maxEntries} entries were compared`);
      break;
    }
    mounted.set(entry.path, entry);
  }
  const original = await imageEntries(image, mount.destination);
  const copiedAt = Math.min(...[...mounted.values()].map((e) => e.stat.ctimeMs));
  let hashBudget = opts.maxHashBytes;

  const kindOf = async (
    now: Resolved,
    was: Resolved | undefined,
  ): Promise<ChangeKind | undefined> => {
    if (!was) return 'A';
    const [a, b] = [was.stat, now.stat];
    if ((a.mode & 0o170000) !== (b.mode & 0o170000)) return 'C';
    if ((a.mode & 0o7777) !== (b.mode & 0o7777) || a.uid !== b.uid || a.gid !== b.gid) return 'C';
    if (!b.isFile()) return undefined; // a folder's times move with its children; a link is its target
    if (a.size !== b.size || Math.trunc(a.mtimeMs) !== Math.trunc(b.mtimeMs)) return 'C';
    const isSettled = mount.type === 'volume' && b.ctimeMs <= copiedAt + COPY_WINDOW_MS;
    if (isSettled) return undefined;
    if (hashBudget < a.size + b.size) {
      notes.push('some files were not hashed (the bound on bytes hashed was reached)');
      return undefined;
    }
    hashBudget -= a.size + b.size;
    return (await sha256Of(was.raw)) === (await sha256Of(now.raw)) ? undefined : 'C';
  };

  const changes: MountedChange[] = [];
  const readOpts = {
    maxContentBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const where = `in the ${mount.type}${mount.name ? ` ${mount.name}` : ''} at ${mount.destination}`;
  const add = async (rel: string, kind: ChangeKind, now?: Resolved, was?: Resolved) => {
    const path = mount.destination + rel;
    changes.push({
      entry: { path, kind },
      mount,
      versions: {
        ...(was
          ? {
              original: await storeResolved(
                was,
                folder,
                `original/${storedName(path)}`,
                `original version of ${JSON.stringify(path)}, from the image`,
                readOpts,
              ),
            }
          : {}),
        ...(now
          ? {
              current: await storeResolved(
                now,
                folder,
                `current/${storedName(path)}`,
                `current version of ${JSON.stringify(path)}, ${where}`,
                readOpts,
              ),
            }
          : {}),
      },
    });
  };
  for (const [rel, now] of mounted) {
    if (opts.signal?.aborted) break;
    const was = original.get(rel);
    const kind = await kindOf(now, was);
    if (kind) await add(rel, kind, now, was);
  }
  if (mounted.size < opts.maxEntries)
    for (const [rel, was] of original) if (!mounted.has(rel)) await add(rel, 'D', undefined, was);
  return {
    changes,
    hashedBytes: opts.maxHashBytes - hashBudget,
    ...(notes.length ? { note: [...new Set(notes)].join('; ') } : {}),
  };
}

/** One mount to compare: its folder on this host and the words custody and the report use. */
export interface MountToCompare {
  dir: string;
  place: MountPlace;
  /** What custody records the comparison as. */
  step: string;
  /** What the report names when the folder cannot be read. */
  unreadable: (e: Error) => NotCollected;
}

/** Bounds on all the mounts of one triage together. */
const MAX_MOUNT_ENTRIES = 20_000;
const MAX_MOUNT_HASH_BYTES = 512 * 1024 * 1024;

/**
 * Compares each mount in turn within one hash budget, each in custody. A folder that
 * cannot be read (gone from a copy, say) is named as not collected; the rest go on.
 */
export async function compareMounts(
  mounts: readonly MountToCompare[],
  image: ImageFolders,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: { maxContentBytes: number; signal?: AbortSignal },
  notCollected: NotCollected[],
): Promise<MountsRead> {
  const read: MountsRead['read'] = [];
  const changes: MountedChange[] = [];
  let hashBudget = MAX_MOUNT_HASH_BYTES;
  for (const m of mounts) {
    const compared = await custody
      .step(
        m.step,
        m.dir,
        () =>
          compareMountWithImage(m.dir, m.place, image, folder, {
            maxEntries: MAX_MOUNT_ENTRIES,
            maxHashBytes: hashBudget,
            maxContentBytes: opts.maxContentBytes,
            ...(opts.signal ? { signal: opts.signal } : {}),
          }),
        (c) => `${c.changes.length} changed${c.note ? `; ${c.note}` : ''}`,
      )
      .catch((e: unknown) => {
        if (e instanceof Cancelled || !(e instanceof Error) || !('code' in e)) throw e;
        notCollected.push(m.unreadable(e));
        return undefined;
      });
    if (!compared) continue;
    hashBudget -= compared.hashedBytes;
    changes.push(...compared.changes);
    read.push({ ...m.place, ...(compared.note ? { note: compared.note } : {}) });
  }
  return { changes, read };
}
