/**
 * One key brings a real service back: Debian's Apache + PHP in front of MariaDB, and a
 * web root in a volume. Triage, then relaunch: clean twins learn what the app writes and
 * prove the settings, the replacement serves the original pages from the original image
 * id under the same name and aliases, and the sample's own attack no longer lands.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { CustodyLog } from '../../src/case/custody.js';
import { DEFAULT_RELAUNCH_OPTIONS, type RelaunchOptions } from '../../src/relaunch/plan.js';
import { prepareRelaunch } from '../../src/relaunch/docker-prepare.js';
import { executeRelaunch, type RelaunchResult } from '../../src/relaunch/relaunch.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectEngine } from '../../src/sources/docker-live/engine.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';
import { cleanRun, docker, evidenceImage, newRunId, ROOT, startSample } from '../support/engine.js';

const runId = newRunId();
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-relaunch-real-'));
});
afterAll(() => cleanRun(runId));

interface Inspected {
  Id: string;
  Image: string;
  State: { Running: boolean; Health?: { Status: string } };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[];
    CapAdd: string[] | null;
    SecurityOpt: string[];
    PidsLimit: number;
    Memory: number;
    Tmpfs: Record<string, string> | null;
    RestartPolicy: { Name: string };
  };
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
  Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
}
const inspect = async (name: string) => JSON.parse(await docker('inspect', name))[0] as Inspected;

/** Triage, then relaunch with the plan as it comes (the twins run). */
async function triageAndRelaunch(
  sample: string,
  options: Partial<RelaunchOptions> = {},
): Promise<{ container: string; report: TriageReport; result: RelaunchResult; before: Inspected }> {
  const container = await startSample(sample, runId);
  const report = await triage(await connectDockerLive(), container, {
    caseDir: path.join(work, `case-${sample}`),
    cacheDir: path.join(work, 'cache'),
  });
  const before = await inspect(container);
  const engine = await connectEngine();
  const custody = new CustodyLog();
  const prepared = await prepareRelaunch(
    engine,
    container,
    { ...DEFAULT_RELAUNCH_OPTIONS, ...options },
    custody,
    { report },
  );
  const result = await executeRelaunch(engine, prepared, {
    allowNoEvidence: false,
    keepPaused: false,
    custody,
    caseDir: path.join(work, `relaunch-${sample}`),
  });
  return { container, report, result, before };
}

const get = async (container: string, page: string) => {
  const address = (await docker('port', container, '80/tcp')).split('\n')[0]!.trim();
  const response = await fetch(`http://${address}/${page}`);
  return { status: response.status, body: await response.text() };
};

/** What the suspect's hardening and quarantine must be, for every sample. */
function expectHardenedAsProven(result: RelaunchResult, fresh: Inspected): void {
  const planned = result.plan.createBody as { HostConfig: { CapAdd?: string[] } };
  expect(fresh.HostConfig.ReadonlyRootfs).toBe(true);
  expect(fresh.HostConfig.CapDrop).toEqual(['ALL']);
  expect(fresh.HostConfig.CapAdd ?? []).toEqual(planned.HostConfig.CapAdd ?? []);
  expect(result.plan.learned?.isCapsProven).toBe(true);
  expect(fresh.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
  expect(fresh.HostConfig.PidsLimit).toBe(DEFAULT_RELAUNCH_OPTIONS.pidsLimit);
  expect(fresh.HostConfig.Memory).toBe(DEFAULT_RELAUNCH_OPTIONS.memoryBytes);
  // A twin ran this exact configuration, read-only root included, and came up.
  const user = (result.plan.createBody as { User: string }).User;
  expect(
    result.plan.learned!.trials.find((t) => t.isReadOnly && t.user === user && t.isUp),
  ).toBeDefined();
  expect(result.attempts).toEqual([expect.not.objectContaining({ failure: expect.anything() })]);
}

async function expectQuarantinedIntact(result: RelaunchResult, report: TriageReport) {
  const q = await inspect(result.quarantine.name);
  expect(q.Id).toBe(report.container.id);
  expect(q.State.Running).toBe(false);
  expect(q.HostConfig.RestartPolicy.Name).toBe('no');
  expect(Object.keys(q.NetworkSettings.Networks).filter((n) => n !== 'none')).toEqual([]);
  const evidence = evidenceImage(report).id;
  expect((await docker('image', 'inspect', '-f', '{{.Id}}', evidence)).trim()).toBe(evidence);
}

const attack = (sample: string, container: string) =>
  promisify(execFile)('sh', [path.join(ROOT, 'samples', sample, 'attack.sh'), container]);

describe('relaunch of php-links: the front end comes back, the database stays', () => {
  let run: Awaited<ReturnType<typeof triageAndRelaunch>>;
  let dbBefore: Inspected;
  beforeAll(async () => {
    const container = `coroner-test-php-links-${runId}`;
    run = await triageAndRelaunch('php-links');
    dbBefore = await inspect(`${container}-db`);
  }, 900_000);

  it('serves the original page from the original image id, healthy, under the same name and aliases', async () => {
    const { container, report, result, before } = run;
    expect(result.isRunning).toBe(true);
    expect(result.serving.answers).toEqual([
      expect.objectContaining({ port: 80, isOpen: true, address: expect.stringMatching(/^127/) }),
    ]);
    const fresh = await inspect(container);
    expect(fresh.Image).toBe(report.container.imageId);
    expect(fresh.State.Health?.Status).toBe('healthy');
    const net = `${container}-net`;
    expect(before.NetworkSettings.Networks[net]!.Aliases).toContain('web');
    expect(fresh.NetworkSettings.Networks[net]!.Aliases).toContain('web');
    expect((await get(container, '')).body).toBe(
      readFileSync(path.join(ROOT, 'samples/php-links/site/index.html'), 'utf8'),
    );
  });

  it('leaves the database running, and the front end reaches it by its alias', async () => {
    const { container } = run;
    const db = await inspect(`${container}-db`);
    expect(db.Id).toBe(dbBefore.Id);
    expect(db.State.Running).toBe(true);
    const links = await get(container, 'links.php');
    expect(links.status).toBe(200);
    expect(links.body).toMatch(/<a href="https:\/\/www\.debian\.org\/">Debian<\/a>/);
  });

  it('runs with the proven hardening; Apache and PHP write only where the twins showed', async () => {
    const { container, result } = run;
    const fresh = await inspect(container);
    expectHardenedAsProven(result, fresh);
    const writable = result.plan.writable.map((w) => `${w.path} ${w.mount}`);
    // /run/apache2 and the log folder have content in the image: volumes, which start with it.
    expect(writable.sort()).toEqual([
      '/run/apache2 volume',
      '/tmp tmpfs',
      '/var/log/apache2 volume',
    ]);
    expect(fresh.HostConfig.Tmpfs?.['/dev/shm']).toMatch(/^ro,/);
  });

  it("no longer lets the sample's attack write: no defacement, no web shell, no payload, no listener", async () => {
    const { container } = run;
    await expect(attack('php-links', container)).rejects.toMatchObject({
      stderr: expect.stringMatching(/the listener never listened/),
    });
    expect((await get(container, '')).body).not.toMatch(/HACKED/);
    expect((await get(container, 'uploads/.sess.php')).status).toBe(404);
    expect(await docker('exec', container, 'ls', '-A', '/dev/shm')).toBe('');
  });

  it('keeps the quarantined front end stopped, off every network, never restarted, its evidence intact', async () => {
    await expectQuarantinedIntact(run.result, run.report);
  });
});

describe('relaunch of wp-volume with --fresh-volumes: the volume the attacker wrote to is named and replaced', () => {
  let run: Awaited<ReturnType<typeof triageAndRelaunch>>;
  beforeAll(async () => {
    run = await triageAndRelaunch('wp-volume', { freshVolumes: true });
  }, 900_000);

  it('names the volume with what the triage found in it', () => {
    const [volume] = run.result.plan.volumes;
    expect(volume).toMatchObject({ destination: '/var/www/html', isReused: false });
    expect(volume!.findings.join('\n')).toMatch(/hello-dolly\/\.cache\.php/);
  });

  it('serves the original site from a fresh volume, read-only, the old volume kept', async () => {
    const { container, result, before } = run;
    expect(result.isRunning).toBe(true);
    const page = await get(container, '');
    expect(page.body).toMatch(/Running version 6\.1\.1\./);
    const fresh = await inspect(container);
    expectHardenedAsProven(result, fresh);
    const web = fresh.Mounts.find((m) => m.Destination === '/var/www/html')!;
    const old = before.Mounts.find((m) => m.Destination === '/var/www/html')!;
    expect(web).toMatchObject({ Type: 'volume', RW: false });
    expect(web.Name).not.toBe(old.Name);
    expect((await docker('volume', 'inspect', '-f', '{{.Name}}', old.Name!)).trim()).toBe(old.Name);
    expect((await get(container, 'wp-content/plugins/hello-dolly/.cache.php')).status).toBe(404);
  });

  it("no longer lets the sample's attack write into the web root", async () => {
    const { container } = run;
    await expect(attack('wp-volume', container)).rejects.toBeDefined();
    expect((await get(container, 'wp-content/plugins/hello-dolly/.cache.php')).status).toBe(404);
    expect(await docker('exec', container, 'cat', '/var/www/html/wp-includes/version.php')).toBe(
      readFileSync(path.join(ROOT, 'samples/wp-volume/site/wp-includes/version.php'), 'utf8'),
    );
  });

  it('keeps the quarantined site stopped, off every network, its evidence intact', async () => {
    await expectQuarantinedIntact(run.result, run.report);
  });
});
