/**
 * The engine itself dies (SIGKILL to dockerd) mid-triage and mid-export, and is
 * started again, or hangs (SIGSTOP): coroner says so in one line, within a bound,
 * presents nothing as complete, and a rerun succeeds. Uses a private dockerd so the
 * shared one keeps serving.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLine, coronerVerify, startCoroner } from '../support/coroner-run.js';
import { addManyFiles, newRunId, startSample } from '../support/engine.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';

let engine: PrivateEngine;
let work: string;
let container: string;
/** The case the first test finishes after the restart; the second exports it. */
let finishedCase: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'engine-restart-'));
  finishedCase = path.join(work, 'case-after-restart');
  engine = await startPrivateEngine();
  container = await startSample('miner', newRunId(), '', {
    ...process.env,
    DOCKER_HOST: engine.dockerHost,
  });
  // 20,000 new files: the extraction lasts seconds, so the kill lands inside it.
  await addManyFiles(container, engine.docker);
});
// Its cases hold 20,000 files (226 MB a run): removed with the private engine.
afterAll(async () => {
  await engine?.destroy();
  await rm(work, { recursive: true, force: true });
});

// Through reader containers: the engine must be in the middle of answering when it dies.
const env = () => ({
  DOCKER_HOST: engine.dockerHost,
  CORONER_CACHE_DIR: path.join(work, 'cache'),
  CORONER_LAYER_READS: 'archive',
});
const status = async () =>
  (await engine.docker('inspect', '-f', '{{.State.Status}}', container)).trim();

describe('the engine killed and started again', () => {
  it('mid-triage: one line, the case folder named incomplete; after the restart a rerun completes and verifies', async () => {
    const caseDir = path.join(work, 'case-killed');
    const run = startCoroner(['triage', container, '--case-dir', caseDir, '--progress'], env());
    await atLine(run, 'coroner: extract', () => engine.kill());
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^coroner: no Docker engine answers at unix:\/\//m);
    expect(run.stderr()).toContain(`the case folder ${caseDir} is incomplete`);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(await readdir(caseDir)).not.toContain('report.json');
    const incomplete = await coronerVerify(caseDir);
    expect(incomplete.code).toBe(4);
    // The freeze had finished: the evidence image was committed before the engine died.
    expect(incomplete.stdout).toMatch(/evidence image was committed .*coroner-evidence\//);

    await engine.start();
    // dockerd (without live-restore) stops what was running when it died; the changes stay.
    expect(await status()).toBe('exited');
    const rerun = startCoroner(['triage', container, '--case-dir', finishedCase], env());
    expect(await rerun.exited).toBe(3);
    const verify = await coronerVerify(finishedCase);
    expect(verify.stdout).toMatch(/^OK: .* all \d+ files match/);
    // The image committed before the crash is still there: evidence is never lost.
    const tag = /coroner-evidence\/\S+/.exec(incomplete.stdout)![0];
    expect((await engine.docker('image', 'inspect', '-f', '{{.Id}}', tag)).trim()).toMatch(
      /^sha256:/,
    );
  });

  it('mid-export: nothing is kept; after the restart a rerun writes a bundle that verifies', async () => {
    const outDir = path.join(work, 'out');
    const out = path.join(outDir, 'bundle.tar.gz');
    const args = ['export', container, '--case', finishedCase, '--out', out, '--progress'];
    await mkdir(outDir);
    const run = startCoroner(args, env());
    await atLine(run, 'coroner: saving the evidence image', () => engine.kill());
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^coroner: no Docker engine answers at unix:\/\//m);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(await readdir(outDir)).toEqual([]);

    await engine.start();
    const rerun = startCoroner(args, env());
    expect(await rerun.exited).toBe(0);
    const verify = await coronerVerify(out);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: /);
  });
});

describe('the engine hung (SIGSTOP) mid-triage', () => {
  it('gives up after CORONER_ENGINE_TIMEOUT of silence: one line, the case folder named incomplete; once it answers again a rerun completes', async () => {
    // A small suspect: its commit takes well under the short limit set here.
    const small = await startSample('webshell', newRunId(), '-hung', {
      ...process.env,
      DOCKER_HOST: engine.dockerHost,
    });
    const caseDir = path.join(work, 'case-hung');
    const run = startCoroner(['triage', small, '--case-dir', caseDir, '--progress'], {
      ...env(),
      CORONER_ENGINE_TIMEOUT: '10',
    });
    const ended = run.exited.then(() => {
      throw new Error(`coroner ended before the extraction: ${run.stderr()}`);
    });
    await Promise.race([atLine(run, 'coroner: extract', () => engine.hang()), ended]);
    try {
      expect(await run.exited).toBe(1);
    } finally {
      engine.resume();
    }
    expect(run.stderr()).toMatch(
      /^coroner: the Docker engine at unix:\/\/\S+ stopped answering: nothing for 10 s while /m,
    );
    expect(run.stderr()).toContain(`the case folder ${caseDir} is incomplete`);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(await readdir(caseDir)).not.toContain('report.json');
    expect((await coronerVerify(caseDir)).code).toBe(4);

    const rerunCase = path.join(work, 'case-after-hang');
    const rerun = startCoroner(['triage', small, '--case-dir', rerunCase], env());
    expect(await rerun.exited, rerun.stderr()).toBe(3);
    expect((await coronerVerify(rerunCase)).stdout).toMatch(/^OK: /);
  });

  it('refuses a CORONER_ENGINE_TIMEOUT that is not a number of seconds, before touching anything', async () => {
    const run = startCoroner(['triage', container], { ...env(), CORONER_ENGINE_TIMEOUT: '5m' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toBe(
      'coroner: CORONER_ENGINE_TIMEOUT=5m is not a number of seconds. Set it to a positive number up to 2147483 (default 600), or unset it.\n',
    );
  });
});
