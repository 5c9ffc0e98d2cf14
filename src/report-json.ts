/**
 * The triage report as JSON text, produced in chunks: a report of 50,000
 * changes is never one giant string. Arrays of the report put one element per
 * line (compact), everything else is indented; JSON.parse gives back the same value.
 */
import type { TriageReport } from './triage.js';

const LONG_ARRAYS = new Set(['changes', 'findings', 'artifacts', 'problems']);

export function* reportJsonChunks(report: TriageReport): Generator<string> {
  const keys = Object.keys(report) as (keyof TriageReport)[];
  yield '{\n';
  for (const [i, key] of keys.entries()) {
    const value = report[key];
    const comma = i < keys.length - 1 ? ',' : '';
    if (LONG_ARRAYS.has(key) && Array.isArray(value)) {
      if (value.length === 0) {
        yield `  ${JSON.stringify(key)}: []${comma}\n`;
        continue;
      }
      yield `  ${JSON.stringify(key)}: [\n`;
      for (const [j, item] of value.entries()) {
        yield `    ${JSON.stringify(item)}${j < value.length - 1 ? ',' : ''}\n`;
      }
      yield `  ]${comma}\n`;
    } else {
      yield `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}${comma}\n`;
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
