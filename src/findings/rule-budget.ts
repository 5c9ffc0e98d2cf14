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
 * A file longer than the budget is judged on its start and its end (`RULE_TAIL_BYTES`), and
 * what lies between is said to be unjudged (`contentPastBudget`): a payload parked past
 * 64 KiB of padding is not silently passed as clean. No cap in lines: with linear patterns
 * a line costs what its bytes cost, and a line cap would let 64 KiB of blank lines hide
 * what follows them. Issue 24.
 *
 * The end, because that is where a packed loader runs its payload: megabytes of encoded
 * code built up piece by piece, then one `eval(gzinflate(base64_decode($z)))` on the last
 * line. Issue 27: the tuning side's misses had 20 such files, every byte past 64 KiB.
 */
import { detectContentType, isTextual, utf16Text } from '../compare/content-type.js';
import { ebcdicText, unmarkedUtf16Text } from '../compare/page-encodings.js';
import type { ContentType } from '../report/comparison.js';

export const RULE_SAMPLE_BYTES = 64 * 1024;
/** How much of a longer file's end the rules read too. */
export const RULE_TAIL_BYTES = 64 * 1024;

/** What the content rules read of a file: its start, and the end of a longer one. */
export interface RuleText {
  type: ContentType;
  /** The text the rules judge, at most `RULE_SAMPLE_BYTES` of the file (none for binary). */
  text?: string;
  /** True when the file holds more than the rules read. */
  isCut: boolean;
  /** The file's end, judged as a text of its own when the file is longer than `text`. */
  endText?: string;
  /** Where `endText` starts in the file (a byte offset). */
  tailFrom?: number;
  /** Bytes of an image or binary header skipped before server-side code (`text` starts after them). */
  codeAfterBytes?: number;
}

// Where server-side code starts: PHP's tags, ASP and JSP's, ASP.NET's script element.
// A short open tag is followed by white space (`<? @fwrite(…`) or by a call (`<?fputs(…`): an
// XMP packet's `<?xpacket` is neither.
const SERVER_CODE_START =
  /<\?(?:php|=|\s|(?=[a-z_]\w{1,30}\s*\())|<%|<script\s{1,20}runat\s{0,20}=/gi;

/** Code reads as text: at least this many printable characters follow its start tag. */
const CODE_RUN_CHARS = 24;

const isPrintable = (c: number) => c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0x7e);

/** A whole block closed within the run (`<?=exec($_GET[0]);?>` in a JPEG's pixel data). */
const BLOCK_CHARS = 12;

/**
 * True when `CODE_RUN_CHARS` printable bytes follow `at` (or all up to the end do), or a
 * shorter printable run holds a block's close (`?>`, `%>`) before the binary resumes.
 */
function readsAsText(head: Buffer, at: number): boolean {
  const end = Math.min(head.length, at + CODE_RUN_CHARS);
  for (let i = at; i < end; i++)
    if (!isPrintable(head[i]!)) {
      const run = head.subarray(at, i).toString('latin1');
      return /[?%]>/.test(run.slice(BLOCK_CHARS - 2));
    }
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
 * Where the file's end starts for the rules: `RULE_TAIL_BYTES` before its end, moved to the
 * next line when one starts soon, so that the rules do not start reading halfway through a
 * string or a comment (which would turn every quote after it inside out).
 */
function tailStart(tail: Buffer): number {
  const lineEnd = tail.indexOf(0x0a);
  return lineEnd >= 0 && lineEnd < tail.length / 2 ? lineEnd + 1 : 0;
}

/**
 * The text the rules judge, from a sample of the file's start (`sizeBytes` is the whole
 * file's) and, for a file longer than the sample, its last `RULE_TAIL_BYTES` (`end`; a
 * sample that holds the whole file holds its end too). Text in another encoding (a GBK or
 * cp1251 web shell) is still text to the rules, whose patterns are ASCII: read byte for
 * byte. A file with NUL bytes is not text, unless it is UTF-16 with its byte order mark.
 *
 * The end is a text of its own (`endText`), judged as a file of that size would be: joined
 * to the start, a name set in one and a call in the other, or a disguise in one and a
 * command in the other, would pair up across the unread middle. Measured on the benign
 * packages, the joined text added false alarms that the separate one does not.
 */
export function ruleText(sample: Buffer, sizeBytes: number, end?: Buffer): RuleText {
  const size = Math.max(sample.length, sizeBytes);
  const head = sample.subarray(0, RULE_SAMPLE_BYTES);
  const type = detectContentType(head);
  const tail = tailOf(sample, size, end);
  const isCut = size > head.length + (tail?.bytes.length ?? 0);
  const withEnd = (encoding: 'utf8' | 'latin1') =>
    tail
      ? {
          endText: inItsContext(tail.bytes.toString(encoding), head.includes('<%')),
          tailFrom: tail.from,
        }
      : {};
  // Pages in an encoding their prolog declares or their bytes show are judged on their start
  // only, as UTF-16 is below: their end would need the start's reading.
  const ebcdic = ebcdicText(head);
  if (ebcdic !== undefined) return { type, text: ebcdic, isCut: size > head.length };
  if (isTextual(head)) return { type, text: head.toString('utf8'), isCut, ...withEnd('utf8') };
  if (!head.includes(0))
    return { type, text: head.toString('latin1'), isCut, ...withEnd('latin1') };
  // UTF-16 text is judged on its start only: its end would need the start's byte order.
  const utf16 = utf16Text(head);
  if (utf16 !== undefined) return { type, text: utf16, isCut: size > head.length };
  const unmarked = type === 'binary' ? unmarkedUtf16Text(head) : undefined;
  if (unmarked !== undefined) return { type, text: unmarked, isCut: size > head.length };
  const codeAfterBytes = codeAfterHeader(head, type);
  if (codeAfterBytes !== undefined)
    return {
      type,
      text: head.subarray(codeAfterBytes).toString('latin1'),
      isCut,
      codeAfterBytes,
      ...withEnd('latin1'),
    };
  // A header longer than the start's sample (an icon of 67 KB, then `<?php`): the code is in
  // the end, judged as the text when the start holds none.
  const codeInEnd = tail && codeAfterHeader(tail.bytes, type);
  return codeInEnd === undefined || !tail
    ? { type, isCut: size > head.length }
    : {
        type,
        text: tail.bytes.subarray(codeInEnd).toString('latin1'),
        isCut: true,
        codeAfterBytes: tail.from + codeInEnd,
      };
}

/**
 * The end, with the markup it starts inside of reopened: an end that closes a browser script
 * (`</script>` before any `<script`) or server code (`%>` before any `<%`) starts inside
 * one, and is read so (a JSP's client-side eval() is not its server's). Server code only
 * when the file's start holds some too: a `%>` in a script's string makes no page of it.
 * Issue 27: a JSP's end, cut inside a browser script, was taken for server code.
 */
function inItsContext(end: string, startHasServerCode: boolean): string {
  const lower = end.toLowerCase();
  const isInside = (open: number, close: number) => close >= 0 && (open < 0 || close < open);
  const inScript = isInside(lower.indexOf('<script'), lower.indexOf('</script'));
  const inServerCode = startHasServerCode && isInside(end.indexOf('<%'), end.indexOf('%>'));
  return `${inScript ? '<script>' : ''}${inServerCode ? '<%' : ''}${end}`;
}

/**
 * The file's end past its start, at most `RULE_TAIL_BYTES`, from its first whole line on;
 * `from` is where it starts in the file. From the sample when it holds the whole file,
 * else from `end` (the file's last bytes).
 */
function tailOf(
  sample: Buffer,
  size: number,
  end: Buffer | undefined,
): { bytes: Buffer; from: number } | undefined {
  if (size <= RULE_SAMPLE_BYTES) return undefined;
  const available = sample.length >= size ? sample.subarray(-RULE_TAIL_BYTES) : end;
  if (!available) return undefined;
  const past = Math.max(0, RULE_SAMPLE_BYTES - (size - available.length));
  const bytes = available.subarray(past);
  const skip = tailStart(bytes);
  return bytes.length > skip
    ? { bytes: bytes.subarray(skip), from: size - bytes.length + skip }
    : undefined;
}
