/**
 * The processes view as lines: processes ranked with their findings, the sockets,
 * the engine's events and the mounts read; or why they were not collected. Pure,
 * and every string from the container or the engine is sanitised here.
 */
import {
  connectionLines,
  eventFindings,
  listenerLines,
  processLine,
  processSeverity,
  rankedProcesses,
} from '../../src/report/describe-processes.js';
import type { Severity } from '../../src/report/severity.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { safeLine } from '../../src/untrusted.js';
import { attackTag } from '../../src/findings/attack.js';

export interface ViewLine {
  key: string;
  text: string;
  severity?: Severity;
  isHeading?: boolean;
}

export function processViewLines(report: TriageReport, width: number): ViewLine[] {
  const lines: ViewLine[] = [];
  const w = Math.max(20, width - 12);
  const heading = (key: string, text: string) => lines.push({ key, text, isHeading: true });
  if (report.processes) {
    heading('p', `Processes (${report.processes.length}, read on the engine's host)`);
    for (const p of rankedProcesses(report)) {
      const severity = processSeverity(p);
      lines.push({ key: `p${p.pid}`, severity, text: safeLine(processLine(p), w) });
      for (const [i, f] of p.findings.entries())
        lines.push({
          key: `p${p.pid}f${i}`,
          text: `    ${safeLine(f.reason + attackTag(f), w - 4)}`,
        });
    }
    const listening = listenerLines(report);
    if (listening.length)
      lines.push({ key: 'l', text: `listening: ${safeLine(listening.join(', '), w)}` });
    const connected = connectionLines(report);
    if (connected.length)
      lines.push({ key: 'c', text: `connected: ${safeLine(connected.join(', '), w)}` });
  }
  if (report.events) {
    heading('e', `Engine events (${report.events.length} still kept by the engine)`);
    const found = eventFindings(report);
    for (const [i, f] of found.entries())
      lines.push({
        key: `e${i}`,
        severity: f.severity,
        text: safeLine(f.reason + attackTag(f), w),
      });
    if (found.length === 0)
      lines.push({ key: 'e-none', text: 'no docker exec, cp or attach among them' });
  }
  if (report.mounts.length) {
    heading('m', 'Mounts read (what the change list cannot see)');
    for (const m of report.mounts)
      lines.push({
        key: `m${m.destination}`,
        text: safeLine(
          `${m.destination} (${m.type}${m.name ? ` ${m.name}` : ''})${m.note ? `: ${m.note}` : ''}`,
          w,
        ),
      });
  }
  if (report.notCollected.length) {
    heading('n', 'Not collected from this source');
    for (const n of report.notCollected)
      lines.push({ key: `n${n.item}`, text: safeLine(`${n.item}: ${n.reason}`, w) });
  }
  return lines;
}
