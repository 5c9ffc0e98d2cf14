/**
 * Ways around the host's limits (issue 27, tuning side), each against the benign page that
 * comes nearest to it.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

describe('ways around the limits a host sets', () => {
  it.each([
    [
      'a file the visitor names read through compress.zlib://',
      `<?php $file = $_POST['file']; if (copy("compress.zlib://" . $file, '/tmp/x')) readfile('/tmp/x');`,
      /stream wrapper/,
    ],
    [
      "imap_open() given the visitor's mailbox string",
      `<?php $s = !empty($_POST['s']) ? $_POST['s'] : 0; $stream = imap_open($s, "", "");`,
      /imap_open/,
    ],
    [
      'a link to the root made followable by an .htaccess',
      `<?php mkdir('sym'); symlink('/', 'sym/root'); file_put_contents('sym/.htaccess', "Options Indexes FollowSymLinks\\nDirectoryIndex x.htm");`,
      /symlink attack/,
    ],
    [
      "IIS's sites read through its metabase",
      `<?php $svc = new COM("IIS://localhost/w3svc"); foreach ($svc as $site) echo $site->Name;`,
      /metabase/,
    ],
    [
      'a command run through whichever runner the host left enabled (no request in sight)',
      [
        '<!--',
        'function ex($c) {',
        '  if (function_exists(\'exec\')) { exec($c, $o); return join("\\n", $o); }',
        "  elseif (function_exists('shell_exec')) return shell_exec($c);",
        "  elseif (function_exists('system')) { ob_start(); system($c); return ob_get_clean(); }",
        '}',
        'echo ex("id");',
      ].join('\n'),
      /whichever of exec, shell_exec, system/,
    ],
  ])('ranks %s critical', (_, text, reason) => {
    expect(topFinding('/var/www/html/b.php', text)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(reason),
    });
  });

  it('does not alarm on a compressed log read by a fixed name, nor a deploy link with its .htaccess', () => {
    const logs = `<?php $day = (int) $_GET['day']; echo file_get_contents("compress.zlib://" . __DIR__ . "/logs/$day.gz");`;
    const deploy = `<?php symlink(__DIR__ . '/releases/42', __DIR__ . '/current'); // .htaccess keeps Options -Indexes`;
    expect(isAlarm('/var/www/html/logs.php', logs)).toBe(false);
    expect(isAlarm('/var/www/html/deploy.php', deploy)).toBe(false);
  });

  it('does not alarm on an application that checks two runners and calls the one it has', () => {
    // Symfony's Terminal and Matomo's Filesystem come nearest: two runners named and called.
    const app = [
      '<?php',
      "if (function_exists('proc_open')) { $p = proc_open('stty -a', $spec, $pipes); }",
      "elseif (function_exists('exec')) { exec('stty -a', $out); }",
      "$disabled = explode(',', ini_get('disable_functions')); // 'system', 'passthru' and more",
    ].join('\n');
    expect(isAlarm('/var/www/html/terminal.php', app)).toBe(false);
  });
});
