/**
 * Pure formatters from engine state to the rows the screens show. Every
 * string from the container is sanitised here, before any component sees it.
 */
import type { Severity } from '../../src/report/severity.js';
import type { ChangedPath } from '../../src/report/change.js';
import { safeLine } from '../../src/untrusted.js';

export interface ChangeRow {
  key: string;
  marker: string;
  severity: Severity;
  path: string;
  reason: string;
  isParentOnly: boolean;
}

export const SEVERITY_COLOUR: Record<Severity, string> = {
  critical: 'red',
  high: 'yellow',
  medium: 'magenta',
  low: 'gray',
  info: 'gray',
};

/** Rows for the change list; the tree view keeps parent-only directories, the flat one drops them. */
export function changeRows(
  changes: readonly ChangedPath[],
  width: number,
  isTree = false,
): ChangeRow[] {
  const pathWidth = Math.max(10, width - 12);
  return changes
    .filter((c) => isTree || !c.isParentOnly)
    .map((c) => ({
      isParentOnly: c.isParentOnly,
      key: c.path,
      marker: c.kind,
      severity: c.severity,
      path: safeLine(c.path, pathWidth),
      reason: safeLine(c.findings[0]?.reason ?? '', Math.max(10, width - 8)),
    }));
}
