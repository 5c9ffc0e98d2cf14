import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createParallelGzip } from '../../src/bundle/parallel-gzip.js';

async function compress(data: Buffer, chunk: number, blockBytes: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    createParallelGzip({ blockBytes, inFlight: 3 }),
    async function* (source) {
      for await (const c of source) out.push(c as Buffer);
    },
  );
  return Buffer.concat(out);
}

describe('createParallelGzip', () => {
  it.each([
    [1000, 4096],
    [7, 100],
    [65536, 1 << 20],
  ])(
    'gives gzip that gunzips to the same bytes, in order (chunks of %i, blocks of %i)',
    async (chunk, block) => {
      const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(200_000, 'a')]);
      const gz = await compress(data, chunk, block);
      expect(gunzipSync(gz).equals(data)).toBe(true);
      const streamed: Buffer[] = [];
      await pipeline(Readable.from([gz]), createGunzip(), async function* (source) {
        for await (const c of source) streamed.push(c as Buffer);
      });
      expect(Buffer.concat(streamed).equals(data)).toBe(true);
    },
  );

  it('turns empty input into a valid empty stream', async () => {
    expect(gunzipSync(await compress(Buffer.alloc(0), 10, 100)).length).toBe(0);
  });
});
