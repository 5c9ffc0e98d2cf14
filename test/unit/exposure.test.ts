import { describe, expect, it } from 'vitest';
import type { ContainerInspect } from '../../src/sources/docker-live/types.js';
import { assessExposure } from '../../src/findings/exposure.js';
import { runtimeFromDocker } from '../../src/sources/docker-config.js';

function inspect(
  over: { HostConfig?: object; Config?: object; Mounts?: object[] } = {},
): ContainerInspect {
  return {
    HostConfig: {
      Privileged: false,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      CapAdd: null,
      PidsLimit: null,
      Memory: 0,
      NetworkMode: 'none',
      ...over.HostConfig,
    },
    Config: { User: '', Env: ['PATH=/bin'], ...over.Config },
    Mounts: over.Mounts ?? [],
  } as unknown as ContainerInspect;
}

const failed = (c: ContainerInspect) =>
  assessExposure(runtimeFromDocker(c))
    .filter((e) => !e.passed)
    .map((e) => e.cis);

describe('assessExposure', () => {
  it('flags the usual weaknesses of a default container', () => {
    expect(failed(inspect())).toEqual(['4.1', '5.13', '5.26', '5.29', '5.11']);
  });

  it('passes a hardened container', () => {
    const hardened = inspect({
      HostConfig: {
        ReadonlyRootfs: true,
        SecurityOpt: ['no-new-privileges'],
        PidsLimit: 100,
        Memory: 256 << 20,
      },
      Config: { User: '33:33' },
    });
    expect(failed(hardened)).toEqual([]);
  });

  it('says the host is compromised for a privileged container or a mounted engine socket', () => {
    const privileged = assessExposure(
      runtimeFromDocker(inspect({ HostConfig: { Privileged: true } })),
    ).find((e) => e.cis === '5.5');
    expect(privileged).toMatchObject({
      passed: false,
      severity: 'critical',
      isHostCompromise: true,
    });
    const socket = assessExposure(
      runtimeFromDocker(
        inspect({
          Mounts: [
            {
              Type: 'bind',
              Source: '/var/run/docker.sock',
              Destination: '/var/run/docker.sock',
              RW: true,
            },
          ],
        }),
      ),
    ).find((e) => e.cis === '5.32');
    expect(socket).toMatchObject({ passed: false, isHostCompromise: true });
  });

  it('reads writable sensitive host mounts, host namespaces and added capabilities', () => {
    const c = inspect({
      HostConfig: { PidMode: 'host', NetworkMode: 'host', CapAdd: ['SYS_ADMIN'] },
      Mounts: [{ Type: 'bind', Source: '/etc', Destination: '/host-etc', RW: true }],
    });
    const byId = Object.fromEntries(assessExposure(runtimeFromDocker(c)).map((e) => [e.cis, e]));
    expect(byId['5.6']).toMatchObject({ passed: false, severity: 'critical' });
    expect(byId['5.16']).toMatchObject({ passed: false, isHostCompromise: true });
    expect(byId['5.10']?.passed).toBe(false);
    expect(byId['5.4']?.detail).toMatch(/SYS_ADMIN/);
  });

  it('names secret-looking environment variables without printing their values', () => {
    const c = inspect({ Config: { Env: ['DB_PASSWORD=hunter2', 'API_KEY=abc', 'HOME=/root'] } });
    const secrets = assessExposure(runtimeFromDocker(c)).find((e) => e.cis === '4.10');
    expect(secrets?.detail).toBe('variables: DB_PASSWORD, API_KEY');
    expect(JSON.stringify(secrets)).not.toMatch(/hunter2/);
  });
});
