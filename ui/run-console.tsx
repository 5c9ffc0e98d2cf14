/**
 * Starts the interactive console on a terminal, wiring the engine's functions
 * as the console's intents. Returns the exit code when the console closes.
 */
import { render } from 'ink';
import path from 'node:path';
import { writeBundle } from '../src/bundle/write-bundle.js';
import { CustodyLog } from '../src/case/custody.js';
import type { Engine } from '../src/sources/docker-live/engine.js';
import { evidenceRepo, utcStamp } from '../src/sources/docker-live/freeze.js';
import { DEFAULT_RELAUNCH_OPTIONS } from '../src/relaunch/plan.js';
import { executeRelaunch, prepareRelaunch } from '../src/relaunch/relaunch.js';
import { DEFAULT_CASES_ROOT, triage } from '../src/app/triage.js';
import { App, type ConsoleActions } from './App.js';

export function engineActions(
  engine: Engine,
  opts: { casesRoot?: string; cacheDir?: string; outDir?: string } = {},
): ConsoleActions {
  const custody = new CustodyLog();
  const casesRoot = opts.casesRoot ?? DEFAULT_CASES_ROOT;
  return {
    listContainers: () => engine.listContainers(),
    triage: (ref, signal, onEvent) =>
      triage(engine, ref, {
        signal,
        onEvent,
        custody,
        ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
        ...(opts.casesRoot
          ? {
              caseDir: path.join(
                casesRoot,
                `${ref.replace(/[^A-Za-z0-9_.-]/g, '_')}-${utcStamp(new Date())}`,
              ),
            }
          : {}),
      }),
    exportBundle: (report, signal, onProgress) =>
      writeBundle(engine, report, {
        outPath: path.join(
          opts.outDir ?? '.',
          `coroner-evidence-${evidenceRepo(report.container.name).split('/')[1]}-${utcStamp(new Date())}.tar.gz`,
        ),
        custody,
        signal,
        onProgress: ({ step, bytes }) => onProgress(step, bytes),
      }),
    prepareRelaunch: (report) =>
      prepareRelaunch(engine, report.container.id, DEFAULT_RELAUNCH_OPTIONS, custody, { report }),
    executeRelaunch: (prepared, onStep) =>
      executeRelaunch(engine, prepared, {
        allowNoEvidence: false,
        keepPaused: false,
        custody,
        caseDir: path.join(casesRoot, `${prepared.plan.container.name}-relaunch`),
        onStep,
      }),
  };
}

/**
 * Draws the console until the user quits, or a signal (SIGTERM, SIGHUP: the terminal went
 * away) closes it: unmounting cancels the running task, which still cleans up before exit.
 */
export async function runConsole(
  engine: Engine,
  container: string | undefined,
  signal?: AbortSignal,
): Promise<number> {
  const instance = render(
    <App actions={engineActions(engine)} {...(container ? { initialContainer: container } : {})} />,
    { exitOnCtrlC: false },
  );
  const close = () => instance.unmount();
  signal?.addEventListener('abort', close, { once: true });
  try {
    await instance.waitUntilExit();
  } finally {
    signal?.removeEventListener('abort', close);
  }
  return signal?.aborted ? 130 : 0;
}
