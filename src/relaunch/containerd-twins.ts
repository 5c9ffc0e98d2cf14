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
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CustodyLog } from '../case/custody.js';
import { normaliseChanges } from '../changes/change-list.js';
import type { ChangeEntry } from '../report/change.js';
import type {
  ContainerdApi,
  ContainerRecord,
  MountSpec,
} from '../sources/containerd-api/containerd-types.js';
import { ContainerdRequestFailed } from '../sources/containerd-api/containerd-errors.js';
import { defaultSpec, SPEC_TYPE_URL } from '../sources/containerd-api/oci-spec.js';
import { CoronerError } from '../errors.js';
import { filesOpenForWriting } from '../sources/host-proc/processes.js';
import { askInNamespace, canEnterNamespaces, listeningPorts } from './serve-check.js';
import {
  DEFAULT_SETTLE_MS,
  parsePasswd,
  twinVerdict,
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

/** The original image could not be read from containerd's store as an image must be. */
export class TwinImageUnreadable extends CoronerError {
  constructor(message: string) {
    super(
      message,
      'Import the original image into containerd (k8s.io namespace), or relaunch with --no-learn.',
    );
  }
}

const MAX_JSON_BYTES = 4 * 1024 * 1024;
const MAX_WALK_ENTRIES = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBlob(api: ContainerdApi, digest: unknown): Promise<Buffer> {
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new TwinImageUnreadable(`a blob of the image is named by no sha256 digest`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of api.readContent(digest)) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new TwinImageUnreadable(`blob ${digest} is larger than 4 MiB`);
    chunks.push(chunk as Buffer);
  }
  const data = Buffer.concat(chunks);
  // The content store is the suspect host's: a blob is only what its digest says.
  const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  if (actual !== digest) throw new TwinImageUnreadable(`blob ${digest} does not match its digest`);
  return data;
}

/** OCI image spec: chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainId(diffIds: readonly string[]): string {
  let chain = diffIds[0]!;
  for (const diff of diffIds.slice(1))
    chain = `sha256:${createHash('sha256').update(`${chain} ${diff}`).digest('hex')}`;
  return chain;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };

/** The image's config (an index picks this platform's manifest), digest-checked, bounded. */
async function imageConfig(api: ContainerdApi, imageName: string): Promise<Record<string, any>> {
  const image = await api.image(imageName);
  if (!image) throw new TwinImageUnreadable(`containerd has no image named ${imageName}`);
  let manifest = JSON.parse((await readBlob(api, image.target.digest)).toString('utf8'));
  if (Array.isArray(manifest.manifests)) {
    const arch = GO_ARCH[process.arch] ?? process.arch;
    const pick = manifest.manifests.find(
      (m: { platform?: { os?: string; architecture?: string } }) =>
        m.platform?.os === 'linux' && m.platform.architecture === arch,
    );
    if (!pick) throw new TwinImageUnreadable(`image ${imageName} has no linux/${arch} manifest`);
    manifest = JSON.parse((await readBlob(api, pick.digest)).toString('utf8'));
  }
  return JSON.parse((await readBlob(api, manifest.config.digest)).toString('utf8'));
}

/** The image's top chain id, from its config's rootfs.diff_ids. */
export async function imageTopChainId(api: ContainerdApi, imageName: string): Promise<string> {
  const diffIds: unknown = (await imageConfig(api, imageName)).rootfs?.diff_ids;
  if (
    !Array.isArray(diffIds) ||
    diffIds.length === 0 ||
    !diffIds.every((d) => typeof d === 'string')
  )
    throw new TwinImageUnreadable(`image ${imageName} names no layers`);
  return chainId(diffIds as string[]);
}

/** The labels of an image's config (empty when the image is gone or names none). */
export async function imageConfigLabels(
  api: ContainerdApi,
  imageName: string,
): Promise<Record<string, string>> {
  const labels: unknown = await imageConfig(api, imageName)
    .then((c) => c.config?.Labels)
    .catch(() => undefined);
  if (!labels || typeof labels !== 'object') return {};
  return Object.fromEntries(
    Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

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

/** Overlay's folders, from a snapshot's mount: the upper dir and the lower dirs, top first. */
export function overlayDirs(mounts: readonly MountSpec[]): { upper?: string; lower: string[] } {
  const m = mounts[0];
  if (!m) return { lower: [] };
  if (m.type === 'bind') return { lower: [m.source] };
  const option = (name: string) =>
    m.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const upper = option('upperdir');
  return { ...(upper ? { upper } : {}), lower: option('lowerdir')?.split(':') ?? [] };
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

/**
 * Where a path of the image lies in one layer, walked a component at a time with lstat so
 * that no link of the image's (which is the suspect's to shape) is ever followed: `found`
 * with its stats, `hidden` when this layer deletes it or replaces a folder on its way (a
 * whiteout, a file or a link), `absent` when the layer says nothing of it.
 */
async function inLayer(
  layer: string,
  parts: readonly string[],
): Promise<{ state: 'found'; full: string; st: Stats } | { state: 'hidden' | 'absent' }> {
  let full = layer;
  for (const [i, part] of parts.entries()) {
    full = path.join(full, part);
    const st = await lstat(full).catch(() => undefined);
    if (!st) return { state: 'absent' };
    if (st.isCharacterDevice() && st.rdev === 0) return { state: 'hidden' };
    if (i === parts.length - 1) return { state: 'found', full, st };
    if (!st.isDirectory()) return { state: 'hidden' };
  }
  return { state: 'absent' };
}

/** A container path's components, or undefined when it could leave the root (`..`). */
function partsOf(containerPath: string): string[] | undefined {
  const parts = containerPath.split('/').filter((p) => p && p !== '.');
  return parts.some((p) => p === '..') || parts.length === 0 ? undefined : parts;
}

/** A file of the image, through its layers top first, never through a link (at most 1 MiB). */
export async function readImageFile(
  lower: readonly string[],
  file: string,
): Promise<Buffer | undefined> {
  const parts = partsOf(file);
  if (!parts) return undefined;
  for (const layer of lower) {
    const at = await inLayer(layer, parts);
    if (at.state !== 'found') {
      if (at.state === 'absent') continue;
      return undefined;
    }
    if (!at.st.isFile()) return undefined;
    const handle = await open(at.full, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(Math.min(at.st.size, 1024 * 1024));
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  return undefined;
}

/**
 * Whether a folder holds something in the image: an entry in some layer that no layer above
 * deleted. (An opaque folder's marker is an xattr Node cannot read: a lower layer's entries
 * under one count too, so a folder may be taken as holding something it no longer does, and
 * get a seeded emptyDir it did not need: the safe side.)
 */
export async function holdsSomething(lower: readonly string[], dir: string): Promise<boolean> {
  const parts = partsOf(dir);
  if (!parts) return false;
  const hidden = new Set<string>();
  for (const layer of lower) {
    const at = await inLayer(layer, parts);
    if (at.state !== 'found') {
      if (at.state === 'absent') continue;
      return false;
    }
    if (!at.st.isDirectory()) return false;
    for (const name of (await readdir(at.full)).slice(0, MAX_WALK_ENTRIES)) {
      const e = await lstat(path.join(at.full, name)).catch(() => undefined);
      if (e?.isCharacterDevice() && e.rdev === 0) hidden.add(name);
      else if (!hidden.has(name)) return true;
    }
  }
  return false;
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
    () => api.prepareSnapshot(subject.snapshotter, id, subject.parentSnapshot, labels),
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
    const runningSince = Date.now();
    const settleMs = Math.min(opts.settleMs ?? DEFAULT_SETTLE_MS, opts.windowMs);
    for (;;) {
      const task = await api.task(id);
      const isRunning = task?.status === 'running';
      const listening = isRunning ? await listeningPorts(pid) : undefined;
      const verdict = twinVerdict({
        isRunning,
        exit: `it exited with code ${task?.exitStatus ?? '?'}`,
        hasHealthcheck: false,
        ...(listening ? { listening } : {}),
        ports: opts.ports,
        ranMs: Date.now() - runningSince,
        settleMs,
        windowMs: opts.windowMs,
      });
      if (verdict) {
        outcome.isUp = verdict.isUp;
        if (verdict.why) outcome.why = verdict.why;
        if (verdict.isUp && listening) outcome.listening = listening;
        break;
      }
      await sleep(200);
    }
    if (outcome.isUp) {
      if (!canEnterNamespaces())
        outcome.traffic =
          "no traffic sent (coroner is not root, so it cannot enter the twin's network namespace)";
      else if (opts.ports.length === 0) outcome.traffic = 'no port to send a request to';
      else {
        const answers = [];
        for (const port of opts.ports) answers.push(await askInNamespace(pid, port));
        outcome.traffic = `a request to each port the suspect listened on (${answers
          .map((a) => `port ${a.port}: ${a.isOpen ? `${a.bytes} bytes` : 'no answer'}`)
          .join(', ')})`;
        outcome.answers = answers;
      }
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
      api.prepareSnapshot(subject.snapshotter, key, subject.parentSnapshot, {
        [CONTAINERD_TWIN_LABEL]: subject.containerId,
      }),
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
