/**
 * The triage pipeline, the same for every evidence source: acquire (freeze)
 * the evidence, list what changed, index the original image's layers, recover
 * each changed path's original and current version, compare, rank. Reports
 * progress as typed events; returns one JSON-able report that the CLI, the
 * bundle and the console all render.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CaseFolder } from '../case/case-folder.js';
import { CustodyLog } from '../case/custody.js';
import { normaliseChanges, pathsWithChangedChildren } from '../changes/change-list.js';
import { Cancelled } from '../errors.js';
import { analyseChange, newAnalysisBudget } from '../findings/analyse-change.js';
import { evaluateEvents, healthcheckCommand } from '../findings/event-rules.js';
import { assessExposure } from '../findings/exposure.js';
import { evaluateProcess, healthcheckProcesses } from '../findings/process-rules.js';
import { scanWithYara, yaraFinding } from '../findings/yara.js';
import { readPackageDatabases } from '../packages/read-package-databases.js';
import { storedName } from '../case/container-path.js';
import { defaultCacheDir } from '../layers/image-layers.js';
import { findOriginLayer } from '../layers/layer-index.js';
import type { ChangedPath, ChangeEntry, PathProblem, VersionPair } from '../report/change.js';
import { ChangeSpool, type SpooledSummary } from '../report/change-spool.js';
import type { Finding } from '../report/finding.js';
import { inPiecesOf, reportJsonChunks } from '../report/report-json.js';
import type { RuntimeConfig } from '../report/runtime.js';
import { maxSeverity, SEVERITY_RANK, type Severity } from '../report/severity.js';
import { whyNotInEngineList } from '../changes/cross-check.js';
import { rotatedFrom, timestompFindings } from '../findings/timestomp-rules.js';
import {
  TRIAGE_SCHEMA_VERSION,
  type TriageReport,
  type UncoveredMount,
} from '../report/triage-report.js';
import type { EvidenceSource } from '../sources/evidence-source.js';
import { pickSubject } from '../sources/pick-container.js';
import { CORONER_VERSION } from '../version.js';
import { caseDirFor } from './case-names.js';

export type TriagePhase =
  'resolve' | 'freeze' | 'changes' | 'layers' | 'extract' | 'mounts' | 'rank' | 'done';

export type TriageEvent =
  | { type: 'phase'; phase: TriagePhase; step?: string }
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

export interface TriageOptions {
  /** Folder for this case's artifacts; created. Default: ./coroner-cases/<name>-<utc>. */
  caseDir?: string;
  /** Where case folders go when caseDir is not given. */
  casesRoot?: string;
  cacheDir?: string;
  logTailLines?: number;
  logMaxBytes?: number;
  /** Stored content per file is capped here (the hash still covers the whole file). */
  maxContentBytes?: number;
  /** The change list's JSON past this size is not read (default 64 MiB): the evidence layer is. */
  maxChangeListBytes?: number;
  /** Reader containers per image (the engine serialises archive reads per container). */
  readersPerImage?: number;
  /** Compare the whole filesystem with the image's where the writable layer cannot be read (--deep). */
  deep?: boolean;
  /** YARA rule files (checked already) to run over every stored current version and executable. */
  yaraRules?: readonly string[];
  signal?: AbortSignal;
  onEvent?: (event: TriageEvent) => void;
  custody?: CustodyLog;
}

const MiB = 1024 * 1024;

export async function triage(
  source: EvidenceSource,
  containerRef: string,
  opts: TriageOptions = {},
): Promise<TriageReport> {
  const startedAt = new Date();
  const emit = opts.onEvent ?? (() => undefined);
  const custody = opts.custody ?? new CustodyLog();
  const signal = opts.signal;
  const cancelled = () => {
    if (signal?.aborted) throw new Cancelled('triage');
  };
  // Every request in flight listens to the signal (its socket, its response, its pipeline):
  // a bounded fan-out, each removed when its request ends, not a leak to warn about.
  const readersPerImage = opts.readersPerImage ?? 4;
  if (signal)
    setMaxListeners(Math.max(getMaxListeners(signal), readersPerImage * 2 * 4 + 16), signal);

  emit({ type: 'phase', phase: 'resolve' });
  const container = await pickSubject(source, containerRef);
  const folder = await CaseFolder.create(
    opts.caseDir ?? caseDirFor(container.name, startedAt, opts.casesRoot),
  );
  emit({ type: 'case', caseDir: folder.root });

  emit({ type: 'phase', phase: 'freeze' });
  const problems: PathProblem[] = [];
  const onProblem = (problem: PathProblem) => {
    problems.push(problem);
    emit({ type: 'problem', problem });
  };
  let filesTotal = 0;
  // The package databases are read like changes, but are not the changes being counted.
  let isReadingPackages = false;
  const acquired = await source.acquire(container, folder, custody, {
    logTailLines: opts.logTailLines ?? 1000,
    logMaxBytes: opts.logMaxBytes ?? 16 * MiB,
    maxContentBytes: opts.maxContentBytes ?? 256 * MiB,
    readersPerImage,
    cacheDir: opts.cacheDir ?? defaultCacheDir(),
    ...(opts.maxChangeListBytes ? { maxChangeListBytes: opts.maxChangeListBytes } : {}),
    ...(opts.deep ? { deep: true } : {}),
    ...(signal ? { signal } : {}),
    onStep: (step) => emit({ type: 'phase', phase: 'freeze', step }),
    onProgress: (phase, filesDone, bytes) => {
      if (phase === 'extract' && isReadingPackages) return;
      emit({
        type: 'progress',
        phase,
        filesDone,
        filesTotal: phase === 'extract' ? filesTotal : 0,
        bytes,
      });
    },
    onProblem,
  });
  const sourceIdentity = await source.identity();

  emit({ type: 'phase', phase: 'changes' });
  const { entries, rejected } = normaliseChanges(await acquired.changeList());
  for (const r of rejected)
    onProblem({
      path: r.path,
      action: 'read change list',
      cause: 'the source reported a path that is not absolute or climbs with ".."; ignored',
    });
  filesTotal = entries.length;
  // Paths the writable layer holds and the engine's list lacks: each is ranked, and the
  // report says why the engine missed it.
  const layerCheck = acquired.writableLayer?.();
  const missedByEngine = new Map<string, string | undefined>(
    (layerCheck?.notInEngineList ?? []).map((e) => [e.path, undefined]),
  );
  cancelled();

  emit({ type: 'phase', phase: 'layers' });
  const layers = await acquired.originalLayers();
  cancelled();
  // The package databases first: every changed file is then judged against them as it comes.
  emit({ type: 'phase', phase: 'layers', step: 'package databases' });
  isReadingPackages = true;
  const packages = await readPackageDatabases(acquired, layers, entries, folder);
  isReadingPackages = false;
  cancelled();
  const context = {
    containerCreatedAt: acquired.subject.createdAt,
    now: startedAt.toISOString(),
    ...(packages.summary
      ? {
          packages: {
            index: packages.index,
            installedInContainer: packages.summary.installedInContainer,
          },
        }
      : {}),
  };

  // Each path is compared and ranked as soon as both its versions are stored, then goes to
  // disk: memory grows with the findings, not with the number of changed files.
  const spool = new ChangeSpool();
  const changeFindings: Finding[] = [];
  const keep = (change: ChangedPath): void => {
    spool.add(change);
    if (!change.isParentOnly) changeFindings.push(...change.findings);
  };
  const budget = newAnalysisBudget();
  // One change compared and ranked; a failure is a problem of that path, not of the triage.
  const analyse = async (
    entry: ChangeEntry,
    pair: VersionPair,
    hasChangedChildren: boolean,
  ): Promise<ChangedPath | undefined> => {
    cancelled();
    const originLayer = pair.original ? findOriginLayer(layers.indexes, entry.path) : undefined;
    try {
      const change = await analyseChange(
        folder,
        entry,
        pair,
        originLayer === undefined ? undefined : layers.layers[originLayer],
        hasChangedChildren,
        context,
        budget,
      );
      return change.isParentOnly
        ? change
        : withTimestompFindings(change, pair, missedByEngine, packages.pairs);
    } catch (e) {
      if (e instanceof Cancelled || (e as Error)?.name === 'AbortError') throw e;
      problems.push({
        path: entry.path,
        action: 'compare',
        cause: e instanceof Error ? e.message : String(e),
      });
      return undefined;
    }
  };

  emit({ type: 'phase', phase: 'extract' });
  // The engine's own files changed their folders too, though they are not listed.
  const engineFiles = (acquired.engineFiles ?? []).map((p): ChangeEntry => ({
    path: p,
    kind: 'A',
  }));
  const hasChildren = pathsWithChangedChildren([...entries, ...engineFiles]);
  const pending = new Set(entries.map((e) => e.path));
  // One comparison at a time, in the order pairs arrive. Readers go on reading while a few
  // dozen pairs wait, and wait themselves beyond that: the queue, not the files, is held.
  let turn: Promise<void> = Promise.resolve();
  let queued = 0;
  const handOver = (entry: ChangeEntry, pair: VersionPair): Promise<void> => {
    queued++;
    turn = turn.then(async () => {
      queued--;
      if (!pending.delete(entry.path)) return; // handed over twice: the first one counts
      const change = await analyse(entry, pair, hasChildren.has(entry.path));
      if (change) keep(change);
    });
    turn.catch(() => undefined); // seen by the next turn, or by the await below
    return queued > 64 ? turn : Promise.resolve();
  };
  // Database files that changed were read with the databases: not read twice.
  for (const { entry, pair } of packages.pairs.values()) await handOver(entry, pair);
  await acquired.readVersions(
    entries.filter((e) => !packages.pairs.has(e.path)),
    handOver,
  );
  await turn;

  // What the change list cannot see: volumes, binds and tmpfs, compared with the image.
  emit({ type: 'phase', phase: 'mounts' });
  const mounts = await acquired.mountChanges();
  const processes = (await acquired.processes?.()) ?? undefined;
  cancelled();

  emit({ type: 'phase', phase: 'rank' });
  // Paths no reader could answer are still listed, with what is known of them (nothing).
  for (const entry of entries) {
    if (!pending.has(entry.path)) continue;
    const change = await analyse(entry, {}, hasChildren.has(entry.path));
    if (change) keep(change);
  }
  const mountedParents = pathsWithChangedChildren(mounts.changes.map((m) => m.entry));
  for (const { entry, mount, versions: pair } of mounts.changes) {
    const change = await analyse(entry, pair, mountedParents.has(entry.path));
    if (!change) continue;
    const where = `in the ${mount.type}${mount.name ? ` ${mount.name}` : ''} at ${mount.destination}`;
    for (const f of change.findings) f.reason = `${f.reason} (${where})`;
    keep({ ...change, mount });
  }
  // The responder's YARA rules over what was stored; a hit joins the change it is about.
  const yara = opts.yaraRules?.length
    ? await custody.step(
        'scan the stored current versions and recovered executables with YARA',
        opts.yaraRules.join(', '),
        async () => {
          const scan = (dir: string) => scanWithYara(opts.yaraRules!, path.join(folder.root, dir));
          return { changes: await scan('current'), processes: await scan('processes') };
        },
        (hits) => `${hits.changes.length + hits.processes.length} hits`,
      )
    : undefined;
  if (yara?.changes.length) {
    const stored = new Map(spool.summaries.map((s) => [`current/${storedName(s.path)}`, s.path]));
    for (const hit of yara.changes) {
      const containerPath = stored.get(path.relative(folder.root, hit.file));
      if (containerPath === undefined) continue;
      const finding = yaraFinding(hit, containerPath);
      spool.amend(containerPath, [finding]);
      changeFindings.push(finding);
    }
  }
  const counts = countChanges(spool.summaries);
  const written = new Set(spool.summaries.filter((c) => c.kind !== 'D').map((c) => c.path));
  const changes = spool.finish(rankChanges);

  // What ran, and what the engine recorded: ranked by their own rules.
  const healthcheck = healthcheckCommand(acquired.runtime.healthcheck);
  if (processes) {
    const context = {
      written,
      exposedPorts: new Set(acquired.runtime.exposedPorts),
      engineOwned: healthcheckProcesses(processes, healthcheck, acquired.events ?? []),
    };
    for (const p of processes) {
      p.findings = evaluateProcess(p, context);
      const exe = p.exe.stored?.path;
      for (const hit of yara?.processes ?? [])
        if (exe && path.relative(folder.root, hit.file) === exe)
          p.findings.push(yaraFinding(hit, p.exe.path, p.pid));
    }
  }
  const events = acquired.events;
  const findings = [
    ...changeFindings,
    ...(processes ?? []).flatMap((p) => p.findings),
    ...evaluateEvents(events ?? [], healthcheck),
  ].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);

  const exposure = assessExposure(acquired.runtime);
  const hostReasons = [
    ...exposure
      .filter((e) => !e.passed && e.isHostCompromise)
      .map((e) => `CIS ${e.cis} ${e.title}: ${e.detail}`),
    // The source's own records altered on the host (an image config that no longer hashes to its id).
    ...(acquired.hostTampering ?? []),
    // The image's own layers changed on the host's disk: someone with host access did it.
    ...(layers.checks ?? [])
      .filter((c) => c.status === 'tampered')
      .map(
        (c) => `image layer ${c.position} (${c.diffId}) was tampered with on the host: ${c.detail}`,
      ),
  ];

  cancelled();
  await folder.writeJson(
    'custody.json',
    { header: custody.header, actions: custody.actions },
    'chain of custody so far',
  );
  // A signal that came in time cancels the report (ranking may not have yielded to hear it;
  // writing custody did): after this point the triage is complete.
  cancelled();
  const report: TriageReport = {
    schemaVersion: TRIAGE_SCHEMA_VERSION,
    tool: { name: 'coroner', version: CORONER_VERSION },
    source: sourceIdentity,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    caseDir: folder.root,
    container: acquired.subject,
    evidence: acquired.evidence,
    runtime: acquired.runtime,
    hostCompromise: { isSuspected: hostReasons.length > 0, reasons: hostReasons },
    counts,
    changes,
    findings,
    exposure,
    notCovered: uncoveredMounts(acquired.runtime).filter(
      (m) => !mounts.read.some((r) => r.destination === m.destination),
    ),
    mounts: mounts.read,
    notCollected: acquired.notCollected,
    ...(processes ? { processes } : {}),
    ...(events ? { events } : {}),
    ...(layerCheck
      ? {
          writableLayer: {
            ...layerCheck,
            notInEngineList: layerCheck.notInEngineList.map((e) => {
              const reason = missedByEngine.get(e.path);
              return reason ? { ...e, reason } : e;
            }),
          },
        }
      : {}),
    layers: {
      source: layers.source,
      savedBytes: layers.savedBytes,
      list: layers.layers,
      ...(layers.checks ? { checks: layers.checks } : {}),
    },
    ...(packages.summary ? { packages: packages.summary } : {}),
    problems,
    // A copy: report.json's own record, made as it is written, is not part of it.
    artifacts: [...folder.records],
  };
  await folder.writeStream(
    'report.json',
    Readable.from(inPiecesOf(reportJsonChunks(report), 64 * 1024)),
    { description: 'triage report (this document)' },
  );
  emit({ type: 'phase', phase: 'done' });
  return report;
}

/**
 * A change's times judged (timestomp), and, for a path the engine's list lacks, why it did:
 * recorded in `missedByEngine` for the report.
 */
function withTimestompFindings(
  change: ChangedPath,
  pair: VersionPair,
  missedByEngine: Map<string, string | undefined>,
  databasePairs: ReadonlyMap<string, { pair: VersionPair }>,
): ChangedPath {
  const original = pair.original?.content?.sha256;
  const current = pair.current?.content?.sha256;
  const isContentChanged = !!original && !!current && original !== current;
  const isContentSame = !!original && original === current;
  const missed = missedByEngine.has(change.path)
    ? whyNotInEngineList(
        change.kind,
        pair.original?.meta,
        pair.current?.meta,
        isContentChanged,
        isContentSame,
      )
    : undefined;
  if (missed) missedByEngine.set(change.path, missed);
  const originalOf = rotatedFrom(change.path, pair.current, databasePairs);
  const found = timestompFindings({
    path: change.path,
    kind: change.kind,
    ...(pair.original ? { original: pair.original.meta } : {}),
    ...(pair.current ? { current: pair.current.meta } : {}),
    isContentChanged,
    isContentSame,
    ...(missed ? { notInEngineList: missed } : {}),
    ...(originalOf ? { originalOf } : {}),
  });
  if (found.length === 0) return change;
  const findings = [...change.findings, ...found];
  return { ...change, findings, severity: maxSeverity(findings.map((f) => f.severity)) };
}

function rankChanges(a: SpooledSummary, b: SpooledSummary): number {
  if (a.isParentOnly !== b.isParentOnly) return a.isParentOnly ? 1 : -1;
  const bySeverity = SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
  if (bySeverity !== 0) return bySeverity;
  const byCount = b.findingCount - a.findingCount;
  return byCount !== 0 ? byCount : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function countChanges(changes: readonly SpooledSummary[]): TriageReport['counts'] {
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
export function uncoveredMounts(runtime: RuntimeConfig): UncoveredMount[] {
  const found: UncoveredMount[] = [];
  for (const m of runtime.mounts) {
    found.push({
      destination: m.destination,
      type: m.type,
      ...(m.source ? { source: m.source } : {}),
      reason: `${m.type} mount: writes here are not in the change list or the evidence image`,
    });
  }
  for (const destination of runtime.tmpfs) {
    found.push({
      destination,
      type: 'tmpfs',
      reason: 'tmpfs: lives in memory, gone when the container stops; not in the change list',
    });
  }
  if (runtime.ipcMode !== 'host' && !found.some((m) => m.destination === '/dev/shm')) {
    found.push({
      destination: '/dev/shm',
      type: 'tmpfs',
      reason:
        "the container's /dev/shm is a tmpfs: payloads staged there are not in the change list",
    });
  }
  return found;
}
