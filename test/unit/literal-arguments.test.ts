/**
 * A function of the page's own whose only call gives it constants: its body read with them
 * (literal-arguments.ts), so a callback it builds from them is worked out (issue 27).
 */
import { describe, expect, it } from 'vitest';
import { withLiteralArguments } from '../../src/findings/web-shell/literal-arguments.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

describe('a function called once with constants', () => {
  it('reads its parameters as those constants, and what it sets them to from them', () => {
    const page = `<?php function y($b, $c) { $b = strrev($b); array_map(f($b), array($c)); }
y("trea", $_POST['x']);`;
    expect(withLiteralArguments(page)).toContain(`$b = 'aert'; array_map(f('aert'), array($c))`);
  });

  it('reads a constructor by its class, called with `new`', () => {
    const page = `<?php class A { function __construct($f, $a) { $f($a); } }
new A('assert', $_POST['q']);`;
    expect(withLiteralArguments(page)).toContain(`{ 'assert'($a); }`);
  });

  it('leaves a function called twice, strings and elements as they are', () => {
    const twice = `<?php function y($b) { $b($_GET['x']); } y('trim'); y('assert');`;
    expect(withLiteralArguments(twice)).toBe(twice);
    const page = `<?php function y($b) { echo '$b', "$b"; $b[0] = 'x'; echo $b; } y('ab');`;
    expect(withLiteralArguments(page)).toBe(page);
  });

  it('stops at an assignment it cannot work out, and at a loop that sets the name', () => {
    const page = `<?php function y($b, $l) { $b = $l[0]; echo $b; foreach ($l as $b) g($b); }
y('x', $_GET['l']);`;
    expect(withLiteralArguments(page)).toBe(page);
    const loop = `<?php function y($b, $l) { echo $b; foreach ($l as $k => $b) g($b); } y('x', $z);`;
    expect(withLiteralArguments(loop)).toContain(`echo 'x'; foreach ($l as $k => $b) g($b);`);
  });

  it('ranks the wrapper that splices a runner from its literals as a shell', () => {
    const shell = `<?php
error_reporting(0);
$b = "zxczxczxc";
function yuag_array($b, $c) {
  $b = strrev($b);
  print "www.example.org";
  array_map(substr_replace($b, 'ss', 1, 0), array($c));
}
yuag_array("trea", $_POST['yuag']);`;
    expect(topFinding('/var/www/html/y.php', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringContaining('the constants its functions are given'),
    });
  });

  it('leaves an application wrapper given a filter by name alone', () => {
    const page = `<?php
function clean_all($filter, $values) {
  $filter = strtolower($filter);
  return array_map($filter, $values);
}
$rows = clean_all('TRIM', $_POST['rows']);`;
    expect(isRuleAlarm('/var/www/html/form.php', page)).toBe(false);
  });

  // Cases a review built (issue 27, thirty-seventh session).
  it('never grows a hostile page past its bound, nor lowers a shell it prefixes', () => {
    const shell = `eval(gzinflate(base64_decode('K64sLknN1VCJD/APDolWSlaK1bQGAA==')));`;
    const appends = `function f($a, $b) { ${'$b = $b.$b.$b.$b; '.repeat(6)}${'$a .= $b; '.repeat(200)} }
f('', 'xxxxxxxxxx');`;
    expect(withLiteralArguments(`<?php ${appends}`).length).toBeLessThan(20_000);
    expect(topFinding('/var/www/html/x.php', `<?php\n${shell}\n${appends}`)?.severity).toBe(
      'critical',
    );
    const reads = `function b($t) { ${'echo $t; '.repeat(300)} }\nb('${'x'.repeat(200)}');`;
    const called = `$b = $_POST['a']; $a = "\\x0Bassert"; call_user_func(trim($a), $b);`;
    expect(topFinding('/var/www/html/x.php', `<?php\n${reads}\n${called}`)?.severity).toBe(
      'critical',
    );
  });

  it('binds no method that two classes declare, and no argument split inside a string', () => {
    const page = `<?php
class Logger { public function write($channel, $message) { error_log("[$channel] $message"); } }
class Pipeline { public function write($stage, $payload) { return $stage($payload); } }
$log = new Logger();
$log->write('system', $_SERVER['REQUEST_URI']);`;
    expect(withLiteralArguments(page)).toBe(page);
    const notice = `<?php function notice($message, $escape = 'html') { return $escape($message); }
notice("disabled: 'exec', 'system', 'passthru'");`;
    expect(withLiteralArguments(notice)).toContain(`return $escape('disabled: \\'exec\\', `);
  });

  it('leaves names a body shares, aliases, sets under a condition or shadows', () => {
    const pages = [
      `<?php function y($h) { global $h; $h($_GET['x']); } y('system');`,
      `<?php function y($f) { $g = &$f; $g = 'trim'; $f($_GET['x']); } y('system');`,
      `<?php function y($d) { if ($_GET['a']) $d .= 'tem'; $d($_GET['x']); } y('sys');`,
      `<?php function y($d) { if ($_GET['a']) { $d = 'system'; } $d($_GET['x']); } y('trim');`,
      `<?php function y($f) { $in = function ($f) { return $f($_GET['q']); }; } y('system');`,
      `<?php function y($m) { preg_match('/x/', 'x', $m); } y('system');`,
      `<?php function y($m) { Fill($m); $m($_GET['x']); } function fill(&$v) { $v = 'trim'; } y('system');`,
      `<?php function y($f) { $in = Function ($f) { return $f($_GET['q']); }; } y('system');`,
    ];
    for (const page of pages) expect(withLiteralArguments(page)).toBe(page);
    const heredoc = `<?php function y($t) { echo <<<EOT
Don't $t
EOT;
echo $t; } y('admin');`;
    expect(withLiteralArguments(heredoc)).toContain(`Don't $t\nEOT;\necho 'admin';`);
  });

  // Cases a second review built: calls that are not calls of the page's function.
  it("binds a method only from its own class's calls, and a function only from bare ones", () => {
    const pages = [
      `<?php class Bus { public function write($h, $p) { return call_user_func($h, $p); } }
$log = new FileLog('/tmp/a.log'); $log->write('system', $_SERVER['REQUEST_URI']);`,
      `<?php class View { public static function make($h, $d) { return $h($d); } }
Cache::make('system', $_GET['page']);`,
      `<?php class Panel { public function open($r, $d) { echo $r($d); } } ?>
<script>panel.open('system', location.hash);</script>`,
      `<?php function run($fn, $v) { return $fn($v); } $js = "run('system', 1)";
$out = call_user_func('run', 'strtoupper', $_GET['v']);`,
      `<?php class T { function __construct($f, $a) { $this->r = $f($a); } }
class E extends T { function __construct($a) { parent::__construct('trim', $a); } }
new T('system', $_GET['m']);`,
    ];
    for (const page of pages) expect(withLiteralArguments(page)).toBe(page);
    const own = `<?php class Job { function go() { return $this->run('assert', $_POST['x']); }
function run($f, $a) { return $f($a); } }`;
    expect(withLiteralArguments(own)).toContain(`return 'assert'($a);`);
  });

  it('reads a body to its own end, and splits arguments past a closure', () => {
    const brace = `<?php function open_block($fn) { echo "var cfg = {"; echo json_encode($fn); }
open_block('system'); $out = $fn($arg); echo "};";`;
    expect(withLiteralArguments(brace)).toContain(`$out = $fn($arg);`);
    const closure = `<?php function y($cb, $fmt, $x) { return $fmt($x); }
y(function () { echo 'a', 'b'; }, 'htmlspecialchars', 'system');`;
    expect(withLiteralArguments(closure)).toContain(`return 'htmlspecialchars'('system');`);
    const alternative = `<?php function r($fmt, $row) {
  if (!is_array($row)): $fmt = 'htmlspecialchars'; endif; echo $fmt($row); }
r('print_r', $_POST['row']);`;
    expect(withLiteralArguments(alternative)).toBe(alternative);
  });
});
