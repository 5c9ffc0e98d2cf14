import { Readable } from 'node:stream';

/**
 * Reads the first `count` bytes of a stream (fewer if it ends) and returns them
 * with a stream that yields everything, head included, so a format can be
 * sniffed without buffering the rest.
 */
export async function peekStream(
  source: Readable,
  count: number,
): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < count) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const buffered = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (buffered.length > 0) yield buffered;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return {
    head: buffered.subarray(0, count),
    stream: Readable.from(replay(), { objectMode: false }),
  };
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A POSIX/GNU tar begins with a header whose magic is "ustar" at offset 257. */
export function isTar(head: Buffer): boolean {
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * True when a member of a `docker save` or OCI archive is a layer, by its first 512 bytes:
 * gzip or tar, a v1 `layer.tar`, or a tar starting with a block of zeros (an empty layer).
 */
export function isLayerMember(head: Buffer, name: string, size: number): boolean {
  return (
    isGzip(head) ||
    isTar(head) ||
    name.endsWith('/layer.tar') ||
    (size >= 1024 && head.every((b) => b === 0))
  );
}
