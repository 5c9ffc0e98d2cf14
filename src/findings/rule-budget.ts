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
  /** Bytes of an image or binary header skipped before server-side code (`text` starts after them). */
  codeAfterBytes?: number;
}

// Where server-side code starts: PHP's tags, ASP and JSP's, ASP.NET's script element.
const SERVER_CODE_START = /<\?(?:php|=)|<%|<script\s{1,20}runat\s{0,20}=/gi;

/** Code reads as text: at least this many printable characters follow its start tag. */
const CODE_RUN_CHARS = 24;

const isPrintable = (c: number) => c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0x7e);

/** True when `CODE_RUN_CHARS` printable bytes follow `at` (or all up to the end do). */
function readsAsText(head: Buffer, at: number): boolean {
  const end = Math.min(head.length, at + CODE_RUN_CHARS);
  for (let i = at; i < end; i++) if (!isPrintable(head[i]!)) return false;
  return true;
}

// Binary kinds whose bytes no server runs as a page: programs, archives, compressed data.
const NEVER_A_PAGE = new Set<ContentType>(['elf', 'compressed', 'archive', 'java-class']);

/**
 * Server-side code after a binary header (a GIF or JPEG header, then `<?php …`): PHP runs
 * it all the same, through an include or a handler that takes the name, and an image check
 * that reads the magic bytes passes it. Issue 27: the NUL bytes of the header made the
 * file binary, so its code was never judged.
 */
function codeAfterHeader(head: Buffer, type: ContentType): RuleText['codeAfterBytes'] {
  if (NEVER_A_PAGE.has(type)) return undefined;
  // Compressed image data holds `<%` by chance; code is followed by a run of text.
  for (const m of [...head.toString('latin1').matchAll(SERVER_CODE_START)].slice(0, 1000))
    if (readsAsText(head, m.index!)) return m.index;
  return undefined;
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
  if (text !== undefined) return { type, text, isCut };
  const codeAfterBytes = codeAfterHeader(head, type);
  return codeAfterBytes === undefined
    ? { type, isCut }
    : { type, text: head.subarray(codeAfterBytes).toString('latin1'), isCut, codeAfterBytes };
}
