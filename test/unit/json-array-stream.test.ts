import { describe, expect, it } from 'vitest';
import { parseJsonArray } from '../../src/sources/docker-live/json-array-stream.js';
import { CHUNKINGS, streamOf } from '../support/tar-fixtures.js';

const limits = { maxBytes: 1 << 20, maxElementBytes: 4096 };
const parse = (text: string, chunk?: number, l = limits) =>
  parseJsonArray(streamOf(Buffer.from(text), chunk), 'a change list', l);

describe.each(CHUNKINGS)('parseJsonArray, fed in chunks of %s bytes', (chunk) => {
  it("reads the engine's change list element by element", async () => {
    const list = [
      { Path: '/a', Kind: 1 },
      { Path: '/tmp/esc\u001b]0;x\u0007 "quoted" \\ }]{[', Kind: 0 },
      { Path: '/srv/café/日本', Kind: 2 },
    ];
    expect(await parse(JSON.stringify(list), chunk)).toEqual(list);
    expect(await parse(`  ${JSON.stringify(list, null, 2)}\n`, chunk)).toEqual(list);
  });

  it('reads "null" (no changes) and "[]" as an empty list', async () => {
    expect(await parse('null\n', chunk)).toEqual([]);
    expect(await parse('[]', chunk)).toEqual([]);
  });

  it('refuses what is not a list of objects, or ends early, naming why', async () => {
    await expect(parse('<html>', chunk)).rejects.toThrow(/not a JSON list \(it starts with "<"\)/);
    await expect(parse('[1,2]', chunk)).rejects.toThrow(/an element is not an object/);
    await expect(parse('[{"Path":"/a"}', chunk)).rejects.toThrow(/ends before the list does/);
    await expect(parse('[{"Path":"/a"}] x', chunk)).rejects.toThrow(/something follows/);
    await expect(parse('[{"Path":/a}]', chunk)).rejects.toThrow(/not valid JSON/);
  });
});

describe('parseJsonArray bounds', () => {
  it('fails an answer past its byte limit, however it is chunked', async () => {
    const big = JSON.stringify(
      Array.from({ length: 1000 }, (_, i) => ({ Path: `/f${i}`, Kind: 1 })),
    );
    await expect(parse(big, 512, { maxBytes: 4096, maxElementBytes: 4096 })).rejects.toMatchObject({
      name: 'AnswerTooLarge',
      message: expect.stringMatching(/larger than 4096 bytes/),
    });
  });

  it('fails an element past its own limit', async () => {
    const text = JSON.stringify([{ Path: `/${'x'.repeat(10_000)}`, Kind: 1 }]);
    await expect(parse(text, 1000)).rejects.toThrow(/an element is larger than 4096 bytes/);
  });
});
