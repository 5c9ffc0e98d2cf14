/**
 * Password guessers (issue 27): a page walking a list of passwords through a login. Each is
 * written anew here, beside what applications do: retry with the configured password, try
 * hosts in turn, bind each user with the user's own stored secret.
 */
import { describe, expect, it } from 'vitest';
import { guessesPasswords } from '../../src/findings/web-shell/password-guessing.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

const FTP_DICTIONARY = `<?php
set_time_limit(0);
function attempt($host, $user, $word) {
  $c = @ftp_connect($host);
  if ($c && @ftp_login($c, $user, $word)) { echo "found: $word"; exit; }
}
$fp = fopen('words.txt', 'r');
while ($word = fgets($fp, 256)) attempt($_POST['host'], $_POST['user'], trim($word));
`;

describe('password guessing', () => {
  it('ranks a page trying each word of a dictionary against FTP high, through its own function', () => {
    expect(topFinding('/var/www/html/f.php', FTP_DICTIONARY)).toMatchObject({
      rule: 'web-shell',
      severity: 'high',
      attack: 'T1110.001',
      reason: expect.stringMatching(/password guesser/),
    });
  });

  it('reads the word from foreach, from a for counter, and trimmed or joined to nothing', () => {
    for (const text of [
      `<?php foreach (range(0, 9999) as $p) if (@mysqli_connect('localhost', 'root', $p . '')) break;`,
      `<?php $w = file('list.txt'); for ($i = 0; $i < count($w); $i++) { if (@imap_open($box, $u, $w[$i])) echo $w[$i]; }`,
      `<?php foreach (explode("\\n", $_POST['pw']) as $k => $line) { $db = new mysqli($h, $u, trim($line)); }`,
    ])
      expect(guessesPasswords(text)).toBe(true);
  });

  it('leaves a retry with the configured password, hosts tried in turn, and users bound with their own secret', () => {
    for (const text of [
      `<?php for ($try = 0; $try < 3; $try++) { if ($db = mysqli_connect($cfg['host'], $cfg['user'], $cfg['pass'])) break; sleep(1); }`,
      `<?php foreach ($hosts as $host) { $c = ftp_connect($host); if ($c && ftp_login($c, $user, $password)) break; }`,
      `<?php foreach ($accounts as $a) { ldap_bind($link, $a['dn'], $a['secret']); }`,
    ]) {
      expect(guessesPasswords(text)).toBe(false);
      expect(isRuleAlarm('/var/www/html/sync.php', text)).toBe(false);
    }
  });
});
