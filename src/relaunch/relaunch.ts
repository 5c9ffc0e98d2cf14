/**
 * One-key clean restart: evidence first, then quarantine the compromised
 * container (kept, never removed: stopped or paused, cut from its networks,
 * renamed), then a hardened replacement from the original image id, checked
 * until it runs (and is healthy), with a clear account when it does not.
 */
import type { Readable } from 'node:stream';
import { readBounded, tarEntries } from '../tar-entries.js';
import { CaseFolder } from '../case/case-folder.js';
import type { CustodyLog } from '../case/custody.js';
import type { ContainerInspect, Engine } from '../sources/docker-live/engine.js';
import { findLatestCase, loadCaseReport } from '../case/find-case.js';
import type { TriageReport } from '../report/triage-report.js';
import { engineStatus } from '../sources/docker-live/engine-errors.js';
import { pickContainer } from '../sources/pick-container.js';
import { CoronerError } from '../errors.js';
import { assessExposure } from '../findings/exposure.js';
import type { ExposureCheck } from '../report/finding.js';
import { demuxLogStream } from '../sources/docker-live/log-demux.js';
import { EVIDENCE_LABELS, freezeEvidence } from '../sources/docker-live/freeze.js';
import { runtimeFromDocker } from '../sources/docker-config.js';
import { utcStamp } from '../iso-time.js';
import { planRelaunch, type RelaunchOptions, type RelaunchPlan } from './plan.js';

export class EvidenceMissing extends CoronerError {}
export class RelaunchFailed extends CoronerError {}

export interface PreparedRelaunch {
  plan: RelaunchPlan;
  inspect: ContainerInspect;
  evidenceImages: string[];
}

/**
 * Paths the triage ranked as legitimate churn (pid, lock, cache, /run state), from its
 * frozen change list: a fresh `docker diff` is the attacker's to shape (deleting a pid file
 * would take away a tmpfs the app needs).
 */
export function legitimateWrites(report: Pick<TriageReport, 'changes'>): string[] {
  return report.changes
    .filter((c) => !c.isParentOnly && c.kind !== 'D' && c.findings.length > 0)
    .filter((c) => c.findings.every((f) => f.rule === 'legitimate-churn'))
    .map((c) => c.path);
}

export function parsePasswd(text: string): { name: string; uid: number; gid: number }[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

/** Reads /etc/passwd of an image through a never-started reader (bounded: 1 MiB). */
async function imageUsers(
  engine: Engine,
  imageId: string,
  custody: CustodyLog,
): Promise<{ name: string; uid: number; gid: number }[]> {
  const reader = await custody.step(
    'create reader container (never started) to read /etc/passwd',
    imageId,
    () => engine.createReader(imageId, {}),
  );
  try {
    let archive: Readable;
    try {
      archive = await engine.archive(reader, '/etc/passwd');
    } catch (e) {
      if (engineStatus(e) === 404) return [];
      throw e;
    }
    for await (const entry of tarEntries(archive)) {
      const { data } = await readBounded(entry, 1024 * 1024);
      return parsePasswd(data.toString('utf8'));
    }
    return [];
  } finally {
    await custody
      .step('remove reader container', reader, () =>
        engine.removeContainer(reader, { removeVolumes: true }),
      )
      .catch(() => undefined);
  }
}

/**
 * Where the writes the replacement must still be able to make come from: the triage of this
 * container (given, or the newest case folder under `casesRoot`); without one, none is derived.
 */
export type TriageSource = { report: TriageReport } | { casesRoot: string };

export async function prepareRelaunch(
  engine: Engine,
  containerRef: string,
  options: Omit<RelaunchOptions, 'stamp'>,
  custody: CustodyLog,
  triaged: TriageSource,
): Promise<PreparedRelaunch> {
  const container = pickContainer(containerRef, await engine.listContainers());
  const inspect = await engine.inspectContainer(container.id);
  const evidenceImages = await engine.listImagesByLabel(
    `${EVIDENCE_LABELS.sourceId}=${container.id}`,
  );
  let report = 'report' in triaged ? triaged.report : undefined;
  if (!report) {
    const caseDir =
      'casesRoot' in triaged ? await findLatestCase(triaged.casesRoot, container.id) : undefined;
    report = caseDir ? await loadCaseReport(caseDir) : undefined;
  }
  // Never a fresh `docker diff`: that is the attacker's to shape (deleting a pid file would
  // take away a tmpfs the app needs).
  const writes = report ? legitimateWrites(report) : [];
  const users = await imageUsers(engine, inspect.Image, custody);
  const plan = planRelaunch(
    { inspect, legitimateWrites: writes, imageUsers: users },
    { ...options, stamp: utcStamp(new Date()) },
  );
  if (!report)
    plan.warnings.push(
      "no triage of this container was found: no writable place could be derived (a live docker diff is the attacker's to shape); triage first to plan from the frozen change list, or name them with --tmpfs",
    );
  return { plan, inspect, evidenceImages };
}

export interface RelaunchRequest {
  /** Commit an evidence image now when there is none (instead of refusing). */
  allowNoEvidence: boolean;
  keepPaused: boolean;
  custody: CustodyLog;
  /** Case folder for evidence committed here with allowNoEvidence. */
  caseDir: string;
  runningTimeoutMs?: number;
  healthyTimeoutMs?: number;
  onStep?: (step: string) => void;
}

export interface RelaunchResult {
  plan: RelaunchPlan;
  evidenceImageId: string;
  quarantine: { id: string; name: string; state: string; networks: string[] };
  replacement: { id: string; state: string; health?: string };
  isRunning: boolean;
  failure?: { reason: string; exitCode?: number; logTail: string[]; choices: string[] };
  configChanges: { setting: string; before: string; after: string }[];
  auditAfter: ExposureCheck[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lastLogLines(engine: Engine, id: string, count: number): Promise<string[]> {
  try {
    const { stdout, stderr, done } = demuxLogStream(await engine.logs(id, count));
    const collect = async (s: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    const [out, err] = await Promise.all([collect(stdout), collect(stderr), done]);
    return `${out}${err}`.split('\n').filter(Boolean).slice(-count);
  } catch {
    return [];
  }
}

function describeConfig(i: ContainerInspect): Record<string, string> {
  const hc = i.HostConfig;
  return {
    image: i.Image,
    user: i.Config.User || '(root)',
    'read-only root': String(hc.ReadonlyRootfs ?? false),
    'cap drop': (hc.CapDrop ?? []).join(',') || '-',
    'cap add': (hc.CapAdd ?? []).join(',') || '-',
    'security options': (hc.SecurityOpt ?? []).join(',') || '-',
    tmpfs: Object.keys(hc.Tmpfs ?? {}).join(',') || '-',
    'pids limit': String(hc.PidsLimit || 'none'),
    memory: String(hc.Memory || 'none'),
    'cpu shares': String(hc.CpuShares || 'default'),
    restart: `${hc.RestartPolicy?.Name || 'no'}${hc.RestartPolicy?.MaximumRetryCount ? `:${hc.RestartPolicy.MaximumRetryCount}` : ''}`,
    privileged: String(hc.Privileged ?? false),
    network: hc.NetworkMode || 'default',
  };
}

export function configChanges(
  before: ContainerInspect,
  after: ContainerInspect,
): RelaunchResult['configChanges'] {
  const a = describeConfig(before);
  const b = describeConfig(after);
  return Object.keys(a)
    .filter((k) => a[k] !== b[k])
    .map((k) => ({ setting: k, before: a[k]!, after: b[k]! }));
}

export async function executeRelaunch(
  engine: Engine,
  prepared: PreparedRelaunch,
  req: RelaunchRequest,
): Promise<RelaunchResult> {
  const { plan, inspect } = prepared;
  const { custody } = req;
  const step = (s: string) => req.onStep?.(s);
  const id = plan.container.id;

  // 1. Evidence first.
  let evidenceImageId = prepared.evidenceImages[0];
  if (!evidenceImageId) {
    if (!req.allowNoEvidence) {
      throw new EvidenceMissing(
        `${plan.container.name} has no evidence image yet`,
        `Run \`coroner triage ${plan.container.name}\` first, or pass --no-evidence to have relaunch commit one now.`,
      );
    }
    step('committing an evidence image first');
    const folder = await CaseFolder.create(req.caseDir);
    const frozen = await freezeEvidence(
      engine,
      { id, name: plan.container.name },
      folder,
      custody,
      { logTailLines: 1000, logMaxBytes: 16 * 1024 * 1024 },
    );
    evidenceImageId = frozen.evidence.id;
  }

  // 2. Quarantine: kept, never removed.
  step('quarantining the compromised container');
  const state = inspect.State;
  if (req.keepPaused) {
    if (state.Running && !state.Paused)
      await custody.step('pause compromised container', id, () => engine.pauseContainer(id));
  } else if (state.Running || state.Paused) {
    await custody.step('stop compromised container', id, () => engine.stopContainer(id, 10));
  }
  // A restart policy would bring it back beside the replacement at the next daemon restart
  // or reboot, sharing its volumes.
  if ((inspect.HostConfig.RestartPolicy?.Name ?? 'no') !== 'no')
    await custody.step(
      `set the restart policy of the compromised container to "no" (was "${inspect.HostConfig.RestartPolicy?.Name}")`,
      id,
      () => engine.setRestartPolicyNo(id),
    );
  const networks = Object.keys(inspect.NetworkSettings?.Networks ?? {}).filter(
    (n) => n !== 'none' && n !== 'host',
  );
  for (const network of networks) {
    await custody.step('disconnect compromised container from network', `${id} ${network}`, () =>
      engine.disconnectNetwork(network, id),
    );
  }
  await custody.step('rename compromised container', `${id} -> ${plan.quarantineName}`, () =>
    engine.renameContainer(id, plan.quarantineName),
  );
  const quarantined = await engine.inspectContainer(id);

  // 3. The replacement, from the original image id, hardened.
  step('creating the hardened replacement');
  let replacementId: string;
  try {
    replacementId = await custody.step(
      'create replacement from the original image id',
      plan.imageId,
      () =>
        engine.createContainer({
          image: plan.imageId,
          name: plan.container.name,
          config: plan.createBody,
        }),
    );
  } catch (e) {
    throw new RelaunchFailed(
      `the replacement could not be created (${(e as Error).message}); ${plan.container.name} is quarantined as ${plan.quarantineName} and the evidence is untouched`,
      `Loosen the named setting and relaunch the quarantined container, or roll back: docker rename ${plan.quarantineName} ${plan.container.name} && docker start ${plan.container.name}`,
      { cause: e },
    );
  }
  const rollback = [
    `docker rm -f ${plan.container.name}`,
    `docker rename ${plan.quarantineName} ${plan.container.name}`,
    `docker start ${plan.container.name}`,
  ].join(' && ');
  let failure: RelaunchResult['failure'];
  try {
    await custody.step('start replacement', replacementId, () =>
      engine.startContainer(replacementId),
    );
  } catch (e) {
    failure = {
      reason: `the engine refused to start it: ${(e as Error).message}`,
      logTail: [],
      choices: [],
    };
  }

  // 4. Check: running (and healthy when there is a healthcheck), bounded.
  step('waiting for the replacement to run');
  let current = await engine.inspectContainer(replacementId);
  const hasHealthcheck = Boolean(
    current.Config.Healthcheck?.Test?.length && current.Config.Healthcheck.Test[0] !== 'NONE',
  );
  const deadline =
    Date.now() +
    (hasHealthcheck ? (req.healthyTimeoutMs ?? 60_000) : (req.runningTimeoutMs ?? 5_000));
  while (!failure) {
    current = await engine.inspectContainer(replacementId);
    const s = current.State;
    const health = (s as { Health?: { Status: string } }).Health?.Status;
    if (
      s.Status === 'exited' ||
      s.Status === 'dead' ||
      s.Restarting ||
      (current.RestartCount ?? 0) > 0
    ) {
      failure = {
        reason: `it exited with code ${s.ExitCode}${s.Error ? ` (${s.Error})` : ''}`,
        exitCode: s.ExitCode,
        logTail: [],
        choices: [],
      };
      break;
    }
    if (health === 'unhealthy') {
      failure = { reason: 'its healthcheck reports unhealthy', logTail: [], choices: [] };
      break;
    }
    // Without a healthcheck, "running" must hold for the whole window: a crash on start shows up in it.
    if (Date.now() >= deadline) {
      if (!hasHealthcheck && s.Running) break;
      if (hasHealthcheck && health === 'healthy') break;
      failure = {
        reason: hasHealthcheck
          ? `not healthy within ${req.healthyTimeoutMs ?? 60_000} ms (health: ${health ?? 'none'})`
          : 'not running',
        logTail: [],
        choices: [],
      };
      break;
    }
    if (hasHealthcheck && health === 'healthy') break;
    await sleep(250);
  }
  if (failure) {
    failure.logTail = await lastLogLines(engine, replacementId, 20);
    failure.choices = [
      'loosen one named setting and relaunch again from the quarantined container: --tmpfs PATH (a path it must write), --cap-add CAP, --user USER, --memory MiB, --pids N',
      `roll back to the quarantined container (not recommended while compromised): ${rollback}`,
    ];
    custody.record('check replacement', replacementId, 'failed', failure.reason);
  } else {
    custody.record(
      'check replacement',
      replacementId,
      'ok',
      hasHealthcheck ? 'running and healthy' : 'running',
    );
  }
  current = await engine.inspectContainer(replacementId);
  return {
    plan,
    evidenceImageId,
    quarantine: {
      id,
      name: plan.quarantineName,
      state: quarantined.State.Status,
      networks: Object.keys(quarantined.NetworkSettings?.Networks ?? {}),
    },
    replacement: {
      id: replacementId,
      state: current.State.Status,
      ...((current.State as { Health?: { Status: string } }).Health
        ? { health: (current.State as { Health?: { Status: string } }).Health!.Status }
        : {}),
    },
    isRunning: !failure,
    ...(failure ? { failure } : {}),
    configChanges: configChanges(inspect, current),
    auditAfter: assessExposure(runtimeFromDocker(current)),
  };
}
