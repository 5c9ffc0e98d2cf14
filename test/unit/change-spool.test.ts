import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangedPath } from '../../src/report/change.js';
import { ChangeSpool, type SpooledSummary } from '../../src/report/change-spool.js';
import { reportJsonChunks } from '../../src/report/report-json.js';
import type { Severity } from '../../src/report/severity.js';
import type { TriageReport } from '../../src/report/triage-report.js';

const change = (path: string, severity: Severity, findings = 1): ChangedPath => ({
  path,
  kind: 'A',
  isParentOnly: false,
  severity,
  findings: Array.from({ length: findings }, (_, i) => ({
    rule: `r${i}`,
    path,
    severity,
    reason: `reason ${i} of ${path}`,
  })),
});

const bySeverityThenPath = (a: SpooledSummary, b: SpooledSummary) =>
  a.severity === b.severity ? a.path.localeCompare(b.path) : a.severity === 'high' ? -1 : 1;

describe('ChangeSpool', () => {
  it('gives back every change whole, in the order asked, as often as it is read', () => {
    const spool = new ChangeSpool();
    const written = [
      change('/z', 'info'),
      change('/a', 'info', 3),
      change('/www/shell.php', 'high', 2),
      // Attacker-shaped text survives the round trip exactly.
      change('/tmp/\u001b[2J\u202e"quoted"\nline', 'high'),
    ];
    for (const c of written) spool.add(c);
    expect(spool.summaries.map((s) => [s.path, s.findingCount])).toEqual(
      written.map((c) => [c.path, c.findings.length]),
    );
    const changes = spool.finish(bySeverityThenPath);
    expect(changes.length).toBe(4);
    const order = [written[3], written[2], written[1], written[0]];
    expect([...changes]).toEqual(order);
    expect([...changes]).toEqual(order);
    expect(JSON.parse(JSON.stringify({ changes }))).toEqual({ changes: order });
  });

  it('holds more than its write buffer, and stays readable after it', () => {
    const spool = new ChangeSpool();
    const many = Array.from({ length: 3000 }, (_, i) =>
      change(`/many/${String(i).padStart(5, '0')}`, 'info'),
    );
    for (const c of many) spool.add(c);
    const changes = spool.finish((a, b) => a.path.localeCompare(b.path));
    let n = 0;
    for (const c of changes) expect(c).toEqual(many[n++]);
    expect(n).toBe(3000);
  });

  it('is written into report.json as the same JSON an array gives, escaped for a terminal', () => {
    const written = [change('/www/x\u009b.php', 'high'), change('/b', 'info')];
    const spool = new ChangeSpool();
    for (const c of written) spool.add(c);
    const base = { schemaVersion: 2, findings: [] } as unknown as TriageReport;
    const fromSpool = [...reportJsonChunks({ ...base, changes: spool.finish(() => 0) })].join('');
    const fromArray = [...reportJsonChunks({ ...base, changes: written })].join('');
    expect(fromSpool).toBe(fromArray);
    expect(fromSpool).toContain('x\\u009b.php');
    expect(fromSpool).not.toContain('\u009b');
    expect(JSON.parse(fromSpool).changes).toEqual(written);
  });

  it('joins findings learnt later to their change, ranking it by them', () => {
    const spool = new ChangeSpool();
    spool.add(change('/a', 'info'));
    spool.add(change('/b', 'info'));
    spool.amend('/b', [
      { rule: 'yara:X', path: '/b', severity: 'high', reason: 'YARA rule X matched' },
    ]);
    spool.amend('/nowhere', [{ rule: 'yara:X', path: '/nowhere', severity: 'high', reason: '' }]);
    const [first, second] = [...spool.finish(bySeverityThenPath)];
    expect(first!.path).toBe('/b');
    expect(first!.severity).toBe('high');
    expect(first!.findings.map((f) => f.rule)).toEqual(['yara:X', 'r0']);
    expect(second).toEqual(change('/a', 'info'));
  });

  it('leaves nothing on disk while it is used: what the suspect named never outlives a killed run', () => {
    const before = process.env.TMPDIR;
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'spool-scratch-'));
    process.env.TMPDIR = scratch;
    try {
      const spool = new ChangeSpool();
      spool.add(change('/www/shell.php', 'high'));
      expect(readdirSync(scratch)).toEqual([]);
      expect([...spool.finish(() => 0)].map((c) => c.path)).toEqual(['/www/shell.php']);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      process.env.TMPDIR = before;
      rmdirSync(scratch);
    }
  });
});
