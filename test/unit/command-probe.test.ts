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

  it('leaves an installer asking who it runs as, a tool with arguments, and methods', () => {
    for (const text of [
      `<?php $user = trim(shell_exec('whoami') ?? '');`,
      `<?php exec('convert ' . escapeshellarg($src) . ' -resize 50% ' . escapeshellarg($dst));`,
      `<?php $ssh = new SSH2('host'); echo $ssh->exec('ls -la');`,
    ])
      expect(isRuleAlarm('/var/www/html/install.php', text)).toBe(false);
  });
});
