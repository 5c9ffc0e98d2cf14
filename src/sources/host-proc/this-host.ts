/**
 * Whether a container the engine describes runs on this host, proved rather than
 * assumed from the address (a unix socket can be forwarded from another machine, a
 * tcp:// engine can be anything): a hostile engine names the pid, the id and the folders,
 * and without proof coroner would read this host's processes and files as its evidence.
 * Proof: the container's first process is in this host's /proc, in a cgroup named by the
 * container's full id and in a mount namespace other than coroner's, and its root lies
 * inside the very folder the engine mounted as the container's root on this host (same
 * device and inode, reached from the process's root by `..` alone); where the engine
 * names no such folder (Docker's containerd image store), the root is the top of the
 * process's own mount namespace. What is read afterwards is read inside that root
 * (ContainerRoot).
 */
import { readlink } from 'node:fs/promises';
import { ContainerRoot, ContainerRootRefused } from './container-root.js';
import { containerPids } from './processes.js';
import { readRootOverlay } from './root-overlay.js';

export interface ThisHost {
  /** The container's processes on this host (its first among them). */
  pids: number[];
  /** Its root, opened and proved; the caller closes it. */
  root: ContainerRoot;
}

/** The fields of a container inspect the proof reads (all of them the engine's to forge). */
export interface ContainerClaim {
  Id: string;
  State: { Running?: boolean; Pid?: number };
  GraphDriver?: { Data?: unknown };
}

const mountNamespace = (pid: number | 'self') =>
  readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined);

/** The container on this host, or why coroner cannot prove that it is (then nothing is read). */
export async function proveOnThisHost(
  claim: ContainerClaim,
): Promise<ThisHost | { reason: string }> {
  if (process.getuid?.() !== 0) return { reason: "coroner is not root on the engine's host" };
  const pid = claim.State.Running ? claim.State.Pid : 0;
  if (!pid) return { reason: 'the container was not running' };
  const unproved = (why: string) => ({
    reason: `nothing proves the engine runs on this host (${why}): a remote engine, or one that lies`,
  });
  if (!/^[0-9a-f]{64}$/.test(claim.Id)) return unproved('its container id is not 64 hex digits');
  if (!Number.isSafeInteger(pid) || pid < 1) return unproved('its container pid is not a pid');
  const pids = await containerPids(claim.Id, pid);
  if (!pids.includes(pid))
    return unproved(`process ${pid} is not in the container's cgroup in this host's /proc`);
  const [theirs, ours] = await Promise.all([mountNamespace(pid), mountNamespace('self')]);
  if (!theirs || theirs === ours)
    return unproved(`process ${pid} does not have a mount namespace of its own`);
  const data = claim.GraphDriver?.Data as Record<string, unknown> | undefined;
  const rootFolder = data?.['MergedDir'];
  // The containerd image store names no root folder: the root is its namespace's top.
  if (rootFolder !== undefined && (typeof rootFolder !== 'string' || !rootFolder.startsWith('/')))
    return unproved('the root folder it names (GraphDriver MergedDir) is not a path');
  try {
    return {
      pids,
      root:
        rootFolder === undefined
          ? await ContainerRoot.topOf(pid)
          : await ContainerRoot.open(pid, rootFolder).catch(async (e: unknown) => {
              // An engine in a mount namespace of its own (systemd's, a private one) mounts
              // the root folder where coroner cannot see it: the kernel's word on the
              // process's root overlay, the very upper dir the engine names, stands instead.
              if (!(e instanceof ContainerRootRefused)) throw e;
              const overlay = await readRootOverlay(pid);
              if (!('upperDir' in overlay) || overlay.upperDir !== data?.['UpperDir']) throw e;
              return ContainerRoot.topOf(pid);
            }),
    };
  } catch (e) {
    if (e instanceof ContainerRootRefused) return unproved(e.message);
    const code = (e as { code?: string }).code;
    if (code) return unproved(`process ${pid}'s root cannot be opened (${code})`);
    throw e;
  }
}
