import { describe, expect, it } from 'vitest';
import { boundedLines } from '../../src/bounded-lines.js';

async function linesOf(chunks: string[], maxBytes: number): Promise<string[]> {
  async function* source() {
    for (const c of chunks) yield Buffer.from(c, 'latin1');
  }
  const out: string[] = [];
  for await (const line of boundedLines(source(), maxBytes)) out.push(line);
  return out;
}

describe('bounded lines', () => {
  it('splits LF and CRLF lines across chunk edges, keeps empty lines and a last line without LF', async () => {
    expect(await linesOf(['ab', 'c\r\nd', 'e\n\nf\n', 'g'], 100)).toEqual([
      'abc',
      'de',
      '',
      'f',
      'g',
    ]);
  });

  it('keeps every byte as latin1, a lone CR inside a line included', async () => {
    expect(await linesOf(['\xe9t\xe9\rx\n'], 100)).toEqual(['\xe9t\xe9\rx']);
  });

  it('skips a line over the bound whole, spread over many chunks, and goes on after it', async () => {
    const long = Array.from({ length: 50 }, () => 'x'.repeat(10));
    expect(await linesOf(['ok\n', ...long, '\nnext\n', 'y'.repeat(9)], 10)).toEqual([
      'ok',
      'next',
      'y'.repeat(9),
    ]);
    expect(await linesOf(['a\n', 'z'.repeat(11)], 10)).toEqual(['a']);
    expect(await linesOf(['z'.repeat(10), '\n'], 10)).toEqual(['z'.repeat(10)]);
  });
});
