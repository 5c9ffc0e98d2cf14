/**
 * Processes, their sockets and the engine's events as lines for the summary (and the
 * console): raw text, escaped by the caller. Pure functions of the report.
 */
import type { Finding } from './finding.js';
import type { ProcessRecord } from './process.js';
import { maxSeverity, SEVERITY_RANK, type Severity } from './severity.js';
import type { TriageReport } from './triage-report.js';

export function processSeverity(p: ProcessRecord): Severity {
  return maxSeverity(p.findings.map((f) => f.severity));
}

/** The container's processes, most suspicious first, then by pid. */
export function rankedProcesses(report: Pick<TriageReport, 'processes'>): ProcessRecord[] {
  return [...(report.processes ?? [])].sort(
    (a, b) =>
      SEVERITY_RANK[processSeverity(b)] - SEVERITY_RANK[processSeverity(a)] ||
      b.findings.length - a.findings.length ||
      a.pid - b.pid,
  );
}

/** `pid 28515 /tmp/.x/kdevtmpfsi (deleted), uid 33, from docker exec` */
export function processLine(p: ProcessRecord): string {
  return [
    `pid ${p.pid} ${p.exe.path}${p.exe.isDeleted ? ' (deleted)' : ''}`,
    `uid ${p.uid}`,
    ...(p.isFromExec ? ['from docker exec'] : []),
    `: ${p.commandLine.join(' ')}`,
  ]
    .join(', ')
    .replace(', :', ':');
}

/** Every listening socket of the container, with the pids that hold it. */
export function listenerLines(report: Pick<TriageReport, 'processes'>): string[] {
  const holders = new Map<string, number[]>();
  for (const p of report.processes ?? [])
    for (const s of p.sockets)
      if (s.state === 'listen') {
        const key = `${s.local}/${s.protocol}`;
        holders.set(key, [...(holders.get(key) ?? []), p.pid]);
      }
  return [...holders].map(([socket, pids]) => `${socket} (pid ${pids.join(', ')})`);
}

/** Connections out of the container, with the pid. */
export function connectionLines(report: Pick<TriageReport, 'processes'>): string[] {
  return (report.processes ?? []).flatMap((p) =>
    p.sockets
      .filter((s) => s.state === 'established' && s.remote)
      .map((s) => `${s.local} -> ${s.remote}${s.isRemotePublic ? ' (public)' : ''} (pid ${p.pid})`),
  );
}

/** The findings about the engine's events (docker exec, docker cp, attach). */
export function eventFindings(report: Pick<TriageReport, 'findings'>): Finding[] {
  return report.findings.filter((f) => f.rule.startsWith('engine-'));
}
