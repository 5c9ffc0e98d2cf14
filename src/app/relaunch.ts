/**
 * Relaunch, the use case, for the CLI and the console alike: a hardened
 * replacement needs the live engine that runs the suspect; the plan is made
 * from the container's triage (the report given, or its newest case folder).
 * A Kubernetes pod's container is not replaced (the orchestrator owns it): it is
 * quarantined, and the hardened settings are written as a patch to apply.
 */
import type { CustodyLog } from '../case/custody.js';
import { UsageError } from '../errors.js';
import type { RelaunchOptions } from '../relaunch/plan.js';
import { prepareRelaunch } from '../relaunch/docker-prepare.js';
import {
  isPodRelaunchHost,
  preparePodRelaunch,
  quarantinePod,
  type PodQuarantineResult,
  type PodRelaunchHost,
  type PreparedPodRelaunch,
} from '../relaunch/kubernetes-relaunch.js';
import type { TriageReport } from '../report/triage-report.js';
import type { LearnRequest, PreparedRelaunch, TriageSource } from '../relaunch/prepare.js';
import {
  executeRelaunch,
  type RelaunchRequest,
  type RelaunchResult,
} from '../relaunch/relaunch.js';
import { DockerLiveSource } from '../sources/docker-live/live-source.js';
import type { EvidenceSource } from '../sources/evidence-source.js';
import { DEFAULT_CASES_ROOT, relaunchCaseDirFor } from './case-names.js';

function liveEngineOf(source: EvidenceSource) {
  if (source instanceof DockerLiveSource) return source.engine;
  throw new UsageError(
    'relaunch needs the live engine that runs the container; a copied data root or a checkpoint archive cannot be relaunched',
    'Run `coroner relaunch <container>` on the host of that engine, without --docker-root or --checkpoint.',
  );
}

export function planContainerRelaunch(
  source: EvidenceSource,
  containerRef: string,
  options: Omit<RelaunchOptions, 'stamp'>,
  custody: CustodyLog,
  triaged: TriageSource = { casesRoot: DEFAULT_CASES_ROOT },
  learn: LearnRequest = { isEnabled: true },
): Promise<PreparedRelaunch> {
  return prepareRelaunch(liveEngineOf(source), containerRef, options, custody, triaged, learn);
}

export function relaunchContainer(
  source: EvidenceSource,
  prepared: PreparedRelaunch,
  req: Omit<RelaunchRequest, 'caseDir'> & { casesRoot?: string },
): Promise<RelaunchResult> {
  return executeRelaunch(liveEngineOf(source), prepared, {
    ...req,
    caseDir: relaunchCaseDirFor(prepared.plan.container.name, new Date(), req.casesRoot),
  });
}

/** The options of a Kubernetes relaunch, from the same ones the Docker relaunch takes. */
function podOptions(options: Omit<RelaunchOptions, 'stamp'>) {
  return {
    memoryBytes: options.memoryBytes,
    cpuShares: options.cpuShares,
    tmpfs: options.tmpfs,
    pidsLimit: options.pidsLimit,
    capAdd: options.capAdd,
    ...(options.user ? { user: options.user } : {}),
  };
}

function podHostOf(source: EvidenceSource): PodRelaunchHost {
  if (isPodRelaunchHost(source)) return source;
  throw new UsageError(
    'a Kubernetes quarantine needs the containerd that runs the pod',
    "Run `coroner relaunch <namespace/pod/container> --containerd` on the pod's node.",
  );
}

/**
 * Restart clean, the Kubernetes way: the plan learnt from clean twins run through the
 * node's containerd (the triage's report, when given, adds its churn and ports).
 */
export function planPodRelaunch(
  source: EvidenceSource,
  ref: string,
  options: Omit<RelaunchOptions, 'stamp'>,
  custody: CustodyLog,
  report?: TriageReport,
  learn: LearnRequest = { isEnabled: true },
): Promise<PreparedPodRelaunch> {
  return preparePodRelaunch(podHostOf(source), ref, podOptions(options), custody, report, learn);
}

/** Pauses and keeps the pod's task, and writes the NetworkPolicy, the patch and the commands. */
export function quarantinePodContainer(
  source: EvidenceSource,
  prepared: PreparedPodRelaunch,
  req: { custody: CustodyLog; casesRoot?: string; onStep?: (step: string) => void },
): Promise<PodQuarantineResult> {
  const s = prepared.podPlan.subject;
  return quarantinePod(podHostOf(source), prepared, {
    custody: req.custody,
    caseDir: relaunchCaseDirFor(
      `${s.namespace}-${s.pod}-${s.container}`,
      new Date(),
      req.casesRoot,
    ),
    ...(req.onStep ? { onStep: req.onStep } : {}),
  });
}

/** A Docker replacement plan, or a Kubernetes pod's quarantine and patch. */
export type AnyPreparedRelaunch = PreparedRelaunch | PreparedPodRelaunch;

/** The relaunch plan of `ref`, of the kind its source runs: a pod's on containerd, else Docker's. */
export function planRelaunchOf(
  source: EvidenceSource,
  ref: string,
  options: Omit<RelaunchOptions, 'stamp'>,
  custody: CustodyLog,
  triaged: { report: TriageReport } | { casesRoot: string } = { casesRoot: DEFAULT_CASES_ROOT },
  learn: LearnRequest = { isEnabled: true },
): Promise<AnyPreparedRelaunch> {
  if (isPodRelaunchHost(source))
    return planPodRelaunch(
      source,
      ref,
      options,
      custody,
      'report' in triaged ? triaged.report : undefined,
      learn,
    );
  return planContainerRelaunch(source, ref, options, custody, triaged, learn);
}

/** Runs what planRelaunchOf planned: the pod's quarantine, or the Docker swap. */
export function runRelaunchOf(
  source: EvidenceSource,
  prepared: AnyPreparedRelaunch,
  req: Omit<RelaunchRequest, 'caseDir'> & { casesRoot?: string },
): Promise<RelaunchResult | PodQuarantineResult> {
  if ('podPlan' in prepared)
    return quarantinePodContainer(source, prepared, {
      custody: req.custody,
      ...(req.casesRoot ? { casesRoot: req.casesRoot } : {}),
      ...(req.onStep ? { onStep: req.onStep } : {}),
    });
  return relaunchContainer(source, prepared, req);
}
