/**
 * How a checkpointed container ran, read from its OCI runtime spec (spec.dump): what the
 * exposure checks judge, from a document that may be missing, malformed or hostile.
 */
import { describe, expect, it } from 'vitest';
import { runtimeFromSpec } from '../../src/sources/checkpoint/checkpoint-records.js';

const ALL_CAPS = Array.from({ length: 41 }, (_, i) => `CAP_${i}`).concat('CAP_SYS_ADMIN');

describe('the runtime of a checkpointed container', () => {
  it('reads a privileged, host-namespaced spec as such', () => {
    const runtime = runtimeFromSpec(
      Buffer.from(
        JSON.stringify({
          process: {
            user: { uid: 0, gid: 0 },
            capabilities: { bounding: ALL_CAPS },
            env: ['DB_PASSWORD=hunter2'],
          },
          root: { readonly: false },
          linux: { namespaces: [{ type: 'mount' }], devices: [{ path: '/dev/sda' }] },
          mounts: [
            { destination: '/proc', type: 'proc' },
            { destination: '/host', type: 'bind', source: '/', options: ['rbind', 'rw'] },
            { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
          ],
        }),
      ),
    );
    expect(runtime).toMatchObject({
      user: '0:0',
      isPrivileged: true,
      networkMode: 'host',
      pidMode: 'host',
      devices: ['/dev/sda'],
      mounts: [{ type: 'bind', source: '/', destination: '/host', isWritable: true }],
      tmpfs: ['/tmp'],
      envNames: ['DB_PASSWORD'],
    });
    expect(runtime.securityOpt).toContain('seccomp=unconfined');
    expect(JSON.stringify(runtime)).not.toContain('hunter2');
  });

  it('reads a confined spec as confined', () => {
    const runtime = runtimeFromSpec(
      Buffer.from(
        JSON.stringify({
          process: {
            user: { uid: 1000 },
            noNewPrivileges: true,
            capabilities: { bounding: ['CAP_NET_BIND_SERVICE'] },
          },
          root: { readonly: true },
          linux: {
            namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })),
            seccomp: { defaultAction: 'SCMP_ACT_ERRNO' },
            resources: { pids: { limit: 100 }, memory: { limit: 1 << 28 } },
          },
        }),
      ),
    );
    expect(runtime).toMatchObject({
      user: '1000',
      isPrivileged: false,
      isReadOnlyRoot: true,
      networkMode: '',
      pidsLimit: 100,
      memoryBytes: 1 << 28,
      securityOpt: ['no-new-privileges'],
    });
    expect(runtime.capDrop).toContain('CHOWN');
  });

  it('reads a malformed or hostile spec as empty, never failing', () => {
    for (const bytes of [
      '',
      'not json',
      '[]',
      '{"process": 3, "mounts": {"a": 1}, "linux": {"namespaces": [null, 7]}}',
    ]) {
      const runtime = runtimeFromSpec(Buffer.from(bytes));
      expect(runtime.mounts).toEqual([]);
      expect(runtime.user).toBe('');
    }
    expect(runtimeFromSpec(undefined).envNames).toEqual([]);
  });
});
