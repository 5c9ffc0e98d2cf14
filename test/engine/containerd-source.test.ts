/**
 * A Kubernetes node with no Docker (issue 26): the webshell sample's attack in a pod's
 * container on a real containerd 1.7 laid out as the kubelet's CRI plugin leaves it
 * (test/support/test-containerd.ts), listed by namespace/pod/container, triaged through
 * containerd's gRPC API, exported and verified. The same ranked changes as the Docker
 * sample; the task paused only during the freeze; nothing run inside the container.
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContainerd } from '../../src/sources/containerd-api/containerd-client.js';
import type { ContainerdApi } from '../../src/sources/containerd-api/containerd-types.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { EVIDENCE_IMAGE_FILE } from '../../src/bundle/write-bundle.js';
import { coronerVerify, runCoroner } from '../support/coroner-run.js';
import { cleanRun, newRunId, ranking, startSample, webshellAttack } from '../support/engine.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';

interface Expected {
  changes: {
    path: string;
    kind: string;
    malicious: boolean;
    rule?: string;
    minSeverity?: string;
  }[];
}

const RANK = ['info', 'low', 'medium', 'high', 'critical'];

describe('a pod container on containerd, triaged through its API', () => {
  let ctd: TestContainerd;
  let api: ContainerdApi;
  let web: PodContainer;
  let cases: string;
  let report: TriageReport;
  let triage: { code: number; stdout: string; stderr: string };
  const source = () => ['--containerd', ctd.address, '--pod-logs', ctd.podLogs];

  beforeAll(async () => {
    ctd = await startTestContainerd();
    const image = await ctd.importFromSystem('coroner-sample/webshell:latest');
    web = await ctd.runPod({
      namespace: 'shop',
      pod: 'web-7d9f',
      container: 'httpd',
      image,
      command: ['sh', '-c', 'echo serving; exec /usr/local/bin/start-web'],
      podLabels: { app: 'shop-web' },
    });
    await ctd.exec(web.id, 'sh', '-euc', webshellAttack());
    api = await connectContainerd({ address: ctd.address, namespace: 'k8s.io' });
    cases = await mkdtemp(path.join(os.tmpdir(), 'coroner-ctd-cases-'));
    triage = await runCoroner([
      'triage',
      ...source(),
      'shop/web-7d9f/httpd',
      '--json',
      '--case-dir',
      path.join(cases, 'web'),
    ]);
    report = JSON.parse(triage.stdout) as TriageReport;
  }, 300_000);

  afterAll(async () => {
    api?.close();
    await ctd?.destroy();
    if (cases) await rm(cases, { recursive: true, force: true });
  }, 120_000);

  it('lists the pod container by namespace/pod/container, and not its sandbox', async () => {
    const { code, stdout } = await runCoroner(['list', ...source()]);
    expect(code).toBe(0);
    expect(stdout).toContain('shop/web-7d9f/httpd');
    expect(stdout).toContain(web.id.slice(0, 12));
    expect(stdout).not.toContain(web.sandboxId.slice(0, 12));
  });

  it('ranks exactly the changes a Docker triage of the same sample and attack ranks', async () => {
    const runId = newRunId();
    try {
      const container = await startSample('webshell', runId);
      const docker = await runCoroner([
        'triage',
        container,
        '--json',
        '--case-dir',
        path.join(cases, 'docker'),
      ]);
      expect(ranking(report)).toEqual(ranking(JSON.parse(docker.stdout) as TriageReport));
    } finally {
      await cleanRun(runId);
    }
  }, 300_000);

  it('prints the triage summary for `coroner --containerd` without a terminal, by pod/container', async () => {
    const { code, stdout } = await runCoroner([
      ...source(),
      'web-7d9f/httpd',
      '--case-dir',
      path.join(cases, 'summary'),
    ]);
    expect(code).toBe(3);
    expect(stdout).toContain('shop/web-7d9f/httpd');
    expect(stdout).toContain('/var/www/uploads/.cache.php');
  });

  it('ranks the changes as the sample says', async () => {
    expect([0, 3]).toContain(triage.code);
    const expected = JSON.parse(
      await readFile(
        path.join(import.meta.dirname, '../../samples/webshell/expected.json'),
        'utf8',
      ),
    ) as Expected;
    for (const e of expected.changes.filter((c) => c.malicious)) {
      const change = [...report.changes].find((c) => c.path === e.path);
      expect(change, e.path).toBeDefined();
      expect(change!.kind).toBe(e.kind);
      expect(RANK.indexOf(change!.severity), e.path).toBeGreaterThanOrEqual(
        RANK.indexOf(e.minSeverity!),
      );
      expect(report.findings.filter((f) => f.path === e.path).map((f) => f.rule)).toContain(e.rule);
    }
    expect(report.container.name).toBe('shop/web-7d9f/httpd');
    expect(report.source.kind).toBe('containerd');
  });

  it('checks every image layer against its blob, with no host tampering', () => {
    expect(report.layers.checks?.length).toBeGreaterThan(0);
    expect(report.layers.checks?.every((c) => c.status === 'verified')).toBe(true);
    expect(report.hostCompromise.isSuspected).toBe(false);
  });

  it('keeps the CRI log, the spec, the processes and an evidence image under a lease', async () => {
    const files = report.artifacts.map((a) => a.path);
    expect(files).toContain('container/spec.json');
    expect(files).toContain('evidence/writable-layer.tar');
    expect(files.some((f) => f.startsWith('container/logs/cri/'))).toBe(true);
    const stdout = await readFile(path.join(report.caseDir, 'container/logs/stdout.log'), 'utf8');
    expect(stdout).toContain('serving');
    expect(report.processes?.length).toBeGreaterThan(0);
    expect(report.evidence.kind).toBe('image');
    if (report.evidence.kind !== 'image') return;
    expect(report.evidence.repo).toBe('coroner-evidence/shop/web-7d9f/httpd');
    const image = await api.image(`${report.evidence.repo}:${report.evidence.tag}`);
    expect(image?.target.digest).toBe(report.evidence.id);
    const leases = await ctd.ctr('-n', 'k8s.io', 'leases', 'ls');
    expect(leases).toContain('coroner-evidence-');
  });

  it('leaves the task running, with nothing run inside it', async () => {
    expect((await api.task(web.id))?.status).toBe('running');
    expect(report.container.stateAtStart.isRunning).toBe(true);
    const execs = await ctd.ctr('-n', 'k8s.io', 'tasks', 'ps', web.id);
    // The exec of the attack is gone; only the pod's own processes remain.
    expect(execs.trim().split('\n').length).toBeLessThanOrEqual(3);
    const custody = await readFile(path.join(report.caseDir, 'custody.json'), 'utf8');
    expect(custody).toMatch(/pause the task/);
    expect(custody).toMatch(/resume the task/);
  });

  it('exports a bundle that verifies, holding the evidence image', async () => {
    const bundle = path.join(cases, 'web.tar.gz');
    const { code, stderr } = await runCoroner([
      'export',
      ...source(),
      'shop/web-7d9f/httpd',
      '--case',
      report.caseDir,
      '--out',
      bundle,
    ]);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
    expect([0, 3], stderr).toContain(code);
    expect((await coronerVerify(bundle)).code).toBe(0);
    // The evidence image, as an OCI archive `docker load` and `ctr images import` read.
    const listing = execFileSync('tar', ['-tzf', bundle], { encoding: 'utf8' });
    expect(listing).toContain(EVIDENCE_IMAGE_FILE);
  });

  // Last: it leaves the suspect paused.
  it('quarantines from the command line: the task paused and kept, the policy, patch and commands written', async () => {
    const { code, stdout, stderr } = await runCoroner([
      'relaunch',
      '--containerd',
      ctd.address,
      'shop/web-7d9f/httpd',
      '--yes',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Kubernetes quarantine plan for shop\/web-7d9f\/httpd/);
    expect(stdout).toMatch(/^Quarantined: shop\/web-7d9f\/httpd: task paused, kept/m);
    expect(stdout).toMatch(/kubectl/);
    const written = [...stdout.matchAll(/^(?:Written:)?\s+(\S+\.(?:yaml|txt))$/gm)].map(
      (m) => m[1]!,
    );
    expect(written.length).toBeGreaterThanOrEqual(3);
    for (const file of written) expect((await readFile(file, 'utf8')).length).toBeGreaterThan(0);
    expect(
      await readFile(
        written.find((f) => f.endsWith('networkpolicy.yaml'))!,
        'utf8',
      ),
    ).toMatch(/"app": "shop-web"/);
    expect((await api.task(web.id))?.status).toBe('paused');
    expect(await api.container(web.id)).toBeDefined();
    await rm(path.dirname(written[0]!), { recursive: true, force: true });
  }, 300_000);
});
