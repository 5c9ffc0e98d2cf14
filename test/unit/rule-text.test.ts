/**
 * What the content rules read of a file (rule-budget.ts): its first 64 KiB, and its last
 * 64 KiB as a text of its own from its first whole line, reopened in the markup it starts
 * inside of. Issue 27: packed loaders run their payload on their last line.
 */
import { describe, expect, it } from 'vitest';
import {
  middleRanges,
  RULE_MIDDLE_BYTES,
  RULE_SAMPLE_BYTES,
  RULE_TAIL_BYTES,
  ruleText,
} from '../../src/findings/rule-budget.js';

const lines = (n: number, line: string) => line.repeat(n);

describe('ruleText', () => {
  it('reads a short file whole, with no end of its own', () => {
    const judged = ruleText(Buffer.from('<?php echo 1;'), 13);
    expect(judged).toMatchObject({ text: '<?php echo 1;', isCut: false });
    expect(judged.endText).toBeUndefined();
  });

  it('reads a long file on its start and its end, from the end’s first whole line', () => {
    const file = Buffer.from(
      `<?php\n${lines(20_000, '$z .= "Q2k4";\n')}eval(base64_decode($z));\n`,
    );
    const judged = ruleText(file, file.length);
    expect(judged.text!.length).toBe(RULE_SAMPLE_BYTES);
    expect(judged.endText!.startsWith('$z .= "')).toBe(true);
    expect(judged.endText!.endsWith('eval(base64_decode($z));\n')).toBe(true);
    expect(file.length - judged.tailFrom!).toBeLessThanOrEqual(RULE_TAIL_BYTES);
    expect(judged.isCut).toBe(true);
  });

  it('takes the end from the stored file when the sample stops short of it', () => {
    const file = Buffer.from(`${lines(30_000, '// pad\n')}system($_GET['c']);\n`);
    const end = file.subarray(file.length - RULE_TAIL_BYTES);
    const judged = ruleText(file.subarray(0, RULE_SAMPLE_BYTES + 1), file.length, end);
    expect(judged.endText).toContain("system($_GET['c']);");
    expect(ruleText(file.subarray(0, RULE_SAMPLE_BYTES + 1), file.length).endText).toBeUndefined();
  });

  it('reopens the browser script or server code the end starts inside of', () => {
    const page = (middle: string) =>
      Buffer.from(`<%@ page import="java.io.*" %>\n${lines(12_000, '<p>row</p>\n')}${middle}`);
    const inScript = ruleText(
      page(`<script>\n${lines(9_000, 'var a = 1;\n')}eval(x);\n</script>\n`),
      0,
    );
    expect(inScript.endText!.startsWith('<script>')).toBe(true);
    const inCode = ruleText(page(`<%\n${lines(9_000, 'int a = 1;\n')}%>\n<p>end</p>\n`), 0);
    expect(inCode.endText!.startsWith('<%')).toBe(true);
    const closed = ruleText(page(`<script>a()</script>\n${lines(9_000, '<p>x</p>\n')}`), 0);
    expect(closed.endText!.startsWith('<')).toBe(true);
    expect(closed.endText!.startsWith('<script>')).toBe(false);
    // A script whose start holds no server code: a `%>` in one of its strings opens none.
    const script = Buffer.from(`${lines(12_000, 'var row = 1;\n')}var t = "a %> b";\n`);
    expect(ruleText(script, 0).endText!.startsWith('<%')).toBe(false);
  });

  it('judges UTF-16 text on its start only', () => {
    const text = Buffer.from(`\ufeff${'a'.repeat(RULE_SAMPLE_BYTES)}`, 'utf16le');
    const judged = ruleText(text, text.length);
    expect(judged.endText).toBeUndefined();
    expect(judged.isCut).toBe(true);
  });

  it('reads a long page’s middle in overlapping windows, from the start’s sample to the end’s', () => {
    const size = 1_000_000;
    const head = Buffer.from(`<?php\n${'$a = 1;\n'.repeat(9000)}`);
    const ranges = middleRanges(head, size, '/srv/data.txt');
    expect(ranges[0]!.from).toBeLessThan(RULE_SAMPLE_BYTES);
    for (const [i, r] of ranges.entries()) {
      expect(r.length).toBeLessThanOrEqual(RULE_SAMPLE_BYTES);
      // Each window starts inside the one before it.
      if (i > 0) expect(r.from).toBeLessThan(ranges[i - 1]!.from + ranges[i - 1]!.length);
    }
    // The last reaches past where the end's text may start (its first whole line, up to half in).
    const last = ranges.at(-1)!;
    expect(last.from + last.length).toBeGreaterThan(size - RULE_TAIL_BYTES / 2);
    expect(last.from + last.length).toBeLessThanOrEqual(size);
  });

  it('reads no middle of a file its start and end cover, nor of data, an archive or a script that is no page', () => {
    const page = Buffer.from(`<%@ page %>\n${'x'.repeat(70_000)}`);
    expect(middleRanges(page, RULE_SAMPLE_BYTES + RULE_TAIL_BYTES, '/a/p.jsp')).toEqual([]);
    const data = Buffer.from('{"rows": ['.padEnd(RULE_SAMPLE_BYTES, '1,'));
    expect(middleRanges(data, 10_000_000, '/a/rows.json')).toEqual([]);
    // Named as a page, it is read; with NUL bytes and no code in its start, it is not.
    expect(middleRanges(data, 10_000_000, '/a/rows.php').length).toBeGreaterThan(0);
    expect(middleRanges(Buffer.alloc(RULE_SAMPLE_BYTES), 10_000_000, '/a/x.php')).toEqual([]);
    // A PHP archive is no page (its stub, at its start, is read); a Node script is no page.
    expect(middleRanges(data, 10_000_000, '/a/composer.phar')).toEqual([]);
    const node = Buffer.from(`#!/usr/bin/env node\n${'x();\n'.repeat(20_000)}`);
    expect(middleRanges(node, 10_000_000, '/a/yarn.cjs')).toEqual([]);
  });

  it('reads at most its budget of a middle, and says where the reading from the start stops', () => {
    const size = 100_000_000;
    const head = Buffer.from(`#!/usr/bin/perl\n${'# x\n'.repeat(20_000)}`);
    const ranges = middleRanges(head, size, '/usr/lib/cgi-bin/big.pl');
    expect(ranges.reduce((n, r) => n + r.length, 0)).toBe(RULE_MIDDLE_BYTES);
    expect(
      middleRanges(head, size, '/usr/lib/cgi-bin/big.pl', 100_000).reduce(
        (n, r) => n + r.length,
        0,
      ),
    ).toBe(100_000);
    const middle = ranges.map(({ from, length }) => ({ from, bytes: Buffer.alloc(length, 'a\n') }));
    const judged = ruleText(head, size, Buffer.alloc(RULE_TAIL_BYTES, 'b\n'), middle);
    expect(judged.middleTexts).toHaveLength(ranges.length);
    expect(judged.startTo).toBe(ranges.at(-1)!.from + ranges.at(-1)!.length);
    expect(judged.isCut).toBe(true);
  });

  it('reads each window from its first whole line, reopened in the PHP or server code it starts in', () => {
    const start = Buffer.from(`<?php\n${'$a = 1;\n'.repeat(9000)}`);
    const window = Buffer.from(`= 2;\nsystem($_GET['c']);\n?>\n<p>page</p>\n`);
    const judged = ruleText(start, 300_000, Buffer.from('\n<p>end</p>\n'), [
      { from: 100_000, bytes: window },
    ]);
    expect(judged.middleTexts).toEqual([
      {
        text: `<?php system($_GET['c']);\n?>\n<p>page</p>\n`,
        from: 100_005,
        to: 100_000 + window.length,
      },
    ]);
    // Not once the window opens PHP first: its text before is template text.
    const opened = ruleText(start, 300_000, Buffer.from('\n<p>end</p>\n'), [
      { from: 100_000, bytes: Buffer.from(`x\n<p>a</p><?php echo 1; ?>\n`) },
    ]);
    expect(opened.middleTexts![0]!.text.startsWith('<p>')).toBe(true);
  });

  it('knows the markup a window starts in from the pieces before it, and guesses past a gap', () => {
    // A JSP whose start opens a browser script that runs on past the next window's start.
    const start = Buffer.from(
      `<%@ page import="java.io.*" %>\n<script>\n${'var a = 1;\n'.repeat(5000)}`,
    );
    const inScript = Buffer.from(`x\n${'a.exec(b);\n'.repeat(100)}`);
    const end = Buffer.from(`\n%>\n<p>end</p>\n`);
    const piece = (from: number, bytes: Buffer) => ({ from, bytes });
    const known = ruleText(start, 300_000, end, [piece(start.length - 10, inScript)]);
    expect(known.middleTexts![0]!.text.startsWith('<script>a.exec(b);')).toBe(true);
    // Past a gap, the window alone shows no markup: read as written.
    const gap = ruleText(start, 300_000, end, [piece(start.length + 1000, inScript)]);
    expect(gap.middleTexts![0]!.text.startsWith('a.exec(b);')).toBe(true);
    // Server code opened in one window and still open at the next one's start.
    const code = Buffer.from(`x\n</script>\n<%\n${'int a = 1;\n'.repeat(50)}`);
    const next = Buffer.from(`\nRuntime.getRuntime().exec(c);\n`);
    const opened = ruleText(start, 300_000, end, [
      piece(start.length - 10, code),
      piece(start.length - 10 + code.length - 20, next),
    ]);
    expect(opened.middleTexts![1]!.text.startsWith('<%Runtime.getRuntime()')).toBe(true);
  });

  it('knows the markup where the end starts from the window that holds that point', () => {
    const start = Buffer.from(
      `<%@ page import="java.io.*" %>\n<script>\n${'var a = 1;\n'.repeat(5000)}`,
    );
    const a = Buffer.from(`x\n</script>\n<%\n${'int a = 1;\n'.repeat(3000)}`);
    const aFrom = start.length - 10;
    // The second window closes the server code and opens a browser script, after the end's start.
    const b = Buffer.from(`x\n%>\n<script>\n${'var b = 2;\n'.repeat(2000)}`);
    // The end starts inside the first window, before the second one's start.
    const endFrom = aFrom + 20_000;
    const size = endFrom + 40_000;
    const end = Buffer.from(`y\nRuntime.getRuntime().exec(c);\n`.padEnd(40_000, ' '));
    const judged = ruleText(start, size, end, [
      { from: aFrom, bytes: a },
      { from: aFrom + 25_000, bytes: b },
    ]);
    expect(judged.tailFrom).toBeLessThan(aFrom + 25_000);
    expect(judged.endText!.startsWith('<%Runtime.getRuntime()')).toBe(true);
  });
});
