/**
 * Debian trixie's dockerd 26.1 on containerd 1.7, run privately beside the system's Docker
 * 20.10 (issue 25): its own roots, sockets and mount namespace (scripts/newer-engine.sh),
 * on overlay2 or on the containerd image store, optionally refusing API versions below
 * 1.44 as Docker 29 does. Nothing of it touches the system's engine.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './engine.js';
import { holdMountNamespace, signal } from './mount-namespace.js';
import { shortTmpdir } from './scratch-folder.js';

const run = promisify(execFile);

export interface NewerEngineOptions {
  /** The containerd image store (`features.containerd-snapshotter`), as on a fresh Docker 29. */
  containerdStore?: boolean;
  /** DOCKER_MIN_API_VERSION: Docker 29 refuses clients below 1.44. */
  minApi?: string;
  /** The roots of an engine stopped before, started again (an upgrade turns the containerd store on). */
  root?: string;
}

export interface NewerEngine {
  /** For DOCKER_HOST: coroner and the docker CLI talk to this engine only. */
  dockerHost: string;
  /** The engine's data root (its /var/lib/docker). */
  dataRoot: string;
  /** Where its roots, sockets and logs are: give it as `root` to start it again. */
  root: string;
  /** containerd's root (its /var/lib/containerd): the snapshots of the containerd store. */
  containerdRoot: string;
  containerdAddress: string;
  /** Environment for a script's `docker`: this engine, through its own CLI (26.1). */
  env: NodeJS.ProcessEnv;
  /** The docker CLI of the same release (26.1), pointed at this engine. */
  docker(...args: string[]): Promise<string>;
  /** `ctr` for this containerd, run inside its mount namespace, where the shims keep their fifos. */
  ctr(...args: string[]): Promise<string>;
  /** Copies an image from the system's engine into this one (`docker save | docker load`). */
  loadFromSystem(image: string): Promise<void>;
  /** Stops dockerd and containerd as a host shutdown would, leaving the roots: a dead box. */
  stop(): Promise<void>;
  /** Removes every container, stops both daemons and deletes the roots. */
  destroy(): Promise<void>;
}

/** The unpacked trixie engines (scripts/ensure-test-engines.sh fetches them once). */
export async function newerEnginesDir(): Promise<string> {
  const { stdout } = await run('bash', [path.join(ROOT, 'scripts/ensure-test-engines.sh')]);
  return stdout.trim().split('\n').pop()!;
}

export async function startNewerEngine(opts: NewerEngineOptions = {}): Promise<NewerEngine> {
  const engines = await newerEnginesDir();
  // Short: a unix socket path is limited to 108 bytes.
  const root = opts.root ?? (await mkdtemp(path.join(shortTmpdir(), 'dk26-')));
  const dockerHost = `unix://${root}/docker.sock`;
  const containerdAddress = `${root}/containerd.sock`;
  const cli = path.join(engines, 'usr/bin/docker');
  const docker = async (...args: string[]) =>
    (
      await run(cli, args, {
        env: { ...process.env, DOCKER_HOST: dockerHost },
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;

  const args = [path.join(ROOT, 'scripts/newer-engine.sh'), engines, root];
  if (opts.containerdStore) args.push('--containerd-store');
  if (opts.minApi) args.push('--min-api', opts.minApi);
  const log = await open(path.join(root, 'launcher.log'), 'a');
  const launcher = spawn('unshare', ['--mount', '--propagation', 'private', 'bash', ...args], {
    stdio: ['ignore', log.fd, log.fd],
    detached: true,
  });
  await log.close();
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await docker('version', '--format', '{{.Server.Version}}');
      break;
    } catch (e) {
      if (Date.now() > deadline || launcher.exitCode !== null) {
        const tail = await readFile(path.join(root, 'dockerd.log'), 'utf8').catch(() => '');
        throw new Error(
          `the private dockerd 26 in ${root} did not start: ${String(e)}\n${tail.slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const containerdPid = Number((await readFile(path.join(root, 'containerd.pid'), 'utf8')).trim());
  const held = await holdMountNamespace(containerdPid);

  const ctr = async (...ctrArgs: string[]) =>
    (
      await run(
        'nsenter',
        [
          `--mount=/proc/${containerdPid}/ns/mnt`,
          path.join(engines, 'usr/bin/ctr'),
          '--address',
          containerdAddress,
          ...ctrArgs,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      )
    ).stdout;

  const dockerdPid = async () =>
    Number((await readFile(path.join(root, 'dockerd.pid'), 'utf8').catch(() => '')).trim());

  let isStopped = false;
  const stop = async () => {
    // A second stop would look for processes in a namespace that may no longer be this engine's.
    if (isStopped) return;
    isStopped = true;
    const pid = await dockerdPid();
    if (pid) signal(pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    signal(containerdPid, 'SIGTERM');
    await held.untilGone(
      async () => ((await held.processes()).includes(containerdPid) ? [1] : []),
      15_000,
    );
    // Shims outlive containerd; with their containers stopped they are all that is left.
    await held.killAll(15_000);
    await held.release();
  };

  return {
    root,
    dockerHost,
    dataRoot: path.join(root, 'docker-root'),
    containerdRoot: path.join(root, 'containerd-root'),
    containerdAddress,
    // The system's 20.10 CLI speaks 1.41, which an engine with Docker 29's floor refuses.
    env: {
      ...process.env,
      DOCKER_HOST: dockerHost,
      PATH: `${path.dirname(cli)}:${process.env['PATH'] ?? ''}`,
      DOCKER_BUILDKIT: '0',
    },
    docker,
    ctr,
    loadFromSystem: async (image: string) => {
      await run(
        'sh',
        ['-c', `docker save "$1" | DOCKER_HOST="$2" "$3" load -q`, 'sh', image, dockerHost, cli],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    },
    stop,
    destroy: async () => {
      const all = (await docker('ps', '-aq').catch(() => '')).split('\n').filter(Boolean);
      if (all.length) await docker('rm', '-f', '-v', ...all).catch(() => undefined);
      await stop();
      // The mounts lived in the namespace and went with it; rm needs no unmount.
      await rm(root, { recursive: true, force: true });
    },
  };
}
