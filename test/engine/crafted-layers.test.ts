/**
 * Tar-level tricks in what the engine streams: an image whose top layer is a
 * hand-made tar (loaded with docker load, re-created byte for byte by docker
 * save). The engine refuses duplicate entries at load, so those cannot reach
 * coroner this way; the layer indexer's unit tests cover them.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { coronerVerify, startCoroner } from '../support/coroner-run.js';
import { loadCraftedImage } from '../support/crafted-image.js';
import { cleanRun, docker, newRunId, TEST_LABEL } from '../support/engine.js';
import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';

const runId = newRunId();
let engine: Engine;
let work: string;
beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'crafted-'));
});
afterAll(() => cleanRun(runId));

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const LONG_DIR = `etc/${Array.from({ length: 5 }, () => 'L'.repeat(60)).join('/')}`;

/** Starts a container of `image` and changes `paths` in it (appends a line to each). */
async function compromise(image: string, name: string, paths: string[], rm: string[] = []) {
  const container = `coroner-test-crafted-${runId}-${name}`;
  await docker(
    'run',
    '-d',
    '--name',
    container,
    '--label',
    `${TEST_LABEL}=${runId}`,
    '--network',
    'none',
    image,
  );
  const script = [...paths.map((p) => `echo changed >> '${p}'`), ...rm.map((p) => `rm '${p}'`)];
  await docker('exec', container, 'sh', '-c', script.join(' && '));
  return container;
}

const change = (report: TriageReport, p: string) => [...report.changes].find((c) => c.path === p);

describe.each([
  ['the layer store', 'auto', 'layer-store'],
  ['reader containers', 'archive', 'image-save'],
] as const)(
  'a layer with PAX long names, ./ and absolute names, and a climbing link, read from %s',
  (_how, reads, source) => {
    const createdBy = 'crafted: PAX names, ./, absolute, climbing link';
    let report: TriageReport;
    beforeAll(async () => {
      const image = await loadCraftedImage(
        `coroner-test/crafted-${runId}:tricks`,
        [
          { name: 'etc/', type: 'directory', mode: 0o755 },
          { name: 'etc/motd', content: 'motd from the crafted layer\n', mode: 0o644 },
          ...Array.from({ length: 5 }, (_, i) => ({
            name: `etc/${Array.from({ length: i + 1 }, () => 'L'.repeat(60)).join('/')}/`,
            type: 'directory' as const,
            mode: 0o755,
          })),
          { name: `${LONG_DIR}/deep.conf`, content: 'behind a PAX path header\n', mode: 0o644 },
          { name: './etc/dotslash.conf', content: 'named with ./\n', mode: 0o644 },
          { name: '/etc/absolute.conf', content: 'named absolutely\n', mode: 0o644 },
          { name: 'etc/uplink', type: 'symlink', linkname: '../../../../etc/shadow', mode: 0o777 },
        ],
        createdBy,
        runId,
      );
      const container = await compromise(
        image,
        `tricks-${reads}`,
        ['/etc/motd', `/${LONG_DIR}/deep.conf`, '/etc/dotslash.conf', '/etc/absolute.conf'],
        ['/etc/uplink'],
      );
      report = await triage(new DockerLiveSource(engine, reads), container, {
        caseDir: path.join(work, `case-tricks-${reads}`),
        cacheDir: path.join(work, `cache-${reads}`),
      });
    });

    it('recovers each original byte for byte and names the crafted layer it came from', () => {
      const originals: [string, string][] = [
        ['/etc/motd', 'motd from the crafted layer\n'],
        [`/${LONG_DIR}/deep.conf`, 'behind a PAX path header\n'],
        ['/etc/dotslash.conf', 'named with ./\n'],
        ['/etc/absolute.conf', 'named absolutely\n'],
      ];
      for (const [p, content] of originals) {
        const c = change(report, p);
        expect(c?.original?.content?.sha256, p).toBe(sha(content));
        expect(c?.original?.layer?.createdBy, p).toBe(createdBy);
        expect(c?.current?.content?.sha256, p).toBe(sha(`${content}changed\n`));
      }
      expect(change(report, '/etc/uplink')?.original?.meta).toMatchObject({
        type: 'symlink',
        linkTarget: '../../../../etc/shadow',
      });
      expect(report.problems).toEqual([]);
      expect(report.layers.source).toBe(source);
      if (reads === 'auto')
        expect(report.layers.checks?.map((c) => c.status)).toEqual(
          report.layers.list.map(() => 'verified'),
        );
    });

    it('writes nothing outside the case folder', async () => {
      expect((await readdir(work)).filter((n) => n.endsWith(reads)).sort()).toEqual([
        `cache-${reads}`,
        `case-tricks-${reads}`,
      ]);
    });
  },
);

describe.each(['auto', 'archive'] as const)('a layer that climbs out with .., read %s', (reads) => {
  let container: string;
  let report: TriageReport;
  beforeAll(async () => {
    const image = await loadCraftedImage(
      `coroner-test/crafted-${runId}:climbing`,
      [
        { name: '../escape.txt', content: 'lands at the root\n', mode: 0o644 },
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/motd', content: 'motd\n', mode: 0o644 },
      ],
      'crafted: ../escape.txt',
      runId,
    );
    container = await compromise(image, `climbing-${reads}`, ['/escape.txt', '/etc/motd']);
    report = await triage(new DockerLiveSource(engine, reads), container, {
      caseDir: path.join(work, `case-climbing-${reads}`),
      cacheDir: path.join(work, `cache-climbing-${reads}`),
    });
  });

  it('completes, calling the crafted layer unverifiable, not tampered: the engine cannot docker save such an image', () => {
    if (reads === 'archive') {
      expect(report.layers.source).toBe('unavailable');
      expect(report.problems).toEqual([
        expect.objectContaining({ path: '/', action: 'index original image layers' }),
      ]);
    } else {
      expect(report.layers.source).toBe('layer-store');
      expect(report.layers.checks?.at(-1)).toMatchObject({
        status: 'not-checked',
        detail: expect.stringMatching(/"\.\.\/escape\.txt".*crafted layer/),
      });
      expect(report.hostCompromise.isSuspected).toBe(false);
      expect(report.problems).toEqual([]);
    }
    // The originals still come from the image, through a reader container.
    expect(change(report, '/escape.txt')?.original?.content?.sha256).toBe(
      sha('lands at the root\n'),
    );
    expect(change(report, '/etc/motd')?.original?.content?.sha256).toBe(sha('motd\n'));
  });

  it('export says the evidence image cannot be exported and keeps nothing; --no-image exports the rest', async () => {
    const out = path.join(work, `climbing-${reads}.tar.gz`);
    const args = ['export', container, '--case', report.caseDir, '--out', out];
    const refused = startCoroner(args);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/cannot export the evidence image .*--no-image/s);
    expect(refused.stderr()).not.toMatch(/\n\s+at /);
    expect((await readdir(work)).filter((n) => n.startsWith(`climbing-${reads}`))).toEqual([]);

    const rest = startCoroner([...args, '--no-image']);
    expect(await rest.exited).toBe(0);
    expect((await coronerVerify(out)).stdout).toMatch(/^OK: /);
  });
});
