/**
 * The coroner executable run as a responder would run it, in the background:
 * its stderr collected, its exit code awaited, and ways to act at a given moment.
 */
import { execFile, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './engine.js';

export const BIN = path.join(ROOT, 'bin/coroner.js');

/** The coroner binary in the background: stderr collected, exit code awaited. */
export function startCoroner(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    ...(cwd ? { cwd } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, stderr: () => stderr, exited };
}

export type CoronerRun = ReturnType<typeof startCoroner>;

/** Polls (bounded) until `name` exists in `dir`; any name when `name` is undefined. */
export async function untilEntry(
  dir: string,
  name: string | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await readdir(dir).catch((): string[] => []);
    if (name === undefined ? names.length > 0 : names.includes(name)) return;
    if (Date.now() > deadline) throw new Error(`${name ?? 'an entry'} never appeared in ${dir}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Polls (bounded) until the run has printed `line` on stderr. */
export async function untilStderr(run: CoronerRun, line: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.stderr().split('\n').includes(line)) {
    if (Date.now() > deadline) throw new Error(`"${line}" never printed; stderr: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Runs `action` the moment the run prints `line`, with the process stopped (SIGSTOP) from
 * the line's arrival until the action is done: a phase that lasts milliseconds is still the
 * phase the action lands in.
 */
export function atLine(run: CoronerRun, line: string, action: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (!seen.split('\n').includes(line)) return;
      run.child.stderr.off('data', onData);
      run.child.kill('SIGSTOP');
      Promise.resolve()
        .then(action)
        .finally(() => run.child.kill('SIGCONT'))
        .then(() => resolve(), reject);
    };
    run.child.stderr.on('data', onData);
    // A run that ends without printing the line would leave the test waiting forever.
    void run.exited.then((code) =>
      reject(
        new Error(`coroner exited (${code}) before printing "${line}"; stderr: ${run.stderr()}`),
      ),
    );
  });
}

/** Sends `signal` the moment the run prints `line` (see atLine). */
export function signalAtLine(run: CoronerRun, line: string, signal: NodeJS.Signals): Promise<void> {
  return atLine(run, line, () => run.child.kill(signal));
}

/** Runs coroner to its end: exit code, stdout, stderr. */
export async function runCoroner(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

export async function coronerVerify(target: string): Promise<{ code: number; stdout: string }> {
  return promisify(execFile)(process.execPath, [BIN, 'verify', target]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
}
