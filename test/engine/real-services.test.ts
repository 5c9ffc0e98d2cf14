/**
 * Real services (Debian's Apache, PHP and MariaDB) attacked over HTTP on loopback, and
 * what `docker diff` cannot see: a tmpfs payload, a process run from a deleted binary, a
 * listener, a process started by docker exec, a web shell and an altered core file in a
 * volume. All found and ranked above the legitimate churn; the bundle carries them; a
 * triage without root completes and names what it could not collect.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write-bundle.js';
import { CustodyLog } from '../../src/case/custody.js';
import { SEVERITY_RANK } from '../../src/report/severity.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';
import { BIN } from '../support/coroner-run.js';
import {
  cleanRun,
  diffOf,
  expectedChanges,
  newRunId,
  ROOT,
  sha256InImage,
  startSample,
} from '../support/engine.js';
import { readFileSync } from 'node:fs';

const runId = newRunId();
let work: string;
afterAll(() => cleanRun(runId));
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-real-'));
});

const churnBelowMalice = (report: TriageReport, sample: string) => {
  const expected = expectedChanges(sample);
  const rank = (p: string) =>
    SEVERITY_RANK[[...report.changes].find((c) => c.path === p)!.severity];
  const lowestMalice = Math.min(...expected.filter((e) => e.malicious).map((e) => rank(e.path)));
  const highestChurn = Math.max(...expected.filter((e) => !e.malicious).map((e) => rank(e.path)));
  expect(lowestMalice).toBeGreaterThan(highestChurn);
};

function matchesGroundTruth(report: TriageReport, sample: string): void {
  const expected = expectedChanges(sample) as (ReturnType<typeof expectedChanges>[number] & {
    mount?: string;
  })[];
  const listed = [...report.changes].filter((c) => !c.isParentOnly);
  expect(listed.map((c) => `${c.kind} ${c.path}`).sort()).toEqual(
    expected.map((e) => `${e.kind} ${e.path}`).sort(),
  );
  for (const e of expected) {
    const change = listed.find((c) => c.path === e.path)!;
    expect(change.mount?.type, e.path).toBe(e.mount);
    if (!e.malicious) continue;
    const finding = change.findings.find((f) => f.rule === e.rule);
    expect(finding, `${e.path}: ${e.rule}`).toBeDefined();
    expect(SEVERITY_RANK[finding!.severity]).toBeGreaterThanOrEqual(SEVERITY_RANK[e.minSeverity!]);
  }
}

describe('php-links: apache2 + PHP in front of MariaDB, attacked through its eval()', () => {
  let container: string;
  let report: TriageReport;
  const truth = JSON.parse(
    readFileSync(path.join(ROOT, 'samples/php-links/expected.json'), 'utf8'),
  ) as {
    processes: {
      deletedExecutable: { path: string; copyOf: string };
      undeclaredListener: string;
      fromExec: string;
    };
  };

  beforeAll(async () => {
    container = await startSample('php-links', runId);
    report = await triage(await connectDockerLive(), container, {
      caseDir: path.join(work, 'php-links'),
      cacheDir: path.join(work, 'cache'),
    });
  }, 600_000);

  it('finds exactly the ground truth, the tmpfs payload included, and ranks the attack above the churn', () => {
    matchesGroundTruth(report, 'php-links');
    churnBelowMalice(report, 'php-links');
    expect(report.mounts).toContainEqual({ type: 'tmpfs', destination: '/dev/shm' });
    expect(report.problems).toEqual([]);
    expect(report.notCollected).toEqual([]);
  });

  it("recovers the running binary that was deleted: its bytes are the image's php", async () => {
    const { path: exe, copyOf } = truth.processes.deletedExecutable;
    const p = report.processes!.find((x) => x.exe.path === exe)!;
    expect(p.exe.isDeleted).toBe(true);
    expect(p.exe.stored?.sha256).toBe(await sha256InImage(report.container.imageId, copyOf));
    expect(p.findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining([
        'process-deleted-executable',
        'process-executable-in-temp',
        'process-undeclared-listener',
      ]),
    );
    expect(p.sockets).toContainEqual({
      protocol: 'tcp',
      state: 'listen',
      local: truth.processes.undeclaredListener,
    });
    expect(p.findings.every((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high)).toBe(true);
  });

  it('names the process started through docker exec under a kernel thread name', () => {
    const p = report.processes!.find((x) => x.commandLine[0] === truth.processes.fromExec)!;
    expect(p.isFromExec).toBe(true);
    expect(p.findings.map((f) => f.rule).sort()).toEqual([
      'process-from-exec',
      'process-kernel-thread-name',
    ]);
    // The web server itself is what the image says, and started by the container.
    const server = report.processes!.find((x) => x.exe.path === '/usr/sbin/apache2')!;
    expect(server).toMatchObject({ isFromExec: false, exe: { image: 'same', isDeleted: false } });
  });

  it('exports a bundle that carries the recovered binary and the tmpfs payload, and verifies', async () => {
    const out = path.join(work, 'php-links.tar.gz');
    await writeBundle(await connectDockerLive(), report, {
      outPath: out,
      custody: new CustodyLog(),
      includeImage: false,
    });
    const verdict = await verifyBundle(out);
    expect(verdict.isIntact).toBe(true);
    const files = verdict.manifest!.files.map((f) => f.path);
    const exe = report.processes!.find((x) => x.exe.isDeleted)!.exe.stored!;
    expect(files).toContain(`case/${exe.path}`);
    const shm = [...report.changes].find((c) => c.path === '/dev/shm/.kworker')!;
    expect(files).toContain(`case/${shm.current!.content!.path}`);
  });
});

describe('wp-volume: a web root in a volume, which docker diff never looks into', () => {
  let container: string;
  let report: TriageReport;
  beforeAll(async () => {
    container = await startSample('wp-volume', runId);
    report = await triage(await connectDockerLive(), container, {
      caseDir: path.join(work, 'wp-volume'),
      cacheDir: path.join(work, 'cache'),
    });
  }, 600_000);

  it('finds the web shell and the altered core file in the volume, which docker diff does not show', async () => {
    expect((await diffOf(container)).filter((l) => l.includes('/var/www'))).toEqual([]);
    matchesGroundTruth(report, 'wp-volume');
    churnBelowMalice(report, 'wp-volume');
    const core = [...report.changes].find(
      (c) => c.path === '/var/www/html/wp-includes/version.php',
    )!;
    expect(core.mount).toMatchObject({ type: 'volume', destination: '/var/www/html' });
    expect(core.comparison?.content).toMatchObject({
      kind: 'text-diff',
      addedLines: 1,
      removedLines: 0,
    });
    expect(core.findings[0]!.reason).toMatch(/\(in the volume .* at \/var\/www\/html\)$/);
  });

  it('without root, completes and names what it could not collect', async () => {
    const caseDir = path.join(work, 'unprivileged');
    const cache = path.join(work, 'unprivileged-cache');
    await chmod(work, 0o777);
    const docker = (await promisify(execFile)('getent', ['group', 'docker'])).stdout.split(':')[2]!;
    const { stdout } = await promisify(execFile)(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        `--groups=${docker}`,
        process.execPath,
        BIN,
        'triage',
        container,
        '--json',
        '--case-dir',
        caseDir,
      ],
      {
        env: { ...process.env, CORONER_CACHE_DIR: cache, HOME: work },
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((e: { code: number; stdout: string }) => {
      expect(e.code).toBe(3);
      return e;
    });
    const unprivileged = JSON.parse(stdout) as TriageReport;
    expect(unprivileged.processes).toBeUndefined();
    expect(unprivileged.notCollected.map((n) => n.item).sort()).toEqual([
      '/dev/shm and tmpfs mounts',
      'changes that keep size and modification time',
      'processes (executables, open and mapped files, sockets)',
      'volumes and bind mounts',
    ]);
    expect(unprivileged.notCollected[0]!.reason).toMatch(/not root/);
    expect(unprivileged.notCovered.map((m) => m.destination).sort()).toEqual([
      '/dev/shm',
      '/var/www/html',
    ]);
    // What the change list shows is still there, read through reader containers.
    expect([...unprivileged.changes].map((c) => c.path)).toContain('/run/apache2/apache2.pid');
    expect(unprivileged.layers.source).toBe('image-save');
  });
});
