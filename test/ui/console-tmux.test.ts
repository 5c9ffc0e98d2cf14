/**
 * End to end: the real coroner binary in a real terminal (tmux), against a
 * compromised sample; keys sent with send-keys, the screen read with capture-pane.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify.js';
import {
  addManyFiles,
  cleanRun,
  docker,
  newRunId,
  ROOT,
  startSample,
  inspectField,
} from '../support/engine.js';

const run = promisify(execFile);
const runId = newRunId();
const session = `coroner-e2e-${runId}`;
let work: string;
let container: string;

const tmux = (...args: string[]) => run('tmux', args).then((r) => r.stdout);
const screen = () => tmux('capture-pane', '-p', '-t', session);
const keys = async (...k: string[]) => {
  for (const key of k) {
    await tmux('send-keys', '-t', session, key);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
};

async function screenWhere(predicate: (s: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await screen();
    if (predicate(s)) return s; // a screen's keys are live from the frame that draws it
    if (Date.now() > deadline) throw new Error(`timed out; screen:\n${s}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'e2e-'));
  container = await startSample('webshell', runId, '-e2e');
  await tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '100',
    '-y',
    '30',
    `cd ${work} && CORONER_CACHE_DIR=${work}/cache node ${path.join(ROOT, 'bin/coroner.js')} ${container}; echo "exited $?"; sleep 600`,
  );
});
afterAll(async () => {
  await tmux('kill-session', '-t', session).catch(() => undefined);
  await cleanRun(runId);
});

describe('coroner <container> in a terminal', () => {
  it('lists the web shell first among the findings', async () => {
    const s = await screenWhere((x) => x.includes('view ranked'));
    const rows = s.split('\n').filter((l) => /^[ACD] /.test(l));
    expect(rows[0]).toMatch(/^A CRITICAL\s+\/var\/www\/uploads\/\.cache\.php/);
  });

  it('opens the defaced page and shows the added lines', async () => {
    await keys('Down', 'Enter');
    await screenWhere((x) => x.includes('--- original/var/www/index.html'));
    await keys('PageDown');
    const s = await screenWhere((x) => x.includes('HACKED BY'));
    expect(s).toMatch(/^\+<h1>HACKED BY xX_sh4d0w_Xx<\/h1>/m);
    await keys('Escape');
    await screenWhere((x) => x.includes('view ranked'));
  });

  it('exports a bundle that verifies', async () => {
    await keys('e');
    await screenWhere((x) => x.includes('Manifest sha256'));
    const bundles = (await readdir(work)).filter((f) => f.endsWith('.tar.gz'));
    expect(bundles).toHaveLength(1);
    expect((await verifyBundle(path.join(work, bundles[0]!))).isIntact).toBe(true);
    await keys('Escape');
    await screenWhere((x) => x.includes('view ranked'));
  });

  it('restarts clean with r, y: a read-only replacement runs', async () => {
    await keys('r');
    await screenWhere((x) => x.includes('y quarantine and relaunch'));
    await keys('y');
    const s = await screenWhere(
      (x) => /Replacement: \w+ running/.test(x) || x.includes('FAILED'),
      90_000,
    );
    expect(s).toMatch(/Replacement: \w+ running/);
    expect(await inspectField(container, '{{.State.Running}} {{.HostConfig.ReadonlyRootfs}}')).toBe(
      'true true',
    );
  });

  it('quits cleanly with q', async () => {
    await keys('q');
    const s = await screenWhere((x) => x.includes('exited 0'), 10_000);
    expect(s).toContain('exited 0');
  });
});

describe('coroner <container> when the terminal goes away or is told to stop', () => {
  const stopped = `coroner-e2e-${runId}-term`;
  const shown = () => tmux('capture-pane', '-p', '-t', stopped);
  afterAll(() => tmux('kill-session', '-t', stopped).catch(() => undefined));

  it('SIGTERM mid-triage closes the console with 130, the suspect running and unpaused, no readers left', async () => {
    const suspect = await startSample('miner', runId, '-e2e-term');
    // 20,000 new files: the triage is still reading them when the signal comes.
    await addManyFiles(suspect);
    await tmux(
      'new-session',
      '-d',
      '-s',
      stopped,
      '-x',
      '100',
      '-y',
      '30',
      `cd ${work} && CORONER_CACHE_DIR=${work}/cache node ${path.join(ROOT, 'bin/coroner.js')} ${suspect}; echo "exited $?"; sleep 600`,
    );
    const deadline = Date.now() + 60_000;
    while (!(await shown()).includes('reading originals')) {
      if (Date.now() > deadline) throw new Error(`never reached the extraction:\n${await shown()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pane = (await tmux('list-panes', '-t', stopped, '-F', '#{pane_pid}')).trim();
    const coroner = (await run('pgrep', ['-P', pane, '-f', 'bin/coroner.js'])).stdout.trim();
    await run('kill', ['-TERM', coroner]);
    const end = Date.now() + 30_000;
    while (!(await shown()).includes('exited ')) {
      if (Date.now() > end) throw new Error(`the console did not exit:\n${await shown()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await shown()).toContain('exited 130');
    expect(await inspectField(suspect, '{{.State.Status}}')).toBe('running');
    const id = await inspectField(suspect, '{{.Id}}');
    expect(await docker('ps', '-aq', '--filter', `label=coroner.reader.for=${id}`)).toBe('');
  });
});
