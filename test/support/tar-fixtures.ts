import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';

export type FixtureEntry = Partial<Header> & { name: string; content?: string | Buffer };

/** Builds a tar archive in memory from entries (small fixtures only). */
export async function makeTar(entries: FixtureEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p) chunks.push(chunk as Buffer);
  })();
  for (const { content, ...header } of entries) {
    const body = content === undefined ? undefined : Buffer.from(content);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) p.entry({ ...header, size: body.length }, body, done);
      else p.entry(header, done);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The same bytes, whole or cut into odd-sized chunks, as a stream. */
export function streamOf(data: Buffer, chunkSize?: number): Readable {
  if (!chunkSize) return Readable.from([data]);
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) pieces.push(data.subarray(i, i + chunkSize));
  return Readable.from(pieces);
}

export const CHUNKINGS = [undefined, 1, 7, 511, 513, 4096 + 3];
