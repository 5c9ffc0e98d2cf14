/**
 * An engine reached over ssh (DOCKER_HOST=ssh://root@127.0.0.1:port), as responders reach
 * many hosts: through the system's ssh, with the key in an agent and the host key checked
 * against known hosts. Host-side items are named as not collected: over ssh, the engine's
 * host is not this machine (even when, as here, it is).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { coronerVerify, runCoroner } from '../support/coroner-run.js';
import {
  baseImage,
  cleanRun,
  docker,
  expectedChanges,
  newRunId,
  startSample,
} from '../support/engine.js';
import { startStomped } from '../support/timestomp.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

const runId = newRunId();
let sshd: TestSshd;
let work: string;
let container: string;

beforeAll(async () => {
  sshd = await startSshd();
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-ssh-test-'));
  container = await startSample('webshell', runId, '-ssh');
}, 120_000);
afterAll(async () => {
  await cleanRun(runId);
  await sshd?.stop();
});

describe('DOCKER_HOST=ssh://', () => {
  it('triages through ssh: the same ground truth, the engine named as reached over ssh, host-side items not collected', async () => {
    const caseDir = path.join(work, 'case');
    const run = await runCoroner(['triage', container, '--json', '--case-dir', caseDir], {
      DOCKER_HOST: sshd.dockerHost,
      ...sshd.env('known'),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).not.toMatch(/Warning|\n\s+at /);
    const report = JSON.parse(run.stdout) as TriageReport;
    expect(report.source.engine?.transport).toBe('ssh');
    const real = [...report.changes]
      .filter((c) => !c.isParentOnly)
      .map((c) => `${c.kind} ${c.path}`);
    expect(real.sort()).toEqual(
      expectedChanges('webshell')
        .map((e) => `${e.kind} ${e.path}`)
        .sort(),
    );
    const notCollected = report.notCollected.map((n) => `${n.item}: ${n.reason}`).join('\n');
    expect(notCollected).toMatch(/^processes .*: the engine is reached over ssh/m);
    // The events, read up to the engine's own clock: the attack's docker exec among them.
    expect(notCollected).not.toMatch(/engine events/);
    expect(report.findings.find((f) => f.rule === 'engine-exec')?.reason).toMatch(/: sh -eu$/);
    expect(report.processes).toBeUndefined();
    expect((await coronerVerify(caseDir)).stdout).toMatch(/^OK: /);
  }, 300_000);

  it('finds a timestomp over ssh only with --deep, by exporting the whole filesystem, and says so without it', async () => {
    await baseImage();
    const stomped = await startStomped(docker, runId, 'coroner-sample/base:busybox');
    const env = { DOCKER_HOST: sshd.dockerHost, ...sshd.env('known') };
    const plain = await runCoroner(
      ['triage', stomped, '--json', '--case-dir', path.join(work, 'stomped-plain')],
      env,
    );
    const blind = JSON.parse(plain.stdout) as TriageReport;
    expect([...blind.changes].map((c) => c.path)).not.toContain('/etc/passwd');
    expect(blind.notCollected).toContainEqual({
      item: 'changes that keep size and modification time',
      reason: expect.stringMatching(/triage with --deep to compare the whole filesystem/),
    });

    const caseDir = path.join(work, 'stomped-deep');
    const run = await runCoroner(
      ['triage', stomped, '--deep', '--json', '--case-dir', caseDir],
      env,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const deep = JSON.parse(run.stdout) as TriageReport;
    for (const p of ['/etc/passwd', '/usr/local/bin/start-web']) {
      const change = [...deep.changes].find((c) => c.path === p);
      expect(change, p).toMatchObject({ kind: 'C', isParentOnly: false });
      expect(change!.findings.map((f) => f.rule)).toContain('timestomp');
    }
    expect(deep.writableLayer).toMatchObject({
      readBy: 'deep-export',
      notInEngineList: expect.arrayContaining([
        { path: '/etc/passwd', kind: 'C', reason: 'same size, modification time put back' },
      ]),
    });
    expect(deep.notCollected.map((n) => n.item)).not.toContain(
      'changes that keep size and modification time',
    );
    const archive = deep.writableLayer!.archive;
    expect(deep.artifacts.find((a) => a.path === archive.path)?.sha256).toBe(archive.sha256);
    expect((await coronerVerify(caseDir)).stdout).toMatch(/^OK: /);
  }, 300_000);

  it('refuses a host whose key is not known: one line with what ssh said, exit 1', async () => {
    const run = await runCoroner(['triage', container, '--case-dir', path.join(work, 'no')], {
      DOCKER_HOST: sshd.dockerHost,
      ...sshd.env('unknown'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /over ssh at ssh:\/\/root@127\.0\.0\.1:\d+ .*Host key verification failed/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('says what is wrong with an ssh address it cannot use', async () => {
    const run = await runCoroner(['list'], { DOCKER_HOST: 'ssh://root:secret@127.0.0.1' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/holds a password/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
