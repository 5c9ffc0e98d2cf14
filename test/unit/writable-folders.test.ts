/**
 * Writable-folder scanners (issue 27, tuning side): a page walking the server's folders to
 * find the ones it can write to, against installers and updaters that test their own.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, isRuleAlarm, topFinding } from '../support/top-finding.js';

describe('writable-folder scanners', () => {
  it('ranks a PHP walk from the folder the visitor names, testing write access, critical', () => {
    const scanner = `<form method="get"><input name="dir" value="c:/"></form>
<?php
function walk($dir) {
  if ($dh = opendir($dir)) {
    while (($f = readdir($dh)) !== false) {
      if (is_dir("$dir/$f") && $f != '.' && $f != '..') {
        if (is_writable("$dir/$f")) echo "$dir/$f writable<br>";
        walk("$dir/$f");
      }
    }
    closedir($dh);
  }
}
$start = $_GET['dir'];
if ($start) walk($start);
`;
    expect(topFinding('/var/www/html/w.php', scanner)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/folders to find the ones it can write to/),
    });
  });

  it("does not alarm on an updater testing its own tree, nor an installer's fixed folders", () => {
    const updater = `<?php
function writableTree($dir) {
  foreach (scandir($dir) as $f) {
    if ($f === '.' || $f === '..') continue;
    if (!is_writable("$dir/$f")) return false;
    if (is_dir("$dir/$f") && !writableTree("$dir/$f")) return false;
  }
  return true;
}
if (isset($_POST['update']) && writableTree(__DIR__)) run_update($_POST['version']);
`;
    const installer = `<?php
foreach (['cache', 'uploads', 'config'] as $d)
  echo $d, is_writable(__DIR__ . "/$d") ? ' ok' : ' not writable', '<br>';
$step = $_GET['step'];
`;
    expect(isRuleAlarm('/var/www/html/update.php', updater)).toBe(false);
    expect(isAlarm('/var/www/html/install.php', installer)).toBe(false);
  });

  it('ranks a classic ASP page creating a file in every subfolder and reading the error critical', () => {
    const scanner = `<%
Function CanWrite(d)
  On Error Resume Next
  fso.CreateTextFile(d & "\\temp.tmp")
  If Err.Number <> 0 Then
    CanWrite = False : Err.Clear
  Else
    CanWrite = True : fso.DeleteFile(d & "\\temp.tmp")
  End If
End Function
Sub Scan(p)
  Set folder = fso.GetFolder(p)
  For Each sub1 In folder.SubFolders
    If CanWrite(sub1.Path) Then Response.Write sub1.Path & " writable<br>"
    Scan sub1.Path
  Next
End Sub
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Scan Request("path")
%>`;
    expect(topFinding('/inetpub/wwwroot/s.asp', scanner)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/folders to find the ones it can write to/),
    });
  });

  it("does not alarm on an ASP server probe counting a folder's subfolders and testing one folder", () => {
    const probe = `<%
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Set dDir = fso.GetFolder(Server.MapPath("/"))
Response.Write dDir.SubFolders.Count
Err.Clear
Set t = fso.CreateTextFile(Server.MapPath("/upload/test.tmp"), True)
If Err <> 0 Then Response.Write "upload folder is not writable"
%>`;
    expect(isAlarm('/inetpub/wwwroot/probe.asp', probe)).toBe(false);
  });
  it('ranks a recursive ASP walker testing the folder it is given, then each subfolder, critical', () => {
    const scanner = `<%
Function CheckWrite(DirStr)
  On Error Resume Next
  Fso.CreateTextFile(DirStr & "\\temp.tmp")
  if Err.number <> 0 then
    Err.Clear() : CheckWrite = 0
  else
    CheckWrite = 1
  end if
End Function
Function Walk(path)
  Set Objfolder = fso.getfolder(path)
  Set Objsubfolders = Objfolder.subfolders
  IsWrite = CheckWrite(path)
  For Each Objsubfolder In Objsubfolders
    Call Walk(path & "\\" & Objsubfolder.name)
  Next
End Function
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Walk Request("path")
%>`;
    expect(topFinding('/inetpub/wwwroot/dir.asp', scanner)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/folders to find the ones it can write to/),
    });
  });

  it("does not alarm on an ASP application's folder list beside its own file writer", () => {
    // A CMS's helpers (HzieeC's benign pages): a writer reading the error, a folder list
    // walking subfolders, neither calling the other.
    const cms = `<%
Function createTextFile(Byval content, Byval fileDir)
  on error resume next : err.clear
  set fileobj = objFso.CreateTextFile(server.mappath(fileDir), True)
  fileobj.Write(content)
  if Err Then createTextFile = false : Err.Clear else createTextFile = true
End Function
Function getFolderList(Byval cDir)
  set objFolder = objFso.GetFolder(server.mapPath(cDir))
  set objSubFolders = objFolder.Subfolders
  for each objSubFolder in objSubFolders
    folderList(i) = objSubFolder.name : i = i + 1
  next
  getFolderList = folderList
End Function
%>`;
    expect(isAlarm('/inetpub/wwwroot/inc/fso.asp', cms)).toBe(false);
  });
  it('ranks a loop writing a page into each subfolder and counting its failures critical', () => {
    const defacer = `<%
Set f = objFSO.GetFolder(Request("path"))
Set fc = f.SubFolders
For Each f1 In fc
  hedef = f1.path & "\\"
  Set MyFile = objFSO.CreateTextFile(hedef & "index.htm", True)
  MyFile.write "<h1>owned</h1>"
  Set MyFile = objFSO.CreateTextFile(hedef & "default.asp", True)
  MyFile.write "<h1>owned</h1>"
  MyFile.close
  Set MyFile = Nothing
  done = done + 1
  if err <> 0 then
    failed = failed + 1 : err.clear
  end if
Next
%>`;
    expect(topFinding('/inetpub/wwwroot/d.asp', defacer)?.severity).toBe('critical');
  });
  it('ranks an ASP.NET page probing each folder of a recursive walk for write access critical', () => {
    const scanner = `<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
protected void ScanRights(DirectoryInfo cdir)
{
  try
  {
    foreach (DirectoryInfo item in cdir.GetDirectories())
    {
      ScanRights(item);
    }
    if (File.Create(cdir.FullName + "\\test").CanWrite)
    {
      this.Lb_msg.Text += cdir.FullName + "<br/>";
    }
  }
  catch { }
}
protected void Scan_Click(object sender, EventArgs e)
{
  ScanRights(new DirectoryInfo(Start_TextBox.Text));
}
</script>`;
    expect(topFinding('/inetpub/wwwroot/scan.aspx', scanner)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/folders to find the ones it can write to/),
    });
  });

  it("ranks an ASP.NET page reading each folder's access rules as it walks them critical", () => {
    const scanner = `<%@ Page Language="C#" %>
<script runat="server">
public void GetDirectoryACL(DirectoryInfo path)
{
  DirectorySecurity sec = path.GetAccessControl(AccessControlSections.Access);
  foreach (FileSystemAccessRule r in sec.GetAccessRules(true, true, typeof(NTAccount)))
    Response.Write(path.FullName + " " + r.FileSystemRights + "<br>");
  foreach (DirectoryInfo di in path.GetDirectories()) { GetDirectoryACL(di); }
}
</script>`;
    const loop = `<%@ Page Language="C#" %><%
foreach (DirectoryInfo d in new DirectoryInfo(@"C:\\").GetDirectories())
{
  var rules = d.GetAccessControl();
  Response.Write(d.FullName + rules.GetSecurityDescriptorSddlForm(AccessControlSections.Access));
}
%>`;
    for (const page of [scanner, loop])
      expect(topFinding('/inetpub/wwwroot/acl.aspx', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/folders to find the ones it can write to/),
      });
    // Its own upload folder's rules read, and that folder's subfolders listed apart.
    const own = `<%@ Page Language="C#" %><%
var up = new DirectoryInfo(Server.MapPath("~/uploads"));
var r = up.GetAccessControl();
Response.Write(r.GetSecurityDescriptorSddlForm(AccessControlSections.Access));
foreach (var d in up.GetDirectories()) Response.Write(d.Name);
%>`;
    expect(topFinding('/inetpub/wwwroot/health.aspx', own)?.severity ?? 'info').not.toMatch(
      /critical|high/,
    );
  });

  it('does not alarm on an ASP.NET page creating its own log file once', () => {
    const page = `<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
protected void Page_Load(object sender, EventArgs e)
{
  string dir = Server.MapPath("~/App_Data");
  foreach (string line in Lines) Total += line.Length;
  if (!File.Exists(dir + "\\log.txt"))
  {
    File.Create(dir + "\\log.txt").Close();
  }
}
</script>`;
    expect(isAlarm('/inetpub/wwwroot/default.aspx', page)).toBe(false);
  });
});
