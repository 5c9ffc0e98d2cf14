/**
 * Preparing a relaunch, before the suspect is touched: the triage's report (its
 * legitimate churn, what it found in the mounts, the ports the suspect listened
 * on), the image's users and folders, and what clean twins prove the service
 * needs. The result is the plan a responder reviews.
 */
import type { CustodyLog } from '../case/custody.js';
import { utcStamp } from '../iso-time.js';
import { isRootUser } from '../report/runtime.js';
import { SEVERITY_RANK } from '../report/severity.js';
import type { TriageReport } from '../report/triage-report.js';
import type { ContainerInspect } from '../sources/docker-live/types.js';
import { learnFromTwins, trialRecord, type Learned, type TrialRecord } from './learn.js';
import {
  candidateUser,
  planRelaunch,
  servicePorts,
  writableDirs,
  type RelaunchOptions,
  type RelaunchPlan,
  type Write,
} from './plan.js';
import type { TwinOptions, TwinRunner, TwinTrial } from './twin-runner.js';

/** A plan a clean twin served with, and that twin. */
export interface ProvenPlan {
  plan: RelaunchPlan;
  proof: TrialRecord;
}

export interface PreparedRelaunch {
  /** The plan that runs first: the most hardened one a clean twin served with. */
  plan: RelaunchPlan;
  inspect: ContainerInspect;
  evidenceImages: string[];
  /** The twin that ran `plan`'s exact configuration and came up (absent when unproven). */
  proof?: TrialRecord;
  /**
   * Less hardened plans a twin also served with, most hardened first: if the replacement
   * still does not come up, the relaunch runs the next, so the service is not left down.
   */
  fallbacks: ProvenPlan[];
  /**
   * Why no plan is proven, when clean twins ran and none came up with one: the relaunch
   * stops before touching the suspect unless the responder accepts an unproven plan.
   */
  unproven?: string;
}

/**
 * Where the writes the replacement must still be able to make come from, besides the
 * twins: the triage of this container (given, or the newest case folder under casesRoot).
 */
export type TriageSource = { report: TriageReport } | { casesRoot: string };

export interface LearnRequest {
  /** Run clean twins (the default); false plans from the triage alone (--no-learn). */
  isEnabled: boolean;
  /** How long one twin may take to come up. */
  windowMs?: number;
  maxTrials?: number;
  onTrial?: (trial: TrialRecord) => void;
}

/**
 * Paths the triage ranked as legitimate churn (pid, lock, cache, /run state), from its
 * frozen change list: a fresh `docker diff` is the attacker's to shape (deleting a pid file
 * would take away a place the app needs).
 */
export function legitimateWrites(report: Pick<TriageReport, 'changes'>): Write[] {
  const writes: Write[] = [];
  for (const c of report.changes) {
    if (c.isParentOnly || c.findings.length === 0) continue;
    if (c.findings.every((f) => f.rule === 'legitimate-churn'))
      writes.push({ path: c.path, kind: c.kind, from: "the triage's churn" });
  }
  return writes;
}

/** What the triage found in each mount (medium or worse), by destination. */
function findingsInMounts(report: TriageReport | undefined): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const c of report?.changes ?? []) {
    if (!c.mount || SEVERITY_RANK[c.severity] < SEVERITY_RANK.medium) continue;
    const list = found.get(c.mount.destination) ?? [];
    list.push(`${c.severity}: ${c.path}`);
    found.set(c.mount.destination, list);
  }
  return found;
}

/**
 * The TCP ports the service listened on, from the triage: those of its own processes only.
 * A process with a finding (the attacker's listener) is not the service to bring back.
 */
export function listenedPorts(report: Pick<TriageReport, 'processes'> | undefined): number[] {
  const processes = report?.processes ?? [];
  const pids = new Set(processes.map((p) => p.pid));
  // The container's first process is the service, whatever its listener was ranked (on the
  // host's network, a port the image does not declare is ranked high, the service's too).
  const isFirst = (p: (typeof processes)[number]) => !p.isFromExec && !pids.has(p.ppid);
  const isService = (p: (typeof processes)[number]) =>
    isFirst(p) || p.findings.every((f) => SEVERITY_RANK[f.severity] < SEVERITY_RANK.medium);
  return processes
    .filter(isService)
    .flatMap((p) =>
      p.sockets
        .filter((s) => s.state === 'listen' && (s.protocol === 'tcp' || s.protocol === 'tcp6'))
        .map((s) => Number(s.local.slice(s.local.lastIndexOf(':') + 1))),
    );
}

const sameCaps = (a: readonly string[], b: readonly string[]) =>
  [...a].sort().join(',') === [...b].sort().join(',');

/**
 * What the service writes, and what clean twins learnt of it (when `learn` allows): the
 * twins' writes first, then the triage's legitimate ones. Never a fresh `docker diff`:
 * that is the attacker's to shape. A clean twin's is not.
 */
export async function learnWrites(
  runner: TwinRunner,
  ranAs: string,
  twinOptions: TwinOptions,
  options: { user?: string; capAdd: string[] },
  report: TriageReport | undefined,
  learn: LearnRequest,
): Promise<{ writes: Write[]; learned?: Learned }> {
  const fromTriage: Write[] = report ? legitimateWrites(report) : [];
  if (!learn.isEnabled) return { writes: fromTriage };
  const learned = await learnFromTwins(runner, ranAs, {
    ...twinOptions,
    ...(options.user ? { givenUser: options.user } : {}),
    ...(options.capAdd.length ? { givenCapAdd: options.capAdd } : {}),
    maxTrials: learn.maxTrials ?? 16,
    ...(learn.onTrial ? { onTrial: learn.onTrial } : {}),
  });
  const writes = [...learned.writes.map((w) => ({ ...w, from: 'a clean twin' })), ...fromTriage];
  return { writes, learned };
}

/** The suspect as the relaunch plans from it: plain values, read by the engine's own code. */
export interface RelaunchSubject {
  /** Its configuration as the engine reports it (the replacement keeps what it may). */
  inspect: ContainerInspect;
  /** The same, as its service was given: without what the engine adds to every container. */
  service: ContainerInspect;
  evidenceImages: string[];
  /** Its triage, when one was found. */
  report?: TriageReport;
}

/**
 * The plan for `subject`, learnt from clean twins `runner` runs (or from the triage alone):
 * every plan that may run is one a twin ran and came up with, most hardened first.
 */
export async function prepareFromTwins(
  runner: TwinRunner,
  subject: RelaunchSubject,
  options: Omit<RelaunchOptions, 'stamp'>,
  custody: CustodyLog,
  learn: LearnRequest = { isEnabled: true },
): Promise<PreparedRelaunch> {
  const { inspect, service, evidenceImages, report } = subject;
  const triageListened = listenedPorts(report);
  const twinOptions = {
    ports: servicePorts(inspect, triageListened),
    windowMs: learn.windowMs ?? 20_000,
    memoryBytes: options.memoryBytes,
    pidsLimit: options.pidsLimit,
    custody,
  };

  const { writes, learned } = await learnWrites(
    runner,
    service.Config.User ?? '',
    twinOptions,
    options,
    report,
    learn,
  );
  // What the service listens on: the triage's, else where the first clean twin served.
  const listened = triageListened.length ? triageListened : (learned?.ports ?? []);
  twinOptions.ports = servicePorts(inspect, listened);
  // Once every write is known: the folders they ask for, and the users a last twin may try.
  const { users, hasContent } = await runner.imageFacts(
    [...writableDirs(writes).keys()].filter((d) => d !== '/'),
    custody,
  );
  const planInput = {
    inspect: service,
    writes,
    ...(learned ? { learned } : {}),
    imageUsers: users,
    imageHasContent: hasContent,
    mountFindings: findingsInMounts(report),
  };
  const stamp = utcStamp(new Date());
  const makePlan = (more: { nonRootUser?: string; isRootWritable?: boolean } = {}) =>
    planRelaunch({ ...planInput, ...more }, { ...options, stamp }, listened);
  const runPlan = async (candidate: RelaunchPlan): Promise<TrialRecord> => {
    const body = candidate.createBody as {
      User: string;
      Volumes?: Record<string, unknown>;
      HostConfig: { Tmpfs: Record<string, string>; CapAdd?: string[] };
    };
    // The suspect's own volumes and binds stay out of a twin (they are evidence, and the
    // attacker's): where the replacement may write in one, the twin writes in a fresh one.
    const reusedWritable = candidate.volumes
      .filter((v) => v.isReused && !v.isReadOnly)
      .map((v) => v.destination);
    const trial: TwinTrial = {
      user: body.User,
      capAdd: body.HostConfig.CapAdd ?? [],
      readOnly: {
        tmpfs: body.HostConfig.Tmpfs,
        volumes: [...Object.keys(body.Volumes ?? {}), ...reusedWritable],
      },
    };
    const record = trialRecord(trial, await runner.runTwin(trial, twinOptions));
    learned!.trials.push(record);
    learn.onTrial?.(record);
    return record;
  };
  // Every plan that may run is one a clean twin ran, read-only root and writable places
  // included, and came up with; the most hardened first: the image's non-root user, then the
  // user it ran as, then (when no read-only twin came up) the writable root the twins
  // learnt with. The replacement runs the first, and falls back to the next if it fails.
  const proven: ProvenPlan[] = [];
  let plan = makePlan();
  let unproven: string | undefined;
  if (learned?.isCapsProven) {
    const nonRoot = candidateUser(users);
    if (!options.user && isRootUser(learned.user) && nonRoot) {
      const asNonRoot = makePlan({ nonRootUser: nonRoot });
      const proof = await runPlan(asNonRoot);
      if (proof.isUp) proven.push({ plan: asNonRoot, proof });
    }
    const asItRan = makePlan();
    const proof = await runPlan(asItRan);
    if (proof.isUp) proven.push({ plan: asItRan, proof });
    else {
      const learnt = learned.trials.find(
        (t) =>
          t.isUp && !t.isReadOnly && t.user === learned.user && sameCaps(t.capAdd, learned.capAdd),
      );
      const writable = makePlan({ isRootWritable: true });
      const failed = `a twin with the replacement's read-only root and these writable places did not come up: ${proof.why ?? 'no reason given'}${proof.lastLine ? `; its last line: ${proof.lastLine}` : ''}. Add the place it needs with --tmpfs`;
      writable.warnings.push(failed);
      if (learnt) proven.push({ plan: writable, proof: learnt });
    }
    if (proven.length === 0)
      unproven = `no clean twin came up with any plan: ${proof.why ?? 'no reason given'}${proof.lastLine ? `; its last line: ${proof.lastLine}` : ''}`;
  } else if (learned) {
    unproven = `no clean twin came up, even with ${runner.defaultsOf} default capabilities${learned.notes.length ? ` (${learned.notes.join('; ')})` : ''}`;
  }
  if (proven[0]) plan = proven[0].plan;
  if (unproven)
    plan.warnings.push(
      `NOT PROVEN: ${unproven}. Relaunching would quarantine the service for a replacement no twin ran; coroner stops before the swap unless told to go on (--force)`,
    );
  if (!report)
    plan.warnings.push(
      "no triage of this container was found: its churn, its mounts' findings and the ports it listened on are unknown; triage first",
    );
  return {
    plan,
    inspect,
    evidenceImages,
    ...(proven[0] ? { proof: proven[0].proof } : {}),
    fallbacks: proven.slice(1),
    ...(unproven ? { unproven } : {}),
  };
}
