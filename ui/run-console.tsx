/**
 * Starts the interactive console on a terminal, wiring the use cases of
 * src/app (the same the CLI calls) as the console's intents. Returns the exit
 * code when the console closes.
 */
import { render } from 'ink';
import { exportReport } from '../src/app/export.js';
import { planRelaunchOf, runRelaunchOf } from '../src/app/relaunch.js';
import { triage } from '../src/app/triage.js';
import { CustodyLog } from '../src/case/custody.js';
import { DEFAULT_RELAUNCH_OPTIONS } from '../src/relaunch/plan.js';
import type { EvidenceSource } from '../src/sources/evidence-source.js';
import { App, type ConsoleActions } from './App.js';

export function sourceActions(
  source: EvidenceSource,
  opts: { casesRoot?: string; cacheDir?: string; outDir?: string } = {},
): ConsoleActions {
  // One custody log for the session: the export records the triage it packs.
  const custody = new CustodyLog();
  return {
    listContainers: () => source.listContainers(),
    triage: async (ref, signal, onEvent) => {
      const report = await triage(source, ref, {
        signal,
        onEvent,
        custody,
        ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
        ...(opts.casesRoot ? { casesRoot: opts.casesRoot } : {}),
      });
      // The console scrolls, filters and opens every change: it holds them; the CLI reads them once.
      return { ...report, changes: [...report.changes] };
    },
    exportBundle: async (report, signal, onProgress) =>
      (
        await exportReport(source, report, {
          custody,
          signal,
          ...(opts.outDir ? { outDir: opts.outDir } : {}),
          onProgress: ({ step, bytes }) => onProgress(step, bytes),
        })
      ).bundle,
    prepareRelaunch: (report, _signal, onTrial) =>
      planRelaunchOf(
        source,
        report.container.id,
        DEFAULT_RELAUNCH_OPTIONS,
        custody,
        { report },
        { isEnabled: true, onTrial },
      ),
    executeRelaunch: (prepared, onStep) =>
      runRelaunchOf(source, prepared, {
        allowNoEvidence: false,
        keepPaused: false,
        custody,
        // The screen showed the plan, NOT PROVEN included, and the user pressed y.
        allowUnproven: true,
        ...(opts.casesRoot ? { casesRoot: opts.casesRoot } : {}),
        onStep,
      }),
  };
}

/**
 * Draws the console until the user quits, or a signal (SIGTERM, SIGHUP: the terminal went
 * away) closes it: unmounting cancels the running task, which still cleans up before exit.
 */
export async function runConsole(
  source: EvidenceSource,
  container: string | undefined,
  signal?: AbortSignal,
): Promise<number> {
  const instance = render(
    <App actions={sourceActions(source)} {...(container ? { initialContainer: container } : {})} />,
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
