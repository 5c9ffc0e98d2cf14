/**
 * The console driven key by key, against the real engine pipeline on the
 * samples (ink-testing-library renders it; the actions are the real ones).
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify.js';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { App } from '../../ui/App.js';
import { sourceActions } from '../../ui/run-console.js';
import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';
import { cleanRun, inspectField, newRunId, startSample } from '../support/engine.js';

const KEY = {
  down: '\u001B[B',
  up: '\u001B[A',
  enter: '\r',
  escape: '\u001B',
  pageDown: '\u001B[6~',
};
const runId = newRunId();
let engine: Engine;
let work: string;

beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'console-'));
});
afterEach(() => cleanup());
afterAll(() => cleanRun(runId));

/** Polls the rendered frame until `predicate` holds (bounded), returning it. */
async function frameWhere(
  lastFrame: () => string | undefined,
  predicate: (frame: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = lastFrame() ?? '';
    if (predicate(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`timed out; last frame:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Presses `key` until `predicate` holds: the first key on a screen just drawn can come
 * before the screen's input handler subscribes (on a loaded machine), and is then lost.
 * Only for keys that are harmless to repeat.
 */
async function pressUntil(
  ui: Awaited<ReturnType<typeof openConsole>>,
  key: string,
  predicate: (frame: string) => boolean,
): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await ui.press(key);
    try {
      return await frameWhere(ui.lastFrame, predicate, 2_000);
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}

let opened = 0;
async function openConsole(sample: string) {
  const container = await startSample(sample, runId, `-${++opened}`);
  const actions = sourceActions(new DockerLiveSource(engine), {
    casesRoot: path.join(work, 'cases'),
    cacheDir: path.join(work, 'cache'),
    outDir: work,
  });
  const ui = render(<App actions={actions} initialContainer={container} />);
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      ui.stdin.write(key);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };
  // A screen's keys are live from the frame that draws it: no wait for handlers to subscribe.
  await frameWhere(ui.lastFrame, (f) => f.includes('view ranked'));
  return { ...ui, press, container };
}

/** Presses r and waits until the plan asks for confirmation (and its keys are live). */
async function openRelaunchPlan(ui: Awaited<ReturnType<typeof openConsole>>): Promise<void> {
  await ui.press('r');
  await frameWhere(ui.lastFrame, (f) => f.includes('y quarantine and relaunch'));
}

describe('the console on the webshell sample', () => {
  it('lists the web shell first, filters by kind and severity, and searches', async () => {
    const ui = await openConsole('webshell');
    const first = (ui.lastFrame() ?? '').split('\n').find((l) => /^[ACD] /.test(l));
    expect(first).toMatch(/A CRITICAL\s+\/var\/www\/uploads\/\.cache\.php/);
    await ui.press('k', 'k'); // kind: A, then C
    let frame = await frameWhere(ui.lastFrame, (f) => f.includes('kind C'));
    expect(frame).toContain('/var/www/index.html');
    expect(frame).not.toContain('.cache.php');
    await ui.press('k', 'k', 's', 's', 's'); // kind all; severity high+
    frame = await frameWhere(ui.lastFrame, (f) => f.includes('severity high+'));
    expect(frame).not.toContain('httpd.pid');
    await ui.press('/', 'h', 't', 't', 'p', 'd', KEY.enter);
    frame = await frameWhere(ui.lastFrame, (f) => f.includes('search httpd'));
    expect(frame).toContain('0 shown');
    ui.unmount();
  });

  it('opens a diff, scrolls it, and goes back', async () => {
    const ui = await openConsole('webshell');
    await ui.press(KEY.down, KEY.enter);
    let frame = await frameWhere(ui.lastFrame, (f) =>
      f.includes('--- original/var/www/index.html'),
    );
    expect(frame).toMatch(/original from layer \d/);
    frame = await pressUntil(ui, KEY.pageDown, (f) => f.includes('HACKED BY'));
    expect(frame).toMatch(/^\+<h1>HACKED BY xX_sh4d0w_Xx<\/h1>$/m);
    await ui.press('G');
    frame = await frameWhere(ui.lastFrame, (f) => /lines \d+-(\d+) of \1/.test(f));
    await ui.press('g');
    frame = await frameWhere(ui.lastFrame, (f) => /lines 1-/.test(f));
    await ui.press(KEY.escape);
    await frameWhere(ui.lastFrame, (f) => f.includes('view ranked'), 5_000);
    ui.unmount();
  });

  it('exports a bundle that verifies, showing its path and manifest hash', async () => {
    const ui = await openConsole('webshell');
    await ui.press('e');
    const frame = await frameWhere(ui.lastFrame, (f) => f.includes('Manifest sha256'));
    expect(frame.replace(/\s+/g, '')).toContain('Bundlewritten:');
    const bundles = (await readdir(work)).filter((f) => f.endsWith('.tar.gz'));
    expect(bundles).toHaveLength(1);
    const verdict = await verifyBundle(path.join(work, bundles[0]!));
    expect(verdict.isIntact).toBe(true);

    ui.unmount();
  });

  it('shows the restart plan and changes nothing when cancelled', async () => {
    const ui = await openConsole('webshell');
    await openRelaunchPlan(ui);
    await ui.press('n');
    await frameWhere(ui.lastFrame, (f) => f.includes('view ranked'));
    expect(
      await inspectField(ui.container, '{{.State.Running}} {{.HostConfig.ReadonlyRootfs}}'),
    ).toBe('true false');
    ui.unmount();
  });

  it('restarts clean on y: a read-only replacement runs and the old one is quarantined', async () => {
    const ui = await openConsole('webshell');
    await openRelaunchPlan(ui);
    await ui.press('y');
    const frame = await frameWhere(
      ui.lastFrame,
      (f) => f.includes('Replacement:') || f.includes('FAILED'),
      90_000,
    );
    expect(frame).toMatch(/Replacement: \w+ running/);
    expect(
      await inspectField(ui.container, '{{.State.Running}} {{.HostConfig.ReadonlyRootfs}}'),
    ).toBe('true true');
    const quarantine = /Quarantined: (\S+)/.exec(frame)![1]!;
    expect(await inspectField(quarantine, '{{.State.Running}}')).toBe('false');
    ui.unmount();
  });

  it('shows the findings ranked and jumps to a file', async () => {
    const ui = await openConsole('backdoor');
    await ui.press('f');
    const frame = await frameWhere(ui.lastFrame, (f) => f.includes('Findings, ranked'));
    expect(frame.split('\n')[1]).toMatch(/^CRITICAL/);
    expect(frame).toMatch(/Exposure \(CIS Docker Benchmark v1\.6\.0\)/);
    await pressUntil(ui, KEY.enter, (f) => f.includes('original:') && f.includes('current:'));
    ui.unmount();
  });
});
