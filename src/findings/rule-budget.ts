/**
 * What the content rules may spend on one file. The file is the attacker's, and a regex
 * cannot be interrupted once it runs (not by a signal, not by a timeout), so the cost is
 * bounded by construction, not by a clock:
 *
 * - the rules read the first `RULE_SAMPLE_BYTES` of a file, never more;
 * - every regex they run is linear in what it reads (times a window of at most a few
 *   hundred characters): no repeated group whose iterations can overlap, no two
 *   repetitions side by side over the same characters, no unbounded run a match can also
 *   start inside. `test/unit/rule-cost.test.ts` reads every regex under src/findings and
 *   refuses those shapes; `bench/fuzz-rules.ts` measures what is left;
 * - loops over matches stop at a fixed count (`.slice(0, N)`).
 *
 * A file longer than the budget is judged on its start, and the rest is said to be
 * unjudged (`contentPastBudget`): a payload parked past 64 KiB of padding is not silently
 * passed as clean. No cap in lines: with linear patterns a line costs what its bytes cost,
 * and a line cap would let 64 KiB of blank lines hide what follows them.
 * Issue 24.
 */
import { detectContentType, isTextual, utf16Text } from '../compare/content-type.js';
import type { ContentType } from '../report/comparison.js';

export const RULE_SAMPLE_BYTES = 64 * 1024;

/** The start of a file as the content rules read it. */
export interface RuleText {
  type: ContentType;
  /** The text the rules judge, at most `RULE_SAMPLE_BYTES` of the file (none for binary). */
  text?: string;
  /** True when the file holds more than the rules read. */
  isCut: boolean;
}

/**
 * The text the rules judge, from a sample of the file's start (`sizeBytes` is the whole
 * file's). Text in another encoding (a GBK or cp1251 web shell) is still text to the rules,
 * whose patterns are ASCII: read byte for byte. A file with NUL bytes is not text, unless
 * it is UTF-16 with its byte order mark.
 */
export function ruleText(sample: Buffer, sizeBytes: number): RuleText {
  const head = sample.subarray(0, RULE_SAMPLE_BYTES);
  const type = detectContentType(head);
  const text = isTextual(head)
    ? head.toString('utf8')
    : !head.includes(0)
      ? head.toString('latin1')
      : utf16Text(head);
  const isCut = Math.max(sample.length, sizeBytes) > RULE_SAMPLE_BYTES;
  return text === undefined ? { type, isCut } : { type, text, isCut };
}
