/**
 * Command probes (issue 27): a page that runs `id`, `ls` or `/bin/sh` as written, and
 * nothing from the request, was only "server-side code calling system()". Attackers drop
 * such a page to see whether commands run; applications run their tools with arguments.
 */
import { describe, expect, it } from 'vitest';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

describe('command probes', () => {
  it('ranks a page running a discovery command or a shell as written high', () => {
    for (const text of [
      `<?php system("id"); ?>`,
      `<?php $h = popen('uname -a', 'r'); echo fread($h, 4096); pclose($h);`,
      `<?php exec("/bin/sh");`,
      `<?php echo shell_exec('cat /etc/passwd');`,
    ])
      expect(topFinding('/var/www/html/t.php', text)).toMatchObject({
        rule: 'web-shell',
        severity: 'high',
      });
  });

  it("ranks a page sending the server's account list high, and a page looking one user up not", () => {
    for (const text of [
      `<?php echo "<pre>" . file_get_contents( "/etc/passwd" ) . "</pre>";`,
      `<?php readfile('/etc/shadow');`,
      `<?php print_r(file("/etc/trueuserowners"));`,
    ])
      expect(topFinding('/var/www/html/t.php', text)).toMatchObject({
        rule: 'web-shell',
        severity: 'high',
        reason: expect.stringMatching(/account list/),
      });
    // An application reads the file to find one account, and prints only what it found.
    const lookup = `<?php
foreach (file('/etc/passwd') as $line) {
  $f = explode(':', $line);
  if ($f[0] === $user) { $home = $f[5]; break; }
}
echo htmlspecialchars($home);`;
    expect(isRuleAlarm('/var/www/html/admin/home.php', lookup)).toBe(false);
  });

  it('reads a probe kept in a variable, several in one string, or written as a bare word', () => {
    for (const text of [
      `<?php $command = "id\\npwd\\n"; $p = proc_open($command, $spec, $pipes, null, $_ENV);`,
      `<?php $exec = "/bin/sh"; $fp = popen("$exec", "r"); print $fp; pclose($fp);`,
      `<?php echo "up<br>"; $up = system(uptime); $id1 = system(id);`,
      `<?php $u = system(whoami);`,
    ])
      expect(topFinding('/var/www/html/t.php', text)).toMatchObject({
        rule: 'web-shell',
        severity: 'high',
      });
    // A list of commands looped over is read too: one that wipes the shell's history.
    const eraser = `<?php
$comandos = array('find / -name *.log -exec rm -rf {} \\;', 'unset HISTFILE', 'unset SAVEHIST');
foreach ($comandos as $comando) { echo $comando; system($comando); }`;
    expect(topFinding('/var/www/html/t.php', eraser)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/deletes the system's logs or a shell's history/),
    });
  });

  it('leaves tools kept in a variable or a list, and a variable in single quotes', () => {
    for (const text of [
      `<?php $cmd = "git --version"; exec($cmd, $out);`,
      // A forum reading the load average.
      `<?php $c = 'uptime'; if (($load = @shell_exec($c)) !== null) preg_match('~load averages?: (\\d+)~', $load, $m);`,
      `<?php $tools = ['composer --version', 'php -v']; foreach ($tools as $t) { exec($t, $o); }`,
      // Single quotes: PHP runs the text '$c' itself, not the variable's value.
      `<?php $c = 'id'; exec('$c');`,
      // A probe command beside a real one in the same string is an application's script.
      `<?php $c = "cd /srv/app; ls; ./bin/build --prod"; exec($c);`,
    ])
      expect(isRuleAlarm('/var/www/html/install.php', text)).toBe(false);
  });

  it('leaves an installer asking who it runs as, a tool with arguments, and methods', () => {
    for (const text of [
      `<?php $user = trim(shell_exec('whoami') ?? '');`,
      `<?php exec('convert ' . escapeshellarg($src) . ' -resize 50% ' . escapeshellarg($dst));`,
      `<?php $ssh = new SSH2('host'); echo $ssh->exec('ls -la');`,
    ])
      expect(isRuleAlarm('/var/www/html/install.php', text)).toBe(false);
  });
});
