/**
 * Tar tricks the real engine never sends (duplicate entries, names that climb
 * with `..` or start at `/`) in the archive of a new folder, forged by a proxy
 * between coroner and the real engine: the triage completes, keeps the first
 * entry of a path, names every refused entry, and writes nothing outside its case.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { cleanRun, docker, newRunId, startSample } from '../support/engine.js';
import { startTamperingProxy, type TamperingProxy } from '../support/tampering-proxy.js';
import { makeTar } from '../support/tar-fixtures.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';

const runId = newRunId();
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
let proxy: TamperingProxy;
let report: TriageReport;
let work: string;

beforeAll(async () => {
  const container = await startSample('webshell', runId, '-tampered');
  await docker(
    'exec',
    '-u',
    '0',
    container,
    'sh',
    '-c',
    'mkdir -p /srv/drop && echo a > /srv/drop/a && echo b > /srv/drop/b',
  );
  const forgedTar = await makeTar([
    { name: 'srv/', type: 'directory', mode: 0o755 },
    { name: 'srv/drop/', type: 'directory', mode: 0o755 },
    { name: 'srv/drop/a', content: 'first entry for a\n', mode: 0o644 },
    { name: 'srv/drop/a', content: 'second entry for a\n', mode: 0o644 },
    { name: 'srv/../../escape.txt', content: 'climbs\n', mode: 0o644 },
    { name: '/etc/cron.d/planted', content: 'absolute\n', mode: 0o644 },
    { name: 'srv/drop/b', content: 'b\n', mode: 0o644 },
  ]);
  // /srv is new in this container, so it is read as one tree: only that read is forged.
  proxy = await startTamperingProxy((method, url) =>
    method === 'GET' && /\/archive\?path=%2Fsrv$/.test(url) ? forgedTar : undefined,
  );
  work = await mkdtemp(path.join(os.tmpdir(), 'tampered-'));
  const previous = process.env['DOCKER_HOST'];
  process.env['DOCKER_HOST'] = proxy.dockerHost;
  try {
    // Through reader containers, the path this test forges: the layer store is never asked.
    report = await triage(await connectDockerLive('archive'), container, {
      caseDir: path.join(work, 'case'),
      cacheDir: path.join(work, 'cache'),
    });
  } finally {
    if (previous === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = previous;
  }
});
afterAll(async () => {
  await proxy?.close();
  await cleanRun(runId);
});

describe('a forged archive of a new folder', () => {
  it('was really read through the proxy', () => {
    expect(proxy.forged).toHaveLength(1);
  });

  it('keeps the first entry of a duplicated path and names each refused entry', () => {
    const change = (p: string) => [...report.changes].find((c) => c.path === p);
    expect(change('/srv/drop/a')?.current?.content?.sha256).toBe(sha('first entry for a\n'));
    expect(change('/srv/drop/b')?.current?.content?.sha256).toBe(sha('b\n'));
    const refused = report.problems.filter((p) => p.path === '/srv').map((p) => p.cause);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/"srv\/drop\/a": a second entry/),
        expect.stringMatching(/"srv\/\.\.\/\.\.\/escape\.txt": it names a path outside/),
        expect.stringMatching(/"\/etc\/cron\.d\/planted": it names a path outside/),
      ]),
    );
    expect(
      [...report.changes].some((c) => c.path.includes('escape') || c.path.includes('planted')),
    ).toBe(false);
  });

  it('writes nothing outside the case folder, and nothing in it that the report does not record', async () => {
    expect((await readdir(work)).sort()).toEqual(['cache', 'case']);
    const stored = (await readdir(path.join(work, 'case', 'current'), { recursive: true }))
      .filter((name) => name.includes('/'))
      .map((name) => `current/${name}`)
      .sort();
    const recorded = [...report.changes]
      .map((c) => c.current?.content?.path)
      .filter((p): p is string => p !== undefined)
      .sort();
    expect(stored).toEqual(recorded);
  });
});
