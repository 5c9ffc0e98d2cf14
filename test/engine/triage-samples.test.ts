import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';
import { getEventListeners } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import {
  cleanRun,
  diffOf,
  docker,
  expectedChanges,
  newRunId,
  SAMPLES,
  sha256InImage,
  startSample,
  inspectField,
  evidenceImage,
} from '../support/engine.js';

const runId = newRunId();
let engine: Engine;
let cacheDir: string;

beforeAll(async () => {
  engine = await connectEngine();
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'coroner-cache-'));
});
afterAll(() => cleanRun(runId));

describe.each(SAMPLES)('triage of the %s sample', (sample) => {
  let container: string;
  let report: TriageReport;
  let diffBefore: string[];
  const expected = expectedChanges(sample);

  beforeAll(async () => {
    container = await startSample(sample, runId);
    diffBefore = await diffOf(container);
    report = await triage(new DockerLiveSource(engine), container, {
      caseDir: await mkdtemp(path.join(os.tmpdir(), `case-${sample}-`)),
      cacheDir,
    });
  });

  it('reports exactly the ground-truth changes, with parent-only directories set apart', () => {
    const real = [...report.changes]
      .filter((c) => !c.isParentOnly)
      .map((c) => `${c.kind} ${c.path}`);
    expect(real.sort()).toEqual(expected.map((e) => `${e.kind} ${e.path}`).sort());
    for (const parent of [...report.changes].filter((c) => c.isParentOnly))
      expect(parent.original?.meta.type).toBe('directory');
  });

  it('ranks each malicious change by its true reason, at its expected severity or above', () => {
    const rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 } as const;
    for (const e of expected.filter((x) => x.malicious)) {
      expect(e.rule, `${e.path} pins a rule in expected.json`).toBeDefined();
      const change = [...report.changes].find((c) => c.path === e.path)!;
      const finding = change.findings.find((f) => f.rule === e.rule);
      expect(finding, `${e.path} is found by ${e.rule}`).toBeDefined();
      expect(rank[finding!.severity]).toBeGreaterThanOrEqual(rank[e.minSeverity!]);
      if (e.attack) expect(finding!.attack, `${e.path} is tagged ${e.attack}`).toBe(e.attack);
    }
  });

  it('ranks every malicious change above the legitimate churn', () => {
    const rankOf = (p: string) => [...report.changes].findIndex((c) => c.path === p);
    const worstMalicious = Math.max(
      ...expected.filter((e) => e.malicious).map((e) => rankOf(e.path)),
    );
    const bestLegit = Math.min(...expected.filter((e) => !e.malicious).map((e) => rankOf(e.path)));
    expect(worstMalicious).toBeLessThan(bestLegit);
    for (const e of expected.filter((x) => !x.malicious)) {
      expect([...report.changes][rankOf(e.path)]!.severity).toBe('low');
    }
  });

  it('recovers the original of every changed and deleted file byte for byte from the original image', async () => {
    for (const e of expected.filter((x) => x.kind !== 'A')) {
      const change = [...report.changes].find((c) => c.path === e.path)!;
      if (change.original?.meta.type === 'file') {
        expect(change.original.content?.sha256, e.path).toBe(
          await sha256InImage(report.container.imageId, e.path),
        );
        expect(change.original.layer?.diffId, e.path).toMatch(/^sha256:/);
      } else {
        expect(change.original?.meta.type, e.path).toBe('symlink');
      }
    }
  });

  it('takes the current version of every added and changed file from the evidence image', async () => {
    for (const e of expected.filter((x) => x.kind !== 'D')) {
      const change = [...report.changes].find((c) => c.path === e.path)!;
      if (change.current?.meta.type !== 'file') continue;
      expect(change.current.content?.sha256, e.path).toBe(
        await sha256InImage(evidenceImage(report).id, e.path),
      );
    }
  });

  it('commits a labelled evidence image and leaves the suspect running and unchanged', async () => {
    const labels = JSON.parse(
      await docker('image', 'inspect', '-f', '{{json .Config.Labels}}', evidenceImage(report).id),
    ) as Record<string, string>;
    expect(labels).toMatchObject({
      'coroner.evidence': 'true',
      'coroner.source.id': report.container.id,
      'coroner.source.name': container,
    });
    expect(
      (
        await docker('image', 'inspect', '-f', '{{join .RepoTags ","}}', evidenceImage(report).id)
      ).trim(),
    ).toBe(`${evidenceImage(report).repo}:${evidenceImage(report).tag}`);
    expect(evidenceImage(report).wasPaused).toBe(true);
    expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
    expect(await diffOf(container)).toEqual(diffBefore);
  });

  it('hashes every artifact it captured and removes its reader containers', async () => {
    for (const a of report.artifacts) expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Each captured once; report.json is covered by a bundle's manifest, not by itself.
    const paths = report.artifacts.map((a) => a.path);
    // Each process's executable, once per file (busybox serves them all).
    const executables = paths.filter((p) => p.startsWith('processes/'));
    expect(executables.length).toBeGreaterThan(0);
    for (const p of executables) expect(p).toMatch(/^processes\/exe-\d+-\d+$/);
    expect(paths.filter((p) => !p.startsWith('processes/')).sort()).toEqual([
      'changes/changes-from-writable-layer.json',
      'changes/engine-changes.json',
      'container/events.json',
      'container/inspect.json',
      'container/logs/stderr.log',
      'container/logs/stdout.log',
      'container/processes.json',
      'container/writable-layer.tar',
      'custody.json',
      'evidence-image/inspect.json',
      'image/history.json',
      'image/inspect.json',
    ]);
    const readers = await docker(
      'ps',
      '-aq',
      '--filter',
      'label=coroner.role=reader',
      '--filter',
      `ancestor=${evidenceImage(report).id}`,
    );
    expect(readers.trim()).toBe('');
  });
});

describe('the webshell sample in detail', () => {
  let report: TriageReport;
  let first: TriageReport;
  let container: string;
  beforeAll(async () => {
    container = await startSample('webshell', runId, '-detail');
    // Its own cache folder: the first triage streams the image once, the second must not.
    const ownCache = await mkdtemp(path.join(os.tmpdir(), 'coroner-cache-detail-'));
    first = await triage(new DockerLiveSource(engine), container, {
      caseDir: await mkdtemp(path.join(os.tmpdir(), 'case-detail-')),
      cacheDir: ownCache,
    });
    report = await triage(new DockerLiveSource(engine), container, {
      caseDir: await mkdtemp(path.join(os.tmpdir(), 'case-detail-')),
      cacheDir: ownCache,
    });
  });

  it('puts the web shell first, with a reason', () => {
    expect([...report.changes][0]).toMatchObject({
      path: '/var/www/uploads/.cache.php',
      severity: 'critical',
    });
    expect([...report.changes][0]!.findings[0]!.reason).toMatch(/web shell/);
  });

  it('diffs the defaced page against the real site page, not the default one an opaque directory hid', () => {
    const index = [...report.changes].find((c) => c.path === '/var/www/index.html')!;
    const patch =
      index.comparison?.content.kind === 'text-diff' ? index.comparison.content.patch : '';
    expect(patch).toMatch(/^-    <h1>Example Corp<\/h1>$/m);
    expect(patch).toMatch(/^\+<h1>HACKED BY xX_sh4d0w_Xx<\/h1>$/m);
    expect(patch).not.toMatch(/It works/);
    expect(index.original?.layer?.createdBy).toMatch(/COPY/);
    expect(index.original?.layer?.position).toBe(report.layers.list.length - 2);
  });

  it("indexes the layers from the engine's layer store, each checked against its diff id, then from the cache", () => {
    expect(first.layers.source).toBe('layer-store');
    expect(first.layers.checks?.map((c) => c.status)).toEqual(
      first.layers.list.map(() => 'verified'),
    );
    expect(report.layers.source).toBe('cache');
    expect(report.layers.list).toEqual(first.layers.list);
  });

  it('reads the same versions through reader containers as from the layer store', async () => {
    const archived = await triage(new DockerLiveSource(engine, 'archive'), container, {
      caseDir: await mkdtemp(path.join(os.tmpdir(), 'case-detail-')),
      cacheDir: await mkdtemp(path.join(os.tmpdir(), 'coroner-cache-archive-')),
    });
    expect(archived.layers.source).toBe('image-save');
    const facts = (r: TriageReport) =>
      [...r.changes].map((c) => ({
        path: c.path,
        kind: c.kind,
        severity: c.severity,
        original: c.original && {
          meta: c.original.meta,
          sha256: c.original.content?.sha256,
          layer: c.original.layer,
        },
        current: c.current && { meta: c.current.meta, sha256: c.current.content?.sha256 },
      }));
    expect(facts(archived)).toEqual(facts(report));
    const custody = JSON.parse(
      await readFile(path.join(report.caseDir, 'custody.json'), 'utf8'),
    ) as {
      actions: { action: string }[];
    };
    expect(custody.actions.map((a) => a.action)).not.toContain(
      'create reader container (never started) from the original image',
    );
  });

  it("reads what the change list cannot see, as root on the engine's host: /dev/shm, processes, events", () => {
    expect(report.mounts).toEqual([{ type: 'tmpfs', destination: '/dev/shm' }]);
    expect(report.notCovered).toEqual([]);
    expect(report.notCollected).toEqual([]);
    const server = report.processes?.find((p) => p.exe.path === '/bin/busybox');
    expect(server).toMatchObject({ exe: { isDeleted: false, image: 'same' }, isFromExec: false });
    expect(server?.sockets).toContainEqual({
      protocol: 'tcp',
      state: 'listen',
      local: '127.0.0.1:8080',
    });
    // Read, though what they hold depends on the engine's buffer, which every container shares.
    expect(Array.isArray(report.events)).toBe(true);
  });

  it("names the attack's docker exec, made a moment before the triage, with its command", () => {
    const exec = report.findings.find((f) => f.rule === 'engine-exec');
    expect(exec?.reason).toMatch(/docker exec\) at .*: sh -eu$/);
  });
});

describe('a triage run under a signal', () => {
  it('warns of no listener overflow on the signal, and leaves no listener on it', async () => {
    const container = await startSample('webshell', runId, '-listeners');
    // Dozens of changed files, small and large, read by eight readers at once.
    await docker(
      'exec',
      container,
      'sh',
      '-c',
      'for i in $(seq 1 40); do echo $i > /var/www/p$i.txt; head -c 100000 /bin/busybox > /tmp/b$i; done',
    );
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const controller = new AbortController();
    try {
      await triage(new DockerLiveSource(engine), container, {
        caseDir: await mkdtemp(path.join(os.tmpdir(), 'case-listeners-')),
        cacheDir,
        signal: controller.signal,
      });
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });
});
