/**
 * What changed, as the engine's changes endpoint (docker diff) reports it.
 */
import type { RawChange } from '../sources/docker-live/types.js';

export type ChangeKind = 'A' | 'C' | 'D';

export interface ChangeEntry {
  path: string;
  kind: ChangeKind;
}

const KIND_BY_CODE: Record<number, ChangeKind> = { 0: 'C', 1: 'A', 2: 'D' };

export const CHANGE_KIND_WORDS: Record<ChangeKind, string> = {
  A: 'added',
  C: 'changed',
  D: 'deleted',
};

/**
 * Normalises the engine's list: one entry per path (the last word wins, as
 * in the engine's own walk), sorted so parents come before children.
 * Paths the engine should never send (relative, with "..") are returned apart.
 */
export function parseChanges(raw: readonly RawChange[]): {
  entries: ChangeEntry[];
  rejected: RawChange[];
} {
  const byPath = new Map<string, ChangeEntry>();
  const rejected: RawChange[] = [];
  for (const change of raw) {
    const kind = KIND_BY_CODE[change.Kind];
    const path = change.Path;
    if (
      !kind ||
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      path.split('/').includes('..')
    ) {
      rejected.push(change);
      continue;
    }
    byPath.set(path, { path, kind });
  }
  const entries = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  return { entries, rejected };
}

/** Orders paths component by component, so "/a/b" sorts right after "/a", before "/a-b". */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The paths that have at least one descendant in the list. */
export function pathsWithChangedChildren(entries: readonly ChangeEntry[]): Set<string> {
  const parents = new Set<string>();
  for (const { path } of entries) {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const parent = path.slice(0, i);
      if (parents.has(parent)) break;
      parents.add(parent);
    }
  }
  return parents;
}
