/**
 * `npm run bench -- remote-shells`: the reverse and bind shells of public generators and
 * cheat sheets (bench/remote-shell-sources.ts), each judged as a script an intruder dropped
 * in a container, with the same judging code the pipeline runs (`ruleText`, then
 * `evaluateChange`). Counted: each ranked high or above by its true rule, `reverse-shell`
 * (a server page's may be `web-shell` or `php-shell`; PowerShell fetching a script and
 * running it is `download-exec`). Asserts nothing; prints figures by collection and side.
 *
 * Options: --corpora DIR (where lay-corpora put them), --show misses (the tuning side's
 * misses, never the held-out side's).
 */
import { existsSync } from 'node:fs';
import { evaluateChange } from '../src/findings/change-rules.js';
import { contentFacts, ruleText } from '../src/findings/rule-budget.js';
import { option } from './corpora.js';
import {
  REMOTE_SHELL_SOURCES,
  remoteShellDir,
  type RemoteShellSample,
} from './remote-shell-sources.js';

const HIGH = new Set(['high', 'critical']);

function trueRules(text: string): string[] {
  if (/<\?(?:php|=)|<%/.test(text)) return ['reverse-shell', 'web-shell', 'php-shell'];
  if (/\b(?:iwr|Invoke-WebRequest|DownloadString)\b/i.test(text))
    return ['reverse-shell', 'download-exec'];
  return ['reverse-shell'];
}

/** The verdict on one sample, dropped as an executable script in a folder of its own. */
function judge(sample: RemoteShellSample) {
  const bytes = Buffer.from(sample.text);
  const hits = evaluateChange({
    path: '/opt/tools/sync-job',
    kind: 'A',
    current: { type: 'file', mode: 0o755, uid: 0, gid: 0, sizeBytes: bytes.length },
    ...contentFacts(ruleText(bytes, bytes.length)),
  });
  const want = trueRules(sample.text);
  const found = hits.some((h) => want.includes(h.rule) && HIGH.has(h.severity));
  return { found, top: hits[0] };
}

const showMisses = option('--show') === 'misses';
const seen = new Set<string>();
const lines: string[] = [
  'Remote shells of public generators, each judged as a dropped script: ranked high or above by their true rule',
];
const sides = { tuning: { found: 0, all: 0 }, heldout: { found: 0, all: 0 } };
for (const source of REMOTE_SHELL_SOURCES) {
  const dir = remoteShellDir(source.collection);
  if (!existsSync(dir)) {
    lines.push(
      `  ${source.side.padEnd(8)} ${source.collection}: not laid out (npm run bench -- lay-corpora)`,
    );
    continue;
  }
  // A command another collection already gave is counted once, under the first (tuning first).
  const samples = (await source.read(dir)).filter((s) => {
    const key = s.text.trim();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let found = 0;
  const misses: string[] = [];
  for (const sample of samples) {
    const verdict = judge(sample);
    if (verdict.found) found++;
    else if (showMisses && source.side === 'tuning')
      misses.push(
        `    miss: ${sample.name} (${verdict.top ? `${verdict.top.severity} ${verdict.top.rule}` : 'nothing'})`,
      );
  }
  sides[source.side].found += found;
  sides[source.side].all += samples.length;
  const share = samples.length ? ((100 * found) / samples.length).toFixed(1) : '–';
  lines.push(
    `  ${source.side.padEnd(8)} ${source.collection}: ${found}/${samples.length} = ${share}%`,
  );
  lines.push(...misses);
}
for (const [side, { found, all }] of Object.entries(sides))
  if (all) lines.push(`  ${side} side: ${found}/${all} = ${((100 * found) / all).toFixed(1)}%`);
console.log(lines.join('\n'));
