/**
 * Flooders and scanners (issue 27, tuning side): connections to a host the visitor names,
 * opened over and over in an endless loop, or to each port of a range the visitor gives,
 * against a page checking once whether a host answers.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

describe('flooders and scanners', () => {
  it('ranks UDP packets sent to the named host in an endless loop critical', () => {
    const flooder = `<?php
$host = $_GET['host'];
$until = time() + (int) $_GET['time'];
set_time_limit(0);
while (1) {
  if (time() > $until) break;
  $fp = fsockopen('udp://' . $host, rand(1, 65000), $errno, $errstr, 5);
  if ($fp) { fwrite($fp, str_repeat('X', 65000)); fclose($fp); }
}
`;
    expect(topFinding('/var/www/html/u.php', flooder)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a flooder/),
    });
  });

  it('ranks a connection to each port of a range the visitor gives critical', () => {
    const scanner = `<?php
$ip = $_POST['ip'];
for ($port = (int) $_POST['from']; $port <= (int) $_POST['to']; $port++) {
  $c = @fsockopen($ip, $port, $errno, $errstr, 1);
  if ($c) { echo "$port open<br>"; fclose($c); }
}
`;
    expect(topFinding('/var/www/html/p.php', scanner)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a port scanner/),
    });
  });

  it("does not alarm on a page waiting for a local stream daemon's socket the request names", () => {
    const page = `<?php
$connkey = $_REQUEST['connkey'];
$socket = socket_create(AF_UNIX, SOCK_DGRAM, 0);
$remSockFile = '/run/zm/zms-' . $connkey . 's.sock';
$tries = 1000;
while (!file_exists($remSockFile) && $tries--) usleep(2000);
socket_sendto($socket, $msg, strlen($msg), 0, $remSockFile);
`;
    expect(isAlarm('/var/www/html/stream.php', page)).toBe(false);
  });

  it('does not alarm on a page checking once whether a named host answers', () => {
    const check = `<?php
$host = $_GET['host'];
$fp = @fsockopen($host, 80, $errno, $errstr, 3);
echo $fp ? 'up' : 'down';
while (true) { $line = next_job(); if (!$line) break; }
`;
    expect(isAlarm('/var/www/html/check.php', check)).toBe(false);
  });
});
