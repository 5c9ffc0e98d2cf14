/**
 * The one place that talks to the Docker Engine API. Everything else in coroner
 * sees the small typed `Engine` interface below, never dockerode.
 */
import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import { Transform, type Readable } from 'node:stream';
import { Cancelled, EngineRequestFailed, EngineUnreachable } from '../../errors.js';
import { openSshTunnel, type SshTunnel } from './ssh-tunnel.js';
import { parseJsonArray } from './json-array-stream.js';
import { metaFromPathStat, type FileMeta } from '../../report/file-meta.js';
import {
  apiRefused,
  compareApiVersions,
  negotiateApiVersion,
  type EngineApiRange,
} from './api-version.js';
import {
  engineAddress,
  engineStatus,
  engineStoppedAnswering,
  engineTimeoutMs,
  isConnectionReset,
  translateEngineError,
} from './engine-errors.js';
import type {
  ContainerInspect,
  ContainerSummary,
  EngineIdentity,
  ImageHistoryEntry,
  ImageInspect,
  ProcessList,
  RawChange,
} from './types.js';

export type * from './types.js';

/**
 * dockerode loads its BuildKit session support (gRPC and protobuf: 40-70 ms, a third of a
 * small triage) as it loads, though only image builds use it, and coroner builds none. It
 * is stood in for before dockerode loads; were dockerode to move it, it simply loads.
 */
function loadDockerode(): typeof Docker {
  const require = createRequire(import.meta.url);
  // Modules coroner never uses, kept out of start-up: it builds no images (BuildKit
  // sessions), and reaches ssh engines through its own tunnel (docker-modem's ssh2 client).
  stubModule(
    require,
    'dockerode/lib/session.js',
    'coroner does not build images, so it has no BuildKit session',
  );
  stubModule(
    require,
    'docker-modem/lib/ssh.js',
    "coroner reaches ssh engines through the system's ssh, not docker-modem's",
  );
  return require('dockerode') as typeof Docker;
}

/** `name` resolves to a module whose use throws `why`, without loading the real one. */
function stubModule(require: NodeJS.Require, name: string, why: string): void {
  try {
    const file = require.resolve(name);
    require.cache[file] ??= {
      id: file,
      filename: file,
      loaded: true,
      exports: () => {
        throw new Error(why);
      },
    } as unknown as NodeJS.Module;
  } catch {
    // Not where it was: the package loads its own.
  }
}

/** On every reader container coroner creates: `reader`. */
export const READER_ROLE_LABEL = 'coroner.role';

export interface CommitRequest {
  repo: string;
  tag: string;
  comment: string;
  labels: Record<string, string>;
  /** Pause the container while committing (false for one already stopped or paused). */
  pause: boolean;
}

export interface CreateContainerRequest {
  image: string;
  name?: string;
  labels?: Record<string, string>;
  /** The raw Engine API create body, for relaunch; merged over the inert defaults. */
  config?: Record<string, unknown>;
}

/** What differs between the engines coroner speaks to, known once at connection. */
export interface EngineTraits {
  /** From the engine's own version answer: Podman names itself among its components. */
  product: 'Docker' | 'Podman';
  /** How DOCKER_HOST reaches it. Over ssh, the engine's host is never this machine. */
  transport: 'unix' | 'tcp' | 'ssh';
  /**
   * Files the engine itself writes into every container's layer (Podman: hosts, hostname,
   * mtab, .containerenv): not the container's doing, and so not findings.
   */
  ownFiles: readonly string[];
  /** Environment variables the engine adds to every container's config (not the service's). */
  addedEnv: readonly string[];
}

export interface Engine {
  readonly traits: EngineTraits;
  identity(): Promise<EngineIdentity>;
  listContainers(): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerInspect>;
  inspectImage(id: string): Promise<ImageInspect>;
  imageHistory(id: string): Promise<ImageHistoryEntry[]>;
  top(id: string): Promise<ProcessList>;
  /** The multiplexed (or raw, for TTY containers) log stream, last `tail` lines. */
  logs(id: string, tail: number, signal?: AbortSignal): Promise<Readable>;
  commit(containerId: string, req: CommitRequest): Promise<string>;
  /**
   * The change list, parsed as it streams; an answer over `maxBytes` fails (EngineRequestFailed)
   * rather than growing past what one process can hold.
   */
  changes(id: string, maxBytes: number): Promise<RawChange[]>;
  /** Creates a container that is never started, to read an image's files through the archive endpoint. */
  createReader(image: string, labels: Record<string, string>): Promise<string>;
  /** A tar stream of `path` inside a (possibly never started) container. */
  archive(containerId: string, path: string, signal?: AbortSignal): Promise<Readable>;
  /**
   * What a path in a container is, from the engine's stat (HEAD on the archive endpoint):
   * nothing runs in the container. Undefined when the path (or container) is gone.
   */
  statPath(containerId: string, path: string): Promise<FileMeta | undefined>;
  /** `docker save` of one image, as a tar stream. */
  saveImage(imageId: string, signal?: AbortSignal): Promise<Readable>;
  /** `docker export`: the container's whole filesystem as it sees it, a tar stream. */
  exportContainer(id: string, signal?: AbortSignal): Promise<Readable>;
  /** Removes a container, a running one too unless `ifStopped` (the engine then refuses). */
  removeContainer(
    id: string,
    opts?: { removeVolumes?: boolean; ifStopped?: boolean },
  ): Promise<void>;
  createContainer(req: CreateContainerRequest): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** SIGKILL: no signal handler in the container runs (a paused one is killed too). */
  killContainer(id: string): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  disconnectNetwork(network: string, containerId: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /**
   * `docker update --restart no`: the container is never started again by the engine.
   * Resolves to why not when this engine cannot change it (Podman 4.3 has no API for it).
   */
  setRestartPolicyNo(id: string): Promise<string | undefined>;
  /** Image ids carrying a label (`key=value`). */
  listImagesByLabel(label: string): Promise<string[]>;
  /**
   * The events the engine still holds about a container, from `sinceSeconds` to now
   * (`docker events --since … --until …`), at most `maxBytes` of them; of the `actions`
   * given only (`exec_create` takes `exec_create: <command>`).
   */
  events(
    containerId: string,
    sinceSeconds: number,
    maxBytes: number,
    actions?: readonly string[],
  ): Promise<EventsRead>;
}

/** Events read, and until when, on the engine's clock: the `since` of a later read. */
export interface EventsRead {
  events: RawEvent[];
  untilSeconds: number;
  /** The read stopped at its byte limit: later events of the span were not read. */
  isCut: boolean;
}

/** One event as the engine sends it. */
export interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const PODMAN_TRAITS = {
  ownFiles: ['/etc/hosts', '/etc/hostname', '/etc/mtab', '/run/.containerenv'],
  addedEnv: ['container', 'HOSTNAME'],
};

/**
 * Connects to the engine named by DOCKER_HOST (unix socket, tcp with TLS through
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, or ssh, as the docker CLI reads them), Docker or
 * Podman's Docker-compatible service, and speaks the lower of the engine's API version and
 * ours. A request the engine leaves unanswered for CORONER_ENGINE_TIMEOUT seconds
 * (default 600) fails.
 */
export async function connectEngine(): Promise<Engine> {
  const address = process.env['DOCKER_HOST'] ?? '';
  const transport = address.startsWith('ssh://')
    ? 'ssh'
    : address.startsWith('tcp://')
      ? 'tcp'
      : 'unix';
  // docker-modem's own ssh support ignores ~/.ssh/config and known hosts: the system's ssh does not.
  const tunnel = transport === 'ssh' ? await openSshTunnel(address) : undefined;
  const idleMs = engineTimeoutMs();
  const client = (): Docker => {
    try {
      const Dockerode = loadDockerode();
      // docker-modem reads DOCKER_HOST itself and would keep its ssh host: each field is set.
      const docker = tunnel
        ? new Dockerode({
            socketPath: tunnel.socketPath,
            protocol: 'http',
            host: undefined,
            port: undefined,
            username: undefined,
          } as Docker.DockerOptions)
        : new Dockerode();
      // docker-modem ends a request whose socket stays idle this long (reads and writes alike).
      (docker.modem as { timeout?: number }).timeout = idleMs;
      return docker;
    } catch (e) {
      throw translateEngineError(e, 'reading DOCKER_HOST');
    }
  };
  // Unversioned: the one request every engine answers whatever versions it takes.
  const unversioned = client();
  const askVersion = () => unversioned.version() as Promise<Docker.DockerVersion & EngineApiRange>;
  const calls = new EngineCalls(idleMs, tunnel);
  const version = await calls.call('asking the engine for its version', askVersion);
  const api = negotiateApiVersion(version, engineAddress());
  const docker = client();
  (docker.modem as { version?: string }).version = `v${api}`;
  calls.apiSpoken = { version: api, askEngine: askVersion };
  const isPodman = (version.Components ?? []).some((c) => /podman/i.test(c.Name));
  const traits: EngineTraits = isPodman
    ? { product: 'Podman', transport, ...PODMAN_TRAITS }
    : { product: 'Docker', transport, ownFiles: [], addedEnv: [] };
  return new DockerodeEngine(docker, calls, traits);
}

/**
 * Runs the requests to one engine: failures translated into errors a responder can act
 * on, and a request on which the engine stays silent for `idleMs` given up (a hung
 * dockerd would otherwise hold coroner forever).
 */
class EngineCalls {
  /** The API version spoken, and how to ask the engine which it takes now. */
  apiSpoken: { version: string; askEngine: () => Promise<EngineApiRange> } | undefined;

  constructor(
    readonly idleMs: number,
    private readonly tunnel?: SshTunnel,
  ) {}

  async call<T>(action: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const sentAt = Date.now();
    try {
      return await fn();
    } catch (e) {
      const failure = this.failureOf(e, action, signal, Date.now() - sentAt);
      throw (await this.versionRefusal(failure, action)) ?? failure;
    }
  }

  /**
   * A 400 may be the engine refusing the API version itself (its text is not a contract):
   * the engine's own unversioned answer says whether the version spoken is still one it takes.
   */
  private async versionRefusal(failure: Error, action: string): Promise<Error | undefined> {
    const spoken = this.apiSpoken;
    if (!spoken || engineStatus(failure) !== 400) return undefined;
    const now = await spoken.askEngine().catch(() => undefined);
    if (!now) return undefined;
    const takes =
      compareApiVersions(spoken.version, now.ApiVersion ?? spoken.version) <= 0 &&
      compareApiVersions(spoken.version, now.MinAPIVersion ?? spoken.version) >= 0;
    return takes ? undefined : apiRefused(action, spoken.version, now, engineAddress());
  }

  /**
   * A response body from the engine, with its mid-stream failures translated too: the
   * engine dying halfway through `docker save` is the same expected failure as dying
   * before the request, not a bare "aborted".
   */
  async stream(
    action: string,
    fn: () => Promise<Readable>,
    signal: AbortSignal | undefined,
  ): Promise<Readable> {
    const body = await this.call(action, fn, signal);
    let lastByteAt = Date.now();
    const out = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        lastByteAt = Date.now();
        done(null, chunk);
      },
    });
    body.on('error', (e) =>
      out.destroy(this.failureOf(e, `${action} (mid-stream)`, signal, Date.now() - lastByteAt)),
    );
    out.on('close', () => body.destroy());
    return body.pipe(out);
  }

  /**
   * An aborted request fails as the socket reset the abort itself caused: that is the
   * cancellation the responder asked for. A reset after `idleMs` of silence is the
   * idle limit ending the request: the engine stopped answering, it did not go away.
   */
  private failureOf(
    e: unknown,
    action: string,
    signal: AbortSignal | undefined,
    silentMs: number,
  ): Error {
    if (signal?.aborted) return new Cancelled(action);
    if (isConnectionReset(e) && silentMs >= this.idleMs * 0.9)
      return engineStoppedAnswering(action, this.idleMs);
    // Over ssh, a connection that ends at once is ssh refusing: its own words say why.
    const sshSaid = this.tunnel?.lastError();
    if (sshSaid && (isConnectionReset(e) || (e as { code?: string })?.code === 'EPIPE'))
      return new EngineUnreachable(
        `could not reach the engine over ssh at ${process.env['DOCKER_HOST']} while ${action}: ${sshSaid}`,
        'Check that `ssh <host> docker version` works from this shell (agent, ~/.ssh/config, known_hosts), then try again.',
        { cause: e },
      );
    return translateEngineError(e, action);
  }
}

/** How long to wait before each new try of a pause the runtime failed. */
export const PAUSE_RETRY_DELAYS_MS = [250, 1000, 3000];

/**
 * A pause the runtime failed (HTTP 500), tried again. runc gives up freezing a cgroup
 * whose tasks do not stop within its own short wait, on a busy or slow host ("unable to
 * freeze"), thaws it and leaves the retry to the caller (opencontainers/runc#4388). A
 * retry is harmless: a container already paused, or not running, answers 409, which is
 * not retried.
 */
export async function retryingRuntimeFailures<T>(
  fn: () => Promise<T>,
  delaysMs: readonly number[] = PAUSE_RETRY_DELAYS_MS,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const delay = delaysMs[attempt];
      if (delay === undefined || (e as { statusCode?: number })?.statusCode !== 500) throw e;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * A create body as Podman takes it: it refuses the tmpfs options uid= and gid=, and has
 * `U` instead (owned by the container's user, which is the owner the plan chose).
 */
function forPodman(config: Record<string, unknown>): Record<string, unknown> {
  const host = config['HostConfig'] as { Tmpfs?: Record<string, string> } | undefined;
  if (!host?.Tmpfs) return config;
  const tmpfs: Record<string, string> = {};
  for (const [dir, options] of Object.entries(host.Tmpfs)) {
    const parts = options.split(',').filter(Boolean);
    const kept = parts.filter((o) => !/^(uid|gid)=/.test(o));
    tmpfs[dir] = (kept.length < parts.length ? [...kept, 'U'] : kept).join(',');
  }
  return { ...config, HostConfig: { ...host, Tmpfs: tmpfs } };
}

function isPathStat(
  v: unknown,
): v is { mode: number; size: number; mtime?: string; linkTarget?: string } {
  const s = v as Record<string, unknown> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s['mode'] === 'number' &&
    typeof s['size'] === 'number' &&
    (s['mtime'] === undefined || typeof s['mtime'] === 'string') &&
    (s['linkTarget'] === undefined || typeof s['linkTarget'] === 'string')
  );
}

class DockerodeEngine implements Engine {
  constructor(
    private readonly docker: Docker,
    private readonly calls: EngineCalls,
    readonly traits: EngineTraits,
  ) {}

  async identity(): Promise<EngineIdentity> {
    const [version, info] = await Promise.all([
      this.calls.call('asking the engine for its version', () => this.docker.version()),
      this.calls.call(
        'asking the engine for its info',
        () => this.docker.info() as Promise<Record<string, unknown>>,
      ),
    ]);
    return {
      product: this.traits.product,
      transport: this.traits.transport,
      version: version.Version,
      apiVersion: version.ApiVersion,
      ...(this.calls.apiSpoken ? { apiSpoken: this.calls.apiSpoken.version } : {}),
      os: version.Os,
      arch: version.Arch,
      hostName: String(info['Name'] ?? ''),
      daemonId: String(info['ID'] ?? ''),
      storageDriver: String(info['Driver'] ?? ''),
      rootDir: String(info['DockerRootDir'] ?? ''),
    };
  }

  listContainers(): Promise<ContainerSummary[]> {
    return this.calls.call('listing containers', async () =>
      (await this.docker.listContainers({ all: true })).map((c) => ({
        id: c.Id,
        names: c.Names.map((n) => n.replace(/^\//, '')),
        image: c.Image,
        imageId: c.ImageID,
        state: c.State,
        status: c.Status,
        createdAt: new Date(c.Created * 1000).toISOString(),
        labels: c.Labels ?? {},
      })),
    );
  }

  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.calls.call(`inspecting container ${id}`, () =>
      this.docker.getContainer(id).inspect(),
    );
  }

  inspectImage(id: string): Promise<ImageInspect> {
    return this.calls.call(`inspecting image ${id}`, () => this.docker.getImage(id).inspect());
  }

  imageHistory(id: string): Promise<ImageHistoryEntry[]> {
    return this.calls.call(
      `reading the history of image ${id}`,
      () => this.docker.getImage(id).history() as Promise<ImageHistoryEntry[]>,
    );
  }

  top(id: string): Promise<ProcessList> {
    return this.calls.call(`listing processes of ${id}`, async () => {
      // Docker runs ps on its host. Podman runs ps inside the container unless every
      // argument is one of its own descriptors, which it reads from the host's /proc.
      const psArgs = this.traits.product === 'Podman' ? 'user,pid,ppid,etime,tty,time,args' : '-ef';
      const top = (await this.docker.getContainer(id).top({ ps_args: psArgs })) as ProcessList;
      return { Titles: top.Titles ?? [], Processes: top.Processes ?? [] };
    });
  }

  logs(id: string, tail: number, signal?: AbortSignal): Promise<Readable> {
    // follow=false, but as a stream: dockerode would buffer the whole answer.
    return this.calls.stream(
      `reading the logs of ${id.slice(0, 12)}`,
      () =>
        this.dialStream(
          `/containers/${encodeURIComponent(id)}/logs?`,
          { stdout: true, stderr: true, timestamps: true, tail },
          signal,
        ),
      signal,
    );
  }

  commit(containerId: string, req: CommitRequest): Promise<string> {
    return this.calls.call(`committing container ${containerId} to an evidence image`, async () => {
      const result = await this.post<{ Id: string }>(
        '/commit?',
        {
          container: containerId,
          repo: req.repo,
          tag: req.tag,
          comment: req.comment,
          author: 'coroner',
          pause: req.pause,
          // Podman takes labels only as Dockerfile instructions, one LABEL each.
          ...(this.traits.product === 'Podman'
            ? {
                changes: Object.entries(req.labels).map(
                  ([k, v]) => `LABEL ${k}="${v.replace(/["\\]/g, '\\$&')}"`,
                ),
              }
            : {}),
        },
        // Labels in the body: the engine merges them over the container's config.
        { Labels: req.labels },
        { 200: true, 201: true, 404: 'no such container', 500: 'server error' },
      );
      return result.Id;
    });
  }

  /**
   * A POST with its query and its JSON body kept apart. dockerode's own helpers send
   * their options as both, so a container's config (attacker-sized labels and env)
   * would land in the URL and the engine would answer 431.
   */
  private post<T>(
    path: string,
    query: Record<string, unknown>,
    body: Record<string, unknown>,
    statusCodes: Record<number, true | string>,
  ): Promise<T> {
    return this.dial<T>({
      path,
      method: 'POST',
      options: { _query: query, _body: body },
      statusCodes,
    });
  }

  /** docker-modem's callback request, as a promise. */
  private dial<T>(options: Parameters<Docker['modem']['dial']>[0]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.docker.modem.dial(options, (err: unknown, data: unknown) =>
        err ? reject(err) : resolve(data as T),
      );
    });
  }

  async changes(id: string, maxBytes: number): Promise<RawChange[]> {
    const action = `listing the changes of ${id.slice(0, 12)}`;
    const body = await this.calls.stream(
      action,
      () => this.dialStream(`/containers/${encodeURIComponent(id)}/changes`, undefined, undefined),
      undefined,
    );
    try {
      // A path is at most PATH_MAX (4096) bytes, six when escaped: an element is far smaller.
      return (await parseJsonArray(body, 'a change list', {
        maxBytes,
        maxElementBytes: 64 * 1024,
      })) as RawChange[];
    } finally {
      body.destroy();
    }
  }

  createReader(image: string, labels: Record<string, string>): Promise<string> {
    return this.createContainer({
      image,
      labels: { ...labels, [READER_ROLE_LABEL]: 'reader' },
    });
  }

  createContainer(req: CreateContainerRequest): Promise<string> {
    return this.calls.call(`creating a container from ${req.image}`, async () => {
      const inert = {
        Image: req.image,
        // Never started: the command only satisfies images that have none.
        Cmd: ['/coroner-reader-never-runs'],
        Entrypoint: [''],
        Labels: req.labels ?? {},
        NetworkDisabled: true,
        HostConfig: { NetworkMode: 'none' },
      };
      const body = req.config
        ? {
            ...(this.traits.product === 'Podman' ? forPodman(req.config) : req.config),
            Image: req.image,
          }
        : inert;
      const created = await this.post<{ Id: string }>(
        '/containers/create?',
        req.name ? { name: req.name } : {},
        body,
        {
          200: true, // unofficial, but proxies may answer it
          201: true,
          400: 'bad parameter',
          404: 'no such image',
          409: 'conflict',
          500: 'server error',
        },
      );
      return created.Id;
    });
  }

  archive(containerId: string, path: string, signal?: AbortSignal): Promise<Readable> {
    return this.calls.stream(
      `reading ${JSON.stringify(path)} from ${containerId.slice(0, 12)}`,
      async () => {
        const opts = { path, ...(signal ? { abortSignal: signal } : {}) };
        return (await this.docker
          .getContainer(containerId)
          .getArchive(opts)) as unknown as Readable;
      },
      signal,
    );
  }

  statPath(containerId: string, path: string): Promise<FileMeta | undefined> {
    return this.calls.call(
      `checking ${JSON.stringify(path)} in ${containerId.slice(0, 12)}`,
      async () => {
        let response: { headers: Record<string, string | string[] | undefined>; resume(): void };
        try {
          response = (await this.docker
            .getContainer(containerId)
            .infoArchive({ path })) as unknown as typeof response;
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode === 404) return undefined;
          throw e;
        }
        response.resume();
        const header = response.headers['x-docker-container-path-stat'];
        if (typeof header !== 'string' || header.length > 64 * 1024) return undefined;
        const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as unknown;
        return isPathStat(stat) ? metaFromPathStat(stat) : undefined;
      },
    );
  }

  saveImage(imageId: string, signal?: AbortSignal): Promise<Readable> {
    return this.calls.stream(
      `saving image ${imageId}`,
      () => this.dialStream(`/images/${encodeURIComponent(imageId)}/get`, undefined, signal),
      signal,
    );
  }

  exportContainer(id: string, signal?: AbortSignal): Promise<Readable> {
    return this.calls.stream(
      `exporting the filesystem of ${id.slice(0, 12)}`,
      () => this.dialStream(`/containers/${encodeURIComponent(id)}/export`, undefined, signal),
      signal,
    );
  }

  private dialStream(
    path: string,
    query: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Readable> {
    return this.dial<Readable>({
      path,
      method: 'GET',
      isStream: true,
      ...(query ? { options: query } : {}),
      ...(signal ? { abortSignal: signal } : {}),
      statusCodes: { 200: true, 404: 'not found', 500: 'server error' },
    });
  }

  removeContainer(
    id: string,
    opts: { removeVolumes?: boolean; ifStopped?: boolean } = {},
  ): Promise<void> {
    return this.calls.call(`removing container ${id.slice(0, 12)}`, async () => {
      await this.docker
        .getContainer(id)
        .remove({ force: !opts.ifStopped, v: opts.removeVolumes ?? false });
    });
  }

  startContainer(id: string): Promise<void> {
    return this.calls.call(`starting container ${id.slice(0, 12)}`, async () => {
      await this.docker.getContainer(id).start();
    });
  }

  stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    return this.calls.call(`stopping container ${id.slice(0, 12)}`, async () => {
      try {
        await this.docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 304) throw e; // already stopped
      }
    });
  }

  killContainer(id: string): Promise<void> {
    return this.calls.call(`killing container ${id.slice(0, 12)}`, async () => {
      try {
        await this.docker.getContainer(id).kill({ signal: 'SIGKILL' });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 409) throw e; // not running
      }
    });
  }

  renameContainer(id: string, name: string): Promise<void> {
    return this.calls.call(`renaming container ${id.slice(0, 12)} to ${name}`, async () => {
      await this.docker.getContainer(id).rename({ name });
    });
  }

  disconnectNetwork(network: string, containerId: string): Promise<void> {
    return this.calls.call(
      `disconnecting ${containerId.slice(0, 12)} from network ${network}`,
      async () => {
        await this.docker.getNetwork(network).disconnect({ Container: containerId, Force: true });
      },
    );
  }

  unpauseContainer(id: string): Promise<void> {
    return this.calls.call(`unpausing container ${id.slice(0, 12)}`, async () => {
      await this.docker.getContainer(id).unpause();
    });
  }

  pauseContainer(id: string): Promise<void> {
    return this.calls.call(`pausing container ${id.slice(0, 12)}`, () =>
      retryingRuntimeFailures(() => this.docker.getContainer(id).pause()),
    );
  }

  async setRestartPolicyNo(id: string): Promise<string | undefined> {
    try {
      await this.calls.call(`setting the restart policy of ${id.slice(0, 12)} to "no"`, () =>
        this.post(
          `/containers/${encodeURIComponent(id)}/update?`,
          {},
          { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
          { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
        ),
      );
      return undefined;
    } catch (e) {
      // Podman answers 404 for the endpoint it lacks; the container itself is there.
      if (this.traits.product !== 'Podman' || engineStatus(e) !== 404) throw e;
      return 'Podman 4.3 cannot change a restart policy through its API: after the relaunch, run `podman update --restart no <name>` (Podman 4.7 or later) or keep podman-restart.service disabled, or a reboot starts it again';
    }
  }

  async events(
    containerId: string,
    sinceSeconds: number,
    maxBytes: number,
    actions?: readonly string[],
  ): Promise<EventsRead> {
    const action = `reading the engine's events about ${containerId.slice(0, 12)}`;
    const now = await this.engineClock();
    const until = Math.ceil(now);
    const since = String(Math.floor(sinceSeconds));
    // Docker matches `exec_create` to `exec_create: <command>` itself (moby#25798), so the
    // events not asked for cost no bytes; Podman names its own, and is filtered here only.
    const filters = JSON.stringify({
      container: [containerId],
      ...(actions && this.traits.product === 'Docker' ? { event: actions } : {}),
    });
    const isAsked = (action: string) =>
      !actions || actions.some((a) => action === a || action.startsWith(`${a}: `));
    // Docker sends what it has up to `until`, then holds the stream open until that time:
    // so `until` is now to the millisecond (Docker reads fractions), not the next whole
    // second, which made every triage wait half a second on average. Podman (4.3) stops
    // reading its event log when the clock reaches `until`, so a log still being read then
    // is cut short, even to nothing; asked not to stream, it reads its log to the end, and
    // the events after `until` are dropped here.
    const query =
      this.traits.product === 'Podman'
        ? { since, stream: 'false', filters }
        : { since, until: now.toFixed(3), filters };
    const body = await this.calls.stream(
      action,
      () => this.dialStream('/events?', query, undefined),
      undefined,
    );
    // One JSON object a line, until the engine ends the stream.
    const events: RawEvent[] = [];
    const keep = (raw: RawEvent) => {
      if (typeof raw.time === 'number' && raw.time > until) return;
      const event = this.asDockerEvent(raw);
      if (isAsked(String(event.Action ?? ''))) events.push(event);
    };
    let pending = '';
    let total = 0;
    try {
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) break;
        pending += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line) keep(JSON.parse(line) as RawEvent);
        }
      }
      if (pending.trim() && total <= maxBytes) keep(JSON.parse(pending) as RawEvent);
    } catch (e) {
      if (e instanceof SyntaxError)
        throw new EngineRequestFailed(
          `${action}: the engine sent something that is not an event (${e.message})`,
          'Check the engine; the triage goes on without its events.',
        );
      throw e;
    } finally {
      body.destroy();
    }
    return { events, untilSeconds: now, isCut: total > maxBytes };
  }

  /**
   * The engine's time now, in seconds: this host's clock when the engine is on it, else the
   * engine's own (a remote clock ahead of ours would hide its last events, one behind would
   * hold the events stream open).
   */
  private async engineClock(): Promise<number> {
    if (this.traits.transport === 'unix') return Date.now() / 1000;
    const info = await this.calls.call(
      'asking the engine for its clock',
      () => this.docker.info() as Promise<Record<string, unknown>>,
    );
    const at = Date.parse(String(info['SystemTime'] ?? ''));
    return Number.isFinite(at) ? at / 1000 : Date.now() / 1000;
  }

  /** Podman records `exec` without the command where Docker records `exec_create: <command>`. */
  private asDockerEvent(raw: RawEvent): RawEvent {
    if (this.traits.product !== 'Podman' || raw.Action !== 'exec') return raw;
    return { ...raw, Action: 'exec_create: (Podman does not record the command)' };
  }

  listImagesByLabel(label: string): Promise<string[]> {
    return this.calls.call(`listing images labelled ${label}`, async () =>
      (await this.docker.listImages({ filters: { label: [label] } })).map((i) => i.Id),
    );
  }
}

/** Throws Cancelled if the signal has fired; used between steps of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new Cancelled(what);
}
