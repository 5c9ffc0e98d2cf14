/**
 * The triage report as JSON text, produced in chunks: a report of 50,000
 * changes is never one giant string. Arrays of the report put one element per
 * line (compact), everything else is indented; JSON.parse gives back the same value.
 * Characters a terminal would interpret or hide are written as `\u` escapes (safeJson),
 * so `coroner triage --json`, which prints this file, is safe on a terminal.
 */
import { safeJson } from '../untrusted.js';
import { SpooledChanges } from './change-spool.js';
import type { TriageReport } from './triage-report.js';

const LONG_ARRAYS = new Set(['changes', 'findings', 'artifacts', 'problems']);

export function* reportJsonChunks(report: TriageReport): Generator<string> {
  const keys = Object.keys(report) as (keyof TriageReport)[];
  yield '{\n';
  for (const [i, key] of keys.entries()) {
    const value = report[key];
    const comma = i < keys.length - 1 ? ',' : '';
    if (LONG_ARRAYS.has(key) && (Array.isArray(value) || value instanceof SpooledChanges)) {
      if (value.length === 0) {
        yield `  ${safeJson(key)}: []${comma}\n`;
        continue;
      }
      yield `  ${safeJson(key)}: [\n`;
      // Spooled changes are JSON already, escaped the same way: copied, not parsed again.
      const items =
        value instanceof SpooledChanges ? value.jsonLines() : value.map((item) => safeJson(item));
      let j = 0;
      for (const item of items) yield `    ${item}${++j < value.length ? ',' : ''}\n`;
      yield `  ]${comma}\n`;
    } else {
      yield `  ${safeJson(key)}: ${safeJson(value, 2).replace(/\n/g, '\n  ')}${comma}\n`;
    }
  }
  yield '}\n';
}

/** The same text in pieces of about `size` characters: fewer, larger writes. */
export function* inPiecesOf(chunks: Iterable<string>, size: number): Generator<string> {
  let piece = '';
  for (const chunk of chunks) {
    piece += chunk;
    if (piece.length >= size) {
      yield piece;
      piece = '';
    }
  }
  if (piece) yield piece;
}
