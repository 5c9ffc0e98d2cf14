/**
 * Clean twins through containerd's own API, for a Kubernetes pod's container: a fresh
 * snapshot on the original image's top layer (its chain id), a container with an OCI spec
 * made of the suspect's args, env and working folder and the trial's user and
 * capabilities (no new privileges; for the last trial a read-only root with tmpfs where
 * the plan puts emptyDirs), in a network namespace of its own holding only loopback, asked
 * from inside it as the Docker twins are (the suspect may hold the same port on the node).
 * What it wrote is read from its snapshot's upper dir, a plain folder walk that never
 * follows a link. Then its task, container and snapshot are removed (in custody). Nothing
 * here touches the suspect: its record is only read.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CustodyLog } from '../case/custody.js';
import { normaliseChanges } from '../changes/change-list.js';
import type { ChangeEntry } from '../report/change.js';
import type { ContainerdApi, ContainerRecord } from '../sources/containerd-api/containerd-types.js';
import { ContainerdRequestFailed } from '../sources/containerd-api/containerd-errors.js';
import { defaultSpec, SPEC_TYPE_URL } from '../sources/containerd-api/oci-spec.js';
import { filesOpenForWriting } from '../sources/host-proc/processes.js';
import { holdsSomething, imageTopChainId, overlayDirs, readImageFile } from './containerd-image.js';
import { sendTraffic } from './serve-check.js';
import {
  parsePasswd,
  untilTwinSettles,
  type ImageFacts,
  type TwinOptions,
  type TwinOutcome,
  type TwinRunner,
  type TwinTrial,
} from './twin-runner.js';

/** On every twin's container and snapshot: the suspect it is a twin of. */
export const CONTAINERD_TWIN_LABEL = 'coroner.twin.for';

/** The suspect's service, as its OCI spec gave it, and the image layers it ran on. */
export interface ContainerdTwinSubject {
  containerId: string;
  image: string;
  snapshotter: string;
  /** The original image's top snapshot (its chain id): what every twin starts from. */
  parentSnapshot: string;
  args: string[];
  env: string[];
  cwd: string;
  /** `uid:gid`, as the suspect ran. */
  user: string;
}

const MAX_WALK_ENTRIES = 10_000;

/**
 * A snapshot nothing references yet is garbage to containerd, and its collector runs after
 * any deletion (a twin's, say): a GC root label holds it until coroner removes it itself
 * (containerd docs/garbage-collection.md). A leftover carries CONTAINERD_TWIN_LABEL.
 */
const heldSnapshot = (labels: Record<string, string>) => ({
  ...labels,
  'containerd.io/gc.root': new Date().toISOString(),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The twin subject of a suspect container: its spec's process, and the image it was made
 * from (the snapshot its own snapshot sits on, which is that image's top even when the tag
 * has moved since; the image's chain id when that is gone).
 */
export async function containerdTwinSubject(
  api: ContainerdApi,
  record: ContainerRecord,
): Promise<ContainerdTwinSubject> {
  const spec = record.spec ? JSON.parse(record.spec.value.toString('utf8')) : {};
  const proc = spec.process ?? {};
  const parent = (await api.snapshotStat(record.snapshotter, record.snapshotKey))?.parent;
  const parentSnapshot = parent || (await imageTopChainId(api, record.image));
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    containerId: record.id,
    image: record.image,
    snapshotter: record.snapshotter,
    parentSnapshot,
    args: strings(proc.args),
    env: strings(proc.env),
    cwd: typeof proc.cwd === 'string' ? proc.cwd : '/',
    user: `${Number(proc.user?.uid) || 0}:${Number(proc.user?.gid) || 0}`,
  };
}

/** What a twin wrote, from its upper dir: never following a link, bounded. */
async function upperWrites(upper: string): Promise<ChangeEntry[]> {
  const found: ChangeEntry[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (found.length >= MAX_WALK_ENTRIES) return;
      const full = path.join(dir, name);
      const st = await lstat(full).catch(() => undefined);
      if (!st) continue;
      const p = `${rel}/${name}`;
      // overlayfs marks a deletion with a 0:0 character device.
      if (st.isCharacterDevice() && st.rdev === 0) found.push({ path: p, kind: 'D' });
      else if (st.isDirectory()) {
        found.push({ path: p, kind: 'C' });
        await walk(full, p);
      } else found.push({ path: p, kind: 'A' });
    }
  };
  await walk(upper, '');
  return found;
}

/** The last lines a twin wrote, bounded (its output is the image's, but shown as untrusted). */
async function lastLines(files: readonly string[], count: number): Promise<string[]> {
  const lines: string[] = [];
  for (const file of files) {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
      () => undefined,
    );
    if (!handle) continue;
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      lines.push(...buf.toString('utf8').split('\n').filter(Boolean).slice(-count));
    } finally {
      await handle.close();
    }
  }
  return lines.slice(-count);
}

/** `uid[:gid]`, or a user (and group) named in the image's /etc/passwd, as numbers. */
async function twinUser(
  user: string,
  lower: readonly string[],
): Promise<{ uid: number; gid: number } | undefined> {
  const [name = '', group] = user.split(':');
  const isNumber = (t: string | undefined) => t !== undefined && /^\d+$/.test(t);
  if (isNumber(name) && (group === undefined || isNumber(group)))
    return { uid: Number(name), gid: Number(group ?? name) };
  const passwd = await readImageFile(lower, 'etc/passwd');
  const users = passwd ? parsePasswd(passwd.toString('utf8')) : [];
  const found = users.find((u) => u.name === name || String(u.uid) === name);
  if (!found || (group !== undefined && !isNumber(group))) return undefined;
  return { uid: found.uid, gid: group !== undefined ? Number(group) : found.gid };
}

async function runContainerdTwin(
  api: ContainerdApi,
  subject: ContainerdTwinSubject,
  trial: TwinTrial,
  opts: TwinOptions,
): Promise<TwinOutcome> {
  const started = Date.now();
  const id = `coroner-twin-${randomBytes(6).toString('hex')}`;
  const outcome: Omit<TwinOutcome, 'seconds'> = {
    isUp: false,
    writes: [],
    traffic: 'none',
    logTail: [],
    isSharedMemorySeen: false,
  };
  const done = () => ({ ...outcome, seconds: (Date.now() - started) / 1000 });
  const describe = `user ${trial.user || '(image default)'}, caps ${trial.capAdd.join(',') || 'none'}${trial.readOnly ? ', read-only root with the planned writable places' : ''}`;
  const labels = { [CONTAINERD_TWIN_LABEL]: subject.containerId };
  const { custody } = opts;
  const rootfs = await custody.step(
    `prepare a snapshot for a clean twin on the original image (${subject.parentSnapshot})`,
    id,
    () =>
      api.prepareSnapshot(subject.snapshotter, id, subject.parentSnapshot, heldSnapshot(labels)),
  );
  const logs = await mkdtemp(path.join(os.tmpdir(), 'coroner-twin-'));
  let hasContainer = false;
  let hasTask = false;
  try {
    const user = await twinUser(trial.user || '0:0', overlayDirs(rootfs).lower);
    if (!user) {
      outcome.why = `the image has no user ${trial.user} (a uid:gid, or a name in its /etc/passwd)`;
      return done();
    }
    const spec = defaultSpec({
      args: subject.args,
      env: subject.env,
      cwd: subject.cwd,
      user,
      capabilities: trial.capAdd.map((c) => `CAP_${c}`),
      noNewPrivileges: true,
      readOnlyRoot: trial.readOnly !== undefined,
      mounts: Object.entries(trial.readOnly?.tmpfs ?? {}).map(([destination, options]) => ({
        source: 'tmpfs',
        destination,
        type: 'tmpfs',
        options: options.split(',').filter((o) => o && o !== 'rw'),
      })),
    });
    // A pod's container has no tmpfs on /run (the CRI plugin mounts none): a twin with one
    // would hide the writes the pod's read-only root must make room for.
    spec.mounts = spec.mounts.filter((m) => m.destination !== '/run');
    const limited = {
      ...spec,
      linux: {
        ...spec.linux,
        resources: {
          ...spec.linux.resources,
          memory: { limit: opts.memoryBytes },
          pids: { limit: opts.pidsLimit },
        },
      },
    };
    await custody.step(
      `create a clean twin (${describe}; own network namespace, loopback only)`,
      id,
      () =>
        api.createContainer({
          id,
          labels,
          image: subject.image,
          runtime: { name: 'io.containerd.runc.v2' },
          spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(limited)) },
          snapshotter: subject.snapshotter,
          snapshotKey: id,
          extensions: {},
        }),
    );
    hasContainer = true;
    const stdout = path.join(logs, 'stdout');
    const stderr = path.join(logs, 'stderr');
    let pid: number;
    try {
      pid = await custody.step('start the twin', id, async () => {
        await api.createTask(id, rootfs, {
          stdout: `file://${stdout}`,
          stderr: `file://${stderr}`,
        });
        hasTask = true;
        return api.startTask(id);
      });
    } catch (e) {
      // The runtime refused it (a working folder the image lacks, say): a twin that did not come up.
      if (!(e instanceof ContainerdRequestFailed)) throw e;
      outcome.why = e.message;
      outcome.logTail = await lastLines([stderr, stdout], 10);
      return done();
    }
    Object.assign(
      outcome,
      await untilTwinSettles(
        async () => {
          const task = await api.task(id);
          return {
            // Only a stopped task (or none) has ended: one still `created` is starting.
            isStarting:
              task !== undefined && task.status !== 'running' && task.status !== 'stopped',
            isRunning: task?.status === 'running',
            exit:
              task?.status === 'stopped'
                ? `it exited with code ${task.exitStatus ?? '?'}`
                : `its task is ${task?.status ?? 'gone'}`,
            pid,
          };
        },
        { ...opts, hasHealthcheck: false },
      ),
    );
    if (outcome.isUp) {
      const sent = await sendTraffic(pid, opts.ports);
      outcome.traffic = sent.traffic;
      if (sent.answers) outcome.answers = sent.answers;
      await sleep(500); // what serving a request writes (a session, a log line) lands
      const task = await api.task(id);
      if (task?.status !== 'running') {
        outcome.isUp = false;
        outcome.why = `it exited with code ${task?.exitStatus ?? '?'} once it was sent traffic`;
      }
      const { upper } = overlayDirs(rootfs);
      const written = upper ? await upperWrites(upper) : [];
      // What it writes and removes again (a lock file) leaves no trace: ask what it holds open.
      const held = await filesOpenForWriting(await api.taskPids(id).catch(() => [pid]));
      outcome.writes = normaliseChanges([
        ...written,
        ...held.map((p) => ({ path: p, kind: 'A' as const })),
      ]).entries;
    }
    if (!outcome.isUp) outcome.logTail = await lastLines([stderr, stdout], 10);
  } finally {
    if (hasTask)
      await custody
        .step('stop and delete the twin task', id, async () => {
          await api.killTask(id, 9, true).catch(() => undefined);
          const end = Date.now() + 10_000;
          while ((await api.task(id))?.status === 'running' && Date.now() < end) await sleep(100);
          await api.deleteTask(id);
        })
        .catch(() => undefined);
    if (hasContainer)
      await custody
        .step('delete the twin container', id, () => api.deleteContainer(id))
        .catch(() => undefined);
    await custody
      .step("remove the twin's snapshot", id, () => api.removeSnapshot(subject.snapshotter, id))
      .catch(() => undefined); // in custody as failed
    await rm(logs, { recursive: true, force: true });
  }
  return done();
}

/**
 * The image's facts from a view of its snapshot: its users, and which folders hold something
 * (read from the layers, top first, never through a link).
 */
async function containerdImageFacts(
  api: ContainerdApi,
  subject: ContainerdTwinSubject,
  dirs: readonly string[],
  custody: CustodyLog,
): Promise<ImageFacts> {
  const key = `coroner-view-${randomBytes(6).toString('hex')}`;
  const mounts = await custody.step(
    "prepare a snapshot (never mounted) to read the image's users and folders",
    key,
    () =>
      api.prepareSnapshot(
        subject.snapshotter,
        key,
        subject.parentSnapshot,
        heldSnapshot({ [CONTAINERD_TWIN_LABEL]: subject.containerId }),
      ),
  );
  try {
    const { lower } = overlayDirs(mounts);
    const passwd = await readImageFile(lower, 'etc/passwd');
    const hasContent = new Map<string, boolean>();
    for (const dir of dirs) hasContent.set(dir, await holdsSomething(lower, dir));
    return { users: passwd ? parsePasswd(passwd.toString('utf8')) : [], hasContent };
  } finally {
    await custody
      .step('remove the reading snapshot', key, () => api.removeSnapshot(subject.snapshotter, key))
      .catch(() => undefined);
  }
}

export function containerdTwinRunner(
  api: ContainerdApi,
  subject: ContainerdTwinSubject,
): TwinRunner {
  return {
    defaultsOf: "containerd's",
    runTwin: (trial, opts) => runContainerdTwin(api, subject, trial, opts),
    imageFacts: (dirs, custody) => containerdImageFacts(api, subject, dirs, custody),
  };
}
