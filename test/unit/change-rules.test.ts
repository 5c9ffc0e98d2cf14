import { describe, expect, it } from 'vitest';
import {
  accountChange,
  evaluateChange,
  hiddenName,
  legitimateChurn,
  logTampering,
  newExecutable,
  preloadHijack,
  setuidGained,
  shellHistory,
  sshAccess,
  systemBinaryChanged,
  tempDirPayload,
  webContentChanged,
  webShell,
  plantedSymlink,
  impossibleTimestamp,
  listeningSocket,
  layerWhiteoutName,
  type ChangeFacts,
} from '../../src/findings/change-rules.js';
import { fileMeta } from '../support/change-facts.js';
import {
  cronPersistence,
  startupPersistence,
  sudoersChange,
  systemdPersistence,
} from '../../src/findings/persistence-rules.js';

const meta = fileMeta;
const added = (path: string, over: Partial<ChangeFacts> = {}): ChangeFacts => ({
  path,
  kind: 'A',
  current: meta(),
  ...over,
});
const changed = (path: string, over: Partial<ChangeFacts> = {}): ChangeFacts => ({
  path,
  kind: 'C',
  original: meta(),
  current: meta(),
  ...over,
});
const deleted = (path: string, over: Partial<ChangeFacts> = {}): ChangeFacts => ({
  path,
  kind: 'D',
  original: meta(),
  ...over,
});

describe('webShell', () => {
  it('flags eval of request input in a web root as critical', () => {
    const hit = webShell(
      added('/var/www/html/up/x.php', { currentText: '<?php @eval($_POST["p"]); ?>' }),
    );
    expect(hit?.severity).toBe('critical');
    expect(hit?.reason).toMatch(/eval\(\) on request input/);
  });
  it('flags obfuscated code execution even without obvious input', () => {
    expect(
      webShell(added('/srv/a.php', { currentText: 'system(base64_decode("bHM="));' }))?.severity,
    ).toBe('critical');
  });
  it('flags a JSP shell by extension outside a known web root', () => {
    expect(
      webShell(
        added('/opt/app/cmd.jsp', {
          currentText: 'Runtime.getRuntime().exec(request.getParameter("c"))',
        }),
      )?.severity,
    ).toBe('critical');
  });
  it('ignores ordinary HTML and text outside web locations', () => {
    expect(
      webShell(added('/var/www/index.html', { currentText: '<h1>hello</h1>' })),
    ).toBeUndefined();
    expect(
      webShell(added('/etc/notes.txt', { currentText: 'we should eval($x) someday' })),
    ).toBeUndefined();
  });
});

describe('webContentChanged', () => {
  it('flags a changed page in a web root as possible defacement', () => {
    expect(webContentChanged(changed('/var/www/index.html'))?.reason).toMatch(/defacement/);
  });
  it('ranks a new page the server runs (a PHP include too) above a new static file', () => {
    for (const page of ['/var/www/html/up.php', '/var/www/html/lib/config.inc'])
      expect(webContentChanged(added(page))?.severity, page).toBe('medium');
    expect(webContentChanged(added('/var/www/html/logo.png'))?.severity).toBe('low');
  });
  it('says nothing about a deleted page or a file elsewhere', () => {
    expect(webContentChanged(deleted('/var/www/index.html'))).toBeUndefined();
    expect(webContentChanged(changed('/etc/hosts'))).toBeUndefined();
  });
});

describe('newExecutable', () => {
  it('ranks a new ELF in /tmp critical', () => {
    expect(
      newExecutable(
        added('/tmp/.x/kworkerd', { current: meta({ mode: 0o755 }), currentType: 'elf' }),
      )?.severity,
    ).toBe('critical');
  });
  it('ranks a new executable elsewhere high, even without the x bit when it is ELF', () => {
    expect(newExecutable(added('/opt/bin/tool', { currentType: 'elf' }))?.severity).toBe('high');
  });
  it('ranks a Windows program under a page or image name high, and leaves its own names alone', () => {
    expect(newExecutable(added('/var/www/html/up/logo.php', { currentType: 'pe' }))).toMatchObject({
      severity: 'high',
      reason: expect.stringMatching(/Windows program \(PE\) added under the name of a page/),
      attack: 'T1036.008',
    });
    expect(
      newExecutable(changed('/var/www/html/img/a.jpg', { currentType: 'pe' }))?.reason,
    ).toMatch(/written under the name/);
    // Mono's assemblies and a download's installer keep the names of programs.
    expect(
      newExecutable(added('/usr/lib/mono/4.5/System.dll', { currentType: 'pe' })),
    ).toBeUndefined();
    expect(
      newExecutable(added('/var/www/html/dl/setup.exe', { currentType: 'pe' })),
    ).toBeUndefined();
  });
  it("ranks another language's program under a page's name high (disguised-program.ts)", () => {
    expect(
      newExecutable(
        added('/var/www/html/up/x.php', {
          currentType: 'script',
          currentText: '#!/usr/bin/perl\nuse IO::Socket;\n',
        }),
      ),
    ).toMatchObject({
      severity: 'high',
      reason: 'a Perl script added under the name of a page (a payload or tool disguised)',
      attack: 'T1036.008',
    });
  });

  it("reads a long file's type of its start only: its middle and end are no programs", () => {
    // A 200 KB command-line PHP tool: its end, read apart, has no first line of its own.
    const end = added('/var/www/html/tool.php', {
      currentType: 'script',
      currentText: 'function main() {}\n',
      isPiece: true,
    });
    expect(newExecutable(end)?.severity).not.toBe('high');
    const start = { ...end, currentText: '#!/usr/bin/env php\n<?php\n', isPiece: false };
    expect(newExecutable(start)?.severity).not.toBe('high');
    expect(newExecutable({ ...end, isPiece: false })?.severity).toBe('high');
  });
  it('flags a file that became executable', () => {
    expect(newExecutable(changed('/app/run', { current: meta({ mode: 0o755 }) }))?.reason).toMatch(
      /became executable/,
    );
  });
  it('ignores plain data files and directories', () => {
    expect(newExecutable(added('/app/data.json', { currentType: 'text' }))).toBeUndefined();
    expect(
      newExecutable(added('/app/dir', { current: meta({ type: 'directory', mode: 0o755 }) })),
    ).toBeUndefined();
  });
});

describe('tempDirPayload', () => {
  it('flags files in /tmp, /var/tmp and /dev/shm', () => {
    for (const p of ['/tmp/a', '/var/tmp/b', '/dev/shm/c'])
      expect(tempDirPayload(added(p))?.severity).toBe('medium');
  });
  it('does not flag the temp directory itself or deletions', () => {
    expect(tempDirPayload(changed('/tmp'))).toBeUndefined();
    expect(tempDirPayload(deleted('/tmp/a'))).toBeUndefined();
  });
});

describe('setuidGained', () => {
  it('flags a new setuid file', () => {
    expect(
      setuidGained(added('/var/tmp/.sh', { current: meta({ mode: 0o4755 }) }))?.reason,
    ).toMatch(/setuid bit on a new file/);
  });
  it('flags setgid gained on an existing file', () => {
    expect(
      setuidGained(
        changed('/usr/bin/x', { original: meta({ mode: 0o755 }), current: meta({ mode: 0o2755 }) }),
      )?.reason,
    ).toMatch(/setgid bit gained/);
  });
  it('does not flag a setuid bit the image already had', () => {
    expect(
      setuidGained(
        changed('/bin/su', {
          original: meta({ mode: 0o4755 }),
          current: meta({ mode: 0o4755, sizeBytes: 11 }),
        }),
      ),
    ).toBeUndefined();
  });
});

describe('accountChange', () => {
  it('calls a second uid-0 account critical, by name', () => {
    const hit = accountChange(
      changed('/etc/passwd', {
        currentText: 'root:x:0:0::/root:/bin/sh\nsysadmin:x:0:0::/root:/bin/sh\n',
      }),
    );
    expect(hit?.severity).toBe('critical');
    expect(hit?.reason).toMatch(/root, sysadmin/);
  });
  it('flags shadow and group changes, and sudoers as its own place', () => {
    for (const p of ['/etc/shadow', '/etc/group'])
      expect(accountChange(changed(p))?.severity).toBe('high');
    for (const p of ['/etc/sudoers', '/etc/sudoers.d/90-x'])
      expect(sudoersChange(changed(p))).toMatchObject({ severity: 'high', attack: 'T1548.003' });
  });
});

describe('persistence rules', () => {
  it('flags authorized_keys anywhere as critical', () => {
    expect(sshAccess(added('/home/bob/.ssh/authorized_keys'))?.severity).toBe('critical');
    expect(sshAccess(added('/root/.ssh', { current: meta({ type: 'directory' }) }))?.severity).toBe(
      'high',
    );
  });
  it('flags cron tables', () => {
    for (const p of ['/etc/crontab', '/etc/cron.d/x', '/var/spool/cron/crontabs/root'])
      expect(cronPersistence(changed(p))).toBeDefined();
    expect(cronPersistence(changed('/etc/cronjob-notes'))).toBeUndefined();
  });
  it('flags init scripts and shell profiles', () => {
    for (const p of [
      '/etc/profile',
      '/etc/init.d/x',
      '/etc/rc.local',
      '/root/.bashrc',
      '/home/a/.profile',
    ]) {
      expect(startupPersistence(changed(p))).toBeDefined();
    }
    expect(systemdPersistence(changed('/etc/systemd/system/x.service'))).toBeDefined();
  });
  it('calls ld.so.preload critical', () => {
    expect(preloadHijack(added('/etc/ld.so.preload'))?.severity).toBe('critical');
  });
});

describe('systemBinaryChanged', () => {
  it('notices a symlink replaced by a file in /bin', () => {
    const hit = systemBinaryChanged(
      changed('/bin/ps', { original: meta({ type: 'symlink', linkTarget: '/bin/busybox' }) }),
    );
    expect(hit?.reason).toMatch(/link replaced by a file/);
  });
  it('ignores the directories themselves', () => {
    expect(
      systemBinaryChanged(
        changed('/bin', {
          original: meta({ type: 'directory' }),
          current: meta({ type: 'directory' }),
        }),
      ),
    ).toBeUndefined();
  });
});

describe('hidden names, history and logs', () => {
  it('flags hidden new files but not shell history (which has its own rule)', () => {
    expect(hiddenName(added('/var/www/.cache.php'))).toBeDefined();
    expect(hiddenName(added('/root/.ash_history'))).toBeUndefined();
    expect(shellHistory(added('/root/.ash_history'))?.reason).toMatch(/read it/);
  });
  it('flags a deleted log high and a shrunken one medium', () => {
    expect(logTampering(deleted('/var/log/app/access.log'))?.severity).toBe('high');
    expect(
      logTampering(
        changed('/var/log/auth.log', {
          original: meta({ sizeBytes: 100 }),
          current: meta({ sizeBytes: 0 }),
        }),
      )?.severity,
    ).toBe('medium');
    expect(
      logTampering(
        changed('/var/log/auth.log', {
          original: meta({ sizeBytes: 1 }),
          current: meta({ sizeBytes: 100 }),
        }),
      ),
    ).toBeUndefined();
  });
});

describe('legitimateChurn', () => {
  it('ranks pid, lock and cache files low and says why', () => {
    expect(legitimateChurn(added('/run/httpd.pid'))?.reason).toMatch(/pid or lock/);
    expect(legitimateChurn(added('/var/lock/worker.lock'))?.severity).toBe('low');
    expect(legitimateChurn(added('/var/cache/app/x'))?.reason).toMatch(/cache/);
  });
  it('does not excuse an executable dropped under /run', () => {
    expect(
      legitimateChurn(added('/run/x', { currentType: 'elf', current: meta({ mode: 0o755 }) })),
    ).toBeUndefined();
  });
});

describe('evaluateChange', () => {
  it('drops the churn excuse when another rule speaks against the file', () => {
    const findings = evaluateChange(added('/run/.hidden.pid'));
    expect(findings.map((f) => f.rule)).toEqual(['hidden-name']);
  });
  it('gives an unmatched change an info line rather than nothing', () => {
    expect(evaluateChange(changed('/opt/app/config.yml'))).toEqual([
      {
        rule: 'unclassified',
        path: '/opt/app/config.yml',
        severity: 'info',
        reason: 'changed; no rule matched',
      },
    ]);
  });
});

describe('plantedSymlink and impossibleTimestamp', () => {
  it('flags a served file replaced by a symlink to /etc/shadow', () => {
    const hit = plantedSymlink(
      changed('/var/www/index.html', {
        current: meta({ type: 'symlink', linkTarget: '/etc/shadow' }),
      }),
    );
    expect(hit).toMatchObject({
      severity: 'high',
      reason: expect.stringMatching(/symlink to \/etc\/shadow/),
    });
  });
  it('flags a new link that climbs with ..', () => {
    expect(
      plantedSymlink(
        added('/tmp/climb', { current: meta({ type: 'symlink', linkTarget: '../../etc/passwd' }) }),
      )?.severity,
    ).toBe('high');
  });
  it("ranks an application's own link inside its site medium, and the read primitives there high", () => {
    const link = (at: string, linkTarget: string) =>
      plantedSymlink(added(at, { current: meta({ type: 'symlink', linkTarget }) }));
    expect(link('/var/www/html/ipam/functions/saml', '../vendor/onelogin/saml')).toMatchObject({
      severity: 'medium',
      reason: expect.stringMatching(/inside the same site \(\/var\/www\/html\)/),
    });
    expect(link('/var/www/html/app/lib/a.php', '../src/a.php')?.severity).toBe('medium');
    // A page's source handed out as text, the tree above the document root, another site.
    expect(link('/var/www/html/wp-content/uploads/c.txt', '../../wp-config.php')?.severity).toBe(
      'high',
    );
    expect(link('/var/www/app/public/up', '..')?.severity).toBe('high');
    expect(link('/var/www/app/public/e.txt', '../.env')?.severity).toBe('high');
    expect(link('/var/www/html/x.php', '../other/y.php')?.severity).toBe('high');
    expect(link('/var/www/html/a/x', '../../../../etc/passwd')?.severity).toBe('high');
    expect(link('/opt/app/lib/x', '../vendor/x')?.severity).toBe('high');
  });
  it('leaves an ordinary relative link alone', () => {
    expect(
      plantedSymlink(
        added('/app/current', { current: meta({ type: 'symlink', linkTarget: 'releases/42' }) }),
      ),
    ).toBeUndefined();
  });
  it('flags timestamps in the future and before the container existed', () => {
    const when = { now: '2026-11-23T00:00:00Z', containerCreatedAt: '2026-11-20T00:00:00Z' };
    expect(
      impossibleTimestamp(
        added('/tmp/f', { ...when, current: meta({ mtime: '2099-12-31T23:59:59Z' }) }),
      )?.reason,
    ).toMatch(/in the future/);
    expect(
      impossibleTimestamp(
        changed('/srv/x', {
          ...when,
          original: meta({ mtime: '2026-01-01T00:00:00Z' }),
          current: meta({ mtime: '1999-01-01T00:00:00Z', sizeBytes: 4 }),
        }),
      )?.reason,
    ).toMatch(/before the container existed/);
    expect(
      impossibleTimestamp(
        added('/tmp/ok', { ...when, current: meta({ mtime: '2026-11-22T00:00:00Z' }) }),
      ),
    ).toBeUndefined();
  });
});

describe('listening sockets', () => {
  const socket = { current: { type: 'socket' as const, mode: 0o666, sizeBytes: 0 } };
  it('ranks a socket outside /run medium, and one under /run as churn only', () => {
    expect(listeningSocket(added('/var/spool/jail/dev/log', socket))?.severity).toBe('medium');
    expect(listeningSocket(added('/run/php-fpm.sock', socket))).toBeUndefined();
    expect(evaluateChange(added('/run/php-fpm.sock', socket)).map((f) => f.rule)).toEqual([
      'legitimate-churn',
    ]);
    expect(listeningSocket(added('/var/spool/x'))).toBeUndefined(); // a regular file
  });
});

describe('layerWhiteoutName', () => {
  it('names what a commit would delete or hide, high', () => {
    expect(layerWhiteoutName(added('/etc/.wh.passwd'))).toMatchObject({
      severity: 'high',
      reason: expect.stringMatching(/deletes \/etc\/passwd in the evidence image/),
    });
    expect(layerWhiteoutName(added('/srv/x/.wh..wh..opq'))?.reason).toMatch(
      /hides everything the image has in \/srv\/x/,
    );
  });
  it('says nothing of a name that only looks alike, or of a deletion', () => {
    expect(layerWhiteoutName(added('/etc/wh.passwd'))).toBeUndefined();
    expect(layerWhiteoutName(added('/etc/.whatever'))).toBeUndefined();
    expect(layerWhiteoutName(deleted('/etc/.wh.passwd'))).toBeUndefined();
  });
});
