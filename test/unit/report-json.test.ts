import { describe, expect, it } from 'vitest';
import { inPiecesOf, reportJsonChunks } from '../../src/report/report-json.js';
import type { TriageReport } from '../../src/report/triage-report.js';

describe('reportJsonChunks', () => {
  it('produces JSON that parses back to the same report, one change per line', () => {
    const report = {
      schemaVersion: 1,
      tool: { name: 'coroner', version: '1' },
      changes: [
        { path: '/a\n"b"', kind: 'A' },
        { path: '/c', kind: 'D' },
      ],
      findings: [],
      artifacts: [{ path: 'x', sha256: 'y' }],
    } as unknown as TriageReport;
    const text = [...reportJsonChunks(report)].join('');
    expect(JSON.parse(text)).toEqual(report);
    expect(text).toContain('\n    {"path":"/a\\n\\"b\\"","kind":"A"},\n');
  });
});

describe('inPiecesOf', () => {
  it('regroups the chunks into pieces of at least the size asked (the last may be shorter), losing nothing', () => {
    const chunks = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`);
    const pieces = [...inPiecesOf(chunks, 256)];
    expect(pieces.join('')).toBe(chunks.join(''));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.length).toBeLessThan(chunks.length / 10);
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(256);
    expect([...inPiecesOf([], 256)]).toEqual([]);
  });
});
