/**
 * Dead-box triage: a private dockerd runs and compromises the samples, is stopped
 * as a host would be, and coroner triages a copy of its data root with no engine
 * (DOCKER_HOST points nowhere: any attempt to reach one would fail the run).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import { newRunId, startSample } from '../support/engine.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';

const sh = async (script: string) =>
  (await promisify(execFile)('sh', ['-c', script], { maxBuffer: 64 * 1024 * 1024 })).stdout;
const SAMPLES = ['webshell', 'miner', 'backdoor'] as const;
const runId = newRunId();
/** No engine listens here: a dead-box run that tried to reach one would fail. */
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

let engine: PrivateEngine;
let work: string;
let copy: string;
const names: Record<string, string> = {};
const live: Record<string, TriageReport> = {};

async function triageJson(args: string[], env: NodeJS.ProcessEnv): Promise<TriageReport> {
  const { code, stdout, stderr } = await runCoroner(['triage', ...args, '--json'], env);
  if (code !== 3 && code !== 0) throw new Error(`coroner exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as TriageReport;
}

/** What ranks each path: the facts a live and a dead-box triage must agree on. */
const ranking = (r: TriageReport) =>
  [...r.changes]
    .map((c) => ({
      path: c.path,
      kind: c.kind,
      severity: c.severity,
      rules: c.findings.map((f) => f.rule).sort(),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-deadbox-'));
  engine = await startPrivateEngine();
  for (const sample of SAMPLES) {
    names[sample] = await startSample(sample, runId, '', engine.dockerHost);
    live[sample] = await triageJson(
      [names[sample], '--case-dir', path.join(work, `live-${sample}`)],
      { DOCKER_HOST: engine.dockerHost, CORONER_CACHE_DIR: path.join(work, 'cache') },
    );
  }
  await engine.stop();
  copy = path.join(work, 'copy');
  // As a responder copies a data root: everything, with owners, devices and extended attributes.
  await sh(`cp -a '${engine.dataRoot}' '${copy}'`);
}, 600_000);

afterAll(async () => {
  await engine?.destroy();
  await rm(work, { recursive: true, force: true });
});

describe('a copied data root, no engine', () => {
  it('lists the containers it holds', async () => {
    const { code, stdout } = await runCoroner(['list', '--docker-root', copy], NO_ENGINE);
    expect(code).toBe(0);
    for (const sample of SAMPLES) expect(stdout).toContain(names[sample]);
  });

  it.each(SAMPLES)(
    'finds in %s exactly what a live triage found, every image layer verified',
    async (sample) => {
      const dead = await triageJson(
        [names[sample]!, '--docker-root', copy, '--case-dir', path.join(work, `dead-${sample}`)],
        NO_ENGINE,
      );
      expect(ranking(dead)).toEqual(ranking(live[sample]!));
      expect(dead.source).toEqual({
        kind: 'dead-box',
        dataRoot: { path: copy, storageDriver: 'overlay2' },
      });
      expect(dead.evidence).toMatchObject({ kind: 'layer-folder', dataRoot: copy });
      expect(dead.layers.source).toBe('layer-store');
      expect(dead.layers.checks?.map((c) => c.status)).toEqual(
        dead.layers.list.map(() => 'verified'),
      );
      expect(dead.hostCompromise.isSuspected).toBe(false);
      expect(dead.notCollected.map((n) => n.item)).toContain(
        'processes, memory, open files and network connections',
      );
      expect(dead.problems).toEqual([]);
      expect(dead.artifacts.map((a) => a.path)).toEqual(
        expect.arrayContaining([
          'container/config.v2.json',
          'container/hostconfig.json',
          'image/config.json',
          'container/logs/stdout.log',
        ]),
      );
    },
  );

  it('exports a bundle of a dead-box case that verifies, saying the evidence is the data root', async () => {
    const out = path.join(work, 'dead.tar.gz');
    const exported = await runCoroner(
      [
        'export',
        names.webshell!,
        '--docker-root',
        copy,
        '--case',
        path.join(work, 'dead-webshell'),
        '--out',
        out,
      ],
      NO_ENGINE,
    );
    expect(exported.stderr).toContain(
      `exporting the case folder ${path.join(work, 'dead-webshell')}`,
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      /not included: the evidence is the copied Docker data root itself/,
    );
    const verified = await runCoroner(['verify', out], NO_ENGINE);
    expect(verified.code).toBe(0);
  });

  it('reports a byte changed in an image layer folder as a layer tampered with on the host', async () => {
    const tampered = path.join(work, 'tampered');
    await sh(`cp -a '${copy}' '${tampered}'`);
    const [file] = (await sh(`ls -d '${tampered}'/overlay2/*/diff/usr/local/bin/start-web`))
      .trim()
      .split('\n');
    const bytes = await readFile(file!);
    bytes[3] = bytes[3]! ^ 0xff;
    await writeFile(file!, bytes);
    const report = await triageJson(
      [names.webshell!, '--docker-root', tampered, '--case-dir', path.join(work, 'dead-tampered')],
      NO_ENGINE,
    );
    const bad = report.layers.checks!.filter((c) => c.status === 'tampered');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.detail).toMatch(
      /"\/usr\/local\/bin\/start-web" has other content than the layer recorded/,
    );
    expect(report.hostCompromise.isSuspected).toBe(true);
    expect(report.hostCompromise.reasons.join('\n')).toMatch(
      /image layer \d+ .*tampered with on the host/,
    );
  });

  it('reads a copy on a read-only mount, and writes nothing into it', async () => {
    const readOnly = path.join(work, 'ro');
    await sh(
      `mkdir '${readOnly}' && mount --bind '${copy}' '${readOnly}' && mount -o remount,ro,bind '${readOnly}'`,
    );
    try {
      const before = await sh(`cd '${copy}' && find . -printf '%p %s %T@\\n' | sort | sha256sum`);
      const report = await triageJson(
        [names.backdoor!, '--docker-root', readOnly, '--case-dir', path.join(work, 'dead-ro')],
        NO_ENGINE,
      );
      expect(ranking(report)).toEqual(ranking(live.backdoor!));
      expect(await sh(`cd '${copy}' && find . -printf '%p %s %T@\\n' | sort | sha256sum`)).toBe(
        before,
      );
    } finally {
      await sh(`umount '${readOnly}'`);
    }
  });
});

describe('what is refused', () => {
  it('refuses the data root of a running engine', async () => {
    const { code, stderr } = await runCoroner(['list', '--docker-root', '/var/lib/docker']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /is the data root of a running Docker engine.*Triage its containers live/s,
    );
  });

  it('refuses a folder that is not a data root, with one line', async () => {
    const notRoot = await runCoroner(['triage', 'x', '--docker-root', work], NO_ENGINE);
    expect(notRoot.code).toBe(1);
    expect(notRoot.stderr).toMatch(/is not a Docker data root/);
    expect(notRoot.stderr).not.toMatch(/\n\s+at /);
  });
});
