/**
 * PHP code saved with no open tag (issue 27): the payloads and plugins a web shell's client
 * sends to be evaluated, kept on disk. Each is written anew here, beside near misses: files
 * named .php that are no code, templates, and code that runs nothing.
 */
import { describe, expect, it } from 'vitest';
import { isTaglessPhp } from '../../src/findings/web-shell/tagless-code.js';
import { topFinding } from '../support/top-finding.js';

// A command runner as a shell's client sends it: its argument comes from the shell's own
// getter, so no request input reaches exec() in the file.
const COMMAND_PLUGIN = `@error_reporting(0);
function run($c) {
  $out = array();
  exec($c . ' 2>&1', $out);
  return implode("\\n", $out);
}
$result = run(get('cmd'));
echo base64_encode($result);
`;

// Code evaluated in one line, and its output handed back.
const EVAL_PLUGIN = `ob_start();@eval(get("code"));$result=ob_get_contents();ob_end_clean();return $result;`;

describe('PHP code with no open tag', () => {
  it('ranks a payload that runs commands high, in a web root or out of one', () => {
    for (const at of ['/var/www/html/assets/run.php', '/tmp/.cache/p.php']) {
      const top = topFinding(at, COMMAND_PLUGIN);
      expect(top).toMatchObject({ rule: 'web-shell', severity: 'high', attack: 'T1505.003' });
      expect(top?.reason).toContain('no open tag');
    }
  });

  it('ranks code that evaluates what it is given high, and names the call', () => {
    const top = topFinding('/var/www/html/e.php', EVAL_PLUGIN);
    expect(top).toMatchObject({ severity: 'high' });
    expect(top?.reason).toContain('calling eval()');
  });

  it('leaves the same code behind an open tag to the rules that read pages', () => {
    // With its tag it is a page; a command with no request input is worth a look there.
    const top = topFinding('/var/www/html/assets/run.php', `<?php\n${COMMAND_PLUGIN}`);
    expect(top?.reason ?? '').not.toContain('no open tag');
  });

  it('passes tagless code that runs nothing: a settings file', () => {
    const settings = `$config['db'] = 'shop';\n$config['user'] = 'shop';\n$config['host'] = 'localhost';\n`;
    expect(isTaglessPhp('/var/www/html/settings.inc', [settings])).toBe(true);
    expect(topFinding('/var/www/html/settings.inc', settings)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });
});

describe('isTaglessPhp', () => {
  it('reads code that starts with a statement, a call or a declaration', () => {
    for (const text of [
      COMMAND_PLUGIN,
      EVAL_PLUGIN,
      `if (class_exists("X")) {\n  $a = 1; $b = 2; $c = 3;\n}`,
    ])
      expect(isTaglessPhp('/srv/x.php', [text])).toBe(true);
    // Comments before the code are set aside.
    expect(isTaglessPhp('/srv/x.php', [`// plugin\n/* v2 */\n${COMMAND_PLUGIN}`])).toBe(true);
  });

  it('is false for a file with an open tag anywhere in what is read', () => {
    expect(isTaglessPhp('/srv/x.php', [`<?php ${COMMAND_PLUGIN}`])).toBe(false);
    expect(isTaglessPhp('/srv/x.php', [COMMAND_PLUGIN, 'echo 1; ?><?php exec($x);'])).toBe(false);
    expect(isTaglessPhp('/srv/x.php', [`<script language="php">${COMMAND_PLUGIN}</script>`])).toBe(
      false,
    );
  });

  it('is false for what is no code: markup, styles, data and prose', () => {
    for (const text of [
      `<html><body><p>$a; $b; $c; $d;</p></body></html>`,
      `body { color: red; margin: 0; padding: 0; } /* $a $b */`,
      `{"$schema": "x", "$id": "y", "a": "b;c;d;"}`,
      `Total: $5; tax: $1; shipping: free; see you soon;`,
    ])
      expect(isTaglessPhp('/var/www/html/page.php', [text])).toBe(false);
  });

  it("is false for a template engine's files and for other names", () => {
    expect(isTaglessPhp('/app/resources/views/list.blade.php', [COMMAND_PLUGIN])).toBe(false);
    expect(isTaglessPhp('/srv/run.txt', [COMMAND_PLUGIN])).toBe(false);
  });
});
