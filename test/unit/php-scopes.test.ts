/**
 * PHP's variables are each function's own: a name one function fills from the request
 * carries nothing in another function (issue 27's false alarms in administration pages of a
 * hundred functions), while globals, parameters handed on and top-level code still carry it.
 */
import { describe, expect, it } from 'vitest';
import { unscoped, withScopedNames } from '../../src/findings/web-shell/php-scopes.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

describe('PHP scopes', () => {
  it("renames each function's own variables, and leaves shared names alone", () => {
    const text = `<?php $a = 1;
function f($x) { global $g; $y = $x . $_GET['q'] . $this->v . self::$cache; return "$y"; }
$b = function ($z) use ($a) { return $z; };
class C { public function m() { $y = '{'; return $y; } }`;
    const scoped = withScopedNames(text);
    expect(scoped).toContain('function f($x__fn1) { global $g; $y__fn1 = $x__fn1 . $_GET');
    expect(scoped).toContain('$this->v . self::$cache; return "$y__fn1"; }');
    expect(scoped).toContain('$b = function ($z) use ($a)');
    // A brace in a string does not end the method early.
    expect(scoped).toContain("public function m() { $y__fn2 = '{'; return $y__fn2; }");
    expect(scoped.startsWith('<?php $a = 1;')).toBe(true);
    expect(unscoped(scoped)).toBe(text);
  });

  it('does not lend a name posted in one function to a file manager in another', () => {
    const page = `<?php
class Admin {
  function save() { $file = $_POST['file']; $this->log("saved $file"); }
  function cleanup() {
    foreach (glob(CACHE_DIR . '/*.tmp') as $file) { chmod($file, 0644); rename($file, $file . '.old'); unlink($file); }
  }
}`;
    expect(isRuleAlarm('/var/www/html/admin/admin.php', page)).toBe(false);
    // Within one function it is one.
    const manager = page.replace(
      "foreach (glob(CACHE_DIR . '/*.tmp') as $file) {",
      "$file = $_POST['file']; {",
    );
    expect(topFinding('/var/www/html/admin/admin.php', manager)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a file manager/),
    });
  });

  it('still follows the request through a global, a parameter and top-level code', () => {
    for (const page of [
      `<?php $c = $_GET['c']; function run() { global $c; system($c); } run();`,
      `<?php function x($cmd) { $line = "$cmd 2>&1"; passthru($line); } x($_POST['cmd']);`,
      `<?php $c = $_REQUEST['c']; if ($c) { echo shell_exec($c); } function footer() { $c = 'x'; }`,
    ])
      expect(topFinding('/var/www/html/x.php', page)?.severity, page).toBe('critical');
  });

  it("names a function's variable in a reason as the page wrote it", () => {
    const page = `<?php function go() { $f = $_GET['f']; $f($_GET['a']); } go();`;
    const reason = topFinding('/var/www/html/x.php', page)?.reason ?? '';
    expect(reason).toMatch(/\$f\(/);
    expect(reason).not.toMatch(/__fn/);
  });
});
