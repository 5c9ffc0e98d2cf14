/**
 * A second dockerd of the test's own (its own data root, exec root, managed
 * containerd and socket), so a test can kill the engine itself with SIGKILL and
 * start it again, or hang it, without touching the dockerd the other tests share.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { shortTmpdir } from './scratch-folder.js';

const run = promisify(execFile);

export interface PrivateEngine {
  /** For DOCKER_HOST: coroner and the docker CLI talk to this engine only. */
  dockerHost: string;
  /** The engine's data root (its /var/lib/docker). */
  dataRoot: string;
  docker(...args: string[]): Promise<string>;
  /** SIGKILL to dockerd: the engine vanishes mid-request, as in a crash or an OOM kill. */
  kill(): Promise<void>;
  /** Starts dockerd on the same roots again and waits (bounded) until it answers. */
  start(): Promise<void>;
  /** SIGSTOP to dockerd: it still accepts connections but answers nothing, as when it hangs. */
  hang(): void;
  /** SIGCONT: the hung dockerd carries on. */
  resume(): void;
  /** Stops dockerd as a host shutdown would, leaving its data root as it is: a dead box. */
  stop(): Promise<void>;
  /** Removes every container, stops dockerd and deletes its roots. */
  destroy(): Promise<void>;
}

export async function startPrivateEngine(): Promise<PrivateEngine> {
  // Short: a unix socket path is limited to 108 bytes.
  const root = await mkdtemp(path.join(shortTmpdir(), 'dk-'));
  const socket = path.join(root, 'docker.sock');
  const dockerHost = `unix://${socket}`;
  const docker = async (...args: string[]) =>
    (
      await run('docker', args, {
        env: { ...process.env, DOCKER_HOST: dockerHost },
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
  let daemon: ReturnType<typeof spawn> | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const log = await open(path.join(root, 'dockerd.log'), 'a');
    daemon = spawn(
      'dockerd',
      [
        '--iptables=false',
        '--bridge=none',
        `--data-root=${path.join(root, 'data')}`,
        `--exec-root=${path.join(root, 'exec')}`,
        `--pidfile=${path.join(root, 'dockerd.pid')}`,
        `--host=${dockerHost}`,
      ],
      { stdio: ['ignore', log.fd, log.fd] },
    );
    const child = daemon;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await log.close();
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await docker('version', '--format', '{{.Server.Version}}');
        return;
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`the private dockerd in ${root} did not start: ${String(e)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const unmountAll = () =>
    run('sh', ['-c', `grep -o " ${root}/[^ ]*" /proc/mounts | xargs -r umount -l`]).catch(
      () => undefined,
    );
  await start();
  return {
    dockerHost,
    dataRoot: path.join(root, 'data'),
    docker,
    start,
    stop: async () => {
      daemon?.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      daemon?.kill('SIGKILL');
      await exited;
      // dockerd unmounts its overlays when it stops; whatever is left goes too.
      await unmountAll();
    },
    kill: async () => {
      daemon?.kill('SIGKILL');
      await exited;
      await untilContainerdGone(path.join(root, 'exec', 'containerd', 'containerd.pid'));
    },
    hang: () => daemon?.kill('SIGSTOP'),
    resume: () => daemon?.kill('SIGCONT'),
    destroy: async () => {
      daemon?.kill('SIGCONT');
      // A test that failed with the engine down: start it, so its containers can be removed.
      await docker('version').catch(() => start().catch(() => undefined));
      const all = (await docker('ps', '-aq').catch(() => '')).split('\n').filter(Boolean);
      if (all.length) await docker('rm', '-f', '-v', ...all).catch(() => undefined);
      daemon?.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      daemon?.kill('SIGKILL');
      await exited;
      // dockerd unmounts its overlays when it stops; anything left would make rm fail.
      await unmountAll();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * dockerd's managed containerd dies with it, but not at once; a dockerd started meanwhile
 * finds it "still running" and waits for it in vain. A zombie (this machine's init may be
 * slow to reap) counts as gone, and its pid file is removed so dockerd starts a new one.
 */
async function untilContainerdGone(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!pid) return;
  const state = async () =>
    (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /s, '')[0];
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = await state();
    if (s === undefined) return;
    if (s === 'Z' || Date.now() > deadline) {
      if (s !== 'Z') process.kill(pid, 'SIGKILL');
      await rm(pidFile, { force: true });
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
