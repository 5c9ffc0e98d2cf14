import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through stream that hashes (SHA-256) and counts what flows through it. */
export function createHashTap(): {
  tap: Transform;
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
    result: () => {
      digest ??= hash.digest('hex');
      return { sha256: digest, sizeBytes };
    },
  };
}
