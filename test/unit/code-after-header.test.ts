/**
 * Server-side code after an image or binary header is judged (issue 27: the header's NUL
 * bytes made the file binary, so a GIF89a-prefixed PHP shell was never read); programs and
 * archives are not read as pages.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { ruleText } from '../../src/findings/rule-budget.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const GIF_HEADER = Buffer.from([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff,
  0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
]);
const SHELL = Buffer.from("<?php system($_GET['c']); ?>");

const judge = (path: string, content: Buffer) => {
  const judged = ruleText(content, content.length);
  return evaluateChange(
    addedFile(path, judged.text, {
      current: fileMeta({ sizeBytes: content.length }),
      currentType: judged.type,
    }),
  );
};

describe('code after a binary header', () => {
  it('judges PHP after a GIF header with NUL bytes, wherever the file is', () => {
    const content = Buffer.concat([GIF_HEADER, SHELL]);
    expect(ruleText(content, content.length)).toMatchObject({
      type: 'image',
      codeAfterBytes: GIF_HEADER.length,
      text: SHELL.toString(),
    });
    for (const path of ['/var/www/html/uploads/avatar.php', '/var/www/html/uploads/avatar.gif'])
      expect(judge(path, content)[0]).toMatchObject({
        rule: expect.stringMatching(/shell/),
        severity: 'critical',
      });
  });

  it('judges a short closed block inside pixel data, and no open tag met by chance', () => {
    const pixels = (n: number) => Buffer.alloc(n, 0x91);
    const hidden = Buffer.concat([
      GIF_HEADER,
      pixels(40),
      Buffer.from('<?=exec($_GET[0]);?>( '),
      pixels(40),
    ]);
    expect(judge('/var/www/html/uploads/cat.gif', hidden)[0]).toMatchObject({
      rule: expect.stringMatching(/shell/),
      severity: 'critical',
    });
    // `<?=` and a few printable bytes, no close: compressed data, not code.
    const chance = Buffer.concat([GIF_HEADER, pixels(40), Buffer.from('<?=a1b2c3d'), pixels(40)]);
    expect(ruleText(chance, chance.length).text).toBeUndefined();
  });

  it('reads no code in an image without any, nor in a program or an archive', () => {
    const image = Buffer.concat([GIF_HEADER, Buffer.alloc(64, 0x11)]);
    expect(ruleText(image, image.length).text).toBeUndefined();
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), SHELL]);
    expect(ruleText(elf, elf.length).text).toBeUndefined();
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), SHELL]);
    expect(ruleText(zip, zip.length).text).toBeUndefined();
  });
});
