/** Faults: interruption and concurrency leave nothing half-written and lose nothing. */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { loadCaseReport } from '../../src/case/find-case.js';
import { triage } from '../../src/app/triage.js';
import { READER_FOR_LABEL } from '../../src/sources/docker-live/live-source.js';
import {
  addManyFiles,
  cleanRun,
  docker,
  newRunId,
  startSample,
  TEST_LABEL,
  withSmallDisk,
  inspectField,
  evidenceImage,
} from '../support/engine.js';
import { startEngineProxy } from '../support/engine-proxy.js';
import { startTamperingProxy } from '../support/tampering-proxy.js';
import {
  atLine,
  BIN,
  coronerVerify,
  signalAtLine,
  startCoroner,
  untilEntry,
  untilStderr,
} from '../support/coroner-run.js';
import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';
import { removeStaleReaders } from '../../src/sources/docker-live/stale-readers.js';
import { CustodyLog } from '../../src/case/custody.js';

const runId = newRunId();
let engine: Engine;
let work: string;
beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'faults-'));
});
// Its case folders hold images of 400 MB blobs: 1.4 GB a run, kept, filled the disk in 28.
afterAll(async () => {
  await cleanRun(runId);
  await rm(work, { recursive: true, force: true });
});

/** A miner sample holding `bytes` of fresh random data: a commit and an export of it take seconds. */
async function minerWithBlob(suffix: string, bytes = 400_000_000): Promise<string> {
  const container = await startSample('miner', runId, suffix);
  await docker('exec', container, 'sh', '-c', `head -c ${bytes} /dev/urandom > /var/tmp/blob`);
  return container;
}

/** Such a sample, triaged, with an empty folder for its bundle: ready to interrupt an export. */
async function readyToExport(suffix: string, bytes?: number) {
  const container = await minerWithBlob(suffix, bytes);
  const caseDir = path.join(work, `case${suffix}`);
  await triage(new DockerLiveSource(engine), container, {
    caseDir,
    cacheDir: path.join(work, 'cache'),
    maxContentBytes: 1024,
  });
  const outDir = path.join(work, `out${suffix}`);
  await promisify(execFile)('mkdir', ['-p', outDir]);
  return { container, caseDir, outDir };
}

describe('faults', () => {
  it('Ctrl-C during an export exits 130 and leaves no bundle, partial file or spool', async () => {
    // Enough evidence that the export is still running when the signal comes.
    const { container, caseDir, outDir } = await readyToExport('-sigint');
    const run = startCoroner([
      'export',
      container,
      '--case',
      caseDir,
      '--out',
      path.join(outDir, 'b.tar.gz'),
    ]);
    // Wait until the export has started writing (its spool or partial file appears), then interrupt.
    await untilEntry(outDir, undefined, 30_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toMatch(/cancelled/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('two triages of one container at once both complete, each with its own evidence image', async () => {
    const container = await startSample('webshell', runId, '-twice');
    const [a, b] = await Promise.all(
      ['one', 'two'].map((n) =>
        triage(new DockerLiveSource(engine), container, {
          caseDir: path.join(work, `case-${n}`),
          cacheDir: path.join(work, 'cache'),
        }),
      ),
    );
    expect(evidenceImage(a!).id).toBeDefined();
    expect(`${evidenceImage(a!).repo}:${evidenceImage(a!).tag}`).not.toBe(
      `${evidenceImage(b!).repo}:${evidenceImage(b!).tag}`,
    );
    for (const r of [a!, b!]) {
      expect(
        (
          await docker('image', 'inspect', '-f', '{{join .RepoTags ","}}', evidenceImage(r).id)
        ).trim(),
      ).toContain(`${evidenceImage(r).repo}:${evidenceImage(r).tag}`);
      expect(
        [...r.changes]
          .filter((c) => !c.isParentOnly)
          .map((c) => c.path)
          .sort(),
      ).toEqual(['/run/httpd.pid', '/var/www/index.html', '/var/www/uploads/.cache.php']);
    }
    expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
  });

  it('a stopped container is triaged without pausing, and a paused one stays paused', async () => {
    const stopped = await startSample('backdoor', runId, '-stopped');
    await docker('stop', '-t', '1', stopped);
    const r1 = await triage(new DockerLiveSource(engine), stopped, {
      caseDir: path.join(work, 'case-stopped'),
      cacheDir: path.join(work, 'cache'),
    });
    expect(evidenceImage(r1).wasPaused).toBe(false);
    expect([...r1.changes].some((c) => c.path === '/etc/ld.so.preload')).toBe(true);
    expect(r1.artifacts.some((a) => a.path === 'container/processes.json')).toBe(false);

    const paused = await startSample('backdoor', runId, '-paused');
    await docker('pause', paused);
    const r2 = await triage(new DockerLiveSource(engine), paused, {
      caseDir: path.join(work, 'case-paused'),
      cacheDir: path.join(work, 'cache'),
    });
    expect(r2.container.stateAtStart).toMatchObject({ isPaused: true });
    expect(await inspectField(paused, '{{.State.Status}}')).toBe('paused');
    await docker('unpause', paused);
  });
});

describe('the engine or the container going away', () => {
  it('a container removed after the freeze does not stop the triage: the evidence image is read', async () => {
    const container = await startSample('webshell', runId, '-removed-late');
    let removed = false;
    const report = await triage(new DockerLiveSource(engine), container, {
      caseDir: path.join(work, 'case-removed-late'),
      cacheDir: path.join(work, 'cache'),
      onEvent: (e) => {
        if (e.type === 'phase' && e.phase === 'changes' && !removed) {
          removed = true;
          void docker('rm', '-f', container);
        }
      },
    });
    expect(removed).toBe(true);
    expect(
      [...report.changes].find((c) => c.path === '/var/www/uploads/.cache.php')?.current?.content
        ?.sha256,
    ).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a container removed before the commit fails clearly and leaves no report', async () => {
    const container = await startSample('webshell', runId, '-removed-early');
    const caseDir = path.join(work, 'case-removed-early');
    await expect(
      triage(new DockerLiveSource(engine), container, {
        caseDir,
        cacheDir: path.join(work, 'cache'),
        onEvent: (e) => {
          // Synchronous: the container is gone before coroner's next request (the pause),
          // rather than racing it.
          if (e.type === 'phase' && e.step === 'commit')
            execFileSync('docker', ['rm', '-f', container]);
        },
      }),
    ).rejects.toThrow(/engine refused|no such container|not found/i);
    expect(await readdir(caseDir)).not.toContain('report.json');
  });

  it('losing the engine mid-export says so, keeps nothing, and a rerun succeeds', async () => {
    const { container, caseDir, outDir } = await readyToExport('-lost-engine');
    const proxy = await startEngineProxy();
    const args = ['export', container, '--case', caseDir, '--out', path.join(outDir, 'b.tar.gz')];
    const run = startCoroner(args, { DOCKER_HOST: proxy.dockerHost });
    await untilEntry(outDir, undefined, 30_000);
    await proxy.cut();
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/no Docker engine answers|engine/i);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(await readdir(outDir)).toEqual([]);

    const rerun = await promisify(execFile)(process.execPath, [BIN, ...args]);
    expect(rerun.stdout).toMatch(/Manifest sha256/);
    const verify = await promisify(execFile)(process.execPath, [
      BIN,
      'verify',
      path.join(outDir, 'b.tar.gz'),
    ]);
    expect(verify.stdout).toMatch(/^OK/);
  });

  it('losing the engine mid-triage fails clearly, presents no report, and leaves the suspect running', async () => {
    const container = await startSample('hostile', runId, '-lost-triage');
    const proxy = await startEngineProxy();
    const caseDir = path.join(work, 'case-lost-triage');
    // Through reader containers: the engine must be answering the extract when it goes.
    const run = startCoroner(['triage', container, '--case-dir', caseDir], {
      DOCKER_HOST: proxy.dockerHost,
      CORONER_CACHE_DIR: path.join(work, 'cache'),
      CORONER_LAYER_READS: 'archive',
    });
    // Cut once the triage is reading originals (the original/ folder appears), long before it
    // ends. The freeze commits 4 GiB of sparse file first: minutes on a loaded 2-core machine.
    await untilEntry(caseDir, 'original', 360_000);
    await proxy.cut();
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/no Docker engine answers/);
    expect(run.stderr()).toContain(`the case folder ${caseDir} is incomplete`);
    expect(await readdir(caseDir)).not.toContain('report.json');
    expect((await coronerVerify(caseDir)).stdout).toMatch(/^INCOMPLETE: /);
    // The suspect is left as it was (running, not paused).
    expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
  }, 600_000);
});

/** The suspect's reader containers still on the engine (each run removes its own). */
async function readersOf(container: string): Promise<string[]> {
  const id = await inspectField(container, '{{.Id}}');
  return (await docker('ps', '-aq', '--filter', `label=${READER_FOR_LABEL}=${id}`))
    .split('\n')
    .filter(Boolean);
}

describe('the engine hanging while the suspect is paused for the commit', () => {
  it('gives up within a bound and says the suspect is left paused when the unpause hangs too', async () => {
    const container = await startSample('webshell', runId, '-hung-commit');
    const id = await inspectField(container, '{{.Id}}');
    // The commit and the unpause are held unanswered (the engine never sees them); the pause goes through.
    const proxy = await startTamperingProxy((method, url) =>
      method === 'POST' && /\/(commit\?|containers\/[^/]+\/unpause)/.test(url)
        ? 'no answer'
        : undefined,
    );
    try {
      const caseDir = path.join(work, 'case-hung-commit');
      const run = startCoroner(['triage', container, '--case-dir', caseDir], {
        DOCKER_HOST: proxy.dockerHost,
        CORONER_ENGINE_TIMEOUT: '6',
      });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toMatch(
        /^coroner: the Docker engine at unix:\/\/\S+ stopped answering: nothing for 6 s while committing container \S+ to an evidence image; container \S+ is left paused \(unpausing it failed too\)\..* Then unpause it: docker unpause [0-9a-f]{12}\.$/m,
      );
      expect(run.stderr()).toContain(`the case folder ${caseDir} is incomplete`);
      expect(await inspectField(container, '{{.State.Status}}')).toBe('paused');
    } finally {
      await proxy.close();
      await docker('unpause', id).catch(() => undefined);
    }
  });
});

describe('interrupting a triage', () => {
  it('at each phase (SIGINT, SIGTERM, SIGHUP): exit 130, an incomplete folder named so, the suspect as it was; then a rerun completes', async () => {
    const container = await startSample('miner', runId, '-phases');
    // 20,000 new files: every phase after the freeze has work to interrupt.
    await addManyFiles(container);
    const cache = path.join(work, 'cache-phases'); // fresh: the first run streams docker save
    const cases: [NodeJS.Signals, string][] = [
      ['SIGINT', 'coroner: freeze (logs)'],
      ['SIGTERM', 'coroner: layers'],
      ['SIGHUP', 'coroner: extract'],
      ['SIGINT', 'coroner: rank'],
    ];
    for (const [signal, line] of cases) {
      const caseDir = path.join(work, `case-phase-${signal}-${line.split(' ')[1]}`);
      const run = startCoroner(['triage', container, '--case-dir', caseDir, '--progress'], {
        CORONER_CACHE_DIR: cache,
      });
      await signalAtLine(run, line, signal);
      expect(await run.exited, `${signal} at "${line}": ${run.stderr()}`).toBe(130);
      expect(run.stderr()).toMatch(/cancelled/);
      expect(run.stderr()).toContain(`the case folder ${caseDir} is incomplete`);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      expect(await readdir(caseDir)).not.toContain('report.json');
      const verify = await coronerVerify(caseDir);
      expect(verify.code).toBe(4);
      expect(verify.stdout).toMatch(/^INCOMPLETE: /);
      expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
      expect(await readersOf(container)).toEqual([]);
    }
    // The same suspect, triaged again to the end: the rerun succeeds and its folder verifies.
    const caseDir = path.join(work, 'case-phase-rerun');
    const rerun = startCoroner(['triage', container, '--case-dir', caseDir], {
      CORONER_CACHE_DIR: cache,
    });
    expect(await rerun.exited).toBe(3);
    const verify = await coronerVerify(caseDir);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: /);
    // Five triages of 20,000 files: a bound for a loaded 2-core machine, not a goal.
  }, 600_000);

  it('while the suspect is paused for the commit: unpaused before exit, even with a second signal', async () => {
    // A big change makes the commit (and so the pause) last seconds.
    const container = await minerWithBlob('-sighup');
    const caseDir = path.join(work, 'case-sighup');
    const run = startCoroner(['triage', container, '--case-dir', caseDir, '--progress'], {
      CORONER_CACHE_DIR: path.join(work, 'cache'),
    });
    await untilStderr(run, 'coroner: freeze (commit)', 60_000);
    // Wait for the pause itself, then hang up (the terminal closing), then press Ctrl-C.
    const deadline = Date.now() + 30_000;
    while ((await inspectField(container, '{{.State.Status}}')) !== 'paused') {
      if (Date.now() > deadline) throw new Error('the container was never paused');
    }
    run.child.kill('SIGHUP');
    await untilStderr(
      run,
      'coroner: SIGHUP received: stopping (unpausing the container, removing temporary files)',
      30_000,
    );
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toMatch(/SIGINT: still stopping/);
    expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
    expect(await readdir(caseDir)).not.toContain('report.json');
    expect((await coronerVerify(caseDir)).stdout).toMatch(/^INCOMPLETE: /);
  });
});

describe('interrupting an export', () => {
  it('at each step (SIGHUP saving the image, SIGTERM writing the bundle): 130, nothing kept; a rerun verifies', async () => {
    const { container, caseDir, outDir } = await readyToExport('-export-signals', 50_000_000);
    const args = ['export', container, '--case', caseDir, '--out', path.join(outDir, 'b.tar.gz')];
    const steps: [NodeJS.Signals, string][] = [
      ['SIGHUP', 'coroner: saving the evidence image'],
      ['SIGTERM', 'coroner: writing the bundle'],
    ];
    for (const [signal, line] of steps) {
      const run = startCoroner([...args, '--progress']);
      await signalAtLine(run, line, signal);
      expect(await run.exited, `${signal} at "${line}": ${run.stderr()}`).toBe(130);
      expect(run.stderr()).toMatch(/cancelled/);
      expect(await readdir(outDir)).toEqual([]);
    }
    const rerun = startCoroner(args);
    expect(await rerun.exited).toBe(0);
    expect((await coronerVerify(path.join(outDir, 'b.tar.gz'))).stdout).toMatch(/^OK: /);
  });
});

describe('the suspect exiting during the triage', () => {
  it.each(['coroner: freeze (logs)', 'coroner: freeze (commit)', 'coroner: extract'])(
    'killed at "%s": the triage completes and finds the web shell',
    async (line) => {
      const slug = line.replace(/\W+/g, '-');
      const container = await startSample('webshell', runId, `-exits${slug}`);
      const caseDir = path.join(work, `case-exits${slug}`);
      const run = startCoroner(['triage', container, '--case-dir', caseDir, '--progress'], {
        CORONER_CACHE_DIR: path.join(work, 'cache'),
      });
      await atLine(run, line, () => docker('kill', container));
      expect(await run.exited).toBe(3);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      const report = await loadCaseReport(caseDir);
      expect(report.container.stateAtStart.isRunning).toBe(true);
      expect([...report.changes][0]?.path).toBe('/var/www/uploads/.cache.php');
      expect(await inspectField(container, '{{.State.Status}}')).toBe('exited');
      expect((await coronerVerify(caseDir)).stdout).toMatch(/^OK: /);
    },
  );
});

/** The pid of a process that has exited: a coroner that died. */
async function exitedPid(): Promise<number> {
  const gone = spawn('true');
  return new Promise<number>((resolve) => gone.on('exit', () => resolve(gone.pid!)));
}

/** The labels a reader made by coroner process `pid` on `host` wears, in this run. */
const readerLabels = (pid: number, host: string): Record<string, string> => ({
  [TEST_LABEL]: runId,
  'coroner.role': 'reader',
  'coroner.reader.pid': String(pid),
  'coroner.reader.host': host,
});

/**
 * A container wearing a reader's labels: created, never started, or run with `cmd` (`docker
 * run -d`: between a create and a start, another test's triage on this host would rightly
 * take it for a dead coroner's reader).
 */
const readerLike = async (image: string, pid: number, host: string, ...cmd: string[]) =>
  (
    await docker(
      ...(cmd.length ? ['run', '-d'] : ['create']),
      ...Object.entries(readerLabels(pid, host)).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      '--network',
      'none',
      image,
      ...(cmd.length ? cmd : ['/coroner-reader-never-runs']),
    )
  ).trim();

describe('readers left behind by a coroner that died', () => {
  it('are removed by the next triage on this host; live, foreign or started ones are not', async () => {
    const container = await startSample('webshell', runId, '-stale');
    const image = await inspectField(container, '{{.Image}}');
    const deadPid = await exitedPid();
    const reader = (pid: number, host: string, ...cmd: string[]) =>
      readerLike(image, pid, host, ...cmd);
    const dead = await reader(deadPid, os.hostname());
    const live = await reader(process.pid, os.hostname());
    const foreign = await reader(deadPid, 'another-host');
    // A workload wearing a reader's labels is running: it is not a reader, whatever it says.
    const started = await reader(deadPid, os.hostname(), 'sleep', '600');
    const report = await triage(new DockerLiveSource(engine), container, {
      caseDir: path.join(work, 'case-stale'),
      cacheDir: path.join(work, 'cache'),
    });
    const remaining = (
      await docker(
        'ps',
        '-aq',
        '--no-trunc',
        '--filter',
        `label=${TEST_LABEL}=${runId}`,
        '--filter',
        'label=coroner.role=reader',
      )
    ).split('\n');
    expect(remaining).not.toContain(dead);
    expect(remaining).toEqual(expect.arrayContaining([live, foreign, started]));
    const custody = JSON.parse(
      await readFile(path.join(report.caseDir, 'custody.json'), 'utf8'),
    ) as { actions: { action: string; target: string }[] };
    expect(custody.actions).toContainEqual(
      expect.objectContaining({
        target: dead,
        action: expect.stringContaining(`coroner process ${deadPid}, which is gone`),
      }),
    );
  });
});

describe('a reader listed as never started', () => {
  it('is not killed when it was started after the listing', async () => {
    const container = await startSample('webshell', runId, '-stale-list');
    const image = await inspectField(container, '{{.Image}}');
    const pid = await exitedPid();
    const labels = readerLabels(pid, os.hostname());
    const running = await readerLike(image, pid, os.hostname(), 'sleep', '600');
    // The list a triage read a moment before the workload wearing a reader's labels started.
    const listed = {
      id: running,
      names: [],
      image,
      imageId: image,
      state: 'created',
      status: '',
      createdAt: '',
      labels,
    };
    const removed = await removeStaleReaders(engine, [listed], new CustodyLog());
    expect(removed).toBe(0);
    expect(await inspectField(running, '{{.State.Running}}')).toBe('true');
  });
});

describe('the case folder on a full disk', () => {
  it('fails with one line naming the folder, keeps it marked incomplete, and a rerun elsewhere succeeds', async () => {
    const container = await startSample('webshell', runId, '-casefull');
    const small = path.join(work, 'small-cases');
    await withSmallDisk(small, '64k', async () => {
      const caseDir = path.join(small, 'case');
      const run = startCoroner(['triage', container, '--case-dir', caseDir], {
        CORONER_CACHE_DIR: path.join(work, 'cache'),
      });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toMatch(
        new RegExp(`^coroner: the case folder ${caseDir} is on a full disk \\(ENOSPC writing `),
      );
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      expect(await readdir(caseDir)).not.toContain('report.json');
      expect(await readdir(caseDir, { recursive: true })).not.toContainEqual(
        expect.stringMatching(/\.partial-/),
      );
      const verify = await coronerVerify(caseDir);
      expect(verify.code).toBe(4);
      expect(verify.stdout).toMatch(/^INCOMPLETE: /);
      expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
    });
    const caseDir = path.join(work, 'case-full-rerun');
    const rerun = startCoroner(['triage', container, '--case-dir', caseDir], {
      CORONER_CACHE_DIR: path.join(work, 'cache'),
    });
    expect(await rerun.exited).toBe(3);
    expect((await coronerVerify(caseDir)).stdout).toMatch(/^OK: /);
  });
});

describe('an export that triages first, then cannot write its bundle', () => {
  it('says why, and does not call the finished case folder incomplete', async () => {
    const container = await startSample('webshell', runId, '-export-fails');
    const cwd = path.join(work, 'export-fails');
    await promisify(execFile)('mkdir', ['-p', cwd]);
    const run = startCoroner(
      ['export', container, '--out', path.join(cwd, 'no-such-folder', 'b.tar.gz')],
      { CORONER_CACHE_DIR: path.join(work, 'cache') },
      cwd,
    );
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/the folder for .* does not exist/);
    expect(run.stderr()).not.toMatch(/incomplete/);
    const [caseName] = await readdir(path.join(cwd, 'coroner-cases'));
    expect((await coronerVerify(path.join(cwd, 'coroner-cases', caseName!))).stdout).toMatch(
      /^OK: /,
    );
  });
});

describe('the layer cache on a disk that cannot take it', () => {
  it('only costs time: the triage completes and the custody log says the index was not cached', async () => {
    const container = await startSample('webshell', runId, '-nocache');
    const report = await triage(new DockerLiveSource(engine), container, {
      caseDir: path.join(work, 'case-nocache'),
      cacheDir: '/dev/null/coroner-cache', // under a character device: nothing can be made
    });
    expect(report.layers.source).toBe('layer-store');
    expect(report.problems).toEqual([]);
    const custody = JSON.parse(
      await readFile(path.join(report.caseDir, 'custody.json'), 'utf8'),
    ) as { actions: { action: string; detail?: string }[] };
    expect(custody.actions.find((a) => a.action === 'index original image layers')?.detail).toMatch(
      /not cached in \/dev\/null\/coroner-cache/,
    );
  });
});
