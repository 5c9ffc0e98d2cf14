/**
 * One changed path, analysed: its versions compared, the layer its original
 * came from, whether it changed only through its children, and the findings
 * that rank it.
 */
import type { CaseFolder } from '../case/case-folder.js';
import { storedName } from '../case/container-path.js';
import {
  compareVersions,
  DEFAULT_COMPARE_LIMITS,
  readSample,
  readStoredEnd,
  readStoredPieces,
} from '../compare/compare.js';
import type { ChangedPath, ChangeEntry, LayerInfo, VersionPair } from '../report/change.js';
import type { Comparison } from '../report/comparison.js';
import type { Finding } from '../report/finding.js';
import { maxSeverity } from '../report/severity.js';
import { evaluateChange } from './change-rules.js';
import { contentFacts, middleRanges, RULE_TAIL_BYTES, ruleText } from './rule-budget.js';
import { databaseFileAt, dpkgRecordOf } from '../packages/package-db.js';
import { judgePackageFile, type PackageIndex } from '../packages/package-index.js';

/**
 * What one triage's analysis may spend in all: time for line diffs (they block the event
 * loop), and diff text carried in the report (report.json, .md and .html hold an excerpt
 * of each diff; the whole diff is a file of the case). Hundreds of large diffs then cost
 * summaries and excerpts, not a report past V8's string limit or a minute deaf to Ctrl-C.
 */
export interface AnalysisBudget {
  diffMsLeft: number;
  excerptBytesLeft: number;
  /**
   * Bytes of long pages' middles the content rules may still read (rule-budget.ts): 64 MiB,
   * about 1,000 windows of some 35 ms each, half a minute at worst.
   */
  middleBytesLeft: number;
}

export function newAnalysisBudget(): AnalysisBudget {
  return {
    diffMsLeft: 60_000,
    excerptBytesLeft: 8 * 1024 * 1024,
    middleBytesLeft: 64 * 1024 * 1024,
  };
}

/** Most of one diff a report carries. */
const MAX_EXCERPT_BYTES = 16 * 1024;

/** The start of `patch`, at most `maxBytes`, cut at a line end. */
function excerptOf(patch: string, maxBytes: number): string {
  if (Buffer.byteLength(patch) <= maxBytes) return patch;
  const head = Buffer.from(patch).subarray(0, maxBytes).toString('utf8');
  const end = head.lastIndexOf('\n');
  return end < 0 ? '' : head.slice(0, end + 1);
}

/**
 * Leaves in the comparison what the budget allows of its diff. A diff with no changed line
 * (an empty new file) is left empty. A cut diff of a file with both versions is stored whole
 * in the case folder; for a new or deleted file the stored version is the whole of it.
 */
async function budgetDiff(
  folder: CaseFolder,
  path: string,
  versions: VersionPair,
  comparison: Comparison,
  budget: AnalysisBudget,
): Promise<void> {
  const content = comparison.content;
  if (content.kind !== 'text-diff') return;
  if (content.addedLines + content.removedLines === 0) {
    content.patch = '';
    return;
  }
  const excerpt = excerptOf(content.patch, Math.min(MAX_EXCERPT_BYTES, budget.excerptBytesLeft));
  budget.excerptBytesLeft -= Buffer.byteLength(excerpt);
  if (excerpt.length === content.patch.length) return;
  if (versions.original?.content && versions.current?.content) {
    const record = await folder.writeBuffer(
      `diffs/${storedName(path)}.diff`,
      Buffer.from(content.patch),
      `diff of ${JSON.stringify(path)}, original -> current`,
      false,
    );
    content.patchFile = {
      path: record.path,
      sha256: record.sha256,
      sizeBytes: record.sizeBytes,
      capturedAt: record.capturedAt,
    };
  }
  content.patch = excerpt;
  content.isExcerpt = true;
}

/** What a change is judged against besides itself. */
export interface AnalysisContext {
  /** When the container was created (UTC ISO): a change cannot be older. */
  containerCreatedAt?: string;
  /** The time of the triage (UTC ISO). */
  now?: string;
  /** What the package databases list of the changed paths. */
  packages?: { index: PackageIndex; installedInContainer: readonly string[] };
}

export function isParentOnlyDirectory(
  entry: ChangeEntry,
  versions: VersionPair,
  hasChangedChildren: boolean,
): boolean {
  const { original, current } = versions;
  return (
    entry.kind === 'C' &&
    hasChangedChildren &&
    original?.meta.type === 'directory' &&
    current?.meta.type === 'directory' &&
    original.meta.mode === current.meta.mode &&
    original.meta.uid === current.meta.uid &&
    original.meta.gid === current.meta.gid
  );
}

export async function analyseChange(
  folder: CaseFolder,
  entry: ChangeEntry,
  versions: VersionPair,
  originLayer: LayerInfo | undefined,
  hasChangedChildren: boolean,
  context: AnalysisContext = {},
  budget: AnalysisBudget = newAnalysisBudget(),
): Promise<ChangedPath> {
  const { packages, ...when } = context;
  const { original, current } = versions;
  const isParentOnly = isParentOnlyDirectory(entry, versions, hasChangedChildren);
  // Each stored file is read once, up to the diff cap, for the diff, the type and the rules.
  const [originalSample, currentSample] = await Promise.all([
    readSample(folder, original),
    readSample(folder, current),
  ]);
  const diffStartedAt = performance.now();
  const comparison = compareVersions(
    entry.path,
    original,
    current,
    { original: originalSample, current: currentSample },
    {
      ...DEFAULT_COMPARE_LIMITS,
      diffTimeoutMs: Math.min(DEFAULT_COMPARE_LIMITS.diffTimeoutMs, budget.diffMsLeft),
    },
  );
  budget.diffMsLeft -= performance.now() - diffStartedAt;
  await budgetDiff(folder, entry.path, versions, comparison, budget);
  // The rules read the file's start and its end, and a page's middle, within their budget
  // (rule-budget.ts).
  const sizeBytes = current?.meta.sizeBytes ?? 0;
  const currentEnd = currentSample
    ? await readStoredEnd(folder, current, currentSample.length, RULE_TAIL_BYTES)
    : undefined;
  const middle = currentSample
    ? await readStoredPieces(
        folder,
        current,
        currentSample,
        middleRanges(currentSample, sizeBytes, entry.path, budget.middleBytesLeft),
      )
    : [];
  budget.middleBytesLeft -= middle.reduce((n, p) => n + p.bytes.length, 0);
  const judged = currentSample ? ruleText(currentSample, sizeBytes, currentEnd, middle) : undefined;
  const packageEvidence = packages
    ? await judgePackageFile(packages.index, folder, entry.path, entry.kind, current)
    : undefined;
  const packageLink =
    packages && current?.meta.type === 'symlink' ? packages.index.linkOwner(entry.path) : undefined;
  const isDatabaseList = ['status', 'installed', 'sqlite', 'berkeley'].includes(
    databaseFileAt(entry.path)?.kind ?? '',
  );
  const recordOf = dpkgRecordOf(entry.path);
  const findings: Finding[] = isParentOnly
    ? [
        {
          rule: 'parent-only',
          path: entry.path,
          severity: 'info',
          reason: 'directory changed only because something inside it changed',
        },
      ]
    : evaluateChange({
        path: entry.path,
        kind: entry.kind,
        ...(original ? { original: original.meta } : {}),
        ...(current ? { current: current.meta } : {}),
        ...contentFacts(judged),
        ...when,
        ...(packageEvidence ? { package: packageEvidence } : {}),
        ...(packageLink ? { packageLink } : {}),
        ...(isDatabaseList && entry.kind !== 'D' && packages?.installedInContainer.length
          ? { packagesInstalledInContainer: packages.installedInContainer }
          : {}),
        ...(recordOf && packages?.installedInContainer.some((p) => p.split(' ')[0] === recordOf)
          ? { recordOfPackageInstalledHere: recordOf }
          : {}),
      });
  return {
    path: entry.path,
    kind: entry.kind,
    isParentOnly,
    ...(original
      ? { original: { ...original, ...(originLayer ? { layer: originLayer } : {}) } }
      : {}),
    ...(current ? { current } : {}),
    comparison,
    ...(packageEvidence ? { package: packageEvidence } : {}),
    severity: maxSeverity(findings.map((f) => f.severity)),
    findings,
  };
}
