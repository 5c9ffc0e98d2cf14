/**
 * What the content rules read of a file (rule-budget.ts): its first 64 KiB, and its last
 * 64 KiB as a text of its own from its first whole line, reopened in the markup it starts
 * inside of. Issue 27: packed loaders run their payload on their last line.
 */
import { describe, expect, it } from 'vitest';
import { RULE_SAMPLE_BYTES, RULE_TAIL_BYTES, ruleText } from '../../src/findings/rule-budget.js';

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
});
