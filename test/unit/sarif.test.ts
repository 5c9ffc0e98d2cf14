import { describe, expect, it } from 'vitest';
import { nameFromBytes } from '../../src/case/container-path.js';
import { containerUri, sarifLog } from '../../src/present/sarif.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { sarifErrors } from '../support/sarif-schema.js';

const evil = '/var/www/a b/\u001b]0;x\u0007\u202e.php';
const report = {
  startedAt: '2026-11-30T10:00:00.000Z',
  finishedAt: '2026-11-30T10:00:02.000Z',
  caseDir: '/cases/web-1',
  container: { id: 'c'.repeat(64), name: 'web-1' },
  findings: [
    {
      rule: 'web-shell',
      path: evil,
      severity: 'critical',
      reason: 'web shell pattern: eval() on request input',
      attack: 'T1505.003',
    },
    {
      rule: 'process-deleted-executable',
      path: '/tmp/.k',
      pid: 4242,
      severity: 'critical',
      reason: 'runs from a deleted file',
      attack: 'T1070.004',
    },
    { rule: 'engine-exec', path: '/', severity: 'high', reason: 'docker exec', attack: 'T1609' },
    { rule: 'temp-dir', path: '/tmp/x', severity: 'medium', reason: 'temp' },
    { rule: 'legitimate-churn', path: '/run/a.pid', severity: 'low', reason: 'pid file' },
    { rule: 'unclassified', path: '/etc/x', severity: 'info', reason: 'changed; no rule matched' },
  ],
} as unknown as TriageReport;

describe('sarifLog', () => {
  const log = sarifLog(report);
  const run = (log['runs'] as Record<string, unknown>[])[0]!;
  const results = run['results'] as Record<string, any>[];

  it('validates against the published SARIF 2.1.0 schema', () => {
    expect(sarifErrors(log)).toEqual([]);
    // The check can fail: a result without its message is refused.
    const broken = structuredClone(log) as any;
    delete broken.runs[0].results[0].message;
    expect(sarifErrors(broken)).not.toEqual([]);
  });

  it('has one result per finding of low or above, levelled by severity, tagged with ATT&CK', () => {
    expect(results.map((r) => [r.ruleId, r.level])).toEqual([
      ['web-shell', 'error'],
      ['process-deleted-executable', 'error'],
      ['engine-exec', 'error'],
      ['temp-dir', 'warning'],
      ['legitimate-churn', 'note'],
    ]);
    const rules = (run['tool'] as any).driver.rules as any[];
    expect(rules.find((r) => r.id === 'web-shell').properties.tags).toContain(
      'external/mitre/attack/T1505.003',
    );
    expect(results[1]!.message.text).toContain('(pid 4242)');
  });

  it('percent-encodes untrusted names in locations', () => {
    const uri = results[0]!.locations[0].physicalLocation.artifactLocation.uri as string;
    expect(uri).toBe('var/www/a%20b/%1B%5D0%3Bx%07%E2%80%AE.php');
    expect(containerUri('/')).toBe('');
    // A name read as raw bytes that are not UTF-8 (a /dev/shm file): each byte as itself.
    const raw = nameFromBytes(Buffer.from([0x2f, 0x73, 0x68, 0xff, 0x20]));
    expect(containerUri(raw)).toBe('sh%FF%20');
    expect(results[2]!.locations[0].physicalLocation.artifactLocation.uri).toBe('.');
  });
});
