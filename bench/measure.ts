/**
 * What both parts of the bench measure with: the coroner CLI's wall time and peak
 * memory, the docker CLI, a median and a stopwatch.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '..');
export const BIN = path.join(ROOT, 'bin/coroner.js');
/** On everything the bench creates, so one filter removes it. */
export const LABEL = 'coroner.bench';

export async function docker(...a: string[]): Promise<string> {
  return (await run('docker', a, { maxBuffer: 256 * 1024 * 1024 })).stdout;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs the coroner CLI, returning wall seconds and peak RSS (VmHWM from /proc, polled). */
export async function coroner(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ seconds: number; peakMiB: number }> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, ...argv], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let peakKiB = 0;
  const poll = setInterval(async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => ''); // exited between polls
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
  }, 25);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(poll);
  if (code !== 0 && code !== 3)
    throw new Error(`coroner ${argv.join(' ')} exited ${code}: ${stderr}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMiB: peakKiB / 1024 };
}
