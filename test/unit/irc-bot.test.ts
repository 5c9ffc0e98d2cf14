/**
 * IRC bots (issue 27): PHP bots that only flood or fight other bots ran no command and
 * were missed. Each bot here is written anew, beside a near miss that is no bot.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { isIrcBot } from '../../src/findings/irc-bot.js';
import { factsFor } from '../support/judge-rules.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

const PHP_BOT = `<?php
set_time_limit(0);
$server = 'irc.example.net'; $nick = 'bot' . rand(100, 999);
$fp = fsockopen($server, 6667, $errno, $errstr, 30);
fputs($fp, "NICK $nick\\r\\n");
fputs($fp, 'USER ' . $nick . ' 0 * :' . $nick . "\\r\\n");
while (!feof($fp)) {
  $line = fgets($fp, 512);
  $w = explode(' ', trim($line));
  if ($w[0] == 'PING') fputs($fp, "PONG $w[1]\\r\\n");
  if ($w[1] == '001') fputs($fp, "JOIN #room\\r\\n");
  if ($w[1] == 'PRIVMSG' && $w[3] == ':!flood') flood($w[4], $w[5]);
}`;

const PERL_BOT = `#!/usr/bin/perl
use IO::Socket::INET;
my $s = IO::Socket::INET->new(PeerAddr => "irc.example.net", PeerPort => 6667);
print $s "NICK x$$\\r\\nUSER x 8 * :x\\r\\n";
while (my $l = <$s>) {
  print $s "PONG $1\\r\\n" if $l =~ /^PING (.*)/;
  if ($l =~ /PRIVMSG #room :!do (.*)/) { do_it($1) }
}`;

describe('IRC bots', () => {
  it('ranks a PHP bot that takes orders from a channel high, wherever it is', () => {
    for (const at of ['/var/www/html/wp-content/x.php', '/tmp/.x/b.php'])
      expect(topFinding(at, PHP_BOT)).toMatchObject({
        rule: 'irc-bot',
        severity: 'high',
        attack: 'T1071',
      });
  });

  it('ranks a Perl bot high', () => {
    expect(topFinding('/var/tmp/.s/bot', PERL_BOT)).toMatchObject({
      rule: 'irc-bot',
      severity: 'high',
    });
  });

  it("ranks a long bot high when its words lie in different parts of what's read", () => {
    // More than 150 KB of channel commands between the connection and the PING handler: the
    // rules read the start and the end apart.
    const [head, tail] = PHP_BOT.split("  if ($w[0] == 'PING')");
    const long = `${head}${"  if ($w[1] == 'NOTICE') note($w);\n".repeat(5000)}  if ($w[0] == 'PING')${tail}`;
    expect(long.length).toBeGreaterThan(150_000);
    const findings = evaluateChange(factsFor('/var/www/html/bot.php', Buffer.from(long)));
    expect(findings[0]).toMatchObject({ rule: 'irc-bot', severity: 'high' });
  });

  it('leaves a notifier that never answers the server, and SQL joining users', () => {
    // A build hook posting one line: no PONG, it leaves before the server asks.
    const notifier = PHP_BOT.replace(/PONG/g, 'PANG');
    expect(isIrcBot(notifier)).toBe(false);
    const forum = `<?php $sql = 'SELECT p.* FROM privmsgs p JOIN ' . USERS_TABLE . ' u';
      $q = "USER " . $name; $db->sql_query($sql); // PING the PONG PRIVMSG admin`;
    expect(isIrcBot(forum)).toBe(false);
    expect(isRuleAlarm('/var/www/html/forum.php', forum)).toBe(false);
  });
});
