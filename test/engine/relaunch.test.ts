import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/case/custody.js';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { DEFAULT_RELAUNCH_OPTIONS } from '../../src/relaunch/plan.js';
import { prepareRelaunch } from '../../src/relaunch/docker-prepare.js';
import { executeRelaunch, type RelaunchResult } from '../../src/relaunch/relaunch.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import {
  cleanRun,
  docker,
  newRunId,
  ROOT,
  SAMPLES,
  startSample,
  evidenceImage,
  TEST_LABEL,
  baseImage,
} from '../support/engine.js';
import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';

const runId = newRunId();
let engine: Engine;
let work: string;
beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'relaunch-test-'));
});
afterAll(() => cleanRun(runId));

async function inspect(name: string) {
  return JSON.parse(await docker('inspect', name))[0] as {
    Id: string;
    Image: string;
    State: { Running: boolean; Status: string };
    HostConfig: {
      CapDrop: string[];
      CapAdd: string[] | null;
      SecurityOpt: string[];
      ReadonlyRootfs: boolean;
      PidsLimit: number;
      Memory: number;
      RestartPolicy: { Name: string; MaximumRetryCount: number };
    };
    NetworkSettings: { Networks: Record<string, unknown> };
    Config: { Labels: Record<string, string>; User: string };
  };
}

describe.each(SAMPLES)('relaunch of the %s sample', (sample) => {
  let container: string;
  let report: TriageReport;
  let result: RelaunchResult;
  beforeAll(async () => {
    container = await startSample(sample, runId);
    report = await triage(new DockerLiveSource(engine), container, {
      caseDir: path.join(work, `case-${sample}`),
      cacheDir: path.join(work, 'cache'),
    });
    // After the triage: a restart policy that would bring the suspect back at the next daemon
    // restart, and an attacker deleting the files that show where the app must write.
    await docker('update', '--restart', 'always', container);
    if (sample === 'miner') await docker('exec', container, 'rm', '/run/worker.pid');
    const custody = new CustodyLog();
    const prepared = await prepareRelaunch(engine, container, DEFAULT_RELAUNCH_OPTIONS, custody, {
      report,
    });
    result = await executeRelaunch(engine, prepared, {
      allowNoEvidence: false,
      keepPaused: false,
      custody,
      caseDir: path.join(work, `relaunch-${sample}`),
    });
  });

  it('runs the replacement from the original image id, under the original name', async () => {
    expect(result.isRunning).toBe(true);
    // The webshell image has a healthcheck: the relaunch waited until it reported healthy.
    if (sample === 'webshell') expect(result.replacement.health).toBe('healthy');
    const fresh = await inspect(container);
    expect(fresh.State.Running).toBe(true);
    expect(fresh.Image).toBe(report.container.imageId);
    expect(fresh.Id).not.toBe(report.container.id);
    expect(fresh.Config.Labels['coroner.replaces']).toBe(report.container.id);
  });

  it('reads back the hardening the plan promised, and the twins proved', async () => {
    const { HostConfig: hc, Config } = await inspect(container);
    const planned = result.plan.createBody as { User: string; HostConfig: { CapAdd?: string[] } };
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.CapAdd ?? []).toEqual(planned.HostConfig.CapAdd ?? []);
    expect(result.plan.learned?.isCapsProven).toBe(true);
    expect(hc.SecurityOpt).toEqual(['no-new-privileges']);
    expect(hc.PidsLimit).toBe(DEFAULT_RELAUNCH_OPTIONS.pidsLimit);
    expect(hc.Memory).toBe(DEFAULT_RELAUNCH_OPTIONS.memoryBytes);
    expect(hc.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    // These ran as root; a twin with the exact plan proved the image's www-data runs them.
    expect(Config.User).toBe('33:33');
    expect(Config.User).toBe(planned.User);
    expect(result.plan.hardened.find((h) => h.setting === 'user')?.why).toMatch(/^proven: /);
    const proof = result.plan.learned!.trials.find((t) => t.isReadOnly && t.user === '33:33');
    expect(proof).toMatchObject({ isUp: true });
  });

  it('serves what the original image serves', async () => {
    if (sample !== 'webshell') {
      expect(result.serving.note).toMatch(/listened on no TCP port/);
      return;
    }
    expect(result.serving.answers).toEqual([expect.objectContaining({ port: 8080, isOpen: true })]);
    const page = await docker('exec', container, 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/');
    expect(page).toBe(readFileSync(path.join(ROOT, 'samples/webshell/site/index.html'), 'utf8'));
  });

  it('rejects writes to the root filesystem, so the attack script no longer succeeds', async () => {
    await expect(docker('exec', container, 'sh', '-c', 'echo x > /probe')).rejects.toThrow(
      /Read-only file system/,
    );
    await expect(
      promisify(execFile)('sh', [path.join(ROOT, 'samples', sample, 'attack.sh'), container]),
    ).rejects.toMatchObject({
      // Refused by the read-only root, or by the non-root user before it gets that far.
      stderr: expect.stringMatching(/Read-only file system|Permission denied/),
    });
  });

  it("plans its writable places from a clean twin and the frozen change list, never from the attacker's", () => {
    const writable = result.plan.writable.map((t) => t.path);
    // The miner's worker writes a pid, a lock and a cache file at start (the attacker deleted
    // the pid file after the triage; the twin wrote its own). Its /tmp and crontab are not places.
    if (sample === 'miner')
      expect(writable.sort()).toEqual(['/run', '/var/cache/worker', '/var/lock']);
    if (sample === 'backdoor') expect(writable).toEqual(['/run']);
    expect(result.plan.learned?.writes.length).toBeGreaterThan(0);
    expect(result.plan.warnings.join('\n')).not.toMatch(/no triage of this container/);
  });

  it('keeps the quarantined container, stopped, never restarted, off every network, and the evidence image unchanged', async () => {
    const quarantined = await inspect(result.quarantine.name);
    expect(quarantined.Id).toBe(report.container.id);
    expect(quarantined.State.Running).toBe(false);
    expect(quarantined.HostConfig.RestartPolicy.Name).toBe('no');
    expect(Object.keys(quarantined.NetworkSettings.Networks).filter((n) => n !== 'none')).toEqual(
      [],
    );
    expect(
      (await docker('image', 'inspect', '-f', '{{.Id}}', evidenceImage(report).id)).trim(),
    ).toBe(evidenceImage(report).id);
    expect(result.evidenceImageId).toBe(evidenceImage(report).id);
  });
});

describe('relaunch refusals and failures', () => {
  it('refuses a container without an evidence image', async () => {
    const container = await startSample('backdoor', runId);
    const custody = new CustodyLog();
    const prepared = await prepareRelaunch(engine, container, DEFAULT_RELAUNCH_OPTIONS, custody, {
      casesRoot: work,
    });
    expect(prepared.plan.warnings.join('\n')).toMatch(/no triage of this container was found/);
    await expect(
      executeRelaunch(engine, prepared, {
        allowNoEvidence: false,
        keepPaused: false,
        custody,
        caseDir: path.join(work, 'x'),
      }),
    ).rejects.toThrow(/has no evidence image yet/);
    expect((await inspect(container)).State.Running).toBe(true);
  });

  it('kills the suspect without running its signal handlers: a trap that would wipe its volume never runs', async () => {
    const label = `${TEST_LABEL}=${runId}`;
    const volume = `coroner-test-trap-${runId}`;
    const name = `coroner-test-trap-${runId}`;
    await docker('volume', 'create', '--label', label, volume);
    const base = await baseImage();
    await docker(
      'run',
      '--rm',
      '-v',
      `${volume}:/data`,
      base,
      'sh',
      '-c',
      'echo data > /data/keep',
    );
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--label',
      label,
      '--network',
      'none',
      '-v',
      `${volume}:/data`,
      base,
      'sh',
      '-c',
      'trap "rm -f /data/keep; exit 0" TERM INT HUP; while :; do sleep 1; done',
    );
    const custody = new CustodyLog();
    const prepared = await prepareRelaunch(
      engine,
      name,
      DEFAULT_RELAUNCH_OPTIONS,
      custody,
      { casesRoot: work },
      { isEnabled: false },
    );
    const result = await executeRelaunch(engine, prepared, {
      allowNoEvidence: true,
      keepPaused: false,
      custody,
      caseDir: path.join(work, 'trap'),
    });
    expect((await inspect(result.quarantine.name)).State.Running).toBe(false);
    expect(await docker('run', '--rm', '-v', `${volume}:/data:ro`, base, 'cat', '/data/keep')).toBe(
      'data\n',
    );
  });

  it('refuses a plan no clean twin came up with, touching nothing; forced, reports the replacement that cannot start, and loses nothing', async () => {
    const container = await startSample('webshell', runId);
    const custody = new CustodyLog();
    const prepared = await prepareRelaunch(
      engine,
      container,
      { ...DEFAULT_RELAUNCH_OPTIONS, user: 'no-such-user' },
      custody,
      { casesRoot: work },
    );
    expect(prepared.unproven).toMatch(/no clean twin came up/);
    const request = {
      allowNoEvidence: true,
      keepPaused: false,
      custody,
      caseDir: path.join(work, 'fail'),
    };
    await expect(executeRelaunch(engine, prepared, request)).rejects.toThrow(
      /stopped before the swap/,
    );
    expect((await inspect(container)).State.Running).toBe(true);
    const result = await executeRelaunch(engine, prepared, { ...request, allowUnproven: true });
    expect(result.isRunning).toBe(false);
    expect(result.failure?.reason).toMatch(/no-such-user|refused|exited/);
    // The failed replacement is kept for inspection, under a name that says so.
    expect(result.replacement.name).toMatch(/-failed-/);
    expect((await inspect(result.replacement.name)).Config.Labels['coroner.replaces']).toBe(
      prepared.inspect.Id,
    );
    expect(result.failure?.choices.join('\n')).toMatch(/docker rename .*-quarantined-/);
    expect((await inspect(result.quarantine.name)).Id).toBe(prepared.inspect.Id);
    expect((await docker('image', 'inspect', '-f', '{{.Id}}', result.evidenceImageId)).trim()).toBe(
      result.evidenceImageId,
    );
  });
});
