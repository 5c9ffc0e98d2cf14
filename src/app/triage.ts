/**
 * The triage pipeline: freeze the evidence, list what changed, recover each
 * changed path's original (from the original image) and current version (from
 * the frozen evidence image, never the live container), compare, rank.
 * Reports progress as typed events; returns one JSON-able report that the
 * CLI, the bundle and the UI all render.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import path from 'node:path';
import { Readable } from 'node:stream';
import { inPiecesOf, reportJsonChunks } from '../report/report-json.js';
import { CaseFolder, type ArtifactRecord } from '../case/case-folder.js';
import { safeFileName } from '../case/container-path.js';
import { CustodyLog } from '../case/custody.js';
import { parseChanges, pathsWithChangedChildren } from '../changes/change-list.js';
import { changesFromLayer } from '../changes/changes-from-layer.js';
import { analyseChange, newAnalysisBudget, type ChangedPath } from '../findings/analyse-change.js';
import {
  extractVersions,
  isPathLevel,
  type PathProblem,
} from '../sources/docker-live/archive-versions.js';
import { readerOwnerLabels, removeStaleReaders } from '../sources/docker-live/stale-readers.js';
import {
  throwIfAborted,
  type Engine,
  type EngineIdentity,
  type RawChange,
} from '../sources/docker-live/engine.js';
import { pickContainer } from '../sources/pick-container.js';
import { assessExposure, type ExposureCheck } from '../findings/exposure.js';
import type { Finding } from '../findings/change-rules.js';
import { SEVERITY_RANK, type Severity } from '../report/severity.js';
import {
  freezeEvidence,
  utcStamp,
  type EvidenceImage,
  type FreezeStep,
  type FrozenEvidence,
} from '../sources/docker-live/freeze.js';
import { findOriginLayer } from '../layers/layer-index.js';
import {
  defaultCacheDir,
  isLayerIndexProblem,
  loadImageLayers,
  type ImageLayers,
  type LayerInfo,
} from '../sources/docker-live/image-save-index.js';
import { CORONER_VERSION } from '../version.js';

export const TRIAGE_SCHEMA_VERSION = 1;

/** On each reader container: the id of the suspect it was created to read for. */
export const READER_FOR_LABEL = 'coroner.reader.for';

/** Where case folders go unless told otherwise (relative to the working directory). */
export const DEFAULT_CASES_ROOT = 'coroner-cases';

export type TriagePhase = 'resolve' | 'freeze' | 'changes' | 'layers' | 'extract' | 'rank' | 'done';

export type TriageEvent =
  | { type: 'phase'; phase: TriagePhase; step?: FreezeStep | string }
  | {
      type: 'progress';
      phase: 'layers' | 'extract';
      filesDone: number;
      filesTotal: number;
      bytes: number;
    }
  | { type: 'problem'; problem: PathProblem }
  /** The case folder exists: from here on a failure leaves it incomplete (no report.json). */
  | { type: 'case'; caseDir: string };

/** A per-path failure: collected and shown, not fatal. */
export type { PathProblem };

export type { ChangedPath, VersionInfo } from '../findings/analyse-change.js';

export interface UncoveredMount {
  destination: string;
  type: string;
  source?: string;
  reason: string;
}

export interface TriageReport {
  schemaVersion: typeof TRIAGE_SCHEMA_VERSION;
  tool: { name: 'coroner'; version: string };
  engine: EngineIdentity;
  startedAt: string;
  finishedAt: string;
  caseDir: string;
  container: {
    id: string;
    name: string;
    /** The image reference the container was started with (may since have moved). */
    imageRef: string;
    imageId: string;
    createdAt: string;
    stateAtStart: { status: string; isRunning: boolean; isPaused: boolean };
  };
  evidence: EvidenceImage;
  hostCompromise: { isSuspected: boolean; reasons: string[] };
  counts: {
    added: number;
    changed: number;
    deleted: number;
    parentOnly: number;
    bySeverity: Record<Severity, number>;
  };
  /** Ranked: most suspicious first; parent-only directories last. */
  changes: ChangedPath[];
  /** Every finding, ranked, for the paths that are not parent-only. */
  findings: Finding[];
  exposure: ExposureCheck[];
  notCovered: UncoveredMount[];
  layers: { source: ImageLayers['source']; savedBytes: number; list: LayerInfo[] };
  problems: PathProblem[];
  artifacts: ArtifactRecord[];
}

export interface TriageOptions {
  /** Folder for this case's artifacts; created. Default: ./coroner-cases/<name>-<utc>. */
  caseDir?: string;
  cacheDir?: string;
  logTailLines?: number;
  logMaxBytes?: number;
  /** Stored content per file is capped here (the hash still covers the whole file). */
  maxContentBytes?: number;
  /** The change list's JSON past this size is not read (default 64 MiB): the evidence layer is. */
  maxChangeListBytes?: number;
  /** Reader containers per image (the engine serialises archive reads per container). */
  readersPerImage?: number;
  signal?: AbortSignal;
  onEvent?: (event: TriageEvent) => void;
  custody?: CustodyLog;
}

const MiB = 1024 * 1024;

export async function triage(
  engine: Engine,
  containerRef: string,
  opts: TriageOptions = {},
): Promise<TriageReport> {
  const startedAt = new Date();
  const emit = opts.onEvent ?? (() => undefined);
  const custody = opts.custody ?? new CustodyLog();
  const signal = opts.signal;
  // Every request in flight listens to the signal (its socket, its response, its pipeline):
  // a bounded fan-out, each removed when its request ends, not a leak to warn about.
  const readersPerImage = opts.readersPerImage ?? 4;
  if (signal)
    setMaxListeners(Math.max(getMaxListeners(signal), readersPerImage * 2 * 4 + 16), signal);

  emit({ type: 'phase', phase: 'resolve' });
  const containers = await engine.listContainers();
  const container = pickContainer(containerRef, containers);
  const caseDir =
    opts.caseDir ??
    path.join(DEFAULT_CASES_ROOT, `${safeFileName(container.name)}-${utcStamp(startedAt)}`);
  const folder = await CaseFolder.create(caseDir);
  emit({ type: 'case', caseDir: folder.root });

  // Freeze first: nothing else happens until the evidence image exists.
  emit({ type: 'phase', phase: 'freeze' });
  const frozen = await freezeEvidence(engine, container, folder, custody, {
    logTailLines: opts.logTailLines ?? 1000,
    logMaxBytes: opts.logMaxBytes ?? 16 * MiB,
    ...(opts.maxChangeListBytes ? { maxChangeListBytes: opts.maxChangeListBytes } : {}),
    ...(signal ? { signal } : {}),
    onStep: (step) => emit({ type: 'phase', phase: 'freeze', step }),
  });
  const engineIdentity = await engine.identity();

  emit({ type: 'phase', phase: 'changes' });
  const problems: PathProblem[] = [];
  // Taken in the same pause as the commit: every listed change is in the evidence image.
  const listed = frozen.changes;
  if (Array.isArray(listed))
    await folder.writeJson(
      'changes/engine-changes.json',
      listed,
      'change list, as the engine sent it',
    );
  throwIfAborted(signal, 'triage');

  emit({ type: 'phase', phase: 'layers' });
  const layers: ImageLayers = await custody
    .step(
      'index original image layers',
      frozen.image.Id,
      () =>
        loadImageLayers(engine, frozen.image, {
          cacheDir: opts.cacheDir ?? defaultCacheDir(),
          ...(signal ? { signal } : {}),
          onBytes: (bytes) =>
            emit({ type: 'progress', phase: 'layers', filesDone: 0, filesTotal: 0, bytes }),
        }),
      (l) =>
        l.source === 'cache'
          ? 'from cache'
          : `streamed docker save, ${l.savedBytes} bytes${l.cacheProblem ? `; ${l.cacheProblem}` : ''}`,
    )
    .catch((e: unknown) => {
      if (!isLayerIndexProblem(e)) throw e;
      problems.push({
        path: '/',
        action: 'index original image layers',
        cause: `${e.message}; originals are still read from the image, without their layer`,
      });
      return {
        imageId: frozen.image.Id,
        layers: [],
        indexes: [],
        source: 'unavailable' as const,
        savedBytes: 0,
      };
    });

  let raw: RawChange[];
  if (Array.isArray(listed)) raw = listed;
  else {
    raw = await changesFromEvidence(engine, frozen, custody, {
      cacheDir: opts.cacheDir ?? defaultCacheDir(),
      ...(signal ? { signal } : {}),
    });
    await folder.writeJson(
      'changes/changes-from-evidence-layer.json',
      raw,
      "change list read from the evidence image's committed layer (docker diff failed)",
    );
    problems.push({
      path: '/',
      action: 'list changes (docker diff)',
      cause: `${listed.failure}; the change list was read from the evidence image's own layer instead`,
    });
  }
  const { entries, rejected } = parseChanges(raw);
  problems.push(
    ...rejected.map((r) => ({
      path: String(r.Path),
      action: 'read change list',
      cause: 'the engine reported a path that is not absolute or climbs with ".."; ignored',
    })),
  );
  throwIfAborted(signal, 'triage');

  emit({ type: 'phase', phase: 'extract' });
  // After the freeze, never before it: tidying up must not delay the evidence.
  await removeStaleReaders(engine, containers, custody);
  const evidenceLayerDir = upperDirOf(frozen.evidenceInspect);
  const versions = await extractVersions(
    engine,
    frozen.image.Id,
    frozen.evidence.id,
    entries,
    folder,
    custody,
    {
      maxContentBytes: opts.maxContentBytes ?? 256 * MiB,
      readersPerImage,
      readerLabels: { [READER_FOR_LABEL]: container.id, ...readerOwnerLabels() },
      liveContainerId: container.id,
      acquired: frozen.readFromSuspect,
      ...(evidenceLayerDir ? { evidenceLayerDir } : {}),
      ...(signal ? { signal } : {}),
      onProgress: (filesDone, bytes) =>
        emit({ type: 'progress', phase: 'extract', filesDone, filesTotal: entries.length, bytes }),
      onProblem: (problem) => {
        problems.push(problem);
        emit({ type: 'problem', problem });
      },
    },
  );

  emit({ type: 'phase', phase: 'rank' });
  const hasChildren = pathsWithChangedChildren(entries);
  const changes: ChangedPath[] = [];
  const budget = newAnalysisBudget();
  for (const entry of entries) {
    throwIfAborted(signal, 'triage');
    const pair = versions.get(entry.path) ?? {};
    versions.delete(entry.path); // the analysed change holds what it needs; keep memory flat
    const originLayer = pair.original ? findOriginLayer(layers.indexes, entry.path) : undefined;
    try {
      changes.push(
        await analyseChange(
          folder,
          entry,
          pair,
          originLayer === undefined ? undefined : layers.layers[originLayer],
          hasChildren.has(entry.path),
          { containerCreatedAt: frozen.inspect.Created, now: startedAt.toISOString() },
          budget,
        ),
      );
    } catch (e) {
      if (!isPathLevel(e)) throw e;
      problems.push({
        path: entry.path,
        action: 'compare',
        cause: e instanceof Error ? e.message : String(e),
      });
    }
  }
  changes.sort(rankChanges);
  const findings = changes
    .filter((c) => !c.isParentOnly)
    .flatMap((c) => c.findings)
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);

  const exposure = assessExposure(frozen.inspect);
  const hostReasons = exposure
    .filter((e) => !e.passed && e.isHostCompromise)
    .map((e) => `CIS ${e.cis} ${e.title}: ${e.detail}`);

  // A signal that came in time cancels the report: after this point the triage is complete.
  throwIfAborted(signal, 'triage');
  await folder.writeJson(
    'custody.json',
    { header: custody.header, actions: custody.actions },
    'chain of custody so far',
  );
  const report: TriageReport = {
    schemaVersion: TRIAGE_SCHEMA_VERSION,
    tool: { name: 'coroner', version: CORONER_VERSION },
    engine: engineIdentity,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    caseDir: folder.root,
    container: {
      id: container.id,
      name: container.name,
      imageRef: frozen.inspect.Config.Image,
      imageId: frozen.image.Id,
      createdAt: frozen.inspect.Created,
      stateAtStart: frozen.stateAtStart,
    },
    evidence: frozen.evidence,
    hostCompromise: { isSuspected: hostReasons.length > 0, reasons: hostReasons },
    counts: countChanges(changes),
    changes,
    findings,
    exposure,
    notCovered: uncoveredMounts(frozen.inspect),
    layers: { source: layers.source, savedBytes: layers.savedBytes, list: layers.layers },
    problems,
    // A copy: report.json's own record, made as it is written, is not part of it.
    artifacts: [...folder.records],
  };
  await folder.writeStream(
    'report.json',
    Readable.from(inPiecesOf(reportJsonChunks(report), 64 * 1024)),
    {
      description: 'triage report (this document)',
    },
  );
  emit({ type: 'phase', phase: 'done' });
  return report;
}

/**
 * The change list when `docker diff` failed: the evidence image is the original's layers
 * plus the one its commit wrote, and that layer is exactly what the container changed.
 */
function changesFromEvidence(
  engine: Engine,
  frozen: FrozenEvidence,
  custody: CustodyLog,
  opts: { cacheDir: string; signal?: AbortSignal },
): Promise<RawChange[]> {
  return custody.step(
    "read the change list from the evidence image's own layer (docker diff failed)",
    frozen.evidence.id,
    async () => {
      const { indexes } = await loadImageLayers(engine, frozen.evidenceInspect, opts);
      return changesFromLayer(indexes.at(-1)!, indexes.slice(0, -1));
    },
    (list) => `${list.length} paths`,
  );
}

/** The image's top layer as a folder on the engine's host (overlay2), when the engine says. */
function upperDirOf(image: FrozenEvidence['evidenceInspect']): string | undefined {
  const dir = (image.GraphDriver?.Data as Record<string, unknown> | undefined)?.['UpperDir'];
  return typeof dir === 'string' && dir.startsWith('/') ? dir : undefined;
}

function rankChanges(a: ChangedPath, b: ChangedPath): number {
  if (a.isParentOnly !== b.isParentOnly) return a.isParentOnly ? 1 : -1;
  const bySeverity = SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
  if (bySeverity !== 0) return bySeverity;
  const byCount = b.findings.length - a.findings.length;
  return byCount !== 0 ? byCount : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function countChanges(changes: ChangedPath[]): TriageReport['counts'] {
  const bySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  const counts = { added: 0, changed: 0, deleted: 0, parentOnly: 0, bySeverity };
  for (const c of changes) {
    if (c.isParentOnly) {
      counts.parentOnly++;
      continue;
    }
    if (c.kind === 'A') counts.added++;
    else if (c.kind === 'C') counts.changed++;
    else counts.deleted++;
    bySeverity[c.severity]++;
  }
  return counts;
}

/** Mounts whose writes `docker diff` cannot see: volumes, binds, tmpfs, and /dev/shm. */
export function uncoveredMounts(inspect: TriageReportInput): UncoveredMount[] {
  const found: UncoveredMount[] = [];
  for (const m of inspect.Mounts ?? []) {
    found.push({
      destination: m.Destination,
      type: m.Type ?? 'volume',
      ...(m.Source ? { source: m.Source } : {}),
      reason: `${m.Type ?? 'volume'} mount: writes here are not in the change list or the evidence image`,
    });
  }
  for (const destination of Object.keys(inspect.HostConfig.Tmpfs ?? {})) {
    found.push({
      destination,
      type: 'tmpfs',
      reason: 'tmpfs: lives in memory, gone when the container stops; not in the change list',
    });
  }
  if (inspect.HostConfig.IpcMode !== 'host' && !found.some((m) => m.destination === '/dev/shm')) {
    found.push({
      destination: '/dev/shm',
      type: 'tmpfs',
      reason:
        "the container's /dev/shm is a tmpfs: payloads staged there are not in the change list",
    });
  }
  return found;
}

type TriageReportInput = Pick<
  import('../sources/docker-live/types.js').ContainerInspect,
  'Mounts' | 'HostConfig'
>;
