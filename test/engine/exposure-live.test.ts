/**
 * The exposure checks and relaunch's plan on containers really run that way (not on
 * hand-written inspect objects): privileged, an engine socket mounted, host namespaces,
 * an added capability, a sensitive host folder, a named volume. The socket is one this
 * test serves itself under the name docker.sock: no engine is handed to the container.
 * runc cannot start a privileged container in this sandbox ("unable to apply caps"), so
 * that one is created with the same config and triaged as found, never started.
 */
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/case/custody.js';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { DEFAULT_RELAUNCH_OPTIONS } from '../../src/relaunch/plan.js';
import { prepareRelaunch } from '../../src/relaunch/docker-prepare.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { baseImage, cleanRun, docker, newRunId, TEST_LABEL } from '../support/engine.js';
import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';

const runId = newRunId();
const volume = `coroner-test-vol-${runId}`;
let engine: Engine;
let work: string;
let socket: Server;
let container: string;
let report: TriageReport;
let privileged: string;
let privilegedReport: TriageReport;

beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'exposure-'));
  const socketPath = path.join(work, 'docker.sock');
  socket = createServer((c) => c.destroy());
  await new Promise<void>((resolve) => socket.listen(socketPath, resolve));
  container = `coroner-test-exposed-${runId}`;
  await docker(
    'run',
    '-d',
    '--name',
    container,
    '--label',
    `${TEST_LABEL}=${runId}`,
    '--pid',
    'host',
    '--ipc',
    'host',
    '--uts',
    'host',
    '--network',
    'host',
    '--cap-add',
    'SYS_ADMIN',
    '-v',
    `${socketPath}:/var/run/docker.sock`,
    '-v',
    '/etc:/host-etc:ro',
    '-v',
    `${volume}:/data`,
    await baseImage(),
    'sh',
    '-c',
    'echo planted > /data/x; sleep 3600',
  );
  report = await triage(new DockerLiveSource(engine), container, {
    caseDir: path.join(work, 'case'),
    cacheDir: path.join(work, 'cache'),
  });
  privileged = `coroner-test-privileged-${runId}`;
  await docker(
    'create',
    '--name',
    privileged,
    '--label',
    `${TEST_LABEL}=${runId}`,
    '--privileged',
    '--network',
    'none',
    await baseImage(),
    'sleep',
    '3600',
  );
  privilegedReport = await triage(new DockerLiveSource(engine), privileged, {
    caseDir: path.join(work, 'case-privileged'),
    cacheDir: path.join(work, 'cache'),
  });
});
afterAll(async () => {
  socket?.close();
  await cleanRun(runId);
  await docker('volume', 'rm', '-f', volume).catch(() => undefined);
});

describe('a container run with every host exposure', () => {
  it('says to treat the host as compromised, naming each reason', () => {
    expect(report.hostCompromise.isSuspected).toBe(true);
    const reasons = report.hostCompromise.reasons.join('\n');
    expect(reasons).toMatch(
      /CIS 5\.32 container engine socket mounted: \S+docker\.sock mounted at \/var\/run\/docker\.sock/,
    );
    expect(reasons).toMatch(/CIS 5\.16 host PID namespace/);
  });

  it('says the same of a privileged container, and plans its replacement unprivileged', async () => {
    expect(privilegedReport.hostCompromise.reasons).toEqual([
      expect.stringMatching(/^CIS 5\.5 privileged container: runs with --privileged/),
    ]);
    const prepared = await prepareRelaunch(
      engine,
      privileged,
      DEFAULT_RELAUNCH_OPTIONS,
      new CustodyLog(),
      { report: privilegedReport },
    );
    expect(prepared.plan.warnings.join('\n')).toMatch(/was privileged: the replacement is not/);
    expect(prepared.plan.createBody).toMatchObject({
      HostConfig: expect.objectContaining({ Privileged: false }),
    });
  });

  it('fails each exposure check it was run with', () => {
    const failed = report.exposure.filter((e) => !e.passed).map((e) => e.cis);
    expect(failed).toEqual(
      expect.arrayContaining(['5.4', '5.6', '5.10', '5.16', '5.17', '5.21', '5.32']),
    );
    const sensitive = report.exposure.find((e) => e.cis === '5.6')!;
    expect(sensitive).toMatchObject({ severity: 'high', detail: '/etc -> /host-etc (read-only)' });
    expect(report.exposure.find((e) => e.cis === '5.4')?.detail).toBe('added: CAP_SYS_ADMIN'); // as the engine records it;
    // The volume and the bound folder are compared with the image; a bound socket is not a folder.
    expect(report.notCovered.map((m) => m.destination)).toEqual(['/var/run/docker.sock']);
    // It shares the host's IPC namespace: there is no /dev/shm of its own to read.
    expect(report.mounts.map((m) => m.destination).sort()).toEqual(['/data', '/host-etc']);
    expect([...report.changes].find((c) => c.path === '/data/x')?.mount).toMatchObject({
      type: 'volume',
    });
  });

  it('plans a relaunch that drops the privileges, and reuses the volume unless asked not to', async () => {
    const prepared = await prepareRelaunch(
      engine,
      container,
      DEFAULT_RELAUNCH_OPTIONS,
      new CustodyLog(),
      { report },
    );
    const warnings = prepared.plan.warnings.join('\n');
    expect(warnings).toMatch(new RegExp(`volume ${volume} at /data is reused as it is`));
    expect(warnings).toMatch(/host path \/etc is bound at \/host-etc again/);
    expect(warnings).toMatch(/host network mode is kept/);
    expect(prepared.plan.createBody).toMatchObject({
      HostConfig: expect.objectContaining({ Privileged: false, CapDrop: ['ALL'] }),
    });
    const fresh = await prepareRelaunch(
      engine,
      container,
      { ...DEFAULT_RELAUNCH_OPTIONS, freshVolumes: true },
      new CustodyLog(),
      { report },
    );
    expect(fresh.plan.volumes.find((v) => v.destination === '/data')).toMatchObject({
      isReused: false,
    });
  });
});
