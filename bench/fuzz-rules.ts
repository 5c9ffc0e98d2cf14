/**
 * npx tsx bench/fuzz-rules.ts [--count N] [--seed S] [--top K] [--src DIR] [--no-shapes]:
 * fuzzes the change rules (those of DIR/findings, to compare with another checkout's src)
 * with mutations of the repo's own samples and rule-test shells (test/support/rule-fuzz.ts),
 * each input cut to the rules' 64 KiB budget and judged on every path of FUZZ_PATHS' kind,
 * and prints the inputs tried, the worst milliseconds per rule, and the slowest inputs (how
 * each was made, to build a test from). Then the hand-built shapes of issue 24. Before the
 * fix, one of those never returned; the unit test (test/unit/rule-cost.test.ts) runs a small
 * bounded part of this and checks the regexes' shapes rather than the clock.
 */
import path from 'node:path';
import type { ChangeRule } from '../src/findings/change-rules.js';
import { RULE_SAMPLE_BYTES } from '../src/findings/rule-budget.js';
import { factsFor } from '../test/support/judge-rules.js';
import { fuzzInputs, fuzzSeeds, type FuzzInput } from '../test/support/rule-fuzz.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const count = option('--count', 2000);
const seed = option('--seed', 1);
const top = option('--top', 8);
const srcAt = args.indexOf('--src');
const src =
  srcAt >= 0 ? path.resolve(args[srcAt + 1]!) : path.resolve(import.meta.dirname, '../src');
const { CHANGE_RULES } = (await import(path.join(src, 'findings/change-rules.ts'))) as {
  CHANGE_RULES: Record<string, ChangeRule>;
};

const worstByRule = new Map<string, number>();
const slowest: { ms: number; rule: string; input: FuzzInput }[] = [];

function judge(input: FuzzInput): number {
  const facts = factsFor(input.path, Buffer.from(input.text));
  let total = 0;
  for (const [rule, check] of Object.entries(CHANGE_RULES)) {
    const startedAt = performance.now();
    check(facts);
    const ms = performance.now() - startedAt;
    total += ms;
    worstByRule.set(rule, Math.max(worstByRule.get(rule) ?? 0, ms));
    slowest.push({ ms, rule, input });
    slowest.sort((a, b) => b.ms - a.ms);
    slowest.length = Math.min(slowest.length, top);
  }
  return total;
}

const seeds = fuzzSeeds();
const startedAt = performance.now();
let worstFile = 0;
let bytes = 0;
for (const input of fuzzInputs(seeds, count, seed)) {
  worstFile = Math.max(worstFile, judge(input));
  bytes += Buffer.byteLength(input.text);
}
const elapsed = performance.now() - startedAt;
console.log(
  `${count} inputs from ${seeds.length} seeds (seed ${seed}), ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${(elapsed / 1000).toFixed(1)} s`,
);
console.log(
  `worst file, all rules: ${worstFile.toFixed(1)} ms (budget ${RULE_SAMPLE_BYTES} bytes)`,
);
console.log('worst ms per rule:');
for (const [rule, ms] of [...worstByRule].sort((a, b) => b[1] - a[1]).slice(0, 10))
  console.log(`  ${rule.padEnd(22)} ${ms.toFixed(1)}`);
console.log('slowest inputs:');
for (const s of slowest)
  console.log(`  ${s.ms.toFixed(1)} ms ${s.rule} ${s.input.path} ${s.input.how.slice(0, 80)}`);

// The shapes of issue 24, by hand: each was seconds to hours before the fix.
const blobLine = `"${'A'.repeat(50)}"`;
const SHAPES: Record<string, string> = {
  'seven blob lines, five blank lines after each (420 bytes)': `<?php\n${(blobLine + '\n'.repeat(5)).repeat(7)}!`,
  '64 KiB of blank lines': `<?php\n${'\n'.repeat(RULE_SAMPLE_BYTES - 6)}`,
  'eval( and 64 KiB of blanks': `<?php eval(${' '.repeat(RULE_SAMPLE_BYTES - 12)}x`,
  'eval and 64 KiB of blanks': `<?php eval${' '.repeat(RULE_SAMPLE_BYTES - 11)}x`,
};
if (!args.includes('--no-shapes')) console.log('issue 24 shapes (all rules, /var/www/html/x.php):');
for (const [name, text] of args.includes('--no-shapes') ? [] : Object.entries(SHAPES)) {
  const ms = judge({ path: '/var/www/html/x.php', text, how: name });
  console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${name}`);
}
