/**
 * The readable triage summary: a pure function from the report to lines.
 * Every string that came from the container goes through the sanitiser.
 */
import type { ChangedPath } from '../report/change.js';
import type { Severity } from '../report/severity.js';
import type { TriageReport } from '../report/triage-report.js';
import { safeLine } from '../untrusted.js';
import { evidenceLine, sourceLine } from '../report/describe-source.js';
import {
  connectionLines,
  eventFindings,
  listenerLines,
  processLine,
  processSeverity,
  rankedProcesses,
} from '../report/describe-processes.js';
import { attackTag } from '../findings/attack.js';

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'CRIT',
  high: 'HIGH',
  medium: 'MED ',
  low: 'LOW ',
  info: 'INFO',
};

export interface SummaryOptions {
  /** How many ranked changes to list. */
  top: number;
}

export function triageSummary(report: TriageReport, opts: SummaryOptions = { top: 15 }): string[] {
  const lines: string[] = [];
  const c = report.counts;
  const name = safeLine(report.container.name, 200);
  const caseDir = safeLine(report.caseDir, 500);
  if (report.hostCompromise.isSuspected) {
    lines.push('!! TREAT THE HOST AS COMPROMISED:');
    for (const reason of report.hostCompromise.reasons) lines.push(`!!   ${safeLine(reason, 600)}`);
    lines.push('');
  }
  lines.push(`coroner triage of ${name} (${safeLine(report.container.id.slice(0, 12), 12)})`);
  lines.push(
    `  image:    ${safeLine(report.container.imageRef, 200)} (${safeLine(report.container.imageId, 200)})`,
  );
  const { command, startedAt } = report.container;
  if (command) lines.push(`  command:  ${safeLine(JSON.stringify(command), 500)}`);
  if (startedAt) lines.push(`  started:  ${safeLine(startedAt, 64)}`);
  lines.push(`  source:   ${safeLine(sourceLine(report.source), 300)}`);
  lines.push(`  evidence: ${safeLine(evidenceLine(report.evidence), 400)}`);
  lines.push(`  case:     ${caseDir}`);
  lines.push('');
  lines.push(
    `Changes: ${c.added} added, ${c.changed} changed, ${c.deleted} deleted` +
      (c.parentOnly
        ? ` (and ${c.parentOnly} directories changed only through their contents)`
        : ''),
  );
  lines.push(
    `Suspicion: ${c.bySeverity.critical} critical, ${c.bySeverity.high} high, ${c.bySeverity.medium} medium, ${c.bySeverity.low} low, ${c.bySeverity.info} info`,
  );
  // Ranked, parent-only directories last: the first `top` are read, the rest only counted.
  const ranked: ChangedPath[] = [];
  for (const change of report.changes) {
    if (change.isParentOnly || ranked.length === opts.top) break;
    ranked.push(change);
  }
  const rankedCount = report.changes.length - report.counts.parentOnly;
  if (ranked.length > 0) lines.push('');
  for (const change of ranked) {
    const top = change.findings[0];
    const more = change.findings.length > 1 ? ` (+${change.findings.length - 1} more)` : '';
    lines.push(` ${SEVERITY_LABEL[change.severity]}  ${change.kind} ${safeLine(change.path, 160)}`);
    if (top) lines.push(`         ${safeLine(top.reason, 200)}${attackTag(top)}${more}`);
  }
  if (rankedCount > ranked.length)
    lines.push(` … ${rankedCount - ranked.length} more in ${caseDir}/report.json`);

  if (report.processes) {
    const ranked = rankedProcesses(report);
    const shown = ranked.filter((p) => p.findings.length > 0).slice(0, opts.top);
    lines.push('', `Processes (${ranked.length}, read on the engine's host):`);
    for (const p of shown) {
      const more = p.findings.length > 1 ? ` (+${p.findings.length - 1} more)` : '';
      lines.push(` ${SEVERITY_LABEL[processSeverity(p)]}  ${safeLine(processLine(p), 200)}`);
      lines.push(
        `         ${safeLine(p.findings[0]!.reason, 200)}${attackTag(p.findings[0]!)}${more}`,
      );
    }
    if (shown.length < ranked.length)
      lines.push(`  … ${ranked.length - shown.length} more with no finding`);
    const listeners = listenerLines(report);
    if (listeners.length) lines.push(`  listening: ${safeLine(listeners.join(', '), 400)}`);
    const connections = connectionLines(report);
    if (connections.length) lines.push(`  connected: ${safeLine(connections.join(', '), 400)}`);
  }
  const events = eventFindings(report);
  if (report.events) {
    lines.push('', `Engine events (${report.events.length} still kept by the engine):`);
    for (const f of events.slice(0, opts.top))
      lines.push(` ${SEVERITY_LABEL[f.severity]}  ${safeLine(f.reason, 300)}${attackTag(f)}`);
    if (events.length === 0) lines.push('  no docker exec, cp or attach among them');
  }
  if (report.mounts.length > 0) {
    lines.push('', 'Mounts read (what the change list cannot see):');
    for (const m of report.mounts)
      lines.push(
        `  ${safeLine(m.destination, 200)} (${safeLine(m.type, 40)}${m.name ? ` ${safeLine(m.name, 100)}` : ''})${m.note ? `: ${safeLine(m.note, 200)}` : ''}`,
      );
  }

  const failed = report.exposure.filter((e) => !e.passed);
  if (failed.length > 0) {
    lines.push('', 'Exposure (CIS Docker Benchmark v1.6.0, section 5 unless noted):');
    for (const e of failed) {
      lines.push(
        ` ${SEVERITY_LABEL[e.severity]}  ${e.cis.padEnd(5)} ${e.title}: ${safeLine(e.detail, 200)}`,
      );
      lines.push(`         ${e.meaning}`);
    }
  }
  if (report.notCovered.length > 0) {
    lines.push('', 'Not covered by the change list, nor read (check these by hand):');
    for (const m of report.notCovered)
      lines.push(`  ${safeLine(m.destination, 200)}: ${safeLine(m.reason, 300)}`);
  }
  if (report.notCollected.length > 0) {
    lines.push('', 'Not collected from this source:');
    for (const n of report.notCollected)
      lines.push(`  ${safeLine(n.item, 200)}: ${safeLine(n.reason, 300)}`);
  }
  if (report.problems.length > 0) {
    lines.push('', `Problems (${report.problems.length}; the rest of the triage is complete):`);
    for (const p of report.problems.slice(0, 10)) {
      lines.push(
        `  ${safeLine(p.path, 160)}: ${safeLine(p.action, 100)}: ${safeLine(p.cause, 200)}`,
      );
    }
  }
  lines.push('', `Full report: ${caseDir}/report.json`);
  return lines;
}
