/**
 * npm run bench -- layouts: issue 25's speed figures (item 7), side by side in one run, on
 * the three engines the engine tests use: the system's Docker 20.10 on overlay2
 * (DOCKER_HOST unset), and Debian trixie's dockerd 26.1 on overlay2 and on the containerd
 * image store, both started privately with Docker 29's API floor (test/support/newer-engine.ts),
 * one at a time, and destroyed whole after their part.
 *
 *  1. triage of the compromised webshell sample against a bare `docker diff` + `docker commit`
 *     (the commit pauses and unpauses by itself) with the same engine's CLI. One container per
 *     engine, triaged again with a fresh case folder each run (same layer cache, after a first
 *     sight that is reported apart); median of --runs N. Goal: triage <= 3x the bare pair.
 *  2. the writable layer's read on a 50,000-file change: the custody step "archive the
 *     container's writable layer", timed from the custody log (a step's start to its end; it
 *     runs in the pause alongside the commit), the whole triage,
 *     its peak RSS (VmHWM, polled), and the bare pair on the same container.
 *  3. `coroner --version` start-up against `docker version --format '{{.Client.Version}}'`
 *     (that engine's CLI: it still asks the server), median of 10.
 * Everything is labelled coroner.bench=layouts; on the system engine it is removed by that
 * label afterwards. Options: --runs N (default 5), --engines system,overlay2,containerd.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CustodyAction } from '../src/case/custody.js';
import { baseImage, newRunId } from '../test/support/engine.js';
import { startNewerEngine } from '../test/support/newer-engine.js';
import { BIN, coroner, median, ROOT, run, timed } from './measure.js';

// The system's engine is the one DOCKER_HOST does not name; the newer engines set their own.
delete process.env['DOCKER_HOST'];

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(option('--runs')) || 5;
const STARTS = 10;
const ENGINES = (option('--engines') ?? 'system,overlay2,containerd').split(',');
const BENCH_LABEL = 'coroner.bench=layouts';
const BASE = 'coroner-sample/base:busybox';
const BARE_REPO = 'coroner-bench/layouts-bare';
const MANY_FILES =
  'mkdir -p /many && cd /many && i=0; while [ $i -lt 50000 ]; do echo $i > f$i; i=$((i+1)); done';
const ARCHIVE_STEP = "archive the container's writable layer";

interface BenchEngine {
  title: string;
  /** What coroner and the engine's own CLI run with (DOCKER_HOST, that CLI on PATH). */
  env: Record<string, string>;
  docker(...a: string[]): Promise<string>;
}

interface Custody {
  header: { startedAt: string };
  actions: CustodyAction[];
}

interface Figures {
  firstSight: number;
  triage: number;
  bare: number;
  manyArchive: number | undefined;
  manyEntries: string;
  manyTriage: number;
  manyBare: number;
  manyPeakMiB: number;
  coronerStart: number;
  dockerStart: number;
  cliVersion: string;
  /** Where the time of one webshell triage and of the 50,000-file triage went. */
  spent: { webshell: Spent | undefined; many: Spent };
}

interface Spent {
  steps: Gap[];
  /** From the custody log's start to its last action's end, against the process's wall time. */
  loggedSeconds: number;
  wallSeconds: number;
}

interface Gap {
  action: string;
  seconds: number;
}

/**
 * Each custody action's duration: from its own start where the log has it (a step; the
 * freeze runs some at once in its pause), else from the previous action's end (or the start).
 */
function gaps(custody: Custody): Gap[] {
  let last = Date.parse(custody.header.startedAt);
  return custody.actions.map((a) => {
    const at = Date.parse(a.at);
    const from = a.startedAt ? Date.parse(a.startedAt) : last;
    const gap = { action: a.action, seconds: (at - from) / 1000 };
    last = Math.max(last, at);
    return gap;
  });
}

function spent(custody: Custody, wallSeconds: number): Spent {
  const steps = gaps(custody);
  const start = Date.parse(custody.header.startedAt);
  const end = Math.max(start, ...custody.actions.map((a) => Date.parse(a.at)));
  return { steps, loggedSeconds: (end - start) / 1000, wallSeconds };
}

async function triage(engine: BenchEngine, name: string, cacheDir: string) {
  const caseDir = await mkdtemp(path.join(os.tmpdir(), 'bench-layouts-case-'));
  try {
    const measured = await coroner(['triage', name, '--json', '--case-dir', caseDir], {
      ...engine.env,
      CORONER_CACHE_DIR: cacheDir,
    });
    const custody = JSON.parse(await readFile(path.join(caseDir, 'custody.json'), 'utf8'));
    return { ...measured, custody: custody as Custody };
  } finally {
    await rm(caseDir, { recursive: true, force: true });
  }
}

let bareCount = 0;
/** What the engine does for a freeze, bare: its change list and a commit (paused by the engine). */
function bare(engine: BenchEngine, name: string): Promise<number> {
  return timed(async () => {
    await engine.docker('diff', name);
    await engine.docker('commit', name, `${BARE_REPO}:${++bareCount}`);
  });
}

async function measureEngine(engine: BenchEngine): Promise<Figures> {
  const runId = newRunId();
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'bench-layouts-cache-'));
  try {
    log(`${engine.title}: starting the webshell sample`);
    const { stdout } = await run(
      'bash',
      [
        path.join(ROOT, 'samples/run.sh'),
        'webshell',
        '--container',
        `coroner-bench-webshell-${runId}`,
        '--label',
        BENCH_LABEL,
      ],
      { env: { ...process.env, ...engine.env }, maxBuffer: 16 * 1024 * 1024 },
    );
    const webshell = stdout.trim().split('\n').pop()!;
    const firstSight = (await triage(engine, webshell, cacheDir)).seconds;
    const triages: number[] = [];
    const bares: number[] = [];
    let last: Spent | undefined;
    log(`${engine.title}: ${RUNS} triages and bare diff + commit, alternating`);
    for (let i = 0; i < RUNS; i++) {
      const t = await triage(engine, webshell, cacheDir);
      triages.push(t.seconds);
      last = spent(t.custody, t.seconds);
      bares.push(await bare(engine, webshell));
    }

    log(`${engine.title}: writing 50,000 files in a container`);
    const many = `coroner-bench-many-${runId}`;
    await engine.docker(
      'run',
      '-d',
      '--name',
      many,
      '--network',
      'none',
      '--label',
      BENCH_LABEL,
      BASE,
      'sh',
      '-c',
      'while :; do sleep 3600; done',
    );
    await engine.docker('exec', many, 'sh', '-c', MANY_FILES);
    log(`${engine.title}: triage of the 50,000-file change`);
    const manyTriage = await triage(engine, many, cacheDir);
    const manyBare = await bare(engine, many);
    const archive = manyTriage.custody.actions.find((a) => a.action.startsWith(ARCHIVE_STEP));
    const manyGaps = gaps(manyTriage.custody);

    log(`${engine.title}: start-up, ${STARTS} times each`);
    const coronerStarts: number[] = [];
    const dockerStarts: number[] = [];
    const env = { ...process.env, ...engine.env };
    for (let i = 0; i < STARTS; i++) {
      coronerStarts.push(await timed(() => run(process.execPath, [BIN, '--version'], { env })));
      dockerStarts.push(
        await timed(() => run('docker', ['version', '--format', '{{.Client.Version}}'], { env })),
      );
    }
    const cliVersion = (
      await run('docker', ['version', '--format', '{{.Client.Version}}'], { env })
    ).stdout.trim();

    return {
      firstSight,
      triage: median(triages),
      bare: median(bares),
      manyArchive: archive ? manyGaps.find((g) => g.action === archive.action)?.seconds : undefined,
      manyEntries: /^(\d+) entries/.exec(archive?.detail ?? '')?.[1] ?? '?',
      manyTriage: manyTriage.seconds,
      manyBare,
      manyPeakMiB: manyTriage.peakMiB,
      coronerStart: median(coronerStarts),
      dockerStart: median(dockerStarts),
      cliVersion,
      spent: { webshell: last, many: spent(manyTriage.custody, manyTriage.seconds) },
    };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

function log(line: string): void {
  console.error(`bench: ${line}`);
}

/** The system's engine: what the bench made there goes by its label, the base image stays. */
async function onSystem<T>(work: (engine: BenchEngine) => Promise<T>): Promise<T> {
  const docker = async (...a: string[]) =>
    (await run('docker', a, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  await baseImage();
  try {
    return await work({ title: '20.10 overlay2', env: {}, docker });
  } finally {
    const ids = async (...a: string[]) => (await docker(...a)).split('\n').filter(Boolean);
    const containers = await ids('ps', '-aq', '--filter', `label=${BENCH_LABEL}`);
    if (containers.length) await docker('rm', '-f', '-v', ...containers);
    // Evidence images and bare commits inherit the container's labels.
    const images = new Set([
      ...(await ids('images', '-q', '--filter', `label=${BENCH_LABEL}`)),
      ...(await ids('images', '-q', BARE_REPO)),
    ]);
    // One at a time: removing an image removes its untagged parents, which may be listed too.
    for (const image of images)
      await docker('rmi', '-f', image).catch((e: { stderr?: string }) => {
        if (!/No such image|unrecognized image ID/.test(e.stderr ?? '')) throw e;
      });
  }
}

/** A private dockerd 26.1 (Docker 29's API floor), destroyed whole afterwards. */
async function onNewer<T>(
  containerdStore: boolean,
  work: (engine: BenchEngine) => Promise<T>,
): Promise<T> {
  await baseImage();
  const engine = await startNewerEngine({ containerdStore, minApi: '1.44' });
  try {
    await engine.loadFromSystem(BASE);
    return await work({
      title: `26.1 ${containerdStore ? 'containerd store' : 'overlay2'}`,
      env: { DOCKER_HOST: engine.dockerHost, PATH: engine.env['PATH'] ?? '' },
      docker: engine.docker,
    });
  } finally {
    await engine.destroy();
  }
}

const LABEL_WIDTH = 52;
const COLUMN = 25;

function table(titles: string[], figures: Figures[]): string[] {
  const s = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(2)} s`);
  const rows: [string, (f: Figures) => string, string][] = [
    ['webshell: triage, first sight of the image', (f) => s(f.firstSight), ''],
    [`webshell: triage, median of ${RUNS}`, (f) => s(f.triage), ''],
    [`webshell: docker diff + docker commit, median of ${RUNS}`, (f) => s(f.bare), ''],
    ['webshell: triage / bare', (f) => `${(f.triage / f.bare).toFixed(2)}x`, '<= 3x'],
    [
      '50,000 files: archive the writable layer (custody)',
      (f) => `${s(f.manyArchive)}, ${f.manyEntries} entries`,
      'containerd = overlay2',
    ],
    ['50,000 files: triage (one run)', (f) => s(f.manyTriage), ''],
    ['50,000 files: docker diff + docker commit (one run)', (f) => s(f.manyBare), ''],
    ['50,000 files: triage / bare', (f) => `${(f.manyTriage / f.manyBare).toFixed(2)}x`, ''],
    ['50,000 files: triage peak RSS', (f) => `${f.manyPeakMiB.toFixed(0)} MiB`, '< 200 MiB'],
    [`coroner --version, median of ${STARTS}`, (f) => s(f.coronerStart), ''],
    [`docker version (client), median of ${STARTS}`, (f) => s(f.dockerStart), ''],
    [
      'start-up: coroner / docker',
      (f) => `${(f.coronerStart / f.dockerStart).toFixed(1)}x (CLI ${f.cliVersion})`,
      'none set',
    ],
  ];
  const line = (label: string, cells: string[], goal: string) =>
    `${label.padEnd(LABEL_WIDTH)}${cells.map((c) => c.padStart(COLUMN)).join('')}  ${goal}`;
  return [
    line('', titles, 'goal'),
    ...rows.map(([label, cell, goal]) => line(label, figures.map(cell), goal)),
  ];
}

/** The longest custody steps of a triage, and how much of it the custody log spans. */
function slowest(spent: Spent | undefined, count: number): string {
  if (!spent) return 'n/a';
  const steps = [...spent.steps]
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, count)
    .map((g) => `${g.seconds.toFixed(2)} s ${g.action.split(/ \(|,/)[0]}`);
  return `${spent.wallSeconds.toFixed(2)} s wall, ${spent.loggedSeconds.toFixed(2)} s from the custody log's start to its last action; longest steps: ${steps.join('; ')}`;
}

const titles: string[] = [];
const figures: Figures[] = [];
const started = Date.now();
const collect = async (engine: BenchEngine) => {
  titles.push(engine.title);
  figures.push(await measureEngine(engine));
};
try {
  for (const which of ENGINES) {
    if (which === 'system') await onSystem(collect);
    else if (which === 'overlay2' || which === 'containerd')
      await onNewer(which === 'containerd', collect);
    else throw new Error(`--engines takes system, overlay2 and containerd, not '${which}'`);
  }
  console.log(
    `\nIssue 25 item 7, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${((Date.now() - started) / 60000).toFixed(1)} min:\n`,
  );
  for (const l of table(titles, figures)) console.log(l);
  console.log(
    '\nLongest custody steps (a step from its start; an action without one from the previous end):',
  );
  for (const [i, f] of figures.entries()) {
    console.log(`  ${titles[i]}, webshell: ${slowest(f.spent.webshell, 4)}`);
    console.log(`  ${titles[i]}, 50,000 files: ${slowest(f.spent.many, 4)}`);
  }
} catch (e) {
  console.error('bench failed:', e);
  process.exitCode = 1;
}
