/**
 * How one clean twin is run, as the relaunch asks it of an engine: what the twins learn
 * (trials, the smallest capability set, the user, the writable places, the plan) is
 * decided in learn.ts and prepare.ts from plain values; each engine only says how to run
 * one twin of the suspect's service and how to read the original image (Docker and Podman
 * through the Engine API in docker-twins.ts, containerd through its gRPC API in
 * containerd-twins.ts). A twin never touches the suspect.
 */
import type { CustodyLog } from '../case/custody.js';
import type { ChangeEntry } from '../report/change.js';
import { listeningPorts } from './serve-check.js';

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
  /** What each port answered, when it was asked. */
  answers?: { port: number; isOpen: boolean; bytes: number }[];
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
  memoryBytes: number;
  pidsLimit: number;
  custody: CustodyLog;
}

/** A user of the original image, from its /etc/passwd. */
export interface ImageUser {
  name: string;
  uid: number;
  gid: number;
}

/** What the original image holds, read without running it. */
export interface ImageFacts {
  users: ImageUser[];
  /** For each folder asked: whether it holds something in the image. */
  hasContent: Map<string, boolean>;
}

/** How an engine runs one clean twin of the suspect's service, and reads its original image. */
export interface TwinRunner {
  /** Whose default capabilities a twin without `--cap-drop ALL` has, in words ("Docker's"). */
  readonly defaultsOf: string;
  runTwin(trial: TwinTrial, opts: TwinOptions): Promise<TwinOutcome>;
  /** The image's users (/etc/passwd, bounded) and which of `dirs` hold something in it. */
  imageFacts(dirs: readonly string[], custody: CustodyLog): Promise<ImageFacts>;
}

export function parsePasswd(text: string): ImageUser[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

/** With nothing else to wait for, a twin must run this long to count as up (as the replacement must). */
export const DEFAULT_SETTLE_MS = 5_000;

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

/** What a runner can say of its twin at a moment (its engine's word). */
export interface TwinProbe {
  isRunning: boolean;
  /** Still being started by its runtime (neither running nor ended): not yet judged. */
  isStarting?: boolean;
  /** How it ended, in words, when it is not running. */
  exit: string;
  health?: string;
  /** Its first process on this host. */
  pid: number;
}

/**
 * Asks `probe` every 200 ms until the twin is up, has failed, or the window ends
 * (twinVerdict): the same wait whatever runs the twin.
 */
export async function untilTwinSettles(
  probe: () => Promise<TwinProbe>,
  opts: Pick<TwinOptions, 'ports' | 'windowMs' | 'settleMs'> & { hasHealthcheck: boolean },
): Promise<{ isUp: boolean; why?: string; listening?: number[] }> {
  const runningSince = Date.now();
  const settleMs = Math.min(opts.settleMs ?? DEFAULT_SETTLE_MS, opts.windowMs);
  for (;;) {
    const state = await probe();
    const ranMs = Date.now() - runningSince;
    if (state.isStarting && ranMs < opts.windowMs) {
      await sleep(200);
      continue;
    }
    const listening = state.isRunning ? await listeningPorts(state.pid) : undefined;
    const verdict = twinVerdict({
      isRunning: state.isRunning,
      exit: state.exit,
      ...(state.health ? { health: state.health } : {}),
      hasHealthcheck: opts.hasHealthcheck,
      ...(listening ? { listening } : {}),
      ports: opts.ports,
      ranMs,
      settleMs,
      windowMs: opts.windowMs,
    });
    if (verdict)
      return {
        isUp: verdict.isUp,
        ...(verdict.why ? { why: verdict.why } : {}),
        ...(verdict.isUp && listening ? { listening } : {}),
      };
    await sleep(200);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
