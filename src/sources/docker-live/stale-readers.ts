/**
 * Reader containers (never started) and relaunch twins are always removed when their run ends, unless
 * the coroner that made them died first (the engine vanished, or the process was
 * killed). Each reader names the process and host that made it, so a later triage on
 * the same host removes those whose process is gone, and nothing else.
 */
import os from 'node:os';
import type { CustodyLog } from '../../case/custody.js';
import { READER_ROLE_LABEL, type ContainerSummary, type Engine } from './engine.js';
import { EngineUnreachable } from '../../errors.js';

/** On each reader container: the id of the suspect it was created to read for. */
export const READER_FOR_LABEL = 'coroner.reader.for';

export const READER_PID_LABEL = 'coroner.reader.pid';
export const READER_HOST_LABEL = 'coroner.reader.host';
/** The role of a relaunch's clean twin (a reader's is 'reader'): it has run, and is removed the same way. */
export const TWIN_ROLE = 'twin';

/** Labels that let a later run tell this process's readers from a dead one's. */
export function readerOwnerLabels(): Record<string, string> {
  return { [READER_PID_LABEL]: String(process.pid), [READER_HOST_LABEL]: os.hostname() };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/**
 * Removes readers left by dead coroner processes on this host; returns how many.
 * `containers` is the engine's list the triage already read (a dead run's readers are in it).
 */
export async function removeStaleReaders(
  engine: Engine,
  containers: readonly ContainerSummary[],
  custody: CustodyLog,
): Promise<number> {
  const host = os.hostname();
  const stale = containers.filter((c) => {
    const pid = Number(c.labels[READER_PID_LABEL]);
    return (
      // A reader is never started (else it is a workload wearing its labels); a twin has run.
      ((c.labels[READER_ROLE_LABEL] === 'reader' && c.state === 'created') ||
        c.labels[READER_ROLE_LABEL] === TWIN_ROLE) &&
      c.labels[READER_HOST_LABEL] === host &&
      Number.isInteger(pid) &&
      pid > 0 &&
      pid !== process.pid &&
      !isProcessAlive(pid)
    );
  });
  let removed = 0;
  for (const reader of stale) {
    // Tidying only: a reader that will not go (already gone, say) must not stop the triage.
    await custody
      .step(
        `remove a ${reader.labels[READER_ROLE_LABEL]} container left by coroner process ${reader.labels[READER_PID_LABEL]}, which is gone`,
        reader.id,
        // A reader listed as never started may have been started since (a workload wearing
        // its labels): the engine is asked to refuse a running one rather than kill it.
        () =>
          engine.removeContainer(reader.id, {
            removeVolumes: true,
            ifStopped: reader.labels[READER_ROLE_LABEL] === 'reader',
          }),
      )
      .then(
        () => (removed += 1),
        (e: unknown) => {
          if (e instanceof EngineUnreachable) throw e;
        },
      );
  }
  return removed;
}
