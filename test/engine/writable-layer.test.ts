/**
 * What `docker diff` cannot see, and engines that moved on (issue 25): coroner reads the
 * container's writable layer itself, keeps it whole in the case, and speaks the API version
 * an engine takes (Docker 29 refuses anything older than 1.44).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFloorProxy, type ApiFloorProxy } from '../support/api-floor-proxy.js';
import { runCoroner } from '../support/coroner-run.js';
import { baseImage, cleanRun, newRunId, runLabelled } from '../support/engine.js';

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
