/**
 * A layer as a folder on disk, the way overlay2 keeps it (`overlay2/<id>/diff`):
 * a deletion is a 0/0 character device, an opaque folder carries an extended
 * attribute (overlay-xattrs.ts). Paths are resolved one component at a time and
 * never through a link, so a link an attacker planted in a layer cannot lead the
 * reader out of it; names are raw bytes, so a name that is not UTF-8 is still
 * found by the text its bytes decode to. Read only.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import type { CaseFolder } from '../../case/case-folder.js';
import { toVersion } from '../../case/stored-version.js';
import { isoTime } from '../../iso-time.js';
import { emptyLayerIndex, type LayerIndex } from '../../layers/layer-index.js';
import type { StoredVersion } from '../../report/change.js';
import type { FileMeta, FileType } from '../../report/file-meta.js';
import { describeCapabilities } from '../../report/capabilities.js';
import { storedName } from '../../case/container-path.js';
import { readCapabilities } from './overlay-xattrs.js';

const REPLACEMENT = '\uFFFD';
const SLASH = Buffer.from('/');

export function typeOfStat(stat: Stats): FileType {
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'char-device';
  return stat.isBlockDevice() ? 'block-device' : 'other';
}

/** overlayfs marks a deleted path with a character device numbered 0/0. */
export function isWhiteoutDevice(stat: Stats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0;
}

/** What a stat says of an entry, its link target aside. */
export function statMeta(stat: Stats): FileMeta {
  return {
    type: typeOfStat(stat),
    mode: stat.mode & 0o7777,
    uid: stat.uid,
    gid: stat.gid,
    sizeBytes: stat.isFile() ? stat.size : 0,
    mtime: isoTime(stat.mtime),
  };
}

export async function metaOfStat(stat: Stats, rawPath: Buffer): Promise<FileMeta> {
  return {
    ...statMeta(stat),
    ...(stat.isSymbolicLink() ? { linkTarget: await readlink(rawPath, 'utf8') } : {}),
  };
}

/** True when the engine's JSON replaced bytes of a name that is not UTF-8 (U+FFFD). */
export function hasReplacedBytes(containerPath: string): boolean {
  return containerPath.includes(REPLACEMENT);
}

export interface Resolved {
  /** The path's raw bytes on the host. */
  raw: Buffer;
  stat: Stats;
}

/**
 * Finds `containerPath` in `layerDir` (each folder on the way must be a real folder, never a
 * link); a name that decodes to a component holding U+FFFD matches by its raw bytes, the
 * first in byte order when several decode alike. Undefined when the layer has no such path.
 */
export async function resolveInLayer(
  layerDir: string,
  containerPath: string,
): Promise<Resolved | undefined> {
  let current = Buffer.from(layerDir);
  const parts = containerPath.split('/').filter(Boolean);
  let stat: Stats | undefined;
  for (const [i, part] of parts.entries()) {
    let name: Buffer | undefined;
    if (!part.includes(REPLACEMENT)) name = Buffer.from(part);
    else {
      const names = (await readdir(current, { encoding: 'buffer' }).catch(() => [])).sort(
        Buffer.compare,
      );
      name = names.find((n) => n.toString('utf8') === part);
    }
    if (!name) return undefined;
    const next = Buffer.concat([current, SLASH, name]);
    stat = await lstat(next).catch(() => undefined);
    if (!stat || (i < parts.length - 1 && !stat.isDirectory())) return undefined;
    current = next;
  }
  return stat ? { raw: current, stat } : undefined;
}

export interface ReadLayerOptions {
  /** Content beyond this is not stored (the record says truncated; the hash covers all). */
  maxContentBytes: number;
  signal?: AbortSignal;
}

/** Metadata, and for a regular file its content stored in the case folder, of a resolved path. */
export async function storeResolved(
  found: Resolved,
  folder: CaseFolder,
  storeAs: string,
  description: string,
  opts: ReadLayerOptions,
): Promise<StoredVersion> {
  const meta = await metaOfStat(found.stat, found.raw);
  if (meta.type !== 'file') return { meta };
  const handle = await open(found.raw, constants.O_RDONLY | constants.O_NOFOLLOW);
  // Through one buffer sized to the file: 50,000 small files must not each cost 64 KiB.
  const record = await folder.writeOpenFile(storeAs, handle, {
    description,
    isListed: false,
    maxBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return toVersion(meta, record);
}

/**
 * One side of a changed path read from a layer folder and stored, or undefined when the
 * folder lacks it. `capability` is the file's `security.capability` when already known
 * (from a dump of the whole folder), or `look` to ask getfattr for this file alone.
 */
export async function readLayerVersion(
  side: 'original' | 'current',
  dir: string,
  path: string,
  folder: CaseFolder,
  opts: ReadLayerOptions,
  capability?: Buffer | 'look',
): Promise<StoredVersion | undefined> {
  const at = await resolveInLayer(dir, path);
  if (!at) return undefined;
  const version = await storeResolved(
    at,
    folder,
    `${side}/${storedName(path)}`,
    `${side} version of ${JSON.stringify(path)}`,
    opts,
  );
  const value =
    capability === 'look' ? (await readCapabilities(dir, [at.raw])).byPath.get(path) : capability;
  if (value && version.meta.type === 'file')
    version.meta.capabilities = describeCapabilities(value);
  return version;
}

export interface LayerDirEntry {
  /** The container path, decoded (bytes that are not UTF-8 become U+FFFD). */
  path: string;
  raw: Buffer;
  stat: Stats;
}

/** Every entry under `layerDir`, parents before children, never through a link. */
export async function* walkLayerDir(layerDir: string): AsyncGenerator<LayerDirEntry> {
  const root = Buffer.from(layerDir);
  const pending: Buffer[] = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const names = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    const subdirs: Buffer[] = [];
    for (const name of names) {
      const raw = Buffer.concat([dir, SLASH, name]);
      const stat = await lstat(raw);
      yield { path: raw.subarray(root.length).toString('utf8'), raw, stat };
      if (stat.isDirectory()) subdirs.push(raw);
    }
    pending.push(...subdirs.reverse());
  }
}

/**
 * A layer folder as an index: its entries, its whiteouts (0/0 devices), and the opaque
 * folders the caller read from their extended attributes.
 */
export async function indexLayerDir(
  layerDir: string,
  diffId: string,
  opaqueDirs: ReadonlySet<string> = new Set(),
): Promise<LayerIndex> {
  const index = emptyLayerIndex(diffId);
  for await (const entry of walkLayerDir(layerDir)) {
    if (isWhiteoutDevice(entry.stat)) index.whiteouts.add(entry.path);
    else index.entries.set(entry.path, typeOfStat(entry.stat));
  }
  for (const dir of opaqueDirs) index.opaqueDirs.add(dir);
  return index;
}
