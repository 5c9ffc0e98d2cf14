/**
 * Anti-forensics against `docker diff`: a folder chain so deep that the host
 * path passes PATH_MAX makes the engine's change list fail (HTTP 500), while
 * commit and save still work. coroner still commits the evidence and reads the
 * change list from the evidence image's own layer.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import {
  cleanRun,
  docker,
  expectedChanges,
  newRunId,
  startSample,
  evidenceImage,
} from '../support/engine.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';

const runId = newRunId();
let report: TriageReport;
let container: string;
beforeAll(async () => {
  container = await startSample('webshell', runId, '-blind');
  // 40 folders of 100 characters under /tmp: 4,044 bytes inside (under PATH_MAX), over 4,096 on
  // the host, where the engine adds its overlay folder (about 100 bytes) in front.
  await docker(
    'exec',
    container,
    'sh',
    '-c',
    'cd /tmp && n=$(printf "%0100d" 0 | tr 0 x); i=0; while [ $i -lt 40 ]; do mkdir $n && cd $n; i=$((i+1)); done',
  );
  const work = await mkdtemp(path.join(os.tmpdir(), 'blind-'));
  report = await triage(await connectDockerLive(), container, {
    caseDir: path.join(work, 'case'),
    cacheDir: path.join(work, 'cache'),
  });
});
afterAll(() => cleanRun(runId));

describe('a container that blinds docker diff', () => {
  it('really does: the engine cannot list its changes', async () => {
    await expect(docker('diff', container)).rejects.toThrow(/file name too long/);
  });

  it('is still frozen, and its change list read from the evidence layer matches the ground truth', () => {
    expect(evidenceImage(report).id).toMatch(/^sha256:/);
    expect(report.problems).toEqual([
      expect.objectContaining({ path: '/', action: 'list changes (docker diff)' }),
    ]);
    const outsideTheDeepFolders = [...report.changes]
      .filter((c) => !c.isParentOnly && !c.path.startsWith('/tmp/'))
      .map((c) => ({ path: c.path, kind: c.kind }));
    expect(outsideTheDeepFolders.sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      expectedChanges('webshell')
        .map(({ path, kind }) => ({ path, kind }))
        .sort((a, b) => a.path.localeCompare(b.path)),
    );
    expect([...report.changes][0]).toMatchObject({
      path: '/var/www/uploads/.cache.php',
      severity: 'critical',
    });
    // The engine's commit itself drops the deepest folder (its host path is too long), so
    // the evidence layer, and this list, hold the 39 above it.
    expect(
      [...report.changes].filter((c) => c.path.startsWith('/tmp/x')).length,
    ).toBeGreaterThanOrEqual(39);
  });
});

describe('a change list too large to hold', () => {
  // Reaching V8's string limit for real takes ~512 MiB of escaped deep paths; a limit of a few
  // hundred bytes takes the same road: the answer is refused mid-stream, inside the pause.
  it('is not read whole: the triage reads the evidence layer instead and leaves the suspect running', async () => {
    const big = await startSample('webshell', runId, '-biglist');
    const work = await mkdtemp(path.join(os.tmpdir(), 'biglist-'));
    const found = await triage(await connectDockerLive(), big, {
      caseDir: path.join(work, 'case'),
      cacheDir: path.join(work, 'cache'),
      maxChangeListBytes: 100,
    });
    expect(found.problems).toEqual([
      expect.objectContaining({
        action: 'list changes (docker diff)',
        cause: expect.stringMatching(
          /larger than 100 bytes; the change list was read from the (evidence image|container's writable layer)/,
        ),
      }),
    ]);
    expect(
      [...found.changes]
        .filter((c) => !c.isParentOnly)
        .map((c) => `${c.kind} ${c.path}`)
        .sort(),
    ).toEqual(
      expectedChanges('webshell')
        .map((e) => `${e.kind} ${e.path}`)
        .sort(),
    );
    expect(await docker('inspect', '-f', '{{.State.Status}}', big)).toBe('running\n');
  });
});
