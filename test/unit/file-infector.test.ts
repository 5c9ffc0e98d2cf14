/**
 * File infectors (issue 27): PHP viruses and worms that copy their own code into the pages
 * of a folder were missed, as they run no command and read no request. Each is written
 * anew, beside what applications do that looks alike.
 */
import { describe, expect, it } from 'vitest';
import { infectsAspFiles, infectsFiles } from '../../src/findings/file-infector.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

const PREPENDER = `<?php // x
$h = fopen(__FILE__, 'r'); $me = fread($h, 1024); fclose($h);
$d = opendir('.');
while (($f = readdir($d)) !== false) {
  if (substr($f, -4) != '.php' || $f == basename(__FILE__)) continue;
  $body = file_get_contents($f);
  if (strpos($body, '// x') !== false) continue;
  $w = fopen($f, 'w'); fwrite($w, $me . $body); fclose($w);
}`;

const APPENDER = `<?php
$self = $_SERVER['SCRIPT_FILENAME'];
foreach (glob('*.php') as $victim) {
  file_put_contents($victim, file_get_contents($self), FILE_APPEND);
}`;

describe('file infectors', () => {
  it("ranks a PHP virus that prepends or appends itself to the folder's pages high", () => {
    for (const text of [PREPENDER, APPENDER])
      expect(topFinding('/var/www/html/lib/x.php', text)).toMatchObject({
        rule: 'file-infector',
        severity: 'high',
        attack: 'T1080',
      });
  });

  it('leaves a cache cleaner, an error array naming __FILE__, and an installer writing its own names', () => {
    // Lists the folder and writes, but never reads its own code: a template cache.
    const cache = `<?php foreach (glob($dir . '/*.tpl') as $tpl) { file_put_contents($tpl . '.php', compile($tpl)); }`;
    expect(infectsFiles(cache)).toBe(false);
    // An error's origin is no copy of the code.
    const errors = `<?php $e = ['file' => __FILE__, 'line' => __LINE__];
while (($name = readdir($dh)) !== false) { if ($name == 'index.php') continue; $langs[] = $name; }
$fp = fopen($logfile, 'a');`;
    expect(infectsFiles(errors)).toBe(false);
    // Reads its own file and writes what it carries, to names of its own.
    const installer = `<?php $me = fopen(__FILE__, 'rb'); fseek($me, __COMPILER_HALT_OFFSET__);
foreach (scandir('.') as $f) { if ($f == 'install.php') $found = true; }
file_put_contents('app/config.php', stream_get_contents($me));`;
    expect(infectsFiles(installer)).toBe(false);
    expect(isRuleAlarm('/var/www/html/install.php', installer)).toBe(false);
  });

  it("ranks an ASP virus writing its own script over the web root's pages high", () => {
    const virus = `<%
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Set me = fso.OpenTextFile(Server.MapPath("news.asp"), 1)
src = me.ReadAll
For Each Page In fso.GetFolder(Server.MapPath("/")).Files
  If LCase(fso.GetExtensionName(Page.Path)) = "asp" Then
    Set w = fso.CreateTextFile(Page.Path, True)
    w.Write src
    w.Close
  End If
Next
%>`;
    expect(topFinding('/inetpub/wwwroot/news.asp', virus)).toMatchObject({
      rule: 'file-infector',
      severity: 'high',
      attack: 'T1080',
    });
  });

  it("leaves ASP pages rewriting the folder's pages from a template, or each from itself", () => {
    // A CMS regenerating its pages from a template (an .asp one too), not from its own file.
    const regenerate = `<%
Set t = fso.OpenTextFile(Server.MapPath("template.asp"), 1)
tpl = t.ReadAll
For Each Page In fso.GetFolder(Server.MapPath("news")).Files
  If fso.GetExtensionName(Page.Path) = "asp" Then
    Set w = fso.CreateTextFile(Page.Path, True)
    w.Write Replace(tpl, "{title}", Page.Name)
  End If
Next
%>`;
    expect(infectsAspFiles(regenerate, 'regenerate.asp')).toBe(false);
    expect(isRuleAlarm('/inetpub/wwwroot/admin/regenerate.asp', regenerate)).toBe(false);
    // A site-wide find and replace: reads each page it rewrites; its form posts to itself.
    const replaceAll = `<form action="<%= Request.ServerVariables("SCRIPT_NAME") %>" method="post">
<%
Set fso = Server.CreateObject("Scripting.FileSystemObject")
For Each Page In fso.GetFolder(Server.MapPath("/")).Files
  If LCase(fso.GetExtensionName(Page.Path)) = "asp" Then
    body = fso.OpenTextFile(Page.Path, 1).ReadAll
    Set w = fso.CreateTextFile(Page.Path, True)
    w.Write Replace(body, "2023", "2024")
  End If
Next
%>`;
    expect(infectsAspFiles(replaceAll, 'replace.asp')).toBe(false);
    expect(isRuleAlarm('/inetpub/wwwroot/admin/replace.asp', replaceAll)).toBe(false);
  });
});
