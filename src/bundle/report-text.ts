/**
 * The human report in two forms, Markdown for tickets and a self-contained
 * HTML page, both pure functions of the triage report. Untrusted strings are
 * sanitised, then escaped for the target format.
 */
import { describePackageEvidence } from '../report/package.js';
import { CHANGE_KIND_WORDS } from '../report/change.js';
import type { TriageReport } from '../report/triage-report.js';
import type { ChangedPath } from '../report/change.js';
import { safeLine, safeLines } from '../untrusted.js';
import type { Manifest } from './manifest.js';
import { sourceLine } from '../report/describe-source.js';
import {
  connectionLines,
  eventFindings,
  listenerLines,
  processLine,
  processSeverity,
  rankedProcesses,
} from '../report/describe-processes.js';
import { attackTag, techniqueLabel } from '../findings/attack.js';

export interface ReportContext {
  evidence: Manifest['evidence'];
  redaction: Manifest['redaction'];
  createdAt: string;
}

const MAX_DIFF_LINES = 2000;

function diffText(change: ChangedPath): string | undefined {
  const content = change.comparison?.content;
  return content?.kind === 'text-diff' ? content.patch : undefined;
}

/** Raw (unsanitised) lines: each output format sanitises and escapes them once. */
function metadataLines(change: ChangedPath): string[] {
  const lines = (change.comparison?.metadata ?? []).map(
    (m) => `${m.field}: ${m.before} -> ${m.after}${m.note ? ` (${m.note})` : ''}`,
  );
  const content = change.comparison?.content;
  if (content?.kind === 'summary') lines.push(`content: ${content.reason}`);
  for (const [label, side] of [
    ['original', change.comparison?.original],
    ['current', change.comparison?.current],
  ] as const) {
    if (side) lines.push(`${label}: ${side.type}, ${side.sizeBytes} bytes, sha256 ${side.sha256}`);
  }
  if (change.original?.layer) {
    const l = change.original.layer;
    lines.push(
      `original from layer ${l.position} (${l.diffId})${l.createdBy ? `: ${l.createdBy}` : ''}`,
    );
  }
  if (change.package) lines.push(`package: ${describePackageEvidence(change.package)}`);
  return lines;
}

/** Raw lines: which package databases were read, and what the container installed itself. */
function packageLines(report: TriageReport): string[] {
  const p = report.packages;
  if (!p) return [];
  const image = p.files.filter((f) => f.side === 'original').length;
  const container = p.files.filter((f) => f.side === 'current').length;
  const lines = [
    `${p.managers.join(' and ')}: ${image} database files of the image, ${container} changed in the container (each stored in the case folder)`,
  ];
  for (const f of p.files)
    if (!f.isRead || f.problem)
      lines.push(
        `${f.path} (${f.side}): ${f.problem ?? 'not read (cut at the content cap, or too large)'}`,
      );
  if (p.installedInContainer.length)
    lines.push(`installed or upgraded inside the container: ${p.installedInContainer.join(', ')}`);
  return lines;
}

// ---------- Markdown ----------

/**
 * Untrusted text as a Markdown code span: nothing inside one becomes a link, a mention, an
 * entity or markup, wherever the report is pasted. Its fence is one backtick longer than
 * the longest run inside; `|` is escaped, which GitHub requires even in code within a table.
 */
export function mdCode(s: string, max = 300): string {
  const text = safeLine(s, max).replace(/\|/g, '\\|');
  const runs = (text.match(/`+/g) ?? []).map((m) => m.length);
  const f = '`'.repeat(Math.max(0, ...runs) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || /^ .* $/.test(text) ? ' ' : '';
  return `${f}${pad}${text}${pad}${f}`;
}

function fence(body: string): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  return '`'.repeat(longest + 1);
}

/** The Markdown report, line by line: a report of 50,000 changes is never one string. */
export function* reportMarkdown(report: TriageReport, ctx: ReportContext): Generator<string> {
  let out: string[] = [];
  const c = report.counts;
  out.push(`# coroner evidence report: ${mdCode(report.container.name)}`, '');
  if (report.hostCompromise.isSuspected) {
    out.push(
      '> **Treat the host as compromised.**',
      ...report.hostCompromise.reasons.map((r) => `> - ${mdCode(r)}`),
      '',
    );
  }
  out.push(
    `- Container: ${mdCode(report.container.name)} \`${report.container.id}\``,
    `- Image: ${mdCode(report.container.imageRef)} \`${report.container.imageId}\``,
    ...(report.container.command
      ? [`- Command: ${mdCode(JSON.stringify(report.container.command))}`]
      : []),
    ...(report.container.startedAt
      ? [`- Started: ${mdCode(report.container.startedAt)} (as the engine recorded it)`]
      : []),
    `- Evidence: ${mdCode(ctx.evidence.name)} ${mdCode(ctx.evidence.id)} — ${ctx.evidence.isIncluded ? `included in this bundle as \`${ctx.evidence.file}\`${ctx.evidence.kind === 'image' ? ' (docker load)' : ''}` : `NOT included in this bundle${ctx.evidence.note ? `: ${ctx.evidence.note}` : ''}`}`,
    `- Source: ${mdCode(sourceLine(report.source))}`,
    `- Triage: ${report.startedAt} to ${report.finishedAt} (UTC); bundle written ${ctx.createdAt}`,
    `- Environment values: ${ctx.redaction.isEnvRedacted ? 'redacted in this bundle' : 'included as captured (may hold secrets)'}`,
    '',
    `**Changes:** ${c.added} added, ${c.changed} changed, ${c.deleted} deleted (${c.parentOnly} directories changed only through their contents).  `,
    `**Suspicion:** ${c.bySeverity.critical} critical, ${c.bySeverity.high} high, ${c.bySeverity.medium} medium, ${c.bySeverity.low} low, ${c.bySeverity.info} info.`,
    '',
    '## Findings, ranked',
    '',
    '| severity | change | path | reason | ATT&CK |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const change of report.changes) {
    if (change.isParentOnly) continue;
    for (const f of change.findings) {
      out.push(
        `| ${f.severity} | ${CHANGE_KIND_WORDS[change.kind]} | ${mdCode(change.path, 200)} | ${mdCode(f.reason)} | ${f.attack ? techniqueLabel(f.attack) : ''} |`,
      );
    }
  }
  const failed = report.exposure.filter((e) => !e.passed);
  out.push('', '## Exposure (CIS Docker Benchmark v1.6.0)', '');
  for (const e of report.exposure) {
    out.push(
      `- ${e.passed ? 'PASS' : `**FAIL** (${e.severity})`} ${e.cis} ${e.title}: ${mdCode(e.detail)}${e.passed ? '' : ` — ${e.meaning}`}`,
    );
  }
  if (failed.length === 0) out.push('', 'No exposure check failed.');
  if (report.processes) {
    out.push('', "## Processes (read on the engine's host)", '');
    for (const p of rankedProcesses(report)) {
      out.push(`- **${processSeverity(p)}** ${mdCode(processLine(p), 500)}`);
      if (p.exe.stored)
        out.push(
          `  - executable: sha256 \`${p.exe.stored.sha256}\`, stored as \`${p.exe.stored.path}\`${p.exe.image ? `; the image's file: ${p.exe.image}` : ''}`,
        );
      for (const f of p.findings) out.push(`  - ${f.severity}: ${mdCode(f.reason)}${attackTag(f)}`);
    }
    const listeners = listenerLines(report);
    if (listeners.length) out.push('', `Listening: ${mdCode(listeners.join(', '))}`);
    const connections = connectionLines(report);
    if (connections.length) out.push('', `Connected: ${mdCode(connections.join(', '))}`);
  }
  if (report.events) {
    out.push('', `## Engine events (${report.events.length} still kept by the engine)`, '');
    const found = eventFindings(report);
    for (const f of found) out.push(`- **${f.severity}**: ${mdCode(f.reason)}${attackTag(f)}`);
    if (found.length === 0) out.push('No docker exec, cp or attach among them.');
  }
  if (report.mounts.length) {
    out.push('', '## Mounts read (what the change list cannot see)', '');
    for (const m of report.mounts)
      out.push(
        `- ${mdCode(m.destination)} (${m.type}${m.name ? ` ${mdCode(m.name)}` : ''})${m.note ? `: ${mdCode(m.note)}` : ''}`,
      );
  }
  if (report.notCovered.length) {
    out.push('', '## Not covered by the change list, nor read', '');
    for (const m of report.notCovered) out.push(`- ${mdCode(m.destination)}: ${mdCode(m.reason)}`);
  }
  if (report.notCollected.length) {
    out.push('', '## Not collected from this source', '');
    for (const n of report.notCollected) out.push(`- ${mdCode(n.item)}: ${mdCode(n.reason)}`);
  }
  if (report.layers.checks?.length) {
    out.push('', '## Image layers checked against their diff ids', '');
    for (const c of report.layers.checks)
      out.push(`- layer ${c.position} \`${c.diffId}\`: **${c.status}**: ${mdCode(c.detail)}`);
  }
  const packages = packageLines(report);
  if (packages.length) {
    out.push('', '## Package databases the files were checked against', '');
    for (const line of packages) out.push(`- ${mdCode(line, 1000)}`);
  }
  if (report.problems.length) {
    out.push('', '## Problems', '');
    for (const p of report.problems)
      out.push(`- ${mdCode(p.path)}: ${mdCode(p.action)}: ${mdCode(p.cause)}`);
  }
  out.push('', '## Every change', '');
  yield out.join('\n') + '\n';
  for (const change of report.changes) {
    if (change.isParentOnly) continue;
    out = [];
    out.push(`### ${change.kind} ${mdCode(change.path, 500)} (${change.severity})`, '');
    for (const line of metadataLines(change)) out.push(`- ${mdCode(line, 600)}`);
    const diff = diffText(change);
    if (diff) {
      const all = safeLines(diff);
      const body = all.slice(0, MAX_DIFF_LINES).join('\n');
      const f = fence(body);
      out.push('', `${f}diff`, body, f);
      const whole = wholeDiffNote(change, all.length > MAX_DIFF_LINES);
      if (whole) out.push('', `(${whole})`);
    }
    out.push('');
    yield out.join('\n') + '\n';
  }
}

/** Where the whole diff is, when the report shows only part of it. */
function wholeDiffNote(change: ChangedPath, isCut: boolean): string | undefined {
  const content = change.comparison?.content;
  if (content?.kind !== 'text-diff' || !(isCut || content.isExcerpt)) return undefined;
  return content.patchFile
    ? `an excerpt; the whole diff is case/${content.patchFile.path} in the bundle`
    : `an excerpt; the whole ${change.kind === 'D' ? 'original' : 'file'} is its stored version in the bundle`;
}

// ---------- HTML ----------

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const html = (s: string, max = 300) => safeLine(s, max).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
code,pre{font-family:ui-monospace,monospace;font-size:12.5px}pre{background:#f6f6f6;padding:.6rem;overflow:auto}
.sev{font-weight:bold;text-transform:uppercase;white-space:nowrap}.critical{color:#b00020}.high{color:#c25e00}.medium{color:#7b3fa0}.low,.info{color:#666}
.alert{background:#b00020;color:#fff;padding:.8rem 1rem;font-weight:bold}
.add{color:#116329;background:#e6ffec}.del{color:#82071e;background:#ffebe9}.hunk{color:#0550ae}
.meta{margin:.2rem 0 .6rem 1rem;color:#333}
`;

/** The HTML report, in pieces: a report of 50,000 changes is never one string. */
export function* reportHtml(report: TriageReport, ctx: ReportContext): Generator<string> {
  const c = report.counts;
  let parts: string[] = [];
  parts.push(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    // No network: everything inline, and nothing may be loaded from anywhere.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>coroner report: ${html(report.container.name)}</title><style>${STYLE}</style></head><body>`,
    `<h1>coroner evidence report: ${html(report.container.name)}</h1>`,
  );
  if (report.hostCompromise.isSuspected) {
    parts.push(
      `<p class="alert">Treat the host as compromised: ${report.hostCompromise.reasons.map((r) => html(r)).join('; ')}</p>`,
    );
  }
  parts.push(
    '<table>',
    `<tr><th>Container</th><td>${html(report.container.name)} <code>${html(report.container.id)}</code></td></tr>`,
    `<tr><th>Image</th><td>${html(report.container.imageRef)} <code>${html(report.container.imageId)}</code></td></tr>`,
    ...(report.container.command
      ? [
          `<tr><th>Command</th><td><code>${html(JSON.stringify(report.container.command))}</code></td></tr>`,
        ]
      : []),
    ...(report.container.startedAt
      ? [`<tr><th>Started</th><td>${html(report.container.startedAt)}</td></tr>`]
      : []),
    `<tr><th>Evidence</th><td><code>${html(ctx.evidence.name)}</code> <code>${html(ctx.evidence.id)}</code>: ${ctx.evidence.isIncluded ? `included as <code>${html(ctx.evidence.file ?? '')}</code>` : `not included${ctx.evidence.note ? ` (${html(ctx.evidence.note)})` : ''}`}</td></tr>`,
    `<tr><th>Source</th><td>${html(sourceLine(report.source))}</td></tr>`,
    `<tr><th>Triage (UTC)</th><td>${html(report.startedAt)} to ${html(report.finishedAt)}</td></tr>`,
    `<tr><th>Environment values</th><td>${ctx.redaction.isEnvRedacted ? 'redacted' : 'included as captured (may hold secrets)'}</td></tr>`,
    `<tr><th>Changes</th><td>${c.added} added, ${c.changed} changed, ${c.deleted} deleted (${c.parentOnly} directories changed only through their contents)</td></tr>`,
    '</table>',
    '<h2 id="findings">Findings, ranked</h2><table><tr><th>severity</th><th>change</th><th>path</th><th>reason</th><th>ATT&amp;CK</th></tr>',
  );
  for (const change of report.changes) {
    if (change.isParentOnly) continue;
    for (const f of change.findings) {
      parts.push(
        `<tr><td class="sev ${f.severity}">${f.severity}</td><td>${CHANGE_KIND_WORDS[change.kind]}</td><td><code>${html(change.path, 500)}</code></td><td>${html(f.reason)}</td><td>${f.attack ? html(techniqueLabel(f.attack)) : ''}</td></tr>`,
      );
    }
  }
  parts.push(
    '</table><h2>Exposure (CIS Docker Benchmark v1.6.0)</h2><table><tr><th>check</th><th>result</th><th>detail</th><th>what it meant</th></tr>',
  );
  for (const e of report.exposure) {
    parts.push(
      `<tr><td>${e.cis} ${html(e.title)}</td><td class="sev ${e.passed ? 'info' : e.severity}">${e.passed ? 'pass' : 'fail'}</td><td>${html(e.detail)}</td><td>${e.passed ? '' : html(e.meaning)}</td></tr>`,
    );
  }
  parts.push('</table>');
  if (report.processes) {
    parts.push(
      "<h2>Processes (read on the engine's host)</h2><table><tr><th>severity</th><th>process</th><th>why</th></tr>",
    );
    for (const p of rankedProcesses(report))
      parts.push(
        `<tr><td class="sev ${processSeverity(p)}">${processSeverity(p)}</td><td><code>${html(processLine(p), 500)}</code>${p.exe.stored ? `<br>sha256 <code>${html(p.exe.stored.sha256)}</code>` : ''}</td><td>${p.findings.map((f) => html(f.reason + attackTag(f))).join('<br>')}</td></tr>`,
      );
    parts.push('</table>');
    const listeners = listenerLines(report);
    if (listeners.length)
      parts.push(`<p>Listening: <code>${html(listeners.join(', '))}</code></p>`);
    const connections = connectionLines(report);
    if (connections.length)
      parts.push(`<p>Connected: <code>${html(connections.join(', '))}</code></p>`);
  }
  if (report.events) {
    parts.push(`<h2>Engine events (${report.events.length} still kept by the engine)</h2><ul>`);
    const found = eventFindings(report);
    for (const f of found)
      parts.push(`<li class="sev ${f.severity}">${html(f.reason + attackTag(f))}</li>`);
    if (found.length === 0) parts.push('<li>No docker exec, cp or attach among them.</li>');
    parts.push('</ul>');
  }
  if (report.mounts.length) {
    parts.push('<h2>Mounts read (what the change list cannot see)</h2><ul>');
    for (const m of report.mounts)
      parts.push(
        `<li><code>${html(m.destination)}</code> (${html(m.type)}${m.name ? ` ${html(m.name)}` : ''})${m.note ? `: ${html(m.note)}` : ''}</li>`,
      );
    parts.push('</ul>');
  }
  if (report.notCovered.length) {
    parts.push('<h2>Not covered by the change list, nor read</h2><ul>');
    for (const m of report.notCovered)
      parts.push(`<li><code>${html(m.destination)}</code>: ${html(m.reason)}</li>`);
    parts.push('</ul>');
  }
  if (report.notCollected.length) {
    parts.push('<h2>Not collected from this source</h2><ul>');
    for (const n of report.notCollected) parts.push(`<li>${html(n.item)}: ${html(n.reason)}</li>`);
    parts.push('</ul>');
  }
  if (report.layers.checks?.length) {
    parts.push('<h2>Image layers checked against their diff ids</h2><ul>');
    for (const c of report.layers.checks)
      parts.push(
        `<li>layer ${c.position} <code>${html(c.diffId)}</code>: <b>${html(c.status)}</b>: ${html(c.detail)}</li>`,
      );
    parts.push('</ul>');
  }
  const packages = packageLines(report);
  if (packages.length) {
    parts.push('<h2>Package databases the files were checked against</h2><ul>');
    for (const line of packages) parts.push(`<li>${html(line)}</li>`);
    parts.push('</ul>');
  }
  if (report.problems.length) {
    parts.push('<h2>Problems</h2><ul>');
    for (const p of report.problems)
      parts.push(`<li><code>${html(p.path)}</code>: ${html(p.action)}: ${html(p.cause)}</li>`);
    parts.push('</ul>');
  }
  parts.push('<h2>Every change</h2>');
  yield parts.join('\n') + '\n';
  for (const change of report.changes) {
    if (change.isParentOnly) continue;
    parts = [];
    parts.push(
      `<h3><span class="sev ${change.severity}">${change.severity}</span> ${change.kind} <code>${html(change.path, 500)}</code></h3>`,
    );
    const meta = metadataLines(change);
    if (meta.length)
      parts.push(`<ul class="meta">${meta.map((m) => `<li>${html(m, 600)}</li>`).join('')}</ul>`);
    const diff = diffText(change);
    if (diff) {
      const lines = diff.split('\n').slice(0, MAX_DIFF_LINES);
      const cls = (l: string) =>
        l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '';
      parts.push(
        `<pre>${lines.map((l) => `<span class="${cls(l)}">${html(l, 4096)}</span>`).join('\n')}</pre>`,
      );
      const whole = wholeDiffNote(change, diff.split('\n').length > MAX_DIFF_LINES);
      if (whole) parts.push(`<p class="meta">${html(whole)}</p>`);
    }
    yield parts.join('\n') + '\n';
  }
  yield '</body></html>\n';
}
