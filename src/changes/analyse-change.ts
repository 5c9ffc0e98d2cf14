/**
 * One changed path, analysed: its versions compared, the layer its original
 * came from, whether it changed only through its children, and the findings
 * that rank it.
 */
import type { CaseFolder } from '../case/case-folder.js';
import { compareVersions, readSample, type Comparison } from '../compare/compare.js';
import { detectContentType, isTextual, type ContentType } from '../compare/content-type.js';
import type { VersionPair } from '../compare/extract-versions.js';
import { evaluateChange, type Finding } from '../findings/change-rules.js';
import { maxSeverity, type Severity } from '../findings/severity.js';
import type { LayerInfo } from '../layers/image-layers.js';
import type { FileMeta } from '../layers/file-meta.js';
import type { StoredVersion } from '../compare/read-version.js';
import type { ChangeEntry, ChangeKind } from './change-list.js';

export interface VersionInfo {
  meta: FileMeta;
  content?: StoredVersion['content'];
  /** For originals: the image layer the file came from. */
  layer?: LayerInfo;
}

export interface ChangedPath {
  path: string;
  kind: ChangeKind;
  /** A directory reported changed only because something inside it changed. */
  isParentOnly: boolean;
  original?: VersionInfo;
  current?: VersionInfo;
  comparison?: Comparison;
  severity: Severity;
  findings: Finding[];
}

const RULE_SAMPLE_BYTES = 64 * 1024;

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
  when: { containerCreatedAt?: string; now?: string } = {},
): Promise<ChangedPath> {
  const { original, current } = versions;
  const isParentOnly = isParentOnlyDirectory(entry, versions, hasChangedChildren);
  // Each stored file is read once, up to the diff cap, for the diff, the type and the rules.
  const [originalSample, currentSample] = await Promise.all([
    readSample(folder, original),
    readSample(folder, current),
  ]);
  const comparison = compareVersions(entry.path, original, current, {
    original: originalSample,
    current: currentSample,
  });
  let currentType: ContentType | undefined;
  let currentText: string | undefined;
  if (currentSample) {
    const head = currentSample.subarray(0, RULE_SAMPLE_BYTES);
    currentType = detectContentType(head);
    if (isTextual(head)) currentText = head.toString('utf8');
  }
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
        ...(currentType ? { currentType } : {}),
        ...(currentText !== undefined ? { currentText } : {}),
        ...when,
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
    severity: maxSeverity(findings.map((f) => f.severity)),
    findings,
  };
}
