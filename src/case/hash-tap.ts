import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through stream that hashes (SHA-256) and counts what flows through it. */
export function createHashTap(): {
  tap: Transform;
  /** Bytes so far; safe to call any time. */
  bytesSoFar: () => number;
  /** Final hash and size: call once the stream has ended. */
  result: () => { sha256: string; sizeBytes: number };
} {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let digest: string | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  return {
    tap,
    bytesSoFar: () => sizeBytes,
    result: () => {
      digest ??= hash.digest('hex');
      return { sha256: digest, sizeBytes };
    },
  };
}
