/**
 * A private engine's mount namespace, held open from its start until it is stopped: the
 * processes in it are the engine's to kill. Once the last of them is gone the kernel may
 * give the namespace's number to a new one (the system dockerd's untar makes one for every
 * commit), so without the hold, processes found "in it" could be another's.
 */
import { open, readdir, readlink } from 'node:fs/promises';

export interface HeldNamespace {
  /** Every process in the namespace now. */
  processes(): Promise<number[]>;
  /** SIGKILL to every process left in it, then waits (bounded) until none is. */
  killAll(limitMs: number): Promise<void>;
  /** Waits (bounded) until `pids` names none. */
  untilGone(pids: () => Promise<number[]>, limitMs: number): Promise<void>;
  /** Lets the namespace go: after this, nothing may be looked for in it. */
  release(): Promise<void>;
}

/** Holds the mount namespace of process `pid`. */
export async function holdMountNamespace(pid: number): Promise<HeldNamespace> {
  const namespace = await readlink(`/proc/${pid}/ns/mnt`);
  const hold = await open(`/proc/${pid}/ns/mnt`, 'r');
  const processes = async (): Promise<number[]> => {
    const pids: number[] = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      if ((await readlink(`/proc/${name}/ns/mnt`).catch(() => '')) === namespace)
        pids.push(Number(name));
    }
    return pids;
  };
  const untilGone = async (pids: () => Promise<number[]>, limitMs: number) => {
    const end = Date.now() + limitMs;
    while ((await pids()).length && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  };
  return {
    processes,
    untilGone,
    killAll: async (limitMs) => {
      for (const p of await processes()) signal(p, 'SIGKILL');
      await untilGone(processes, limitMs);
    },
    release: () => hold.close().catch(() => undefined),
  };
}

/** `kill`, for a process that may be gone already. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone already */
  }
}
