/**
 * Tar streams are read one way everywhere: the source is joined to tar-stream's
 * extractor with `stream/promises` pipeline (backpressure is real, a failure on
 * either side ends the loop with that failure, a truncated archive fails), and an
 * entry's bytes are read with a bound.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header, type Pack } from 'tar-stream';

export type TarEntry = Readable & { header: Header };

/**
 * Every entry of a tar stream, in order; each must be consumed (read or resumed) before
 * the next arrives. Leaving the loop early stops the transfer and destroys the source.
 */
export async function* tarEntries(
  source: Readable,
  signal?: AbortSignal,
): AsyncGenerator<TarEntry> {
  const extractor = extract();
  let failure: unknown;
  const piped = pipeline(source, extractor, ...(signal ? [{ signal }] : [])).catch((e: unknown) => {
    failure = e;
    extractor.destroy(e as Error);
  });
  try {
    for await (const entry of extractor) yield entry as unknown as TarEntry;
    await piped;
    if (failure !== undefined) throw failure;
  } finally {
    source.destroy();
    extractor.destroy();
    await piped; // settled either way: its failure, if any, was thrown above
  }
}

/**
 * The first `maxBytes` of an entry (or any stream), read whole into memory; `isCut` says
 * there was more, which was drained unread.
 */
export async function readBounded(
  entry: AsyncIterable<unknown>,
  maxBytes: number,
): Promise<{ data: Buffer; isCut: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  let isCut = false;
  for await (const chunk of entry) {
    const piece = chunk as Buffer;
    if (isCut) continue;
    if (length + piece.length > maxBytes) {
      chunks.push(piece.subarray(0, maxBytes - length));
      length = maxBytes;
      isCut = true;
      continue;
    }
    chunks.push(piece);
    length += piece.length;
  }
  return { data: Buffer.concat(chunks, length), isCut };
}

/**
 * Streams `source` into a new entry of `pack`, whose header says its size. Every stream gets
 * a listener: the pack destroyed (a cancel, a full disk) errors the entry's sink too, and an
 * unheard 'error' would crash past the cleanup.
 */
export function packEntry(
  pack: Pack,
  header: Partial<Header> & { name: string },
  source: Readable,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (e) => (e ? reject(e) : resolve()));
    const fail = (e: Error) => {
      source.destroy();
      reject(e);
    };
    source.on('error', fail);
    sink.on('error', fail);
    source.pipe(sink as unknown as NodeJS.WritableStream);
  });
}
