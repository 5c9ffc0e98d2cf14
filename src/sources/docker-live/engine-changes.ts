/**
 * The engine's change list speaks in numeric kinds (0 modified, 1 added, 2 deleted);
 * coroner's own currency is the letter, converted here, at the engine's edge.
 */
import type { ChangeEntry, ChangeKind } from '../../report/change.js';
import type { RawChange } from './types.js';

const KIND_BY_CODE: Record<number, ChangeKind> = { 0: 'C', 1: 'A', 2: 'D' };

/** The engine's rows as change entries; a row of the wrong shape is returned apart. */
export function changesFromEngine(raw: readonly unknown[]): {
  entries: ChangeEntry[];
  unreadable: unknown[];
} {
  const entries: ChangeEntry[] = [];
  const unreadable: unknown[] = [];
  for (const row of raw) {
    const { Path: path, Kind: code } = (row ?? {}) as Partial<RawChange>;
    const kind = typeof code === 'number' ? KIND_BY_CODE[code] : undefined;
    if (typeof path === 'string' && kind) entries.push({ path, kind });
    else unreadable.push(row);
  }
  return { entries, unreadable };
}
