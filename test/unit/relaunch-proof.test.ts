/**
 * What counts as a clean twin that served, and which ports the service is judged on: the
 * twin's verdict and the triage's ports, from recorded states (issue 23: a twin that died a
 * moment after start proved a plan whose replacement died the same way).
 */
import { describe, expect, it } from 'vitest';
import { describePlan, planRelaunch } from '../../src/relaunch/plan.js';
import { listenedPorts } from '../../src/relaunch/prepare.js';
import { twinVerdict, type TwinState } from '../../src/relaunch/twin-runner.js';
import type { ProcessRecord } from '../../src/report/process.js';
import type { ContainerInspect } from '../../src/sources/docker-live/types.js';

const state = (over: Partial<TwinState> = {}): TwinState => ({
  isRunning: true,
  exit: 'it exited with code 1',
  hasHealthcheck: false,
  listening: [],
  ports: [],
  ranMs: 100,
  settleMs: 5000,
  windowMs: 20_000,
  ...over,
});

describe('twinVerdict', () => {
  it('does not call a twin up a moment after start when there is no port or healthcheck to wait for', () => {
    expect(twinVerdict(state({ ranMs: 100 }))).toBeUndefined();
    expect(twinVerdict(state({ ranMs: 5000 }))).toEqual({ isUp: true });
    expect(twinVerdict(state({ listening: undefined, ranMs: 100 }))).toBeUndefined();
  });

  it('calls a twin up as soon as it listens on every port the service must answer on', () => {
    expect(twinVerdict(state({ ports: [613], listening: [613], ranMs: 50 }))).toEqual({
      isUp: true,
    });
    expect(twinVerdict(state({ ports: [613], listening: [], ranMs: 50 }))).toBeUndefined();
    expect(twinVerdict(state({ ports: [613], listening: [], ranMs: 20_000 }))).toEqual({
      isUp: false,
      why: 'not listening on port 613 within 20 s',
    });
  });

  it('fails a twin that exited, or whose healthcheck says unhealthy', () => {
    expect(twinVerdict(state({ isRunning: false }))).toEqual({
      isUp: false,
      why: 'it exited with code 1',
    });
    expect(
      twinVerdict(state({ hasHealthcheck: true, health: 'unhealthy', ranMs: 10 })),
    ).toMatchObject({ isUp: false });
    expect(twinVerdict(state({ hasHealthcheck: true, health: 'healthy', ranMs: 10 }))).toEqual({
      isUp: true,
    });
  });
});

const proc = (over: Partial<ProcessRecord>): ProcessRecord => ({
  pid: 100,
  ppid: 1,
  name: 'apache2',
  commandLine: ['/usr/sbin/apache2', '-D', 'FOREGROUND'],
  uid: 0,
  gid: 0,
  exe: { path: '/usr/sbin/apache2', isDeleted: false, image: 'same' },
  isFromExec: false,
  loaderEnv: [],
  mappedFiles: [],
  deletedOpenFiles: [],
  sockets: [],
  findings: [],
  ...over,
});
const listen = (port: number) => ({
  protocol: 'tcp' as const,
  state: 'listen' as const,
  local: `127.0.0.1:${port}`,
});
const high = (rule: string) => ({ rule, path: '/', severity: 'high' as const, reason: 'x' });

describe('listenedPorts', () => {
  it("keeps the container's first process's port on the host network, where the image declares none", () => {
    // As a triage of apache-host ranked it: the service's own listener is "undeclared".
    const master = proc({
      sockets: [listen(613)],
      findings: [high('process-undeclared-listener')],
    });
    const worker = proc({
      pid: 101,
      ppid: 100,
      uid: 33,
      sockets: [listen(613)],
      findings: [high('process-undeclared-listener')],
    });
    expect(listenedPorts({ processes: [master, worker] })).toEqual([613]);
  });

  it("leaves out an attacker's listener: a child with findings, or one started through the engine", () => {
    const master = proc({ sockets: [listen(80)] });
    const payload = proc({
      pid: 102,
      ppid: 100,
      sockets: [listen(4444)],
      findings: [high('process-undeclared-listener'), high('process-deleted-executable')],
    });
    const exec = proc({
      pid: 103,
      ppid: 7,
      isFromExec: true,
      sockets: [listen(5555)],
      findings: [high('process-from-exec')],
    });
    expect(listenedPorts({ processes: [master, payload, exec] })).toEqual([80]);
  });
});

describe('a plan with a writable root (the last one a twin may have served with)', () => {
  it('keeps the root writable, plans no writable places, and says so', () => {
    const inspect = {
      Id: 'f'.repeat(64),
      Name: '/web',
      Image: `sha256:${'a'.repeat(64)}`,
      Config: { Image: 'web:1', User: '', Env: [], Cmd: ['httpd'] },
      HostConfig: { NetworkMode: 'host' },
      Mounts: [],
    } as unknown as ContainerInspect;
    const plan = planRelaunch(
      {
        inspect,
        writes: [{ path: '/run/httpd.pid', kind: 'A', from: 'a clean twin' }],
        isRootWritable: true,
        imageUsers: [],
        imageHasContent: new Map(),
        mountFindings: new Map(),
      },
      {
        capAdd: [],
        tmpfs: [],
        memoryBytes: 1,
        pidsLimit: 1,
        cpuShares: 1,
        freshVolumes: false,
        stamp: 's',
      },
    );
    expect((plan.createBody['HostConfig'] as { ReadonlyRootfs: boolean }).ReadonlyRootfs).toBe(
      false,
    );
    expect(plan.writable).toEqual([]);
    expect(plan.dockerRun).not.toMatch(/--read-only/);
    expect(plan.warnings.join('\n')).toMatch(/root filesystem stays writable \(CIS 5\.13 fails\)/);
    expect(describePlan(plan)).toBe('user 0, writable root, caps none');
  });
});
