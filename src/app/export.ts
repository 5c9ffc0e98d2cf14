/**
 * Export, the use case: the evidence bundle of a container's case, from the CLI
 * and the console alike. The case is the one given, else the newest case folder
 * of the container, else a triage made first; its custody is carried on.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CustodyLog } from '../case/custody.js';
import { findLatestCase, loadCaseReport } from '../case/find-case.js';
import { writeBundle, type BundleOptions, type BundleResult } from '../bundle/write-bundle.js';
import { UsageError } from '../errors.js';
import type { SourceIdentity, TriageReport } from '../report/triage-report.js';
import type { EvidenceSource } from '../sources/evidence-source.js';
import { pickSubject } from '../sources/pick-container.js';
import { bundlePathFor, DEFAULT_CASES_ROOT } from './case-names.js';
import { triage, type TriageEvent } from './triage.js';

export interface ExportRequest extends Omit<BundleOptions, 'outPath' | 'custody'> {
  /** The bundle's path; default coroner-evidence-<name>-<utc>.tar.gz in `outDir`. */
  outPath?: string;
  outDir?: string;
  /** Where case folders are found and made. */
  casesRoot?: string;
  custody?: CustodyLog;
  /** Says which case is exported, or that a triage comes first. */
  onNote?: (note: string) => void;
  onTriageEvent?: (event: TriageEvent) => void;
}

export interface ExportResult {
  report: TriageReport;
  bundle: BundleResult;
}

/** The bundle of a triage just made (the console holds its report and custody). */
export async function exportReport(
  source: EvidenceSource,
  report: TriageReport,
  req: ExportRequest,
): Promise<ExportResult> {
  const custody = req.custody ?? new CustodyLog();
  const bundle = await writeBundle(source, report, {
    ...req,
    outPath: req.outPath ?? bundlePathFor(report.container.name, new Date(), req.outDir),
    custody,
  });
  return { report, bundle };
}

/**
 * The bundle of a container: its case folder `caseDir`, else its newest case folder under
 * `casesRoot`, else a triage made now.
 */
export async function exportContainer(
  source: EvidenceSource,
  containerRef: string,
  req: ExportRequest & { caseDir?: string },
): Promise<ExportResult> {
  const custody = req.custody ?? new CustodyLog();
  const casesRoot = req.casesRoot ?? DEFAULT_CASES_ROOT;
  const container = await pickSubject(source, containerRef);
  // A case of this container made from this source: never a live case for a dead box's copy.
  const identity = await source.identity();
  const caseDir =
    req.caseDir ??
    (await findLatestCase(casesRoot, container.id, (made) => isSameSource(made, identity)));
  let report: TriageReport;
  if (caseDir) {
    report = await loadCaseReport(caseDir);
    if (report.container.id !== container.id) {
      throw new UsageError(
        `${caseDir} is a case of ${report.container.name}, not of ${container.name}`,
        'Name the matching container, or another --case.',
      );
    }
    if (!isSameSource(report.source, identity))
      throw new UsageError(
        `${caseDir} was made from ${describeSource(report.source)}, not from ${describeSource(identity)}`,
        'Export it with the source it was made from (--docker-root DIR for a data root copy, none for the engine), or leave --case out.',
      );
    const earlier = JSON.parse(
      await readFile(path.join(report.caseDir, 'custody.json'), 'utf8'),
    ) as Parameters<CustodyLog['adoptEarlier']>[0];
    custody.adoptEarlier(earlier);
    req.onNote?.(
      `exporting the case folder ${report.caseDir} (triage finished ${report.finishedAt})`,
    );
  } else {
    req.onNote?.(`no case folder for ${container.name} under ./${casesRoot}; triaging first`);
    report = await triage(source, container.id, {
      casesRoot,
      custody,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.onTriageEvent ? { onEvent: req.onTriageEvent } : {}),
    });
  }
  return exportReport(source, report, { ...req, custody });
}

/** Two sources are the same where a case can tell: their kind, and for a data root its path. */
function isSameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return (
    a.kind === b.kind &&
    a.dataRoot?.path === b.dataRoot?.path &&
    a.checkpoint?.path === b.checkpoint?.path
  );
}

function describeSource(s: SourceIdentity): string {
  if (s.described) return s.described;
  return s.kind === 'dead-box' ? `the data root copy ${s.dataRoot?.path ?? '?'}` : 'a live engine';
}
