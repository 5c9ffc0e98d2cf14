/**
 * One-key clean restart: evidence first, then quarantine the compromised container
 * (kept, never removed: paused, restart policy "no", cut from its networks, then killed,
 * or left paused; renamed), then a hardened replacement from the original image id, with
 * the original name, networks, aliases and published ports; it is done only when the
 * replacement runs, is healthy, and answers on the ports the suspect listened on.
 * The replacement is a plan a clean twin served with; one that still does not come up is
 * kept for inspection under a clear name and the next proven plan runs, so the service is
 * not left down while one exists. When no twin proved a plan, nothing is touched unless the
 * responder says so. Whatever happens, the quarantine and the evidence are untouched.
 */
import { CaseFolder } from '../case/case-folder.js';
import type { CustodyLog } from '../case/custody.js';
import { CoronerError } from '../errors.js';
import { assessExposure } from '../findings/exposure.js';
import type { ExposureCheck } from '../report/finding.js';
import { runtimeFromDocker } from '../sources/docker-config.js';
import type { ContainerInspect, Engine } from '../sources/docker-live/engine.js';
import { freezeEvidence } from '../sources/docker-live/freeze.js';
import { lastLogLines } from '../sources/docker-live/log-tail.js';
import { describePlan, type RelaunchPlan } from './plan.js';
import type { PreparedRelaunch } from './prepare.js';
import { askFromHost, askInNamespace, canEnterNamespaces, type Answer } from './serve-check.js';

export class EvidenceMissing extends CoronerError {}
export class RelaunchFailed extends CoronerError {}
/** Refused before anything changed: no clean twin came up with a plan. */
export class RelaunchUnproven extends CoronerError {}

export interface RelaunchRequest {
  /** Commit an evidence image now when there is none (instead of refusing). */
  allowNoEvidence: boolean;
  keepPaused: boolean;
  custody: CustodyLog;
  /** Case folder for evidence committed here with allowNoEvidence. */
  caseDir: string;
  runningTimeoutMs?: number;
  healthyTimeoutMs?: number;
  /** How long the replacement may take to answer on its ports. */
  servingTimeoutMs?: number;
  onStep?: (step: string) => void;
  /** Go on when no clean twin came up with a plan (else refused before the suspect is touched). */
  allowUnproven?: boolean;
}

export interface RelaunchResult {
  /** The plan the running replacement (or the last one tried) was made from. */
  plan: RelaunchPlan;
  /** Every replacement tried, in order: the proven plan first, then the fallbacks. */
  attempts: RelaunchAttempt[];
  evidenceImageId: string;
  quarantine: {
    id: string;
    name: string;
    state: string;
    networks: string[];
    /** What the quarantine could not do on this engine, and what to do by hand. */
    warnings: string[];
  };
  replacement: { id: string; name: string; state: string; health?: string };
  /** It runs, is healthy when it has a healthcheck, and answered on every port asked. */
  isRunning: boolean;
  /** The answers on the ports the suspect listened on; `note` when they could not be asked. */
  serving: { answers: Answer[]; note?: string };
  failure?: { reason: string; exitCode?: number; logTail: string[]; choices: string[] };
  configChanges: { setting: string; before: string; after: string }[];
  auditAfter: ExposureCheck[];
}

/** One replacement tried: the plan, in words, and why it did not come up. */
export interface RelaunchAttempt {
  plan: string;
  /** Its name now: the service's, or `<name>-failed-…` when it was kept for inspection. */
  replacementName: string;
  failure?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ReplacementOutcome {
  /** Absent when the engine would not create it. */
  id?: string;
  name: string;
  serving: RelaunchResult['serving'];
  failure?: NonNullable<RelaunchResult['failure']>;
}

/**
 * Creates and starts one replacement, and checks it: running (and healthy when there is a
 * healthcheck), answering on the suspect's ports, bounded. One that does not come up is
 * stopped and kept for inspection under `<name>-failed-<stamp>[-n]`.
 */
async function runReplacement(
  engine: Engine,
  plan: RelaunchPlan,
  req: RelaunchRequest,
  index: number,
): Promise<ReplacementOutcome> {
  const { custody } = req;
  const step = (s: string) => req.onStep?.(s);
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
    if (!(e instanceof CoronerError)) throw e;
    return {
      name: plan.container.name,
      serving: { answers: [] },
      failure: { reason: e.message, logTail: [], choices: [] },
    };
  }
  const failedName = `${plan.container.name}-failed-${plan.quarantineName.slice(plan.quarantineName.lastIndexOf('-') + 1)}${index ? `-${index + 1}` : ''}`;
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

  // Running (and healthy when there is a healthcheck), bounded.
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
  // Running is not serving: it must answer on the ports the suspect listened on.
  let serving: RelaunchResult['serving'] = { answers: [] };
  if (!failure) {
    step('checking that the replacement answers on its ports');
    serving = await askPorts(engine, replacementId, plan.ports, req.servingTimeoutMs ?? 20_000);
    const closed = serving.answers.filter((a) => !a.isOpen);
    if (closed.length)
      failure = {
        reason: `it runs, but does not answer on ${closed.map((a) => a.address).join(', ')}`,
        logTail: [],
        choices: [],
      };
  }
  if (!failure) {
    custody.record(
      'check replacement',
      replacementId,
      'ok',
      `${hasHealthcheck ? 'running and healthy' : 'running'}${serving.answers.length ? `; answers on ${serving.answers.map((a) => a.address).join(', ')}` : ''}${serving.note ? `; ${serving.note}` : ''}`,
    );
    return { id: replacementId, name: plan.container.name, serving };
  }
  failure.logTail = await lastLogLines(engine, replacementId, 20);
  // Kept for inspection, out of the service's name; stopped, so it does not restart.
  await custody
    .step('stop the failed replacement', replacementId, () =>
      engine.stopContainer(replacementId, 5),
    )
    .catch(() => undefined);
  const name = await custody
    .step(`rename the failed replacement to ${failedName}`, replacementId, async () => {
      await engine.renameContainer(replacementId, failedName);
      return failedName;
    })
    .catch(() => plan.container.name);
  custody.record('check replacement', replacementId, 'failed', failure.reason);
  return { id: replacementId, name, serving, failure };
}

/**
 * Asks each port the suspect listened on, of the replacement: on the host where it is
 * published (or shares the host's network), else inside its own network namespace.
 */
async function askPorts(
  engine: Engine,
  id: string,
  ports: readonly number[],
  timeoutMs: number,
): Promise<RelaunchResult['serving']> {
  if (ports.length === 0)
    return {
      answers: [],
      note: 'the suspect listened on no TCP port, and the image declares none',
    };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await engine.inspectContainer(id);
    const published = (now.NetworkSettings?.Ports ?? {}) as Record<
      string,
      { HostIp?: string; HostPort?: string }[] | null
    >;
    const answers: Answer[] = [];
    let note: string | undefined;
    for (const port of ports) {
      const bound = published[`${port}/tcp`]?.find((b) => b.HostPort);
      if (bound) {
        const host =
          !bound.HostIp || bound.HostIp === '0.0.0.0' || bound.HostIp === '::'
            ? '127.0.0.1'
            : bound.HostIp;
        // The service's port, asked where the host publishes it.
        answers.push({ ...(await askFromHost(host, Number(bound.HostPort), 2000)), port });
      } else if (now.HostConfig.NetworkMode === 'host')
        answers.push(await askFromHost('127.0.0.1', port, 2000));
      else if (canEnterNamespaces() && now.State.Pid)
        answers.push(await askInNamespace(now.State.Pid, port, 2000));
      else note = `port ${port} is not published and coroner is not root, so it cannot be asked`;
    }
    if (answers.every((a) => a.isOpen) || Date.now() > deadline || !now.State.Running)
      return { answers, ...(note ? { note } : {}) };
    await sleep(250);
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

  // 0. Nothing is touched for a replacement no clean twin ran, unless the responder says so.
  if (prepared.unproven && !req.allowUnproven)
    throw new RelaunchUnproven(
      `relaunch stopped before the swap: ${prepared.unproven}; ${plan.container.name} was not touched`,
      'Review the twins above and give what the service needs (--tmpfs PATH, --cap-add CAP, --user USER), or pass --force to quarantine it for an unproven replacement.',
    );

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

  // 2. Quarantine: kept, never removed. Frozen at once, then killed rather than stopped: the
  // evidence is already kept, and a graceful stop would give the attacker's signal handlers
  // (a trap that wipes a volume) ten seconds to run.
  step('quarantining the compromised container');
  const state = inspect.State;
  if (state.Running && !state.Paused)
    await custody.step('pause compromised container (its processes get no more CPU)', id, () =>
      engine.pauseContainer(id),
    );
  // A restart policy would bring it back beside the replacement at the next daemon restart
  // or reboot, sharing its volumes.
  // Podman says "" for none.
  const restartPolicy = inspect.HostConfig.RestartPolicy?.Name || 'no';
  const warnings: string[] = [];
  if (restartPolicy !== 'no') {
    const action = `set the restart policy of the compromised container to "no" (was "${restartPolicy}")`;
    const cannot = await custody.step(action, id, () => engine.setRestartPolicyNo(id));
    if (cannot) {
      custody.record(action, id, 'skipped', cannot);
      warnings.push(`restart policy still "${restartPolicy}": ${cannot}`);
    }
  }
  const networks = Object.keys(inspect.NetworkSettings?.Networks ?? {}).filter(
    (n) => n !== 'none' && n !== 'host',
  );
  for (const network of networks) {
    await custody.step('disconnect compromised container from network', `${id} ${network}`, () =>
      engine.disconnectNetwork(network, id),
    );
  }
  if (!req.keepPaused && state.Running)
    await custody.step('kill compromised container (SIGKILL: no handler of its runs)', id, () =>
      engine.killContainer(id),
    );
  await custody.step('rename compromised container', `${id} -> ${plan.quarantineName}`, () =>
    engine.renameContainer(id, plan.quarantineName),
  );
  const quarantined = await engine.inspectContainer(id);

  // 3. The replacement, from the original image id, hardened as a clean twin proved; if it
  // still does not come up, the next plan a twin served with, so the service is not left down.
  const plans = [plan, ...prepared.fallbacks.map((f) => f.plan)];
  const attempts: RelaunchAttempt[] = [];
  let outcome: ReplacementOutcome | undefined;
  for (const [i, candidate] of plans.entries()) {
    if (i > 0)
      step(`falling back to the next plan a clean twin served with (${describePlan(candidate)})`);
    outcome = await runReplacement(engine, candidate, req, i);
    attempts.push({
      plan: describePlan(candidate),
      replacementName: outcome.name,
      ...(outcome.failure ? { failure: outcome.failure.reason } : {}),
    });
    if (!outcome.failure) break;
  }
  const ran = outcome!;
  if (ran.failure)
    custody.record(
      'relaunch',
      id,
      'failed',
      'no plan a clean twin served with came up as the replacement',
    );
  const ranPlan = plans[attempts.length - 1]!;
  const failure = ran.failure;
  if (failure) {
    const rollback = [
      `docker rm -f ${ran.name}`,
      `docker rename ${plan.quarantineName} ${plan.container.name}`,
      `docker start ${plan.container.name}`,
    ].join(' && ');
    failure.choices = [
      'loosen one named setting and relaunch again from the quarantined container: --tmpfs PATH (a path it must write), --cap-add CAP, --user USER, --memory MiB, --pids N',
      `roll back to the quarantined container (not recommended while compromised): ${rollback}`,
    ];
  }
  if (ran.id === undefined)
    throw new RelaunchFailed(
      `the replacement could not be created (${failure!.reason}); ${plan.container.name} is quarantined as ${plan.quarantineName} and the evidence is untouched`,
      `Loosen the named setting and relaunch the quarantined container, or roll back: docker rename ${plan.quarantineName} ${plan.container.name} && docker start ${plan.container.name}`,
    );
  const replacementId = ran.id;
  const serving = ran.serving;
  const current = await engine.inspectContainer(replacementId);
  return {
    plan: ranPlan,
    attempts,
    evidenceImageId,
    quarantine: {
      id,
      name: plan.quarantineName,
      state: quarantined.State.Status,
      networks: Object.keys(quarantined.NetworkSettings?.Networks ?? {}),
      warnings,
    },
    replacement: {
      id: replacementId,
      name: ran.name,
      state: current.State.Status,
      ...((current.State as { Health?: { Status: string } }).Health
        ? { health: (current.State as { Health?: { Status: string } }).Health!.Status }
        : {}),
    },
    isRunning: !failure,
    serving,
    ...(failure ? { failure } : {}),
    configChanges: configChanges(inspect, current),
    auditAfter: assessExposure(runtimeFromDocker(current)),
  };
}
