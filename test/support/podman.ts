/**
 * Podman for the tests: its CLI, its Docker-compatible service on a private socket (as a
 * responder would start it: `podman system service --time=0 unix://…`), and the samples
 * built and attacked with podman's CLI through samples/run.sh --engine podman.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, TEST_LABEL } from './engine.js';
import { shortTmpdir } from './scratch-folder.js';

const run = promisify(execFile);

export async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export interface PodmanService {
  /** For DOCKER_HOST. */
  dockerHost: string;
  /** SIGKILL: the service dies mid-request, as a crashed one would. */
  kill(): void;
  stop(): Promise<void>;
}

function pings(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export async function startPodmanService(): Promise<PodmanService> {
  const dir = await mkdtemp(path.join(shortTmpdir(), 'coroner-podman-'));
  const socketPath = path.join(dir, 'podman.sock');
  const child: ChildProcess = spawn(
    'podman',
    ['system', 'service', '--time=0', `unix://${socketPath}`],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; i < 100 && !(await pings(socketPath)); i++)
    await new Promise((r) => setTimeout(r, 100));
  if (!(await pings(socketPath))) {
    child.kill('SIGKILL');
    throw new Error('podman system service did not answer within 10 s');
  }
  return {
    dockerHost: `unix://${socketPath}`,
    kill: () => child.kill('SIGKILL'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Builds, starts and compromises a sample with podman's CLI; returns the container name. */
export async function startPodmanSample(
  sample: string,
  runId: string,
  suffix = '',
): Promise<string> {
  const name = `coroner-test-podman-${sample}-${runId}${suffix}`;
  const { stdout } = await run(
    'bash',
    [
      path.join(ROOT, 'samples/run.sh'),
      sample,
      '--engine',
      'podman',
      '--container',
      name,
      '--label',
      `${TEST_LABEL}=${runId}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout.trim().split('\n').pop()!;
}

/** Removes the containers and images (evidence images inherit the label) of this run. */
export async function cleanPodmanRun(runId: string): Promise<void> {
  const filter = `label=${TEST_LABEL}=${runId}`;
  const containers = (await podman('ps', '-aq', '--filter', filter)).split('\n').filter(Boolean);
  if (containers.length) await podman('rm', '-f', '-v', ...containers).catch(() => undefined);
  const images = [
    ...new Set((await podman('images', '-q', '--filter', filter)).split('\n').filter(Boolean)),
  ];
  if (images.length) await podman('rmi', '-f', ...images).catch(() => undefined);
}
