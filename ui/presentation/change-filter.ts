/** Filtering and the tree view of the change list: pure functions of the report. */
import type { ChangeKind } from '../../src/report/change.js';
import { SEVERITY_RANK, type Severity } from '../../src/report/severity.js';
import type { ChangedPath } from '../../src/report/change.js';

export type KindFilter = 'all' | ChangeKind;
export type SeverityFilter = 'all' | Severity;

export interface ChangeFilter {
  kind: KindFilter;
  minSeverity: SeverityFilter;
  search: string;
}

export const KIND_CYCLE: KindFilter[] = ['all', 'A', 'C', 'D'];
export const SEVERITY_CYCLE: SeverityFilter[] = ['all', 'low', 'medium', 'high', 'critical'];

export function nextIn<T>(cycle: readonly T[], current: T): T {
  return cycle[(cycle.indexOf(current) + 1) % cycle.length]!;
}

export function filterChanges(
  changes: Iterable<ChangedPath>,
  filter: ChangeFilter,
  isTree: boolean,
): ChangedPath[] {
  const needle = filter.search.toLowerCase();
  const kept = [...changes].filter(
    (c) =>
      (isTree || !c.isParentOnly) &&
      (filter.kind === 'all' || c.kind === filter.kind) &&
      (filter.minSeverity === 'all' ||
        SEVERITY_RANK[c.severity] >= SEVERITY_RANK[filter.minSeverity]) &&
      (needle === '' || c.path.toLowerCase().includes(needle)),
  );
  return isTree ? [...kept].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) : kept;
}

/** Indentation depth for the tree view. */
export function depthOf(path: string): number {
  return path.split('/').length - 2;
}

/** The change at `path`, if the triage listed it. */
export function findChange(changes: Iterable<ChangedPath>, path: string): ChangedPath | undefined {
  for (const c of changes) if (c.path === path) return c;
  return undefined;
}
