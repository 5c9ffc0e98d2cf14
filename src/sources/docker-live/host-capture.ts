/**
 * What only the engine's host can show of a running container, read there as root while
 * coroner holds it paused: its processes (executables, open and mapped files, sockets)
 * and its memory-backed mounts (/dev/shm, tmpfs), inside the container's own root. Only
 * when the container is proved to run here (this-host.ts), whatever the engine's address;
 * otherwise (a remote engine, one that lies, not root) each item is named as not
 * collected, with the reason.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import type { ProcessRecord } from '../../report/process.js';
import type { NotCollected } from '../../report/triage-report.js';
import type { MountedChange } from '../evidence-source.js';
import { readMemoryMounts } from '../host-proc/memory-mounts.js';
import { ProcessCapture } from '../host-proc/processes.js';
import { proveOnThisHost } from '../host-proc/this-host.js';
import type { ContainerInspect } from './types.js';

export interface HostCapture {
  processes?: ProcessRecord[];
  memoryMounts: MountedChange[];
  /** The memory-backed mounts that were read (each in full, or as far as its bounds allow). */
  memoryMountsRead?: string[];
  notCollected: NotCollected[];
}

export const PROCESSES_ITEM = 'processes (executables, open and mapped files, sockets)';
export const MEMORY_ITEM = '/dev/shm and tmpfs mounts';

/** The container's memory-backed mount points: /dev/shm unless shared with the host, and its tmpfs. */
export function memoryMountsOf(inspect: ContainerInspect): string[] {
  const tmpfs = Object.keys(inspect.HostConfig.Tmpfs ?? {});
  const fromMounts = (inspect.Mounts ?? [])
    .filter((m) => m.Type === 'tmpfs')
    .map((m) => m.Destination);
  const shm = inspect.HostConfig.IpcMode === 'host' ? [] : ['/dev/shm'];
  return [...new Set([...shm, ...tmpfs, ...fromMounts])];
}

/** A reason the engine's host cannot be read from here: it is another machine. */
export const OVER_SSH =
  "the engine is reached over ssh: its host's /proc and layer store are not this machine's";

export async function captureOnHost(
  inspect: ContainerInspect,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: { maxContentBytes: number; signal?: AbortSignal; isRemote?: boolean },
): Promise<HostCapture> {
  const memory = memoryMountsOf(inspect);
  // Over ssh the host may still be this one (a loopback sshd): its /proc is not read anyway.
  // Otherwise (unix socket or tcp alike) the container must be proved to run here.
  const here = opts.isRemote ? { reason: OVER_SSH } : await proveOnThisHost(inspect);
  if ('reason' in here) {
    custody.record(
      "read processes and tmpfs on the engine's host",
      inspect.Id,
      'skipped',
      here.reason,
    );
    return {
      memoryMounts: [],
      notCollected: [
        { item: PROCESSES_ITEM, reason: here.reason },
        ...(memory.length ? [{ item: MEMORY_ITEM, reason: here.reason }] : []),
      ],
    };
  }
  try {
    const processes = await new ProcessCapture(folder, custody, opts).capture(
      here.pids,
      inspect.State.Pid,
    );
    const { changes, read, notCollected } = await readMemoryMounts(
      here.root,
      memory,
      folder,
      custody,
      opts,
    );
    return { processes, memoryMounts: changes, memoryMountsRead: read, notCollected };
  } finally {
    await here.root.close();
  }
}
