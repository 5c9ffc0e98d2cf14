/**
 * Reads one path's version out of an image, through the archive endpoint of a
 * never-started reader container: the entry's metadata, and for a regular
 * file its content, streamed into the case folder and hashed on the way.
 * For one path only its first tar entry is read, so a changed directory's
 * unchanged children are never fetched; a directory that is new as a whole is
 * read in one request (`readTree`), since everything under it is a change too.
 */
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { CaseFolder } from '../case/case-folder.js';
import type { Engine } from '../docker/engine.js';
import { engineStatus } from '../docker/engine-errors.js';
import { metaFromHeader, type FileMeta } from '../layers/file-meta.js';
import { layerEntryPath } from '../layers/layer-index.js';

export interface StoredVersion {
  meta: FileMeta;
  /** For regular files: where the content is in the case folder, and its hash. */
  content?: {
    path: string;
    /** Hash and size of the whole file as the image holds it. */
    sha256: string;
    sizeBytes: number;
    /** True when only the first maxContentBytes were stored (at storedSha256). */
    isTruncated: boolean;
    storedSha256: string;
  };
}

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
  const reader = extract();
  archive.on('error', (e) => reader.destroy(e));
  archive.pipe(reader);
  try {
    for await (const entry of reader) {
      return await storeEntry(entry as unknown as TarEntry, folder, storeAs, description, opts);
    }
    return undefined;
  } finally {
    // Stop the transfer: for a directory the engine would stream the whole tree.
    archive.destroy();
    reader.destroy();
  }
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

type TarEntry = Readable & { header: Parameters<typeof metaFromHeader>[0] };

async function storeEntry(
  entry: TarEntry,
  folder: CaseFolder,
  storeAs: string,
  description: string,
  opts: ReadVersionOptions,
): Promise<StoredVersion> {
  const meta = metaFromHeader(entry.header);
  if (meta.type !== 'file') {
    entry.resume();
    return { meta };
  }
  const record = await folder.writeStream(storeAs, entry, {
    description,
    maxBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return {
    meta,
    content: {
      path: record.path,
      sha256: record.source?.sha256 ?? record.sha256,
      sizeBytes: record.source?.sizeBytes ?? record.sizeBytes,
      isTruncated: record.isTruncated ?? false,
      storedSha256: record.sha256,
    },
  };
}

/**
 * Reads a whole directory tree in one request, storing every entry whose path
 * `wanted` accepts. Entry names that would climb out of the directory are
 * reported through `onRefused` and skipped.
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
  onRefused: (name: string) => void,
  opts: ReadVersionOptions,
): Promise<boolean> {
  const archive = await openArchive(engine, readerId, dirPath, opts.signal);
  if (!archive) return false;
  // The archive names entries relative to the directory's parent: "<dir>/child".
  const parent = dirPath.slice(0, dirPath.lastIndexOf('/'));
  const reader = extract();
  archive.on('error', (e) => reader.destroy(e));
  archive.pipe(reader);
  try {
    for await (const entry of reader) {
      const relative = layerEntryPath(entry.header.name);
      const containerPath = relative === undefined ? undefined : parent + relative;
      if (
        containerPath === undefined ||
        (containerPath !== dirPath && !containerPath.startsWith(dirPath + '/'))
      ) {
        onRefused(entry.header.name);
        entry.resume();
        continue;
      }
      if (!wanted(containerPath)) {
        entry.resume();
        continue;
      }
      onVersion(
        containerPath,
        await storeEntry(
          entry as unknown as TarEntry,
          folder,
          storeAs(containerPath),
          describe(containerPath),
          opts,
        ),
      );
    }
    return true;
  } finally {
    archive.destroy();
    reader.destroy();
  }
}
