/**
 * Two persistence places issue 27 found unrecognised (caught before only when their payload
 * held /dev/tcp): D-Bus service activation files and boot loader settings adding `init=`.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const judged = (path: string, text: string, over = {}) =>
  evaluateChange(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }), ...over }));

describe('persistence places', () => {
  it.each([
    '/usr/share/dbus-1/system-services/org.freedesktop.updater.service',
    '/usr/local/share/dbus-1/system-services/com.example.x.service',
    '/etc/dbus-1/system.d/com.example.x.conf',
    '/usr/share/dbus-1/services/org.example.Session.service',
    '/root/.local/share/dbus-1/services/org.example.service',
  ])('ranks a D-Bus activation or bus file high by its own rule: %s', (path) => {
    const top = judged(
      path,
      '[D-BUS Service]\nName=org.freedesktop.updater\nExec=/var/tmp/.u\nUser=root\n',
    )[0];
    expect(top).toMatchObject({ rule: 'dbus', severity: 'high', attack: 'T1543' });
  });

  it('ranks a GRUB drop-in that sets init= critical, naming the program', () => {
    const top = judged(
      '/etc/default/grub.d/99-recovery.cfg',
      'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT init=/var/tmp/.init"\n',
    )[0];
    expect(top).toMatchObject({ rule: 'boot-loader', severity: 'critical', attack: 'T1542' });
    expect(top!.reason).toContain('init=/var/tmp/.init');
  });

  it('ranks any change to GRUB settings high, and a package-owned one low', () => {
    const text = 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=""\n';
    expect(judged('/etc/default/grub', text)[0]).toMatchObject({
      rule: 'boot-loader',
      severity: 'high',
    });
    const own = judged('/etc/grub.d/10_linux', text, {
      package: {
        manager: 'dpkg',
        package: 'grub2-common',
        database: 'container',
        algorithm: 'md5',
        expected: 'x',
        verdict: 'matches',
      },
    }).find((f) => f.rule === 'boot-loader');
    expect(own?.severity).toBe('low');
  });

  it('leaves files that only look alike alone', () => {
    for (const path of ['/etc/default/grubby', '/usr/share/dbus-1/interfaces/org.x.xml'])
      expect(
        judged(path, 'init=/sbin/init').filter(
          (f) => f.rule === 'dbus' || f.rule === 'boot-loader',
        ),
      ).toEqual([]);
  });
});
