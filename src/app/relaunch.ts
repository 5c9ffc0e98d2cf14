/**
 * Relaunch, the use case, for the CLI and the console alike: a hardened
 * replacement needs the live engine that runs the suspect; the plan is made
 * from the container's triage (the report given, or its newest case folder).
 */
import type { CustodyLog } from '../case/custody.js';
import { UsageError } from '../errors.js';
import type { RelaunchOptions } from '../relaunch/plan.js';
import { prepareRelaunch } from '../relaunch/docker-prepare.js';
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
    'relaunch needs the live engine that runs the container; a copied data root cannot be relaunched',
    'Run `coroner relaunch <container>` on the host of that engine, without --docker-root.',
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
