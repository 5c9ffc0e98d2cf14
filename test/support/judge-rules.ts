/**
 * Runs the change rules on files given as JSON on stdin, in a process of its own: a test
 * can then bound a rule that never returns by killing this process (a regex cannot be
 * interrupted from inside), and still read the verdict of one that does. It records the
 * regexes the rules ran (through `RegExp.prototype.exec`, which every match, test,
 * replace and split calls once it is replaced), so a test can check each one's shape,
 * including those built at run time.
 *
 * Job: `{ cases?: {path, text, sizeBytes?}[], fuzz?: {count, seed} }`.
 * Answer: `{ verdicts, regexes, inputs, maxChars }`.
 */
import { evaluateChange, type ChangeFacts } from '../../src/findings/change-rules.js';
import { contentFacts, middleRanges, ruleText } from '../../src/findings/rule-budget.js';
import type { Finding } from '../../src/report/finding.js';
import { fuzzInputs, fuzzSeeds } from './rule-fuzz.js';

interface Job {
  cases?: { path: string; text: string; sizeBytes?: number }[];
  fuzz?: { count: number; seed: number };
}

export interface JudgeAnswer {
  verdicts: Finding[][];
  regexes: { source: string; flags: string }[];
  inputs: number;
  /**
   * The longest text the rules judged, in UTF-16 units: what a regex costs in. Not its
   * UTF-8 size: a sequence cut at 64 KiB decodes to U+FFFD, one unit but three bytes.
   */
  maxChars: number;
}

/** The facts analyseChange gives the rules for a file added with this content. */
export function factsFor(filePath: string, content: Buffer): ChangeFacts {
  const middle = middleRanges(content, content.length, filePath).map(({ from, length }) => ({
    from,
    bytes: content.subarray(from, from + length),
  }));
  return {
    path: filePath,
    kind: 'A',
    current: { type: 'file', mode: 0o644, uid: 0, gid: 0, sizeBytes: content.length },
    ...contentFacts(ruleText(content, content.length, undefined, middle)),
  };
}

async function main() {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Job;
  // Seeds first: reading them parses TypeScript, whose regexes are not the rules'.
  const seeds = job.fuzz ? fuzzSeeds() : [];
  const seen = new Map<string, { source: string; flags: string }>();
  const exec = RegExp.prototype.exec;
  RegExp.prototype.exec = function (this: RegExp, s: string) {
    // Only the flags that change what a pattern matches (no regex here: it would recurse).
    const flags = [...this.flags].filter((f) => 'imsuv'.includes(f)).join('');
    seen.set(`${flags}/${this.source}`, { source: this.source, flags });
    return exec.call(this, s);
  };
  const answer: JudgeAnswer = { verdicts: [], regexes: [], inputs: 0, maxChars: 0 };
  const judge = (filePath: string, content: Buffer) => {
    const facts = factsFor(filePath, content);
    answer.inputs++;
    answer.maxChars = Math.max(
      answer.maxChars,
      (facts.currentText ?? '').length,
      (facts.currentTextEnd ?? '').length,
    );
    return evaluateChange(facts);
  };
  for (const c of job.cases ?? []) answer.verdicts.push(judge(c.path, Buffer.from(c.text)));
  if (job.fuzz)
    for (const input of fuzzInputs(seeds, job.fuzz.count, job.fuzz.seed))
      judge(input.path, Buffer.from(input.text));
  RegExp.prototype.exec = exec;
  answer.regexes = [...seen.values()];
  process.stdout.write(JSON.stringify(answer));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
