/**
 * Where a triage's evidence came from, in words: the same lines in the summary,
 * the reports and the console. Raw text: each caller escapes it for its medium.
 */
import type { EvidenceRecord, SourceIdentity } from './triage-report.js';

export function sourceLine(source: SourceIdentity): string {
  if (source.described) return source.described;
  // A report made before its source said it in its own words.
  if (source.kind === 'dead-box')
    return `a copied Docker data root, ${source.dataRoot?.path ?? '?'} (${source.dataRoot?.storageDriver ?? '?'})${source.dataRoot?.containerdRoot ? `, with the copy of containerd's root ${source.dataRoot.containerdRoot}` : ''}, read only; no engine contacted`;
  const e = source.engine;
  if (!e) return 'a Docker engine';
  const over = e.transport === 'ssh' ? ' over ssh' : '';
  return `${e.product ?? 'Docker'} ${e.version} on ${e.hostName}${over} (daemon ${e.daemonId})`;
}

export function evidenceLine(evidence: EvidenceRecord): string {
  if (evidence.kind === 'image')
    return `${evidence.repo}:${evidence.tag} (${evidence.id})${evidence.wasPaused ? ', container paused during the commit' : ''}`;
  return (
    evidence.described ??
    `the container's writable layer ${evidence.layerDir} in the copied data root ${evidence.dataRoot} (read ${evidence.readAt})`
  );
}

/** One short phrase, for a status line. */
export function evidenceShort(evidence: EvidenceRecord): string {
  return evidence.kind === 'image'
    ? `${evidence.repo}:${evidence.tag}`
    : `writable layer in ${evidence.dataRoot}`;
}
