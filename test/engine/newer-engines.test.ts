/**
 * The engines Docker ships today, beside the system's 20.10 (issue 25): Debian trixie's
 * dockerd 26.1 on overlay2, and on the containerd image store that Docker 29 uses by
 * default. A compromised sample on each is triaged, exported and verified as a responder
 * would, through the coroner executable.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { BIN } from '../support/coroner-run.js';
import { baseImage, expectedChanges, newRunId, startSample } from '../support/engine.js';
import { startNewerEngine, type NewerEngine } from '../support/newer-engine.js';

const run = promisify(execFile);

const ENGINES = [
  { name: 'Docker 26 on overlay2', containerdStore: false },
  { name: 'Docker 26 on the containerd image store', containerdStore: true },
] as const;

describe.each(ENGINES)('$name', ({ containerdStore }) => {
  let engine: NewerEngine;
  let work: string;
  let container: string;
  let report: TriageReport;
  const coroner = (...args: string[]) =>
    run(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        DOCKER_HOST: engine.dockerHost,
        CORONER_CACHE_DIR: path.join(work, 'cache'),
      },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { code?: number; stdout?: string; stderr?: string }) => e);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'newer-engine-'));
    await baseImage();
    engine = await startNewerEngine({ containerdStore });
    await engine.loadFromSystem('coroner-sample/base:busybox');
    container = await startSample('webshell', newRunId(), '', engine.dockerHost);
    const caseDir = path.join(work, 'case');
    await coroner('triage', container, '--case-dir', caseDir);
    report = JSON.parse(await readFile(path.join(caseDir, 'report.json'), 'utf8')) as TriageReport;
  }, 300_000);
  afterAll(async () => {
    await engine?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists the ground-truth changes and ranks the web shell by its true reason', () => {
    const expected = expectedChanges('webshell');
    const real = [...report.changes]
      .filter((c) => !c.isParentOnly)
      .map((c) => `${c.kind} ${c.path}`);
    expect(real.sort()).toEqual(expected.map((e) => `${e.kind} ${e.path}`).sort());
    for (const e of expected.filter((x) => x.malicious)) {
      const change = [...report.changes].find((c) => c.path === e.path)!;
      expect(
        change.findings.map((f) => f.rule),
        e.path,
      ).toContain(e.rule);
    }
  });

  it('exports a bundle that verifies', async () => {
    const out = path.join(work, 'bundle.tar.gz');
    const exported = await coroner('export', container, '--out', out, '--no-image');
    expect((exported as { stderr?: string }).stderr ?? '').not.toMatch(/\n\s+at /);
    const verified = await coroner('verify', out);
    expect((verified as { stdout: string }).stdout).toMatch(/^OK: /m);
  });
});
