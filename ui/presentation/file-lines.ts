/**
 * The file screen's lines, from one analysed change: metadata side by side,
 * the layer the original came from, then the diff or the binary summary.
 * Pure, and every container string sanitised.
 */
import { describePackageEvidence } from '../../src/report/package.js';
import { formatMode, formatOwner } from '../../src/report/file-meta.js';
import type { ChangedPath, VersionInfo } from '../../src/report/change.js';
import { safeLine } from '../../src/untrusted.js';
import { attackTag } from '../../src/findings/attack.js';

export type LineKind = 'title' | 'meta' | 'add' | 'del' | 'hunk' | 'plain' | 'note';
export interface StyledLine {
  kind: LineKind;
  text: string;
}

function describeVersion(v: VersionInfo | undefined): string {
  if (!v) return '(absent)';
  const m = v.meta;
  const parts = [formatMode(m), formatOwner(m)];
  if (m.type === 'file') parts.push(`${v.content?.sizeBytes ?? m.sizeBytes} bytes`);
  if (m.linkTarget !== undefined) parts.push(`-> ${safeLine(m.linkTarget, 200)}`);
  if (v.content) parts.push(`sha256 ${v.content.sha256.slice(0, 16)}…`);
  return parts.join('  ');
}

export function fileLines(change: ChangedPath): StyledLine[] {
  const lines: StyledLine[] = [
    { kind: 'title', text: `${change.kind} ${safeLine(change.path, 1000)}  [${change.severity}]` },
    ...change.findings.map((f) => ({
      kind: 'note' as const,
      text: `  ${f.severity}: ${safeLine(f.reason, 300)}${attackTag(f)}`,
    })),
    { kind: 'meta', text: `original: ${describeVersion(change.original)}` },
    { kind: 'meta', text: `current:  ${describeVersion(change.current)}` },
  ];
  const layer = change.original?.layer;
  if (layer) {
    lines.push({
      kind: 'meta',
      text: `original from layer ${layer.position} ${layer.diffId.slice(0, 19)}…${layer.createdBy ? `: ${safeLine(layer.createdBy, 200)}` : ''}`,
    });
  }
  if (change.package)
    lines.push({
      kind: 'meta',
      text: `package: ${safeLine(describePackageEvidence(change.package), 400)}`,
    });
  const comparison = change.comparison;
  for (const m of comparison?.metadata ?? []) {
    lines.push({
      kind: 'meta',
      text: `${m.field}: ${safeLine(m.before, 200)} -> ${safeLine(m.after, 200)}${m.note ? `  (${m.note})` : ''}`,
    });
  }
  for (const [label, side] of [
    ['original', comparison?.original],
    ['current', comparison?.current],
  ] as const) {
    if (side)
      lines.push({ kind: 'meta', text: `${label} content: ${side.type}, ${side.sizeBytes} bytes` });
  }
  lines.push({ kind: 'plain', text: '' });
  const content = comparison?.content;
  if (content?.kind === 'text-diff') {
    for (const raw of content.patch.split('\n')) {
      const text = safeLine(raw, 2000);
      const kind: LineKind = raw.startsWith('@@')
        ? 'hunk'
        : raw.startsWith('+') && !raw.startsWith('+++')
          ? 'add'
          : raw.startsWith('-') && !raw.startsWith('---')
            ? 'del'
            : 'plain';
      lines.push({ kind, text });
    }
    if (content.isExcerpt)
      lines.push({
        kind: 'note',
        text: content.patchFile
          ? `an excerpt: the whole diff is ${content.patchFile.path} in the case folder`
          : 'an excerpt: the whole file is its stored version in the case folder',
      });
  } else if (content?.kind === 'summary') {
    lines.push({ kind: 'note', text: `no line diff: ${content.reason}` });
  } else if (content?.kind === 'same') {
    lines.push({ kind: 'note', text: 'content unchanged (metadata only)' });
  } else {
    lines.push({
      kind: 'note',
      text: 'no content on either side (directory, link or special file)',
    });
  }
  return lines;
}
