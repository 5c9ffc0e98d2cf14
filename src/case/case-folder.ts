/**
 * A case folder holds one triage's artifacts on the responder's disk. Every
 * artifact is hashed while it is written, stamped in UTC at capture, written
 * under a temporary name and renamed only when complete.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CaseFolderError, diskProblem } from '../errors.js';
import { isoTime } from '../iso-time.js';
import { resolveInside } from './container-path.js';
import { safeJson } from '../untrusted.js';
import type { ArtifactRecord, EnvironmentHeld } from '../report/artifact.js';

/**
 * Temporary files start with this; no stored name can (they are a hash or a name of
 * coroner's own), so a container file can never be taken for an interrupted write.
 */
export const TEMP_PREFIX = '.partial-';

/** Create, never reuse, never through a link. */
export const NEW_FILE =
  constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW;

/** `rename` that refuses to replace: link then unlink (rename where links are unsupported). */
export async function linkNew(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // A file system without hard links: check, then rename (a narrow race, on such disks only).
    const exists = await lstat(to).then(
      () => true,
      () => false,
    );
    if (exists) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
    await rename(from, to);
    return;
  }
  await unlink(from);
}

/** A stored file is read in pieces of at most this. */
const MAX_READ_BYTES = 1024 * 1024;

/** All of `data`, however many writes the file system takes for it. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length;) {
    const { bytesWritten } = await handle.write(data, at, data.length - at);
    at += bytesWritten;
  }
}

/** The error a cancelled stream ends with (as node's own pipeline names it). */
function abortError(signal: AbortSignal | undefined): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal?.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

/** What an artifact is, in words, and where it holds environment values, if it does. */
export type Described = string | { description: string; environment?: EnvironmentHeld };

const described = (d: Described) =>
  typeof d === 'string'
    ? { description: d }
    : { description: d.description, ...(d.environment ? { environment: d.environment } : {}) };

export interface WriteOptions {
  description: string;
  /** Where the artifact holds environment values (--redact-env masks them in a bundle). */
  environment?: EnvironmentHeld;
  /**
   * False for artifacts recorded elsewhere (file versions live in the report's
   * change list with their hashes); keeps 50,000 changed files from being listed twice.
   */
  isListed?: boolean;
  /** Stop after this many bytes (marking the record truncated); undefined = no cap. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * mkdir -p, one level at a time, private to the responder. Node's own recursive mkdir
 * reports ENOENT for a read-only disk and never returns for a path under /proc.
 */
async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // lstat: a link planted where a folder was expected must not redirect the evidence.
      if ((await lstat(dir)).isDirectory()) return;
      throw e;
    }
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    await makeFolder(parent);
    await mkdir(dir, { mode: 0o700 }).catch((again: unknown) => {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    });
  }
}

export class CaseFolder {
  readonly records: ArtifactRecord[] = [];
  /** Directories already made: thousands of files in one folder need one mkdir, not thousands. */
  private readonly madeDirs = new Set<string>();
  private readonly tempTag = randomBytes(4).toString('hex');
  private tempCount = 0;

  private constructor(readonly root: string) {}

  static async create(root: string): Promise<CaseFolder> {
    const folder = new CaseFolder(path.resolve(root));
    await makeFolder(folder.root).catch((e: unknown) => {
      throw folder.translateDiskError(e, folder.root);
    });
    return folder;
  }

  /** Absolute location of a relative artifact path, guarded to stay inside the folder. */
  locate(relative: string): string {
    return resolveInside(this.root, relative);
  }

  async writeJson(relative: string, value: unknown, what: Described): Promise<ArtifactRecord> {
    return this.writeBuffer(relative, Buffer.from(safeJson(value, 2) + '\n'), what);
  }

  /**
   * Writes through a temporary name, then links it to its final name, which must not
   * exist yet: a file that exists is a complete file, and no second write (two container
   * paths meeting in one stored name would be a bug) can replace evidence already taken.
   */
  private async completeAtomically(
    target: string,
    write: (temp: string) => Promise<unknown>,
  ): Promise<void> {
    // `.partial-<hex>-<name>`: unique within this run by the counter, across runs by the
    // random tag (and O_EXCL refuses the rest); no random bytes drawn per file.
    const serial = (++this.tempCount).toString(16).padStart(6, '0');
    const temp = path.join(
      path.dirname(target),
      `${TEMP_PREFIX}${this.tempTag}${serial}-${path.basename(target)}`,
    );
    try {
      await write(temp);
      await linkNew(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw this.translateDiskError(e, target);
    }
  }

  /** Makes the folders under the root one level at a time, each a real folder (never a link). */
  private async makeParent(target: string): Promise<void> {
    const dir = path.dirname(target);
    if (dir === this.root || this.madeDirs.has(dir)) return;
    await this.makeParent(dir);
    await makeFolder(dir).catch((e: unknown) => {
      throw this.translateDiskError(e, dir);
    });
    this.madeDirs.add(dir);
  }

  /** The responder's disk failing is an expected failure: say which folder and what to do. */
  private translateDiskError(e: unknown, target: string): unknown {
    const problem = diskProblem(e);
    const doing =
      target === this.root ? 'creating it' : `writing ${path.relative(this.root, target)}`;
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && target === this.root)
      return new CaseFolderError(
        `the case folder ${this.root} exists and is not a folder (a file, or a link, which is never followed)`,
        'Choose another --case-dir.',
        { cause: e },
      );
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return new CaseFolderError(
        `refusing to replace ${path.relative(this.root, target)} in the case folder ${this.root}: it already exists`,
        'Evidence is never overwritten. Triage into a new --case-dir.',
        { cause: e },
      );
    if (problem === 'no folder')
      return new CaseFolderError(
        `cannot create the case folder ${this.root} (${(e as NodeJS.ErrnoException).code} ${doing})`,
        'Choose a --case-dir on a writable disk.',
        { cause: e },
      );
    if (problem === 'full' || problem === 'not writable')
      return new CaseFolderError(
        `the case folder ${this.root} is ${problem === 'full' ? 'on a full disk' : 'not writable'} (${(e as NodeJS.ErrnoException).code} ${doing})`,
        problem === 'full'
          ? 'Free space or choose another --case-dir, then triage again.'
          : 'Choose a --case-dir on a writable disk, then triage again.',
        { cause: e },
      );
    return e;
  }

  /** Writes a small, already-read artifact; the file appears only when complete. */
  async writeBuffer(
    relative: string,
    data: Buffer,
    what: Described,
    isListed = true,
  ): Promise<ArtifactRecord> {
    const target = this.locate(relative);
    await this.makeParent(target);
    await this.completeAtomically(target, async (temp) => {
      const handle = await open(temp, NEW_FILE, 0o600);
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
    });
    const record: ArtifactRecord = {
      path: relative,
      sha256: createHash('sha256').update(data).digest('hex'),
      sizeBytes: data.length,
      capturedAt: isoTime(),
      ...described(what),
    };
    if (isListed) this.records.push(record);
    return record;
  }

  /**
   * Streams `source` to `relative`, hashing as it goes; the file appears only when complete.
   * A loop of awaited writes, not a stream pipeline: a case holds tens of thousands of small
   * files, and a pipeline's machinery (an abort controller, a write stream, their errors) costs
   * more than writing one of them. Each byte is hashed once: the stored bytes' hash is copied at
   * a cut, and only the source's goes on past it.
   */
  async writeStream(
    relative: string,
    source: Readable,
    opts: WriteOptions,
  ): Promise<ArtifactRecord> {
    // A source that stalls still ends on a cancel: it is destroyed, and the loop throws.
    return this.writeChunks(relative, source as AsyncIterable<Buffer | string>, opts, (error) =>
      source.destroy(error),
    );
  }

  /**
   * Copies an open file into the case as writeStream does (hashed as written, capped at
   * `maxBytes` with the whole file still hashed, complete or absent), read into one buffer
   * sized to it (at most 1 MiB, reused) rather than through a read stream, which takes 64 KiB
   * for each read of a file of a few bytes: a case stores tens of thousands of small files.
   * Reads from the handle's start; closes it, whatever happens.
   */
  async writeOpenFile(
    relative: string,
    file: FileHandle,
    opts: WriteOptions,
  ): Promise<ArtifactRecord> {
    try {
      const { size } = await file.stat();
      // One byte more than its size: a file that grew is read to its end all the same.
      const buffer = Buffer.allocUnsafe(Math.min(size + 1, MAX_READ_BYTES));
      async function* pieces(): AsyncGenerator<Buffer> {
        for (let position = 0; ;) {
          const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) return;
          position += bytesRead;
          // The same buffer again next time: each piece is hashed and written before then.
          yield buffer.subarray(0, bytesRead);
        }
      }
      return await this.writeChunks(relative, pieces(), opts, () => undefined);
    } finally {
      await file.close();
    }
  }

  private async writeChunks(
    relative: string,
    chunks: AsyncIterable<Buffer | string>,
    opts: WriteOptions,
    stop: (error?: Error) => void,
  ): Promise<ArtifactRecord> {
    const target = this.locate(relative);
    await this.makeParent(target);
    const hash = createHash('sha256');
    let sourceHash: Hash | undefined;
    let sizeBytes = 0;
    let sourceBytes = 0;
    const limit = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    await this.completeAtomically(target, async (temp) => {
      const handle = await open(temp, NEW_FILE, 0o600);
      const signal = opts.signal;
      const onAbort = () => stop(abortError(signal));
      try {
        if (signal?.aborted) throw abortError(signal);
        signal?.addEventListener('abort', onAbort, { once: true });
        for await (const chunk of chunks) {
          if (signal?.aborted) throw abortError(signal);
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          sourceBytes += bytes.length;
          if (sourceHash) {
            sourceHash.update(bytes);
            continue;
          }
          let piece = bytes;
          if (sizeBytes + piece.length > limit) {
            piece = piece.subarray(0, limit - sizeBytes);
            hash.update(piece);
            sourceHash = hash.copy().update(bytes.subarray(piece.length));
          } else hash.update(piece);
          sizeBytes += piece.length;
          await writeAll(handle, piece);
        }
        if (signal?.aborted) throw abortError(signal);
      } catch (e) {
        stop();
        throw e;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await handle.close();
      }
    });
    const record: ArtifactRecord = {
      path: relative,
      sha256: hash.digest('hex'),
      sizeBytes,
      capturedAt: isoTime(),
      description: opts.description,
      ...(opts.environment ? { environment: opts.environment } : {}),
      ...(sourceHash
        ? {
            isTruncated: true,
            source: { sha256: sourceHash.digest('hex'), sizeBytes: sourceBytes },
          }
        : {}),
    };
    if (opts.isListed !== false) this.records.push(record);
    return record;
  }
}
