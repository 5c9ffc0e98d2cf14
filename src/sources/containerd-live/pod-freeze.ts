/**
 * The freeze of a pod's container on containerd, most volatile first, with its task paused
 * (the cgroup freezer, as `docker pause`) and resumed whatever happens: its processes from
 * the task's pids proved on the host, the kubelet's CRI log files, then its writable layer
 * (the upper dir the snapshotter names, the kernel mounted and containerd's metadata gives
 * the snapshot): an OCI layer tar of it kept in the case and the current version of every
 * path in it. After this nothing of the container is read again; it runs on.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { Cancelled, CoronerError } from '../../errors.js';
import type { ProcessRecord } from '../../report/process.js';
import type { NotCollected } from '../../report/triage-report.js';
import type {
  ContainerdApi,
  ContainerRecord,
  TaskRecord,
} from '../containerd-api/containerd-types.js';
import { ContainerdRoot } from '../containerd-store/containerd-root.js';
import { runningContainerds } from '../containerd-store/running-roots.js';
import type { AcquireOptions, MountsRead } from '../evidence-source.js';
import { readMemoryMounts } from '../host-proc/memory-mounts.js';
import { ProcessCapture } from '../host-proc/processes.js';
import { readRootOverlay } from '../host-proc/root-overlay.js';
import { proveOnThisHost } from '../host-proc/this-host.js';
import { freezeWritableLayer, type FrozenLayer } from '../layer-store/folder-acquisition.js';
import { layerTar, type LayerTarNotes } from '../layer-store/layer-tar.js';
import { readOpaqueDirs } from '../layer-store/overlay-xattrs.js';
import {
  podLogFiles,
  podLogFolder,
  readCriLogTail,
  recordedLogPath,
} from '../log-files/cri-log.js';
import { podContainerName, type PodContainer } from './cri-pod.js';

export const PROCESSES_ITEM = 'processes (executables, open and mapped files, sockets)';
/** Where the CRI plugin records a container's metadata, its log path among it. */
const CRI_METADATA = 'io.cri-containerd.container.metadata';
const OVERLAYFS_SNAPSHOTS = '/io.containerd.snapshotter.v1.overlayfs/snapshots/';
/** A CRI log file is kept whole up to this size (the kubelet rotates at 10 MiB by default). */
const MAX_KEPT_LOG_BYTES = 64 * 1024 * 1024;

export class ContainerdUnusable extends CoronerError {}

export interface PodFreeze {
  wasRunning: boolean;
  processes?: ProcessRecord[];
  memory: { changes: MountsRead['changes']; read: string[] };
  upper: string;
  /** The containerd root the upper dir is in. */
  root: string;
  /** The OCI layer tar of the upper dir in the case: evidence/writable-layer.tar. */
  layerTar: { sha256: string; sizeBytes: number };
  layer: FrozenLayer;
  notCollected: NotCollected[];
}

export async function freezePod(
  api: ContainerdApi,
  podLogs: string,
  subject: {
    record: ContainerRecord;
    task: TaskRecord | undefined;
    spec: Record<string, unknown> | undefined;
    pod: PodContainer | undefined;
  },
  folder: CaseFolder,
  custody: CustodyLog,
  opts: AcquireOptions,
): Promise<PodFreeze> {
  const { record, task, spec, pod } = subject;
  const notCollected: NotCollected[] = [];
  const cancelled = () => {
    if (opts.signal?.aborted) throw new Cancelled('the freeze');
  };
  const wasRunning = task?.status === 'running';
  if (wasRunning)
    await custody.step('pause the task (cgroup freezer), as docker pause does', record.id, () =>
      api.pause(record.id),
    );
  let frozenLayer: Awaited<ReturnType<typeof freezeWritableLayer>> | undefined;
  let processes: ProcessRecord[] | undefined;
  const memory: { changes: MountsRead['changes']; read: string[] } = { changes: [], read: [] };
  let upper: string | undefined;
  let layerTarRecord: { sha256: string; sizeBytes: number } | undefined;
  let root: string | undefined;
  try {
    cancelled();
    opts.onStep?.('processes');
    if (task?.pid && (task.status === 'running' || task.status === 'paused')) {
      const captured = await captureProcesses(
        api,
        record,
        task,
        memoryMountsOf(spec),
        folder,
        custody,
        opts,
      );
      processes = captured.processes;
      memory.changes = captured.memory;
      memory.read = captured.memoryRead;
      notCollected.push(...captured.notCollected);
    } else
      notCollected.push({
        item: PROCESSES_ITEM,
        reason: `the container's task was ${task ? task.status : 'absent'}: nothing ran`,
      });

    cancelled();
    opts.onStep?.('logs');
    await keepLogs(
      podLogs,
      pod,
      recordedLogPath(record.extensions[CRI_METADATA]?.value),
      folder,
      custody,
      opts,
      notCollected,
    );

    cancelled();
    opts.onStep?.('commit');
    upper = await custody.step(
      "locate the container's writable layer (snapshot mounts, the kernel's root overlay, containerd's metadata)",
      record.snapshotKey,
      () => upperDir(api, record, task),
    );
    root = containerdRootOf(upper);
    const { dirs: opaque, problem } = await readOpaqueDirs(upper);
    if (problem)
      opts.onProblem({
        path: '/',
        action: 'read opaque folders of the writable layer',
        cause: problem,
      });
    const notes: LayerTarNotes = { left: [], entries: 0 };
    layerTarRecord = await custody.step(
      'write the writable layer as an OCI layer tar into the case (overlay whiteouts as .wh. files)',
      upper,
      () =>
        folder.writeStream('evidence/writable-layer.tar', layerTar(upper!, opaque, notes), {
          description: `the container's writable layer ${upper}, as an OCI layer tar made while the task was paused`,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      (r) => `${notes.entries} entries, ${r.sizeBytes} bytes, sha256:${r.sha256}`,
    );
    for (const left of notes.left)
      opts.onProblem({ path: '/', action: 'write the layer tar', cause: left });
    frozenLayer = await custody.step(
      'read the current version of every path in the writable layer',
      upper,
      () => freezeWritableLayer(upper!, folder, opts),
      (f) =>
        `${f.index.entries.size} entries, ${f.index.whiteouts.size} deletions, ${f.bytes} bytes`,
    );
  } finally {
    // A task left paused is the more urgent news: it replaces whatever ended the freeze.
    if (wasRunning)
      await custody
        .step('resume the task', record.id, () => api.resume(record.id))
        .catch((e: unknown) => {
          throw new ContainerdUnusable(
            `the container's task ${record.id} is left paused: resuming it failed (${(e as Error).message})`,
            `Resume it yourself: ctr -n ${api.address.namespace} tasks resume ${record.id}`,
          );
        });
  }
  return {
    wasRunning,
    ...(processes ? { processes } : {}),
    memory,
    upper: upper!,
    root: root!,
    layerTar: layerTarRecord!,
    layer: frozenLayer!,
    notCollected,
  };
}

/**
 * The container's memory-backed folders: /dev/shm and each tmpfs its spec mounts (containerd's
 * default spec puts one on /run), but /dev, which holds the runtime's device nodes.
 */
function memoryMountsOf(spec: Record<string, unknown> | undefined): string[] {
  const mounts = Array.isArray(spec?.['mounts']) ? (spec['mounts'] as unknown[]) : [];
  const tmpfs = mounts
    .map((m) => m as { type?: unknown; destination?: unknown } | null)
    .filter((m) => m?.type === 'tmpfs' && typeof m.destination === 'string')
    .map((m) => m!.destination as string)
    .filter((d) => d.startsWith('/') && d !== '/dev');
  return [...new Set(['/dev/shm', ...tmpfs])];
}

/** The containerd root holding an overlayfs snapshot's folder. */
export function containerdRootOf(upper: string): string {
  return upper.slice(0, upper.indexOf(OVERLAYFS_SNAPSHOTS));
}

/**
 * The upper dir the snapshotter names for the container's snapshot; for a running task,
 * it must be the kernel's root overlay of the task's process too, and containerd's own
 * metadata must give the snapshot that folder.
 */
async function upperDir(
  api: ContainerdApi,
  record: ContainerRecord,
  task: TaskRecord | undefined,
): Promise<string> {
  const mounts = await api.snapshotMounts(record.snapshotter, record.snapshotKey);
  const overlay = mounts.find((m) => m.type === 'overlay');
  const upper = overlay?.options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
  if (!upper || !path.isAbsolute(upper) || !upper.includes(OVERLAYFS_SNAPSHOTS))
    throw new ContainerdUnusable(
      `containerd names no overlayfs upper dir for the container's snapshot ${JSON.stringify(record.snapshotKey)} (snapshotter ${JSON.stringify(record.snapshotter)})`,
      "coroner reads containers of the overlayfs snapshotter (the default, and the CRI plugin's).",
    );
  if (task?.pid && (task.status === 'running' || task.status === 'paused')) {
    const kernel = await readRootOverlay(task.pid);
    if ('upperDir' in kernel && kernel.upperDir !== upper)
      throw new ContainerdUnusable(
        `containerd names ${upper} as the container's upper dir, but the kernel mounted ${kernel.upperDir} as its process's root: containerd's answers cannot be trusted`,
        'Treat the node as compromised; image its disk and examine it offline.',
      );
  }
  const root = containerdRootOf(upper);
  const running = await runningContainerds();
  if (!running.some((r) => r.root === root))
    throw new ContainerdUnusable(
      `the upper dir ${upper} is not in the root of a containerd running on this host (${running.map((r) => r.root).join(', ') || 'none found'})`,
      'Run coroner on the node that runs the container, as root (a node job: see the README, "Kubernetes node").',
    );
  const store = await ContainerdRoot.open(root, { isLive: true });
  try {
    const chain = await store.snapshotChain(api.address.namespace, record.snapshotKey);
    if (chain[0]?.dir !== upper)
      throw new ContainerdUnusable(
        `containerd's metadata gives the container's snapshot the folder ${chain[0]?.dir ?? '(none)'}, its snapshotter ${upper}`,
        'Treat the node as compromised; image its disk and examine it offline.',
      );
  } finally {
    await store.close();
  }
  if (!(await lstat(upper).catch(() => undefined))?.isDirectory())
    throw new ContainerdUnusable(
      `the upper dir ${upper} is not a folder on this host`,
      'Run coroner on the node, as root.',
    );
  return upper;
}

async function captureProcesses(
  api: ContainerdApi,
  record: ContainerRecord,
  task: TaskRecord,
  memoryMounts: readonly string[],
  folder: CaseFolder,
  custody: CustodyLog,
  opts: AcquireOptions,
) {
  const here = await proveOnThisHost({ Id: record.id, State: { Running: true, Pid: task.pid } });
  if ('reason' in here) {
    custody.record('read processes on the node', record.id, 'skipped', here.reason);
    return {
      processes: undefined,
      memory: [],
      memoryRead: [],
      notCollected: [{ item: PROCESSES_ITEM, reason: here.reason }],
    };
  }
  try {
    // containerd's list of the task's pids is checked by the kernel's cgroups.
    const claimed = new Set(await api.taskPids(record.id).catch(() => [] as number[]));
    const pids = here.pids.filter((p) => claimed.size === 0 || claimed.has(p) || p === task.pid);
    const captureOpts = {
      maxContentBytes: opts.maxContentBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    const processes = await new ProcessCapture(folder, custody, captureOpts).capture(
      pids,
      task.pid,
    );
    const shm = await readMemoryMounts(here.root, memoryMounts, folder, custody, captureOpts);
    return {
      processes,
      memory: shm.changes,
      memoryRead: shm.read,
      notCollected: shm.notCollected,
    };
  } finally {
    await here.root.close();
  }
}

/** The kubelet's CRI log files of the container, kept whole (to a bound) and hashed; the last lines split by stream. */
async function keepLogs(
  podLogs: string,
  pod: PodContainer | undefined,
  logPath: string | undefined,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: AcquireOptions,
  notCollected: NotCollected[],
): Promise<void> {
  const logFolder = pod ? await podLogFolder(podLogs, pod, logPath) : undefined;
  if (!logFolder) {
    notCollected.push({
      item: 'logs',
      reason: pod
        ? `the kubelet's log folder for ${podContainerName(pod)} is not under ${podLogs}`
        : 'the container carries no Kubernetes labels, so it has no kubelet log folder',
    });
    return;
  }
  const files = await podLogFiles(logFolder);
  for (const f of files)
    await custody.step(`keep the CRI log file ${f.name}`, f.file, async () => {
      const handle = await open(f.file, constants.O_RDONLY | constants.O_NOFOLLOW);
      return folder.writeOpenFile(`container/logs/cri/${f.name}`, handle, {
        description: `the kubelet's log file ${f.file} (CRI format), as it was`,
        maxBytes: MAX_KEPT_LOG_BYTES,
      });
    });
  const current = files.filter((f) => !f.isRotated).at(-1);
  if (!current) {
    notCollected.push({ item: 'logs', reason: `no log file in ${logFolder}` });
    return;
  }
  const tail = await readCriLogTail(current.file, opts.logTailLines, opts.logMaxBytes);
  const what = `from ${current.file}, last ${opts.logTailLines} lines, at most ${opts.logMaxBytes} bytes read`;
  await folder.writeBuffer(
    'container/logs/stdout.log',
    tail.stdout,
    `container stdout (CRI log) ${what}`,
  );
  await folder.writeBuffer(
    'container/logs/stderr.log',
    tail.stderr,
    `container stderr (CRI log) ${what}`,
  );
  if (tail.unreadable)
    opts.onProblem({
      path: '/',
      action: 'read the CRI log',
      cause: `${tail.unreadable} lines not in the CRI format`,
    });
}
