/**
 * What `docker diff` cannot see, and engines that moved on (issue 25): coroner reads the
 * container's writable layer itself, keeps it whole in the case, and speaks the API version
 * an engine takes (Docker 29 refuses anything older than 1.44).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';
import { connectEngine } from '../../src/sources/docker-live/engine.js';
import { readBounded, tarEntries } from '../../src/tar-entries.js';
import { startStomped } from '../support/timestomp.js';
import { startApiFloorProxy, type ApiFloorProxy } from '../support/api-floor-proxy.js';
import { BIN, runCoroner } from '../support/coroner-run.js';
import { baseImage, cleanRun, diffOf, docker, newRunId, runLabelled } from '../support/engine.js';

const run = promisify(execFile);

const runId = newRunId();
afterAll(() => cleanRun(runId));

describe('an engine that takes API 1.44 and newer only (as Docker 29)', () => {
  let floor: ApiFloorProxy;
  let container: string;
  beforeAll(async () => {
    floor = await startApiFloorProxy({ min: '1.44', max: '1.52' });
    container = `coroner-test-api-floor-${runId}`;
    await runLabelled(container, runId, await baseImage(), 'sleep', '3600');
  });
  afterAll(() => floor.close());
  const coroner = (...args: string[]) => runCoroner(args, { DOCKER_HOST: floor.dockerHost });

  it('answers every command, speaking the newest version coroner knows', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'api-floor-'));
    const listed = await coroner('list');
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(container);

    const caseDir = path.join(work, 'case');
    const triaged = await coroner('triage', container, '--json', '--case-dir', caseDir);
    expect(triaged.stderr).not.toMatch(/too old|refused/);
    expect([0, 3]).toContain(triaged.code);
    const report = JSON.parse(triaged.stdout) as {
      source: { engine: { apiVersion: string; apiSpoken: string } };
    };
    expect(report.source.engine).toMatchObject({ apiVersion: '1.52', apiSpoken: '1.45' });

    const bundle = path.join(work, 'bundle.tar.gz');
    const exported = await coroner('export', container, '--case', caseDir, '--out', bundle);
    expect(exported.stderr).not.toMatch(/too old|refused/);
    expect(exported.code).toBe(0);
    const verified = await coroner('verify', bundle);
    expect(verified.code).toBe(0);

    const planned = await coroner('relaunch', container, '--dry-run', '--no-learn');
    expect(planned.stderr).not.toMatch(/too old|refused/);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/Dry run: nothing was changed/);

    // Versioned requests were all in a version the engine takes.
    expect(floor.versionsAsked.filter((v) => v !== '' && v !== '1.45')).toEqual([]);
  });

  it('refuses, in one line that says why, an engine whose oldest version is newer than any coroner speaks', async () => {
    const newer = await startApiFloorProxy({ min: '1.50', max: '1.52' });
    try {
      const { code, stderr } = await runCoroner(['list'], { DOCKER_HOST: newer.dockerHost });
      expect(code).not.toBe(0);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(
        /refuses Engine API versions older than 1\.50; coroner speaks 1\.45 at most\. .*DOCKER_MIN_API_VERSION=1\.45/,
      );
      // Refused before any versioned request was sent.
      expect(newer.versionsAsked).toEqual(['']);
    } finally {
      await newer.close();
    }
  });

  it('says so when the engine stops taking the version it spoke (restarted with a higher floor)', async () => {
    const moving = await startApiFloorProxy({ min: '1.24', max: '1.45' });
    const before = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = moving.dockerHost;
    try {
      const engine = await connectEngine();
      await engine.listContainers();
      moving.range.min = '1.50';
      moving.range.max = '1.52';
      await expect(engine.listContainers()).rejects.toMatchObject({
        name: 'EngineApiUnsupported',
        message: expect.stringMatching(
          /refused listing containers: it now accepts Engine API 1\.50 to 1\.52, and coroner spoke 1\.45$/,
        ),
        hint: expect.stringMatching(/run coroner again/),
      });
    } finally {
      if (before === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = before;
      await moving.close();
    }
  });

  it('refuses an engine older than the oldest version coroner speaks', async () => {
    const old = await startApiFloorProxy({ min: '1.12', max: '1.30' });
    try {
      const { code, stderr } = await runCoroner(['list'], { DOCKER_HOST: old.dockerHost });
      expect(code).not.toBe(0);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/speaks Engine API 1\.30 at most; coroner needs 1\.40 or newer/);
    } finally {
      await old.close();
    }
  });
});

/** In a busybox container: a same-size edit, its modification time put back (T1070.006). */

describe('a same-size edit whose modification time was put back (timestomp)', () => {
  let container: string;
  let report: TriageReport;
  let caseDir: string;
  let work: string;
  beforeAll(async () => {
    container = await startStomped(docker, runId, await baseImage());
    work = await mkdtemp(path.join(os.tmpdir(), 'stomp-'));
    caseDir = path.join(work, 'case');
    report = await triage(await connectDockerLive(), container, {
      caseDir,
      cacheDir: path.join(work, 'cache'),
    });
  });

  it('really is invisible to docker diff', async () => {
    expect(await diffOf(container)).toEqual([]);
  });

  it('lists both files as changed and ranks each as a timestomp', () => {
    for (const p of ['/etc/passwd', '/usr/local/bin/start-web']) {
      const change = [...report.changes].find((c) => c.path === p);
      expect(change, p).toMatchObject({ kind: 'C', isParentOnly: false });
      expect(change!.findings).toContainEqual(
        expect.objectContaining({ rule: 'timestomp', severity: 'high', attack: 'T1070.006' }),
      );
      expect(change!.current?.meta.ctime, p).toBeDefined();
    }
    expect(report.counts.changed).toBeGreaterThanOrEqual(2);
  });

  it("names both as missing from the engine's change list, with why", () => {
    expect(report.writableLayer?.engineList).toBe('compared');
    expect(report.writableLayer?.notInEngineList).toEqual(
      expect.arrayContaining([
        { path: '/etc/passwd', kind: 'C', reason: 'same size, modification time put back' },
        {
          path: '/usr/local/bin/start-web',
          kind: 'C',
          reason: 'same size, modification time put back',
        },
      ]),
    );
    expect(report.writableLayer?.notInWritableLayer).toEqual([]);
    // This engine's commit tars the upper dir itself: its evidence image lacks nothing.
    expect(report.writableLayer?.notInEvidenceImage).toEqual([]);
  });

  it('keeps the writable layer whole in the case, hashed as written, with the edited bytes', async () => {
    const archive = report.writableLayer!.archive;
    const recorded = report.artifacts.find((a) => a.path === archive.path);
    expect(recorded?.sha256).toBe(archive.sha256);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path.join(caseDir, archive.path)))
      hash.update(chunk);
    expect(hash.digest('hex')).toBe(archive.sha256);
    const found = new Map<string, string>();
    for await (const entry of tarEntries(createReadStream(path.join(caseDir, archive.path)))) {
      const { data } = await readBounded(entry, 64 * 1024);
      found.set(entry.header.name, data.toString('utf8'));
    }
    expect(found.get('./etc/passwd')).toContain('www-data:x:00:00');
    expect(found.get('./usr/local/bin/start-web')).toContain('nc -lkp 99 -e sh');
  });

  it('carries the writable layer in the bundle, and verify checks it', async () => {
    const bundle = path.join(work, 'bundle.tar.gz');
    const exported = await runCoroner(['export', container, '--case', caseDir, '--out', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    const listing = (await run('tar', ['-tzf', bundle], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    expect(listing).toMatch(/(^|\/)container\/writable-layer\.tar$/m);
    const manifestName = listing.split('\n').find((l) => /(^|\/)manifest\.json$/.test(l))!;
    const manifest = (
      await run('tar', ['-xzOf', bundle, manifestName], { maxBuffer: 64 * 1024 * 1024 })
    ).stdout;
    expect(manifest).toContain(report.writableLayer!.archive.sha256);
    expect((await runCoroner(['verify', bundle])).code).toBe(0);
    expect(await readFile(path.join(caseDir, 'report.json'), 'utf8')).toContain(
      'container/writable-layer.tar',
    );
  });

  it('without root, says that such an edit is invisible, and why', async () => {
    const caseDir = path.join(work, 'unprivileged');
    await chmod(work, 0o777);
    const dockerGid = (await run('getent', ['group', 'docker'])).stdout.split(':')[2]!;
    const { stdout } = await run(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        `--groups=${dockerGid}`,
        process.execPath,
        BIN,
        'triage',
        container,
        '--json',
        '--case-dir',
        caseDir,
      ],
      {
        env: {
          ...process.env,
          CORONER_CACHE_DIR: path.join(work, 'unprivileged-cache'),
          HOME: work,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((e: { code: number; stdout: string }) => e);
    const unprivileged = JSON.parse(stdout) as TriageReport;
    expect(unprivileged.writableLayer).toBeUndefined();
    expect(unprivileged.notCollected).toContainEqual({
      item: 'changes that keep size and modification time',
      reason: expect.stringMatching(
        /^a same-size edit with its modification time put back.*\(coroner is not root; triage with --deep to compare the whole filesystem with the image's by content, at a cost that grows with the image\)$/,
      ),
    });
  });
});
