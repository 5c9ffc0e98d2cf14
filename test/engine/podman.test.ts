/**
 * coroner against Podman's Docker-compatible service (DOCKER_HOST=unix://…podman.sock), as a
 * responder on a Podman host runs it: the samples built and attacked with podman's CLI, the
 * same ground truth as on Docker, and nothing ever run inside the suspect.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectEngine } from '../../src/sources/docker-live/engine.js';
import { atLine, coronerVerify, runCoroner, startCoroner } from '../support/coroner-run.js';
import { expectedChanges, newRunId, SAMPLES } from '../support/engine.js';
import {
  cleanPodmanRun,
  podman,
  startPodmanSample,
  startPodmanService,
  type PodmanService,
} from '../support/podman.js';

const PODMAN_OWN_FILES = ['/etc/hosts', '/etc/hostname', '/etc/mtab', '/run/.containerenv'];
const runId = newRunId();
let service: PodmanService;
let work: string;
const onPodman = () => ({ DOCKER_HOST: service.dockerHost });

beforeAll(async () => {
  service = await startPodmanService();
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-podman-test-'));
}, 60_000);
afterAll(async () => {
  await cleanPodmanRun(runId);
  await service?.stop();
}, 120_000);

const podmanField = async (target: string, template: string) =>
  (await podman('inspect', '--format', template, target)).trim();

describe.each(SAMPLES)('on Podman, triage of the %s sample', (sample) => {
  let container: string;
  let report: TriageReport;
  let code: number;
  const expected = expectedChanges(sample);

  beforeAll(async () => {
    container = await startPodmanSample(sample, runId);
    const caseDir = path.join(work, 'coroner-cases', sample);
    const run = await runCoroner(
      ['triage', container, '--json', '--case-dir', caseDir],
      onPodman(),
    );
    code = run.code;
    report = JSON.parse(run.stdout) as TriageReport;
  }, 300_000);

  it('names Podman as the source and finds what the sample did (exit 3)', () => {
    expect(code).toBe(3);
    expect(report.source.engine?.product).toBe('Podman');
  });

  it('reports exactly the ground-truth changes: the files Podman writes itself are not among them, their folder only changed through them', () => {
    const changes = [...report.changes];
    const real = changes.filter((c) => !c.isParentOnly).map((c) => `${c.kind} ${c.path}`);
    expect(real.sort()).toEqual(expected.map((e) => `${e.kind} ${e.path}`).sort());
    for (const own of PODMAN_OWN_FILES) expect(changes.map((c) => c.path)).not.toContain(own);
    const etc = changes.find((c) => c.path === '/etc');
    if (etc && !expected.some((e) => e.path.startsWith('/etc/')))
      expect(etc.isParentOnly).toBe(true);
  });

  it('ranks each malicious change by its true reason, at its expected severity or above', () => {
    const rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 } as const;
    for (const e of expected.filter((x) => x.malicious)) {
      const change = [...report.changes].find((c) => c.path === e.path)!;
      const finding = change.findings.find((f) => f.rule === e.rule);
      expect(finding, `${e.path} is found by ${e.rule}`).toBeDefined();
      expect(rank[finding!.severity]).toBeGreaterThanOrEqual(rank[e.minSeverity!]);
    }
  });

  it('labels the evidence image as Docker does, so relaunch and cleanup find it', async () => {
    expect(report.evidence.kind).toBe('image');
    const id = report.evidence.kind === 'image' ? report.evidence.id : '';
    const labels = JSON.parse(await podman('image', 'inspect', '--format', '{{json .Labels}}', id));
    expect(labels['coroner.evidence']).toBe('true');
    expect(labels['coroner.source.id']).toBe(report.container.id);
  });

  it("names the engine's exec (Podman does not record its command)", () => {
    expect(report.findings.some((f) => f.rule === 'engine-exec')).toBe(true);
  });
});

describe('on Podman', () => {
  it("reads the container's whole event log even when asked just before a second ends", async () => {
    // Podman stops reading its log when the clock reaches `until`: asked at x.995 s for the
    // events until x+1, it once answered with almost none, and the exec went unreported.
    const container = `coroner-test-podman-backdoor-${runId}`;
    const id = await podmanField(container, '{{.Id}}');
    const saved = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = service.dockerHost;
    try {
      const engine = await connectEngine();
      while (Date.now() % 1000 < 995) await new Promise((r) => setTimeout(r, 1));
      const { events } = await engine.events(id, 0, 16 * 1024 * 1024);
      const actions = events.map((e) => e.Action ?? '');
      expect(actions).toContain('start');
      expect(actions.some((a) => a.startsWith('exec_create'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = saved;
    }
  }, 60_000);

  it('never runs ps (or anything) inside the suspect to list its processes', async () => {
    const container = await startPodmanSample('webshell', runId, '-ps');
    // A ps that leaves a mark when it runs, where Podman's top would run it.
    await podman(
      'exec',
      container,
      'sh',
      '-c',
      'rm /bin/ps && printf "#!/bin/sh\\necho ran > /tmp/ps-ran\\nexec busybox ps \\"\\$@\\"\\n" > /bin/ps && chmod 755 /bin/ps',
    );
    const caseDir = path.join(work, 'case-ps');
    const run = await runCoroner(['triage', container, '--case-dir', caseDir], onPodman());
    expect(run.code, run.stderr).toBe(3);
    const top = JSON.parse(await readFile(path.join(caseDir, 'container/processes.json'), 'utf8'));
    expect(top.Titles).toContain('PID');
    expect(top.Processes.length).toBeGreaterThan(0);
    expect(
      await podman('exec', container, 'sh', '-c', 'test -e /tmp/ps-ran && echo RAN || echo clean'),
    ).toBe('clean\n');
  }, 300_000);

  it('exports a bundle that verifies, evidence image included', async () => {
    const container = `coroner-test-podman-webshell-${runId}`;
    const out = path.join(work, 'webshell.tar.gz');
    const run = await runCoroner(
      ['export', container, '--case', path.join(work, 'coroner-cases', 'webshell'), '--out', out],
      onPodman(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Evidence image:\s+included/);
    const verify = await coronerVerify(out);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: /);
  }, 300_000);

  it('relaunches: the suspect quarantined and kept, a hardened replacement from the original image running', async () => {
    const container = `coroner-test-podman-miner-${runId}`;
    const imageId = await podmanField(container, '{{.Image}}');
    const run = startCoroner(['relaunch', container, '--yes'], onPodman(), work);
    expect(await run.exited, run.stderr()).toBe(0);
    const names = (await podman('ps', '-a', '--format', '{{.Names}}')).split('\n');
    const quarantined = names.find((n) => n.startsWith(`${container}-quarantined-`));
    expect(quarantined).toBeDefined();
    expect(await podmanField(quarantined!, '{{.State.Status}}')).toBe('exited');
    expect(await podmanField(container, '{{.State.Status}}')).toBe('running');
    expect(await podmanField(container, '{{.Image}}')).toBe(imageId);
    expect(await podmanField(container, '{{.HostConfig.ReadonlyRootfs}}')).toBe('true');
    expect(await podmanField(container, '{{.HostConfig.SecurityOpt}}')).toContain(
      'no-new-privileges',
    );
    expect(await podmanField(container, '{{.Config.Labels}}')).toContain('coroner.replaces');
    // Podman adds HOSTNAME to every container's config: the replacement's is its own.
    const suspectHostname = await podmanField(quarantined!, '{{.Config.Hostname}}');
    expect(await podmanField(container, '{{range .Config.Env}}{{println .}}{{end}}')).not.toContain(
      `HOSTNAME=${suspectHostname}`,
    );
  }, 300_000);

  it('the service killed mid-triage: one line, exit 1, the folder named incomplete, the suspect running; a rerun completes', async () => {
    const container = await startPodmanSample('backdoor', runId, '-fault');
    const own = await startPodmanService();
    const caseDir = path.join(work, 'case-killed');
    const run = startCoroner(['triage', container, '--case-dir', caseDir, '--progress'], {
      DOCKER_HOST: own.dockerHost,
    });
    await atLine(run, 'coroner: extract', () => own.kill());
    expect(await run.exited, run.stderr()).toBe(1);
    expect(run.stderr()).toContain(own.dockerHost);
    expect(run.stderr()).toContain(`the case folder ${caseDir} is incomplete`);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(await readdir(caseDir)).not.toContain('report.json');
    expect(await podmanField(container, '{{.State.Status}}')).toBe('running');
    await own.stop().catch(() => undefined);

    const rerunDir = path.join(work, 'case-after-kill');
    const rerun = await runCoroner(['triage', container, '--case-dir', rerunDir], onPodman());
    expect(rerun.code, rerun.stderr).toBe(3);
    expect((await coronerVerify(rerunDir)).stdout).toMatch(/^OK: /);
  }, 300_000);
});
