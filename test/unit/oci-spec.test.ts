import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES, defaultSpec } from '../../src/sources/containerd-api/oci-spec.js';

describe('the default OCI runtime spec for a twin', () => {
  it('runs the command as root in new namespaces, with containerd default capabilities and a PATH', () => {
    const spec = defaultSpec({ args: ['/usr/local/bin/start-web'] });
    expect(spec.process.args).toEqual(['/usr/local/bin/start-web']);
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
    expect(spec.process.cwd).toBe('/');
    expect(spec.process.env[0]).toMatch(/^PATH=/);
    expect(spec.process.capabilities.bounding).toEqual([...DEFAULT_CAPABILITIES]);
    expect(spec.process.capabilities.effective).toEqual([...DEFAULT_CAPABILITIES]);
    expect(spec.process.noNewPrivileges).toBe(false);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual([
      'pid',
      'ipc',
      'uts',
      'mount',
      'network',
    ]);
    expect(spec.mounts.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/dev/shm',
      '/dev/mqueue',
      '/sys',
      '/run',
    ]);
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux.readonlyPaths).toContain('/proc/sys');
  });

  it('applies the hardened settings a relaunch plan asks for', () => {
    const spec = defaultSpec({
      args: ['httpd'],
      env: ['PATH=/bin', 'MODE=prod'],
      cwd: '/srv',
      user: { uid: 33, gid: 33 },
      hostNetwork: true,
      readOnlyRoot: true,
      capabilities: ['CAP_NET_BIND_SERVICE'],
      noNewPrivileges: true,
      mounts: [
        { source: 'tmpfs', destination: '/tmp', type: 'tmpfs', options: ['size=64m'] },
        { source: '/srv/data', destination: '/data', readOnly: true },
      ],
    });
    expect(spec.process.env).toEqual(['PATH=/bin', 'MODE=prod']);
    expect(spec.process.cwd).toBe('/srv');
    expect(spec.process.user).toEqual({ uid: 33, gid: 33 });
    expect(spec.linux.namespaces.map((n) => n.type)).not.toContain('network');
    expect(spec.root.readonly).toBe(true);
    expect(spec.process.capabilities.permitted).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.mounts.slice(-2)).toEqual([
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'size=64m'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] },
    ]);
  });

  it('shares no arrays with its input or between calls', () => {
    const args = ['a'];
    const spec = defaultSpec({ args });
    args.push('b');
    spec.process.capabilities.bounding.push('CAP_SYS_ADMIN');
    expect(spec.process.args).toEqual(['a']);
    expect(defaultSpec({ args }).process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(spec.process.capabilities.effective).not.toContain('CAP_SYS_ADMIN');
  });
});
