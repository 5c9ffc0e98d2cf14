/**
 * Preparing the relaunch of a container on a Docker or Podman engine: the engine's own
 * part (which container, its configuration without what the engine adds, its evidence
 * images, its newest triage) and its twin runner; what the twins learn is prepare.ts's.
 */
import type { CustodyLog } from '../case/custody.js';
import { findLatestCase, loadCaseReport } from '../case/find-case.js';
import type { ContainerInspect, Engine } from '../sources/docker-live/engine.js';
import { EVIDENCE_LABELS } from '../sources/docker-live/freeze.js';
import { pickContainer } from '../sources/pick-container.js';
import { dockerTwinRunner } from './docker-twins.js';
import type { RelaunchOptions } from './plan.js';
import {
  prepareFromTwins,
  type LearnRequest,
  type PreparedRelaunch,
  type TriageSource,
} from './prepare.js';

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
      'casesRoot' in triaged
        ? // A dead-box case of the same container knows the copy, not this engine's suspect.
          await findLatestCase(triaged.casesRoot, container.id, (s) => s.kind === 'docker-live')
        : undefined;
    report = caseDir ? await loadCaseReport(caseDir) : undefined;
  }
  return prepareFromTwins(
    dockerTwinRunner(engine, service),
    { inspect, service, evidenceImages, ...(report ? { report } : {}) },
    options,
    custody,
    learn,
  );
}
