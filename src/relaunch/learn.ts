/**
 * What the replacement needs, learnt from clean twins rather than guessed: the
 * smallest set of the engine's default capabilities with which a twin comes up as the
 * container ran, and what the app writes on its own. Bounded: a few twins, each for a
 * few seconds. (A non-root user is tried afterwards, with the planned writable places.)
 * How a twin is run is the runner's: this asks only for trials.
 */
import type { ChangeEntry } from '../report/change.js';
import type { TwinOptions, TwinOutcome, TwinRunner, TwinTrial } from './twin-runner.js';

/**
 * Docker's default capabilities (moby's oci/caps defaults; containerd's defaults are the
 * same fourteen): what a container has unless dropped. Those services commonly need come first, so the search drops the rest at once.
 */
export const DEFAULT_CAPABILITIES = [
  'NET_BIND_SERVICE',
  'SETUID',
  'SETGID',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'KILL',
  'FSETID',
  'MKNOD',
  'NET_RAW',
  'SETFCAP',
  'SETPCAP',
  'SYS_CHROOT',
  'AUDIT_WRITE',
] as const;

export interface TrialRecord {
  user: string;
  capAdd: string[];
  isReadOnly: boolean;
  isUp: boolean;
  why?: string;
  /** The last line it logged, when it did not come up. */
  lastLine?: string;
  seconds: number;
}

export function trialRecord(trial: TwinTrial, outcome: TwinOutcome): TrialRecord {
  const lastLine = outcome.logTail.at(-1);
  return {
    user: trial.user,
    capAdd: trial.capAdd,
    isReadOnly: trial.readOnly !== undefined,
    isUp: outcome.isUp,
    ...(outcome.why ? { why: outcome.why } : {}),
    ...(!outcome.isUp && lastLine ? { lastLine } : {}),
    seconds: outcome.seconds,
  };
}

export interface Learned {
  user: string;
  /** True when a twin ran with this user; false when it is kept because nothing could be proven. */
  isUserProven: boolean;
  capAdd: string[];
  isCapsProven: boolean;
  /** Why each added capability is needed: what a twin without it did. */
  capReasons: { cap: string; why: string }[];
  /** What the twin that came up with the chosen settings wrote on its own. */
  writes: ChangeEntry[];
  traffic: string;
  /** Whether the chosen twin's /dev/shm was read, so an empty one proves the app needs none. */
  isSharedMemorySeen: boolean;
  /**
   * The TCP ports the service listens on: those asked for, else those the first clean twin
   * that came up listened on (the triage could not tell the service's listener from others).
   */
  ports: number[];
  trials: TrialRecord[];
  /** Why a setting could not be proven, and the last lines of the twin that failed. */
  notes: string[];
}

export interface LearnOptions extends TwinOptions {
  /** A user or capabilities the responder named: used as given, not searched. */
  givenUser?: string;
  givenCapAdd?: string[];
  /** At most this many twins. */
  maxTrials: number;
  onTrial?: (trial: TrialRecord) => void;
}

/** `user`: the user the suspect ran as (empty: the image's default). */
export async function learnFromTwins(
  runner: TwinRunner,
  user: string,
  opts: LearnOptions,
): Promise<Learned> {
  const trials: TrialRecord[] = [];
  const notes: string[] = [];
  const outcomes = new Map<string, TwinOutcome>();
  const ports = [...opts.ports];
  const attempt = async (trial: TwinTrial): Promise<TwinOutcome | undefined> => {
    const key = `${trial.user}|${[...trial.capAdd].sort().join(',')}|${trial.readOnly ? 'ro' : 'rw'}`;
    if (outcomes.has(key)) return outcomes.get(key);
    if (trials.length >= opts.maxTrials) return undefined;
    const outcome = await runner.runTwin(trial, { ...opts, ports });
    // Once one clean twin served, every later one must listen where it did.
    if (ports.length === 0 && outcome.isUp && outcome.listening?.length)
      ports.push(...[...outcome.listening].sort((a, b) => a - b));
    outcomes.set(key, outcome);
    const record = trialRecord(trial, outcome);
    trials.push(record);
    opts.onTrial?.(record);
    return outcome;
  };
  const isUp = async (trial: TwinTrial) => (await attempt(trial))?.isUp ?? false;

  // Capabilities and writes are learnt as the container ran (or as the responder said);
  // a non-root user is tried afterwards, with the replacement's exact writable places.
  user = opts.givenUser ?? user;

  // The capabilities: as given; else none when that works; else the fewest of the defaults.
  let capAdd = opts.givenCapAdd ?? [];
  let isCapsProven = false;
  if (opts.givenCapAdd) isCapsProven = await isUp({ user, capAdd });
  else if (await isUp({ user, capAdd: [] })) isCapsProven = true;
  else if (await isUp({ user, capAdd: [...DEFAULT_CAPABILITIES] })) {
    capAdd = await smallestSet([...DEFAULT_CAPABILITIES], (caps) => isUp({ user, capAdd: caps }));
    isCapsProven = true;
  } else {
    // Nothing came up: more privilege would be a guess too, so the hardened default stays.
    const last = outcomes.get(`${user}|${[...DEFAULT_CAPABILITIES].sort().join(',')}|rw`);
    notes.push(
      `the twin did not come up even with ${runner.defaultsOf} default capabilities (${last?.why ?? 'no trial left'}): the replacement keeps --cap-drop ALL, unproven${last?.logTail.length ? `; its last lines: ${last.logTail.join(' | ')}` : ''}`,
    );
  }
  const chosen = outcomes.get(`${user}|${[...capAdd].sort().join(',')}|rw`);
  return {
    user,
    isUserProven: isCapsProven,
    capAdd,
    isCapsProven,
    capReasons: opts.givenCapAdd ? [] : capAdd.map((cap) => ({ cap, why: whyNeeded(cap, trials) })),
    writes: chosen?.writes ?? [],
    traffic: chosen?.traffic ?? 'none',
    isSharedMemorySeen: chosen?.isSharedMemorySeen ?? false,
    ports,
    trials,
    notes,
  };
}

/** What the closest twin without `cap` (the one with the most others) did. */
function whyNeeded(cap: string, trials: readonly TrialRecord[]): string {
  const without = trials
    .filter((t) => !t.isUp && !t.isReadOnly && !t.capAdd.includes(cap))
    .sort((a, b) => b.capAdd.length - a.capAdd.length)[0];
  if (!without) return 'kept: no twin was tried without it';
  return `a twin without it${without.capAdd.length ? ` (with ${without.capAdd.join(', ')})` : ''} did not come up: ${without.why ?? 'no reason given'}`;
}

/**
 * The fewest of `all` with which `works` holds (all of them are known to work): whole
 * halves are dropped while that still works, so a service that needs few capabilities
 * costs few twins (a handful, not one per capability).
 */
export async function smallestSet(
  all: readonly string[],
  works: (set: string[]) => Promise<boolean>,
): Promise<string[]> {
  let kept = [...all];
  const drop = async (candidates: string[]): Promise<void> => {
    if (candidates.length === 0) return;
    const without = kept.filter((c) => !candidates.includes(c));
    if (await works(without)) {
      kept = without;
      return;
    }
    if (candidates.length === 1) return; // this one is needed
    const half = Math.ceil(candidates.length / 2);
    await drop(candidates.slice(0, half));
    await drop(candidates.slice(half).filter((c) => kept.includes(c)));
  };
  await drop([...all]);
  return kept;
}
