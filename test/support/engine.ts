/**
 * Helpers for tests against the real engine: samples built offline through
 * the project's own scripts, everything labelled with this run's id and
 * removed by that label afterwards.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EvidenceImage, TriageReport } from '../../src/report/triage-report.js';

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const TEST_LABEL = 'coroner.test';

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** One field of `docker inspect`, by Go template: `inspectField(c, '{{.State.Status}}')`. */
export async function inspectField(target: string, template: string): Promise<string> {
  return (await docker('inspect', '-f', template, target)).trim();
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export interface ExpectedChange {
  path: string;
  kind: 'A' | 'C' | 'D';
  malicious: boolean;
  /** For malicious changes: the rule that must rank it, at this severity or above. */
  rule?: string;
  minSeverity?: 'critical' | 'high' | 'medium' | 'low' | 'info';
  /** The ATT&CK technique that finding carries, where the sample pins one. */
  attack?: string;
}

export function expectedChanges(sample: string): ExpectedChange[] {
  return (
    JSON.parse(readFileSync(path.join(ROOT, 'samples', sample, 'expected.json'), 'utf8')) as {
      changes: ExpectedChange[];
    }
  ).changes;
}

export const SAMPLES = ['webshell', 'miner', 'backdoor', 'persistence'] as const;

/** Starts `image` as `name`, detached, with no network and this run's label; `command` replaces its CMD. */
export function runLabelled(
  name: string,
  runId: string,
  image: string,
  ...command: string[]
): Promise<void> {
  return runLabelledOn(docker, name, runId, image, ...command);
}

/** runLabelled on another engine, through its CLI (`on`). */
export async function runLabelledOn(
  on: (...args: string[]) => Promise<string>,
  name: string,
  runId: string,
  image: string,
  ...command: string[]
): Promise<void> {
  await on(
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'none',
    '--label',
    `${TEST_LABEL}=${runId}`,
    image,
    ...command,
  );
}

/**
 * Builds, starts and compromises a sample through samples/run.sh; returns the container name.
 * `dockerHost` points it at another engine than the shared one.
 */
export async function startSample(
  sample: string,
  runId: string,
  suffix = '',
  /** Another engine's environment (DOCKER_HOST, its CLI on PATH); the system's by default. */
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const name = `coroner-test-${sample}-${runId}${suffix}`;
  const { stdout } = await run(
    'bash',
    [
      path.join(ROOT, 'samples/run.sh'),
      sample,
      '--container',
      name,
      '--label',
      `${TEST_LABEL}=${runId}`,
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
      ...(env ? { env } : {}),
    },
  );
  return stdout.trim().split('\n').pop()!;
}

/** The offline busybox base image the samples build on, built by its script if missing. */
export async function baseImage(): Promise<string> {
  const tag = 'coroner-sample/base:busybox';
  const existing = await docker('image', 'inspect', '--format', '{{.Id}}', tag).catch(() => '');
  if (existing.trim()) return existing.trim();
  await run('bash', [path.join(ROOT, 'samples/base/build.sh'), tag]);
  return (await docker('image', 'inspect', '--format', '{{.Id}}', tag)).trim();
}

/** A debootstrapped Debian 12 image with these packages, built by its script once per list. */
export async function debianBase(packages: readonly string[]): Promise<string> {
  const { stdout } = await run('bash', [path.join(ROOT, 'samples/base/debian.sh'), ...packages], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim().split('\n').pop()!;
}

/** Removes the containers and (evidence) images carrying this run's label. */
export async function cleanRun(runId: string): Promise<void> {
  const filter = `label=${TEST_LABEL}=${runId}`;
  const containers = (await docker('ps', '-aq', '--filter', filter)).split('\n').filter(Boolean);
  if (containers.length) await docker('rm', '-f', '-v', ...containers);
  // Evidence images inherit the container's labels through the commit.
  const images = [
    ...new Set((await docker('images', '-q', '--filter', filter)).split('\n').filter(Boolean)),
  ];
  if (images.length) await docker('rmi', '-f', ...images).catch(() => undefined);
  // Samples made of several containers bring their own networks and volumes.
  for (const kind of ['network', 'volume'] as const) {
    const ids = (await docker(kind, 'ls', '-q', '--filter', filter)).split('\n').filter(Boolean);
    if (ids.length) await docker(kind, 'rm', ...ids).catch(() => undefined);
  }
}

/**
 * SHA-256 of a file inside an image, computed by the image's own tools (busybox, or
 * coreutils' sha256sum): independent of coroner.
 */
export async function sha256InImage(image: string, file: string): Promise<string> {
  const out = await docker(
    'run',
    '--rm',
    '--network',
    'none',
    '--entrypoint',
    '/bin/sh',
    image,
    '-c',
    'if [ -x /bin/busybox ]; then exec /bin/busybox sha256sum "$1"; else exec sha256sum "$1"; fi',
    'sh',
    file,
  );
  return out.split(/\s+/)[0]!;
}

export async function diffOf(container: string): Promise<string[]> {
  return (await docker('diff', container)).split('\n').filter(Boolean).sort();
}

/**
 * Writes 20,000 small new files under /var/tmp/many in `container`: enough that each
 * phase of a later triage lasts a while. `run` is the docker CLI to use (another engine's).
 */
export async function addManyFiles(container: string, run = docker): Promise<void> {
  await run(
    'exec',
    container,
    'sh',
    '-c',
    'mkdir /var/tmp/many && cd /var/tmp/many && i=0; while [ $i -lt 20000 ]; do echo $i > f$i; i=$((i+1)); done',
  );
}

/** Runs `work` with a tmpfs of `size` (e.g. "64k") mounted on `dir`: a disk that fills up. */
export async function withSmallDisk<T>(
  dir: string,
  size: string,
  work: () => Promise<T>,
): Promise<T> {
  await run('sh', ['-c', `mkdir -p '${dir}' && mount -t tmpfs -o size=${size} tmpfs '${dir}'`]);
  try {
    return await work();
  } finally {
    await run('umount', [dir]);
  }
}

/** The evidence image of a live triage (a live source always commits one). */
export function evidenceImage(report: Pick<TriageReport, 'evidence'>): EvidenceImage {
  if (report.evidence.kind !== 'image')
    throw new Error(`expected an evidence image, got a ${report.evidence.kind}`);
  return report.evidence;
}

/** What ranks each changed path: the facts two triages of the same container must agree on. */
export const ranking = (r: TriageReport) =>
  [...r.changes]
    .map((c) => ({
      path: c.path,
      kind: c.kind,
      severity: c.severity,
      rules: c.findings.map((f) => f.rule).sort(),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));

/** The webshell sample's attack (samples/webshell/attack.sh): the script it runs in the victim. */
export function webshellAttack(): string {
  const script = readFileSync(path.join(ROOT, 'samples/webshell/attack.sh'), 'utf8');
  const body = /<<'ATTACK'\n([\s\S]*?)\nATTACK\n/.exec(script)?.[1];
  if (!body) throw new Error('samples/webshell/attack.sh no longer holds its ATTACK script');
  return body;
}
