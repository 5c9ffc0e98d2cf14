/**
 * Decode-then-run (issue 27, split v2 tuning side): an obfuscated loader that runs what a
 * decoder returns, the decoder named through a variable whose name is written in escapes.
 */
import { describe, expect, it } from 'vitest';
import { topFinding } from '../support/top-finding.js';

// "base64_decode" written as escapes, held in a variable, called inside eval().
const LOADER =
  '<?php\n$q1="\\x62\\141\\163\\x65\\66\\x34\\137\\144\\x65\\143\\x6f\\x64\\x65";@eval($q1(\n"' +
  'Ly9OT0JON1U5MFQxVXNSYnZvYjNLbjZCVy9pZ283SVJqRktWV1FKWmlDSVAwb3hNZVY3dzdENVJIQmt\n' +
  'MNERyYXI0Znd0VFc4dHJ3OE0vdTJCMVBOTUFWL2tWUE01amxCK29renNqbUlRTmtibHpEQWNYZnkxN2V\n';

describe('decode-then-run through a variable', () => {
  it('ranks eval() of a decoder named through an escaped variable critical, even cut short', () => {
    for (const path of ['/opt/x/loader.php', '/var/www/html/loader.php'])
      expect(topFinding(path, LOADER)).toMatchObject({
        rule: 'web-shell',
        severity: 'critical',
        reason: expect.stringMatching(/eval\(\) on decoded data/),
      });
  });

  it('does not alarm on a decoder held in a variable whose output is only printed', () => {
    const benign =
      "<?php\n$decode = 'base64_decode';\n$title = $decode($row['title']);\necho htmlspecialchars($title);\n";
    expect(topFinding('/var/www/html/show.php', benign)?.severity ?? 'info').not.toMatch(
      /critical|high/,
    );
  });

  it('does not alarm on eval() of a variable call whose name is not a decoder', () => {
    const benign =
      "<?php\n$render = 'template_render';\n$out = $render($tpl);\neval('return 1;');\necho $out;\n";
    expect(topFinding('/var/www/html/render.php', benign)?.severity ?? 'info').not.toMatch(
      /critical|high/,
    );
  });

  it('follows decoded text kept in a variable, and a decoder wrapped in another call', () => {
    // A packed loader's last line: the decoder's name joined, its output kept, then run.
    const kept =
      "<?php\n$z .= 'Q2k4';\n$a = 'base'; $b = '64_decode'; $c = $a.$b; $s = $c($z); $s = $c($s); eval($s);\n";
    const wrapped = '<?php\neval(htmlspecialchars_decode(gzinflate(base64_decode($Cyto))));\n';
    for (const text of [kept, wrapped])
      expect(topFinding('/opt/x/loader.php', text)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/eval\(\) on decoded data/),
      });
  });

  it('follows decoded text run as a page of its own, after a closing tag', () => {
    const kept = '<?php\n$decoded = base64_decode($z);\neval("?>" . $decoded);\n';
    const direct = "<?php\neval('?>'.gzinflate(base64_decode($blob)));\n";
    for (const text of [kept, direct])
      expect(topFinding('/opt/x/loader.php', text)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/eval\(\) on decoded data/),
      });
    // A template compiled from a file is run the same way, and is no decoded text.
    const template =
      "<?php\n$compiled = compile(file_get_contents($path));\neval('?>' . $compiled);\n";
    expect(topFinding('/var/www/html/view.php', template)?.severity ?? 'info').not.toBe('critical');
  });

  it('does not alarm on decoded text that is printed while another variable is run', () => {
    const benign =
      "<?php\n$title = base64_decode($row['title']);\necho htmlspecialchars($title);\neval($compiled);\n";
    expect(topFinding('/var/www/html/show.php', benign)?.severity ?? 'info').not.toMatch(
      /critical/,
    );
  });

  it('follows decoded text through a decoder’s own loop of character work, not through other calls', () => {
    const xor = `<?php $k = 'x'; $b = base64_decode('MhgTCRsOGAIKEwQ='); $o = '';
for ($i = 0; $i < strlen($b); $i++) $o .= chr(ord($b[$i]) ^ ord($k));
eval($o);`;
    expect(topFinding('/var/www/html/x.php', xor)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/eval\(\) on decoded data/),
    });
    // Decoded data handed to a parser, then something else run: data, not code.
    const parsed = `<?php $b = base64_decode($row['cfg']); $cfg = json_decode($b, true);
$code = $cfg['tpl']; eval($code);`;
    expect(topFinding('/var/www/html/tpl.php', parsed)?.reason ?? '').not.toMatch(
      /on decoded data/,
    );
  });
});

describe('decode-then-run of a string built a character at a time', () => {
  it('ranks eval() of a string a hand-written hex decoder builds with chr() critical', () => {
    const hex = `<?php $e = '6563686f2031;'; $d = '';
for ($o = 0; $o < strlen($e); $o += 2) { $d .= @chr(hexdec($e[$o] . $e[$o + 1])); }
eval($d); ?>`;
    expect(topFinding('/var/www/html/cache.php', hex)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/eval\(\) on decoded data/),
    });
  });

  it('does not alarm on a random name built with chr() while something else is run', () => {
    const benign = `<?php $name = ''; for ($i = 0; $i < 8; $i++) $name .= chr(rand(97, 122));
$tmp = sys_get_temp_dir() . '/' . $name; eval($compiled);`;
    expect(topFinding('/var/www/html/t.php', benign)?.reason ?? '').not.toMatch(/on decoded data/);
  });
});

describe('decode-then-run through a function of the page, or worked out', () => {
  // What the payload decodes to does not matter: a page that decodes code and runs it hides
  // what it runs. Here it only sets two variables.
  const payload = Buffer.from('$login="913";$hash="5f4dcc3b";').toString('base64');

  it('ranks eval() of a function, closure or method of the page that decodes what it is given critical', () => {
    const own = `<?php function slbN($s)\n{\n$s=gzinflate(base64_decode($s));\nfor($i=0;$i<strlen($s);$i++) $s[$i] = chr(ord($s[$i])-1);\nreturn $s;\n}eval(slbN("${payload}"));`;
    const closure = `<?php $d = function ($s) { return str_rot13(base64_decode($s)); };\neval($d("${payload}"));`;
    const method = `<?php class K { static function d($s) { return gzinflate(base64_decode($s)); } }\neval(K::d("${payload}"));`;
    for (const text of [own, closure, method])
      expect(topFinding('/opt/x/a.php', text)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/eval\(\) on decoded data/),
      });
  });

  it('ranks eval() of a decoder whose name is worked out critical, though the code is plain', () => {
    for (const text of [
      `<?php\n$v1 = strrev("edoced_46esab");\neval($v1("${payload}"));\n`,
      // The decoded text kept in a variable first: one pass decodes, the next runs it.
      `<?php\n$f = str_rot13('onfr64_qrpbqr');\n$s = $f('${payload}');\neval($s);\n`,
      // The decoder called by its name through call_user_func().
      `<?php\neval(call_user_func('base64_decode', '${payload}'));\n`,
    ])
      expect(topFinding('/opt/x/a.php', text)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/eval\(\) on decoded data/),
      });
  });

  it('leaves a decoding function whose output is printed, a method of the same name, and eval() of plain constants', () => {
    const printed = `<?php function unpackTitle($s) { return base64_decode($s); }\necho htmlspecialchars(unpackTitle($row['t']));\neval('return 1;');`;
    expect(topFinding('/var/www/html/t.php', printed)?.reason ?? '').not.toMatch(/decoded data/);
    const method = `<?php function d($s) { return base64_decode($s); }\n$out = eval($tpl->d($src));`;
    expect(topFinding('/var/www/html/t.php', method)?.reason ?? '').not.toMatch(/decoded data/);
    // Worked out, but by joining and casing: no decoder made the code.
    const joined = `<?php $c = 'return ' . strtolower('TRUE') . ';'; $ok = eval($c);`;
    expect(topFinding('/var/www/html/t.php', joined)?.reason ?? '').not.toMatch(/decoded data/);
  });
});

describe('decode-then-run through a runner of the page', () => {
  const payload = Buffer.from('$login="913";').toString('base64');
  // phpobs.com's shape: a method decodes, another writes what it is given after PHP's open
  // tag into a temporary file, includes it and removes it.
  const throughFile = (code: string) =>
    `<?php\n$_cfg = '${payload}';\nclass FileManager {\n  private function parse($input) {\n    $data = @gzinflate(base64_decode($input));\n    $out = '';\n    for ($i = 0; $i < strlen($data); $i++) $out .= chr(ord($data[$i]) ^ 7);\n    return $out;\n  }\n  private function process($code) {\n    $tf = @tempnam(sys_get_temp_dir(), 'cfg');\n    @file_put_contents($tf, ${code});\n    @include($tf);\n    @unlink($tf);\n    return true;\n  }\n  public function setup($cfg) {\n    $content = $this->parse($cfg);\n    return $this->process($content);\n  }\n}\n$h = new FileManager();\n$h->setup($_cfg);\n`;

  it('ranks decoded code written after an open tag into a file that is then included critical', () => {
    expect(topFinding('/opt/x/function.php', throughFile(`'<?php ' . $code`))).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/include\(\) on decoded data/),
    });
  });

  it('ranks a command runner of the page given a decoded command critical', () => {
    const text = `<?php\nfunction exe($c) { @ob_start(); @system($c); return ob_get_clean(); }\necho exe(base64_decode('${Buffer.from('id').toString('base64')}'));\n`;
    expect(topFinding('/opt/x/a.php', text)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/system\(\) on decoded data/),
    });
  });

  it('leaves a cache that writes data after an open tag, and a runner given plain text', () => {
    // A settings cache: the value exported, not code passed in.
    const cache = throughFile(`'<?php return ' . var_export($code, true) . ';'`);
    expect(topFinding('/var/www/html/c.php', cache)?.reason ?? '').not.toMatch(/decoded data/);
    const plain = `<?php\nfunction exe($c) { @system($c); }\nexe('uptime');\n$t = base64_decode($row['title']);\necho $t;\n`;
    expect(topFinding('/var/www/html/u.php', plain)?.reason ?? '').not.toMatch(/decoded data/);
  });
});
