/**
 * A path whose name is not UTF-8 reaches coroner through the engine's JSON with
 * each bad byte replaced by U+FFFD, so the archive endpoint cannot be asked for
 * it. When coroner runs as root on the engine's own host, the evidence image's
 * committed layer is a folder it can read (GraphDriver UpperDir): there the
 * names are the raw bytes, and a name matches when its bytes decode to what the
 * engine reported. Read-only, never through a link.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import type { CaseFolder } from '../../case/case-folder.js';
import { isoTime } from '../../iso-time.js';
import type { FileMeta, FileType } from '../../report/file-meta.js';
import { toVersion } from '../../case/stored-version.js';
import type { StoredVersion } from '../../report/change.js';

const REPLACEMENT = '\uFFFD';

export interface RawNameMatch {
  /** The path as raw bytes under the layer folder. */
  rawPath: Buffer;
  version: StoredVersion;
}

function typeOf(stat: import('node:fs').Stats): FileType {
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'char-device';
  return stat.isBlockDevice() ? 'block-device' : 'other';
}

/** True when the engine's mangled name holds a replaced byte: worth a look by raw bytes. */
export function hasReplacedBytes(containerPath: string): boolean {
  return containerPath.includes(REPLACEMENT);
}

/**
 * Finds `containerPath` (as the engine reported it) in `layerDir` by raw bytes and stores a
 * regular file's content; undefined when no entry matches. Each folder on the way must be a
 * real folder; where several raw names decode alike, the first in byte order is taken.
 */
export async function readByRawName(
  layerDir: string,
  containerPath: string,
  folder: CaseFolder,
  storeAs: string,
  description: string,
): Promise<RawNameMatch | undefined> {
  let current = Buffer.from(layerDir);
  const parts = containerPath.split('/').filter(Boolean);
  for (const [i, part] of parts.entries()) {
    const isLast = i === parts.length - 1;
    let name: Buffer | undefined;
    if (!part.includes(REPLACEMENT)) name = Buffer.from(part);
    else {
      const names = (await readdir(current, { encoding: 'buffer' }).catch(() => [])).sort(
        Buffer.compare,
      );
      name = names.find((n) => n.toString('utf8') === part);
    }
    if (!name) return undefined;
    const next = Buffer.concat([current, Buffer.from('/'), name]);
    const stat = await lstat(next).catch(() => undefined);
    if (!stat || (!isLast && !stat.isDirectory())) return undefined;
    current = next;
  }
  const stat = await lstat(current);
  const meta: FileMeta = {
    type: typeOf(stat),
    mode: stat.mode & 0o7777,
    uid: stat.uid,
    gid: stat.gid,
    sizeBytes: stat.isFile() ? stat.size : 0,
    mtime: isoTime(stat.mtime),
    ...(stat.isSymbolicLink() ? { linkTarget: await readlink(current, 'utf8') } : {}),
  };
  if (meta.type !== 'file') return { rawPath: current, version: { meta } };
  const handle = await open(current, constants.O_RDONLY | constants.O_NOFOLLOW);
  const record = await folder.writeStream(storeAs, handle.createReadStream(), {
    description,
    isListed: false,
  });
  return { rawPath: current, version: toVersion(meta, record) };
}
