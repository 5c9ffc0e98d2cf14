/**
 * Clean twins through the Engine API (Docker and Podman speak the same one): the
 * original image id, the suspect's command and environment, the hardening being
 * tried, but a writable root filesystem and no network. Each runs for a bounded time,
 * is sent the kind of traffic the suspect served, and its own change list says what
 * the app writes by itself, untouched by the attacker. Then it is removed (in
 * custody). The image's users and folders are read through a reader never started.
 * Nothing here touches the suspect.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { nameFromBytes, nameSlug } from '../case/container-path.js';
import { EngineRequestFailed } from '../errors.js';
import { engineStatus } from '../sources/docker-live/engine-errors.js';
import type { CustodyLog } from '../case/custody.js';
import { normaliseChanges, withoutEngineFiles } from '../changes/change-list.js';
import { changesFromEngine } from '../sources/docker-live/engine-changes.js';
import {
  READER_ROLE_LABEL,
  type ContainerInspect,
  type Engine,
} from '../sources/docker-live/engine.js';
import { lastLogLines } from '../sources/docker-live/log-tail.js';
import { readerOwnerLabels, TWIN_ROLE } from '../sources/docker-live/stale-readers.js';
import { containerPids, filesOpenForWriting } from '../sources/host-proc/processes.js';
import { proveOnThisHost } from '../sources/host-proc/this-host.js';
import { NO_NEW_PRIVILEGES } from './plan.js';
import { readBounded, tarEntries } from '../tar-entries.js';
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

/** On every twin: the suspect it is a twin of. */
export const TWIN_FOR_LABEL = 'coroner.twin.for';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The suspect's own service, as a twin: what is the app's, not the attacker's, and nothing of its state. */
function twinBody(
  suspect: ContainerInspect,
  trial: TwinTrial,
  opts: TwinOptions,
  hostUnprivilegedPortStart: number | undefined,
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
      ...(suspect.HostConfig.NetworkMode === 'host' && hostUnprivilegedPortStart !== undefined
        ? {
            Sysctls: {
              'net.ipv4.ip_unprivileged_port_start': String(hostUnprivilegedPortStart),
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
/** The twin's processes on this host (root only), or none. */
async function twinPids(id: string, pid: number): Promise<number[] | undefined> {
  if (process.getuid?.() !== 0 || !pid) return undefined;
  const pids = await containerPids(id, pid);
  return pids.length ? pids : undefined;
}

/** Runs one twin until it is up (healthy, listening on the suspect's ports) or the window ends. */
async function runDockerTwin(
  engine: Engine,
  suspect: ContainerInspect,
  trial: TwinTrial,
  opts: TwinOptions,
  hostUnprivilegedPortStart: number | undefined,
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
        config: twinBody(suspect, trial, opts, hostUnprivilegedPortStart),
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
    Object.assign(
      outcome,
      await untilTwinSettles(
        async () => {
          const s = (await engine.inspectContainer(id)).State;
          const health = (s as { Health?: { Status: string } }).Health?.Status;
          return {
            isRunning: s.Running,
            exit: `it exited with code ${s.ExitCode}${s.Error ? ` (${s.Error})` : ''}`,
            ...(health ? { health } : {}),
            pid: s.Pid,
          };
        },
        { ...opts, hasHealthcheck },
      ),
    );
    if (outcome.isUp) {
      const pid = (await engine.inspectContainer(id)).State.Pid;
      outcome.traffic = (await sendTraffic(pid, opts.ports)).traffic;
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

/**
 * The host's lowest port a process without NET_BIND_SERVICE may bind (for twins of a suspect
 * on the host's network): read where coroner runs beside the engine, else the kernel's default.
 */
async function unprivilegedPortStart(engine: Engine): Promise<number> {
  const KERNEL_DEFAULT = 1024;
  if (engine.traits.transport !== 'unix') return KERNEL_DEFAULT;
  const text = await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(
    () => '',
  );
  return /^\d+\s*$/.test(text) ? Number(text) : KERNEL_DEFAULT;
}

/**
 * Facts of the original image read through one never-started reader: its users
 * (/etc/passwd, at most 1 MiB), and which of `dirs` hold something.
 */
async function imageFacts(
  engine: Engine,
  imageId: string,
  custody: CustodyLog,
  dirs: readonly string[],
): Promise<ImageFacts> {
  const reader = await custody.step(
    "create reader container (never started) to read the image's users and folders",
    imageId,
    () => engine.createReader(imageId, {}),
  );
  const archiveOf = async (path: string) => {
    try {
      return await engine.archive(reader, path);
    } catch (e) {
      if (engineStatus(e) === 404) return undefined;
      throw e;
    }
  };
  try {
    let users: ImageFacts['users'] = [];
    const passwd = await archiveOf('/etc/passwd');
    if (passwd)
      for await (const entry of tarEntries(passwd)) {
        users = parsePasswd((await readBounded(entry, 1024 * 1024)).data.toString('utf8'));
        break;
      }
    const hasContent = new Map<string, boolean>();
    for (const dir of dirs) {
      // The folder itself is the first entry; a second means it holds something.
      const tree = await archiveOf(dir);
      let count = 0;
      if (tree)
        for await (const entry of tarEntries(tree)) {
          entry.resume();
          if (++count >= 2) break;
        }
      hasContent.set(dir, count >= 2);
    }
    return { users, hasContent };
  } finally {
    await custody
      .step('remove reader container', reader, () =>
        engine.removeContainer(reader, { removeVolumes: true }),
      )
      .catch(() => undefined);
  }
}

/** Twins of `suspect`'s service (its config as given: without what the engine adds) on `engine`. */
export function dockerTwinRunner(engine: Engine, suspect: ContainerInspect): TwinRunner {
  let portStart: Promise<number> | undefined;
  return {
    defaultsOf: "Docker's",
    async runTwin(trial, opts) {
      portStart ??= unprivilegedPortStart(engine);
      return runDockerTwin(engine, suspect, trial, opts, await portStart);
    },
    imageFacts: (dirs, custody) => imageFacts(engine, suspect.Image, custody, dirs),
  };
}
