/**
 * Reads one path's version out of an image, through the archive endpoint of a
 * never-started reader container: the entry's metadata, and for a regular
 * file its content, streamed into the case folder and hashed on the way.
 * For one path only its first tar entry is read, so a changed directory's
 * unchanged children are never fetched; a directory that is new as a whole is
 * read in one request (`readTree`), since everything under it is a change too.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import { toVersion } from '../../case/stored-version.js';
import type { StoredVersion } from '../../report/change.js';
import { readBounded, tarEntries, type TarEntry } from '../../tar-entries.js';
import type { Engine } from './engine.js';
import { engineStatus } from './engine-errors.js';
import { metaFromHeader } from '../../report/file-meta.js';
import { layerEntryPath } from '../../layers/layer-index.js';

export interface ReadVersionOptions {
  /** Content beyond this is not stored (the record says truncated). */
  maxContentBytes: number;
  signal?: AbortSignal;
}

/** The version of `containerPath` in the reader's image, or undefined when the image has no such path. */
export async function readVersion(
  engine: Engine,
  readerId: string,
  containerPath: string,
  folder: CaseFolder,
  storeAs: string,
  description: string,
  opts: ReadVersionOptions,
): Promise<StoredVersion | undefined> {
  const archive = await openArchive(engine, readerId, containerPath, opts.signal);
  if (!archive) return undefined;
  // Only the first entry: leaving the loop stops the transfer (for a directory the engine
  // would stream the whole tree).
  for await (const entry of tarEntries(archive, opts.signal)) {
    const { written } = await storeEntry(entry, folder, storeAs, description, opts);
    return await written;
  }
  return undefined;
}

async function openArchive(
  engine: Engine,
  readerId: string,
  containerPath: string,
  signal?: AbortSignal,
) {
  try {
    return await engine.archive(readerId, containerPath, signal);
  } catch (e) {
    if (engineStatus(e) === 404) return undefined;
    throw e;
  }
}

/** Files up to this size are read into memory and written in parallel with the next ones. */
const SMALL_FILE_BYTES = 64 * 1024;

/**
 * Consumes one tar entry. Resolves once the entry is read, with a promise of
 * the stored version: large files are written before that, small ones are
 * still being written, so the next entry can be read meanwhile.
 */
export async function storeEntry(
  entry: TarEntry,
  folder: CaseFolder,
  storeAs: string,
  description: string,
  opts: ReadVersionOptions,
): Promise<{ written: Promise<StoredVersion> }> {
  const meta = metaFromHeader(entry.header);
  if (meta.type !== 'file') {
    entry.resume();
    return { written: Promise.resolve({ meta }) };
  }
  if (meta.sizeBytes <= Math.min(SMALL_FILE_BYTES, opts.maxContentBytes)) {
    const { data, isCut } = await readBounded(entry, meta.sizeBytes);
    if (isCut) throw new Error('a tar entry is longer than its header says');
    return {
      written: folder
        .writeBuffer(storeAs, data, description, false)
        .then((record) => toVersion(meta, record)),
    };
  }
  const record = await folder.writeStream(storeAs, entry, {
    description,
    isListed: false,
    maxBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { written: Promise.resolve(toVersion(meta, record)) };
}

const MAX_PENDING_WRITES = 32;

/**
 * Reads a whole directory tree in one request, storing every entry whose path
 * `wanted` accepts. Entry names that would climb out of the directory, and a
 * second entry for a path already read (the first one is kept), are reported
 * through `onRefused` and skipped: the engine sends neither, so they mean tampering.
 */
export async function readTree(
  engine: Engine,
  readerId: string,
  dirPath: string,
  folder: CaseFolder,
  storeAs: (containerPath: string) => string,
  describe: (containerPath: string) => string,
  wanted: (containerPath: string) => boolean,
  onVersion: (containerPath: string, version: StoredVersion) => void,
  onRefused: (name: string, why: string) => void,
  opts: ReadVersionOptions,
): Promise<boolean> {
  const archive = await openArchive(engine, readerId, dirPath, opts.signal);
  if (!archive) return false;
  // The archive names entries relative to the directory's parent: "<dir>/child".
  const parent = dirPath.slice(0, dirPath.lastIndexOf('/'));
  const pending = new Set<Promise<void>>();
  const seen = new Set<string>();
  for await (const entry of tarEntries(archive, opts.signal)) {
    const relative = layerEntryPath(entry.header.name);
    const containerPath = relative === undefined ? undefined : parent + relative;
    if (
      containerPath === undefined ||
      (containerPath !== dirPath && !containerPath.startsWith(dirPath + '/'))
    ) {
      onRefused(entry.header.name, 'it names a path outside the folder read');
      entry.resume();
      continue;
    }
    if (seen.has(containerPath)) {
      onRefused(entry.header.name, 'a second entry for a path already read (the first is kept)');
      entry.resume();
      continue;
    }
    seen.add(containerPath);
    if (!wanted(containerPath)) {
      entry.resume();
      continue;
    }
    const { written } = await storeEntry(
      entry,
      folder,
      storeAs(containerPath),
      describe(containerPath),
      opts,
    );
    const done: Promise<void> = written.then((version) => {
      pending.delete(done);
      onVersion(containerPath, version);
    });
    pending.add(done);
    if (pending.size >= MAX_PENDING_WRITES) await Promise.race(pending);
  }
  await Promise.all(pending);
  return true;
}
