/**
 * gzip on every core: the input is cut into blocks, each block is compressed
 * as its own gzip member in zlib's thread pool, and the members are written
 * in order. Concatenated members are one valid gzip stream (RFC 1952 2.2), so
 * gunzip, tar and coroner verify read the result as usual. Memory stays at a
 * few blocks in flight.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

export interface ParallelGzipOptions {
  level?: number;
  blockBytes?: number;
  /** Blocks compressed at once; the default leaves room for the other thread-pool work. */
  inFlight?: number;
}

export function createParallelGzip(opts: ParallelGzipOptions = {}): Transform {
  const level = opts.level ?? 1;
  const blockBytes = opts.blockBytes ?? 1024 * 1024;
  const inFlight = opts.inFlight ?? 4;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const queue: Promise<Buffer>[] = [];
  let members = 0;

  async function drainTo(stream: Transform, limit: number): Promise<void> {
    while (queue.length > limit) stream.push(await queue.shift()!);
  }

  function cut(force = false): void {
    if (pendingBytes === 0 && !(force && members === 0)) return;
    members++;
    const block = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const compressed = gzip(block, { level });
    compressed.catch(() => undefined); // awaited in order by drainTo
    queue.push(compressed);
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < blockBytes) return done();
      cut();
      drainTo(this, inFlight - 1).then(() => done(), done);
    },
    flush(done: TransformCallback) {
      cut(true); // at least one member, so empty input is still valid gzip
      drainTo(this, 0).then(() => done(), done);
    },
  });
}
