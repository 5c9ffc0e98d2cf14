/**
 * Reads one path's version out of an image, through the archive endpoint of a
 * never-started reader container: the entry's metadata, and for a regular
 * file its content, streamed into the case folder and hashed on the way.
 * Only the first tar entry is read; a directory's children are never fetched
 * (the change list names the ones that matter).
 */
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { CaseFolder } from '../case/case-folder.js';
import type { Engine } from '../docker/engine.js';
import { engineStatus } from '../docker/engine-errors.js';
import { metaFromHeader, type FileMeta } from '../layers/file-meta.js';

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
  let archive: Readable;
  try {
    archive = await engine.archive(readerId, containerPath, opts.signal);
  } catch (e) {
    if (engineStatus(e) === 404) return undefined;
    throw e;
  }
  const reader = extract();
  archive.on('error', (e) => reader.destroy(e));
  archive.pipe(reader);
  try {
    for await (const entry of reader) {
      const meta = metaFromHeader(entry.header);
      if (meta.type !== 'file') return { meta };
      const record = await folder.writeStream(storeAs, entry as unknown as Readable, {
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
    return undefined;
  } finally {
    // Stop the transfer: for a directory the engine would stream the whole tree.
    archive.destroy();
    reader.destroy();
  }
}
