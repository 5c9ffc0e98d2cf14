/**
 * Preparing a relaunch, before the suspect is touched: the triage's report (its
 * legitimate churn, what it found in the mounts, the ports the suspect listened
 * on), the image's users and folders, and what clean twins prove the service
 * needs. The result is the plan a responder reviews.
 */
import type { CustodyLog } from '../case/custody.js';
import { findLatestCase, loadCaseReport } from '../case/find-case.js';
import { utcStamp } from '../iso-time.js';
import { isRootUser } from '../report/runtime.js';
import { SEVERITY_RANK } from '../report/severity.js';
import type { TriageReport } from '../report/triage-report.js';
import { engineStatus } from '../sources/docker-live/engine-errors.js';
import type { ContainerInspect, Engine } from '../sources/docker-live/engine.js';
import { EVIDENCE_LABELS } from '../sources/docker-live/freeze.js';
import { pickContainer } from '../sources/pick-container.js';
import { readBounded, tarEntries } from '../tar-entries.js';
import { learnFromTwins, trialRecord, type TrialRecord } from './learn.js';
import {
  candidateUser,
  planRelaunch,
  servicePorts,
  writableDirs,
  type RelaunchOptions,
  type RelaunchPlan,
  type Write,
} from './plan.js';
import { runTwin, type TwinOutcome } from './twin.js';

export interface PreparedRelaunch {
  plan: RelaunchPlan;
  inspect: ContainerInspect;
  evidenceImages: string[];
  /** The last twin, run with the replacement's exact read-only configuration. */
  proof?: TwinOutcome;
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
function listenedPorts(report: TriageReport | undefined): number[] {
  const isService = (p: NonNullable<TriageReport['processes']>[number]) =>
    p.findings.every((f) => SEVERITY_RANK[f.severity] < SEVERITY_RANK.medium);
  return (report?.processes ?? [])
    .filter(isService)
    .flatMap((p) =>
      p.sockets
        .filter((s) => s.state === 'listen' && (s.protocol === 'tcp' || s.protocol === 'tcp6'))
        .map((s) => Number(s.local.slice(s.local.lastIndexOf(':') + 1))),
    );
}

export function parsePasswd(text: string): { name: string; uid: number; gid: number }[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

/**
 * Facts of the original image read through one never-started reader: its users
 * (/etc/passwd, at most 1 MiB), and which of `dirs` hold something.
 */
async function imageFacts(
  engine: Engine,
  imageId: string,
  custody: CustodyLog,
  dirs: readonly string[],
): Promise<{ users: ReturnType<typeof parsePasswd>; hasContent: Map<string, boolean> }> {
  const reader = await custody.step(
    "create reader container (never started) to read the image's users and folders",
    imageId,
    () => engine.createReader(imageId, {}),
  );
  const archiveOf = async (path: string) => {
    try {
      return await engine.archive(reader, path);
    } catch (e) {
      if (engineStatus(e) === 404) return undefined;
      throw e;
    }
  };
  try {
    let users: ReturnType<typeof parsePasswd> = [];
    const passwd = await archiveOf('/etc/passwd');
    if (passwd)
      for await (const entry of tarEntries(passwd)) {
        users = parsePasswd((await readBounded(entry, 1024 * 1024)).data.toString('utf8'));
        break;
      }
    const hasContent = new Map<string, boolean>();
    for (const dir of dirs) {
      // The folder itself is the first entry; a second means it holds something.
      const tree = await archiveOf(dir);
      let count = 0;
      if (tree)
        for await (const entry of tarEntries(tree)) {
          entry.resume();
          if (++count >= 2) break;
        }
      hasContent.set(dir, count >= 2);
    }
    return { users, hasContent };
  } finally {
    await custody
      .step('remove reader container', reader, () =>
        engine.removeContainer(reader, { removeVolumes: true }),
      )
      .catch(() => undefined);
  }
}

export async function prepareRelaunch(
  engine: Engine,
  containerRef: string,
  options: Omit<RelaunchOptions, 'stamp'>,
  custody: CustodyLog,
  triaged: TriageSource,
  learn: LearnRequest = { isEnabled: true },
): Promise<PreparedRelaunch> {
  const container = pickContainer(containerRef, await engine.listContainers());
  const inspect = await engine.inspectContainer(container.id);
  // What the service was given, without what the engine adds to every container (Podman).
  const added = new Set(engine.traits.addedEnv);
  const service: ContainerInspect = {
    ...inspect,
    Config: {
      ...inspect.Config,
      Env: (inspect.Config.Env ?? []).filter((e) => !added.has(e.split('=')[0]!)),
    },
  };
  const evidenceImages = await engine.listImagesByLabel(
    `${EVIDENCE_LABELS.sourceId}=${container.id}`,
  );
  let report = 'report' in triaged ? triaged.report : undefined;
  if (!report) {
    const caseDir =
      'casesRoot' in triaged ? await findLatestCase(triaged.casesRoot, container.id) : undefined;
    report = caseDir ? await loadCaseReport(caseDir) : undefined;
  }
  const listened = listenedPorts(report);
  const ports = servicePorts(inspect, listened);
  const twinOptions = {
    ports,
    windowMs: learn.windowMs ?? 20_000,
    memoryBytes: options.memoryBytes,
    pidsLimit: options.pidsLimit,
    custody,
  };

  // Never a fresh `docker diff`: that is the attacker's to shape. A clean twin's is not.
  let writes: Write[] = report ? legitimateWrites(report) : [];
  const learned = learn.isEnabled
    ? await learnFromTwins(engine, service, {
        ...twinOptions,
        ...(options.user ? { givenUser: options.user } : {}),
        ...(options.capAdd.length ? { givenCapAdd: options.capAdd } : {}),
        maxTrials: learn.maxTrials ?? 16,
        ...(learn.onTrial ? { onTrial: learn.onTrial } : {}),
      })
    : undefined;
  if (learned) writes = [...learned.writes.map((w) => ({ ...w, from: 'a clean twin' })), ...writes];
  // Once every write is known: the folders they ask for, and the users a last twin may try.
  const { users, hasContent } = await imageFacts(
    engine,
    inspect.Image,
    custody,
    [...writableDirs(writes).keys()].filter((d) => d !== '/'),
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
  const makePlan = (nonRootUser?: string) =>
    planRelaunch(
      { ...planInput, ...(nonRootUser ? { nonRootUser } : {}) },
      { ...options, stamp },
      listened,
    );
  // The replacement's exact configuration, read-only root included, must run too: first as
  // the image's non-root user (kept only if that twin comes up), else as it ran.
  let plan = makePlan();
  let proof: TwinOutcome | undefined;
  if (learned?.isCapsProven) {
    const tryPlan = async (candidate: RelaunchPlan) => {
      const body = candidate.createBody as {
        User: string;
        Volumes?: Record<string, unknown>;
        HostConfig: { Tmpfs: Record<string, string>; CapAdd?: string[] };
      };
      const trial = {
        user: body.User,
        capAdd: body.HostConfig.CapAdd ?? [],
        readOnly: { tmpfs: body.HostConfig.Tmpfs, volumes: Object.keys(body.Volumes ?? {}) },
      };
      const outcome = await runTwin(engine, service, trial, twinOptions);
      const record = trialRecord(trial, outcome);
      learned.trials.push(record);
      learn.onTrial?.(record);
      return outcome;
    };
    const nonRoot = candidateUser(users);
    if (!options.user && isRootUser(learned.user) && nonRoot) {
      const asNonRoot = makePlan(nonRoot);
      const outcome = await tryPlan(asNonRoot);
      if (outcome.isUp) [plan, proof] = [asNonRoot, outcome];
    }
    proof ??= await tryPlan(plan);
    if (!proof.isUp)
      plan.warnings.push(
        `a twin with the replacement's exact configuration (read-only root and these writable places) did not come up: ${proof.why}${proof.logTail.length ? `; its last lines: ${proof.logTail.join(' | ')}` : ''}. Add the place it needs with --tmpfs`,
      );
  }
  if (!report)
    plan.warnings.push(
      "no triage of this container was found: its churn, its mounts' findings and the ports it listened on are unknown; triage first",
    );
  return { plan, inspect, evidenceImages, ...(proof ? { proof } : {}) };
}
