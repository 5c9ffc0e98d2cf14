import { describe, expect, it } from 'vitest';
import { RUNTIME_DEFAULT_CAPABILITIES } from '../../src/report/capabilities.js';
import { parseOciSpec, runtimeFromOciSpec } from '../../src/sources/oci-runtime.js';

const DEFAULTS = RUNTIME_DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`);

describe('how a container ran, from its OCI spec', () => {
  it('says what a pod spec changed against the runtime defaults', () => {
    const spec = {
      process: {
        user: { uid: 33, gid: 33 },
        args: ['apache2-foreground'],
        env: ['PATH=/usr/bin', 'DB_PASSWORD=s3cret'],
        cwd: '/var/www/html',
        noNewPrivileges: true,
        capabilities: {
          bounding: [...DEFAULTS.filter((c) => c !== 'CAP_NET_RAW'), 'CAP_SYS_ADMIN'],
        },
      },
      root: { path: 'rootfs', readonly: true },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        {
          destination: '/data',
          type: 'bind',
          source: '/var/lib/kubelet/pods/x/volumes/kubernetes.io~empty-dir/data',
          options: ['rbind', 'rw'],
        },
        { destination: '/cache', type: 'tmpfs', source: 'tmpfs' },
      ],
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
        resources: { memory: { limit: 268435456 }, pids: { limit: 100 } },
        seccomp: { defaultAction: 'SCMP_ACT_ERRNO' },
        maskedPaths: ['/proc/kcore'],
      },
    };
    const { runtime, command, cwd } = runtimeFromOciSpec(
      parseOciSpec(Buffer.from(JSON.stringify(spec))),
      'set by the pod',
    );
    expect(runtime.restartPolicy).toBe('set by the pod');
    expect(runtime).toMatchObject({
      user: '33:33',
      isPrivileged: false,
      capAdd: ['SYS_ADMIN'],
      capDrop: ['NET_RAW'],
      isReadOnlyRoot: true,
      networkMode: 'host',
      pidMode: '',
      tmpfs: ['/cache'],
      memoryBytes: 268435456,
      pidsLimit: 100,
      envNames: ['PATH', 'DB_PASSWORD'],
      securityOpt: ['no-new-privileges'],
    });
    expect(runtime.mounts).toEqual([
      {
        type: 'bind',
        source: '/var/lib/kubelet/pods/x/volumes/kubernetes.io~empty-dir/data',
        destination: '/data',
        isWritable: true,
      },
    ]);
    expect(command).toEqual(['apache2-foreground']);
    expect(cwd).toBe('/var/www/html');
  });

  it('says the least for a spec that is not JSON or holds the wrong types', () => {
    for (const bytes of [
      Buffer.from('not json'),
      Buffer.from('[]'),
      Buffer.from('{"process":{"user":"root","env":"x","capabilities":7}}'),
    ]) {
      const { runtime } = runtimeFromOciSpec(parseOciSpec(bytes), 'set by the pod');
      expect(runtime.user).toBe('');
      expect(runtime.envNames).toEqual([]);
    }
  });
});
