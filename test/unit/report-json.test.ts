import { describe, expect, it } from 'vitest';
import { reportJsonChunks } from '../../src/report-json.js';
import type { TriageReport } from '../../src/triage.js';

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
