/**
 * A clean twin of the suspect: the original image id, the suspect's command and
 * environment, the hardening being tried, but a writable root filesystem and no
 * network. It runs for a bounded time, is sent the kind of traffic the suspect
 * served, and its own change list says what the app writes by itself, untouched by
 * the attacker. Then it is removed (in custody). Nothing here touches the suspect.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { nameFromBytes, nameSlug } from '../case/container-path.js';
import { EngineRequestFailed } from '../errors.js';
import type { CustodyLog } from '../case/custody.js';
import { normaliseChanges, withoutEngineFiles } from '../changes/change-list.js';
import type { ChangeEntry } from '../report/change.js';
import { changesFromEngine } from '../sources/docker-live/engine-changes.js';
import {
  READER_ROLE_LABEL,
  type ContainerInspect,
  type Engine,
} from '../sources/docker-live/engine.js';
import { lastLogLines } from '../sources/docker-live/log-tail.js';
import { readerOwnerLabels, TWIN_ROLE } from '../sources/docker-live/stale-readers.js';
import { parseInetTable } from '../sources/host-proc/proc-net.js';
import { containerPids, filesOpenForWriting } from '../sources/host-proc/processes.js';
import { proveOnThisHost } from '../sources/host-proc/this-host.js';
import { NO_NEW_PRIVILEGES } from './plan.js';
import { askInNamespace, canEnterNamespaces } from './serve-check.js';

/** On every twin: the suspect it is a twin of. */
export const TWIN_FOR_LABEL = 'coroner.twin.for';

export interface TwinTrial {
  user: string;
  capAdd: string[];
  /** The replacement's writable places, for a last trial with its read-only root. */
  readOnly?: { tmpfs: Record<string, string>; volumes: string[] };
}

export interface TwinOutcome {
  isUp: boolean;
  /** Why it did not come up: exit code, unhealthy, a port that stayed closed. */
  why?: string;
  /** What it wrote on its own (its change list), when it came up. */
  writes: ChangeEntry[];
  /** The TCP ports it listened on, when coroner could see (as root). */
  listening?: number[];
  /** Whether its /dev/shm could be read (as root): what it wrote there is in `writes`. */
  isSharedMemorySeen: boolean;
  /** What was sent to it, in words. */
  traffic: string;
  logTail: string[];
  seconds: number;
}

export interface TwinOptions {
  /** The TCP ports the suspect listened on (or declared): the twin must listen on them too. */
  ports: number[];
  /** How long a twin may take to come up. */
  windowMs: number;
  /**
   * With nothing to wait for (no port, no healthcheck), how long it must keep running to
   * count as up, as the replacement must: a crash on start shows up in it. At most windowMs.
   */
  settleMs?: number;
  /**
   * The lowest port a process without NET_BIND_SERVICE may bind on the host's network (the
   * host's net.ipv4.ip_unprivileged_port_start), for a suspect on the host's network: a
   * twin in its own namespace would otherwise get Docker's 0, and prove a plan the host
   * refuses.
   */
  hostUnprivilegedPortStart?: number;
  memoryBytes: number;
  pidsLimit: number;
  custody: CustodyLog;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The suspect's own service, as a twin: what is the app's, not the attacker's, and nothing of its state. */
function twinBody(
  suspect: ContainerInspect,
  trial: TwinTrial,
  opts: TwinOptions,
): Record<string, unknown> {
  const cfg = suspect.Config;
  return {
    Image: suspect.Image,
    Cmd: cfg.Cmd ?? undefined,
    Entrypoint: cfg.Entrypoint ?? undefined,
    Env: cfg.Env ?? [],
    WorkingDir: cfg.WorkingDir || undefined,
    User: trial.user,
    Healthcheck: cfg.Healthcheck ?? undefined,
    StopSignal: (cfg as { StopSignal?: string }).StopSignal ?? undefined,
    Labels: {
      [READER_ROLE_LABEL]: TWIN_ROLE,
      [TWIN_FOR_LABEL]: suspect.Id,
      ...readerOwnerLabels(),
    },
    ...(trial.readOnly?.volumes.length
      ? { Volumes: Object.fromEntries(trial.readOnly.volumes.map((v) => [v, {}])) }
      : {}),
    HostConfig: {
      // No network, no volume or bind of the suspect's, no published port: nothing it could reach.
      NetworkMode: 'none',
      // The host network's rule for low ports, where the service will run on the host's network.
      ...(suspect.HostConfig.NetworkMode === 'host' && opts.hostUnprivilegedPortStart !== undefined
        ? {
            Sysctls: {
              'net.ipv4.ip_unprivileged_port_start': String(opts.hostUnprivilegedPortStart),
            },
          }
        : {}),
      ReadonlyRootfs: trial.readOnly !== undefined,
      Tmpfs: trial.readOnly?.tmpfs ?? {},
      CapDrop: ['ALL'],
      CapAdd: trial.capAdd.length ? trial.capAdd : undefined,
      SecurityOpt: [NO_NEW_PRIVILEGES],
      PidsLimit: opts.pidsLimit,
      Memory: opts.memoryBytes,
      RestartPolicy: { Name: 'no' },
    },
  };
}

/** The TCP ports a process of the twin listens on, from its network namespace (root only). */
async function listeningPorts(pid: number): Promise<number[] | undefined> {
  if (process.getuid?.() !== 0 || !pid) return undefined;
  const tables = await Promise.all(
    (['tcp', 'tcp6'] as const).map(async (p) =>
      parseInetTable(await readFile(`/proc/${pid}/net/${p}`, 'utf8').catch(() => ''), p),
    ),
  );
  return [
    ...new Set(
      tables
        .flat()
        .filter((s) => s.state === 'listen')
        .map((s) => Number(s.local.slice(s.local.lastIndexOf(':') + 1))),
    ),
  ];
}

/**
 * What the twin wrote in its /dev/shm, a tmpfs no change list shows, read inside its own
 * root once it is proved to run here (root only, never through a link: the image's init
 * may chroot and plant one); undefined when that view is closed.
 */
async function sharedMemoryWrites(twin: ContainerInspect): Promise<string[] | undefined> {
  const here = await proveOnThisHost(twin).catch(() => ({ reason: 'unreadable' }));
  if ('reason' in here) return undefined;
  try {
    const shm = await here.root.openFolder('/dev/shm');
    try {
      const names = await readdir(`/proc/self/fd/${shm.fd}`, { encoding: 'buffer' });
      return names.slice(0, 1000).map((n) => `/dev/shm/${nameFromBytes(n)}`);
    } finally {
      await shm.close();
    }
  } catch {
    return undefined;
  } finally {
    await here.root.close();
  }
}

/** A request to each port, from inside the twin's own network namespace (it has no other network). */
async function sendTraffic(pid: number, ports: number[]): Promise<string> {
  if (!canEnterNamespaces())
    return "no traffic sent (coroner is not root, so it cannot enter the twin's network namespace)";
  if (ports.length === 0) return 'no port to send a request to';
  const answers = [];
  for (const port of ports) answers.push(await askInNamespace(pid, port));
  return `a request to each port the suspect listened on (${answers
    .map((a) => `port ${a.port}: ${a.isOpen ? `${a.bytes} bytes` : 'no answer'}`)
    .join(', ')})`;
}

/** The twin's processes on this host (root only), or none. */
async function twinPids(id: string, pid: number): Promise<number[] | undefined> {
  if (process.getuid?.() !== 0 || !pid) return undefined;
  const pids = await containerPids(id, pid);
  return pids.length ? pids : undefined;
}

/** With nothing else to wait for, a twin must run this long to count as up (as the replacement must). */
const DEFAULT_SETTLE_MS = 5_000;

export interface TwinState {
  isRunning: boolean;
  /** How it ended, in words, when it is not running. */
  exit: string;
  health?: string;
  hasHealthcheck: boolean;
  /** The TCP ports it listens on; undefined when coroner cannot see (not root). */
  listening?: number[];
  /** The ports it must listen on (empty: none known). */
  ports: readonly number[];
  /** How long since it was started. */
  ranMs: number;
  settleMs: number;
  windowMs: number;
}

/**
 * Whether a twin is up, has failed, or is still coming up (undefined): healthy when it has a
 * healthcheck, listening on every port it must; with nothing to wait for, still running once
 * it has run for the settle time (a service that dies a second after start is not up).
 */
export function twinVerdict(t: TwinState): { isUp: boolean; why?: string } | undefined {
  if (!t.isRunning) return { isUp: false, why: t.exit };
  if (t.health === 'unhealthy') return { isUp: false, why: 'its healthcheck reported unhealthy' };
  const isHealthy = !t.hasHealthcheck || t.health === 'healthy';
  const missing = t.listening ? t.ports.filter((p) => !t.listening!.includes(p)) : [];
  const hasSomethingToWaitFor =
    t.hasHealthcheck || (t.listening !== undefined && t.ports.length > 0);
  if (isHealthy && missing.length === 0) {
    if (hasSomethingToWaitFor) return { isUp: true };
    if (t.ranMs >= t.settleMs) return { isUp: true };
  }
  if (t.ranMs < t.windowMs) return undefined;
  if (!isHealthy) return { isUp: false, why: `not healthy within ${t.windowMs / 1000} s` };
  if (missing.length)
    return {
      isUp: false,
      why: `not listening on port ${missing.join(', ')} within ${t.windowMs / 1000} s`,
    };
  return { isUp: true };
}

/** Runs one twin until it is up (healthy, listening on the suspect's ports) or the window ends. */
export async function runTwin(
  engine: Engine,
  suspect: ContainerInspect,
  trial: TwinTrial,
  opts: TwinOptions,
): Promise<TwinOutcome> {
  const started = Date.now();
  const name = `coroner-twin-${nameSlug(suspect.Name.replace(/^\//, ''))}-${randomBytes(3).toString('hex')}`;
  const describe = `user ${trial.user || '(image default)'}, caps ${trial.capAdd.join(',') || 'none'}${trial.readOnly ? ', read-only root with the planned writable places' : ''}`;
  const id = await opts.custody.step(
    `create a clean twin from the original image (${describe}; no network)`,
    suspect.Image,
    () =>
      engine.createContainer({
        image: suspect.Image,
        name,
        config: twinBody(suspect, trial, opts),
      }),
  );
  const outcome: Omit<TwinOutcome, 'seconds'> = {
    isUp: false,
    writes: [],
    traffic: 'none',
    logTail: [],
    isSharedMemorySeen: false,
  };
  try {
    try {
      await opts.custody.step('start the twin', id, () => engine.startContainer(id));
    } catch (e) {
      // The engine refused it (a user the image lacks, say): a twin that did not come up.
      if (!(e instanceof EngineRequestFailed)) throw e;
      return { ...outcome, why: e.message, seconds: (Date.now() - started) / 1000 };
    }
    const hasHealthcheck = Boolean(
      suspect.Config.Healthcheck?.Test?.length && suspect.Config.Healthcheck.Test[0] !== 'NONE',
    );
    const runningSince = Date.now();
    const settleMs = Math.min(opts.settleMs ?? DEFAULT_SETTLE_MS, opts.windowMs);
    for (;;) {
      const s = (await engine.inspectContainer(id)).State;
      const health = (s as { Health?: { Status: string } }).Health?.Status;
      const listening = s.Running ? await listeningPorts(s.Pid) : undefined;
      const verdict = twinVerdict({
        isRunning: s.Running,
        exit: `it exited with code ${s.ExitCode}${s.Error ? ` (${s.Error})` : ''}`,
        ...(health ? { health } : {}),
        hasHealthcheck,
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
      const pid = (await engine.inspectContainer(id)).State.Pid;
      outcome.traffic = await sendTraffic(pid, opts.ports);
      await sleep(500); // what serving a request writes (a session, a log line) lands
      const s = (await engine.inspectContainer(id)).State;
      if (!s.Running) {
        outcome.isUp = false;
        outcome.why = `it exited with code ${s.ExitCode} once it was sent traffic`;
      }
      const raw = await opts.custody.step("list the twin's own changes", id, () =>
        engine.changes(id, 64 * 1024 * 1024),
      );
      // What it writes and removes again (a lock file) leaves no change: ask what it holds open.
      const held = await twinPids(id, pid).then((pids) => (pids ? filesOpenForWriting(pids) : []));
      const shm = await sharedMemoryWrites(await engine.inspectContainer(id));
      outcome.isSharedMemorySeen = shm !== undefined;
      outcome.writes = normaliseChanges([
        ...withoutEngineFiles(changesFromEngine(raw).entries, engine.traits.ownFiles),
        ...[...held, ...(shm ?? [])].map((path) => ({ path, kind: 'A' as const })),
      ]).entries;
    }
    if (!outcome.isUp) outcome.logTail = await lastLogLines(engine, id, 10);
  } finally {
    await opts.custody
      .step('remove the twin', id, () => engine.removeContainer(id, { removeVolumes: true }))
      .catch(() => undefined); // in custody as failed; a later triage removes a leftover twin
  }
  return { ...outcome, seconds: (Date.now() - started) / 1000 };
}
