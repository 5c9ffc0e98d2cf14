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
 * A file longer than the budget is judged on its start and its end (`RULE_TAIL_BYTES`); a
 * server page's or script's middle too, in windows of the same size up to
 * `RULE_MIDDLE_BYTES`. What lies past them is said to be unjudged (`contentPastBudget`): a
 * payload parked past the budget is not silently passed as clean. No cap in lines: with
 * linear patterns a line costs what its bytes cost, and a line cap would let 64 KiB of blank
 * lines hide what follows them. Issue 24.
 *
 * The end, because that is where a packed loader runs its payload: megabytes of encoded
 * code built up piece by piece, then one `eval(gzinflate(base64_decode($z)))` on the last
 * line. Issue 27: the tuning side's misses had 20 such files, every byte past 64 KiB.
 */
import { detectContentType, isTextual, utf16Text } from '../compare/content-type.js';
import { ebcdicText, unmarkedUtf16Text } from '../compare/page-encodings.js';
import type { ContentType } from '../report/comparison.js';
import type { ChangeFacts } from './change-rules.js';

export const RULE_SAMPLE_BYTES = 64 * 1024;
/** How much of a longer file's end the rules read too. */
export const RULE_TAIL_BYTES = 64 * 1024;
/**
 * How much of a long server page's middle the rules read too, in windows of
 * `RULE_SAMPLE_BYTES`, each judged as a text of its own. Issue 27: a large shell (a 250 KB
 * ASP one, a 290 KB JSP one) has its commands in its middle, and code put into the middle of
 * a large application page was never judged. Pages only: a container's libraries and data
 * can be gigabytes, and there its start and end are what is read.
 */
export const RULE_MIDDLE_BYTES = 4 * 1024 * 1024;
/** Adjacent windows share this much, so a short block cut by one is whole in the next. */
const WINDOW_OVERLAP_BYTES = 4 * 1024;

/** A piece of a file the rules read: where it starts, and its bytes. */
export interface FilePiece {
  from: number;
  bytes: Buffer;
}

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
  /** Windows of a long page's middle, each judged as a text of its own (`middleRanges`). */
  middleTexts?: readonly MiddleText[];
  /** Where the rules' reading from the file's start stops: the start, with the middle windows. */
  startTo?: number;
  /** Bytes of an image or binary header skipped before server-side code (`text` starts after them). */
  codeAfterBytes?: number;
}

// Where server-side code starts: PHP's tags, ASP and JSP's, ASP.NET's script element.
// A short open tag is followed by white space (`<? @fwrite(…`) or by a call (`<?fputs(…`): an
// XMP packet's `<?xpacket` is neither.
const SERVER_CODE_START =
  /<\?(?:php|=|\s|(?=[a-z_]\w{1,30}\s*\())|<%|<script\s{1,20}runat\s{0,20}=/gi;

/** A window of a long page's middle, as the rules read it. */
export interface MiddleText {
  text: string;
  /** Where the text starts and ends in the file (byte offsets). */
  from: number;
  to: number;
}

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
// A Windows program is not among them: a PE header before `<?php` is a disguise as a GIF's is.
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
 * sample that holds the whole file holds its end too) and the windows of its middle the
 * caller read (`middle`, at `middleRanges`). Text in another encoding (a GBK or cp1251 web
 * shell) is still text to the rules, whose patterns are ASCII: read byte for byte. A file
 * with NUL bytes is not text, unless it is UTF-16 with its byte order mark.
 *
 * The end and each window are texts of their own (`endText`, `middleTexts`), judged as a
 * file of that size would be: joined to the start, a name set in one and a call in the
 * other, or a disguise in one and a command in the other, would pair up across the unread
 * middle. Measured on the benign packages, the joined text added false alarms that the
 * separate one does not.
 */
export function ruleText(
  sample: Buffer,
  sizeBytes: number,
  end?: Buffer,
  middle: readonly FilePiece[] = [],
): RuleText {
  const size = Math.max(sample.length, sizeBytes);
  const head = sample.subarray(0, RULE_SAMPLE_BYTES);
  const type = detectContentType(head);
  const tail = tailOf(sample, size, end);
  const isCut = size > head.length + (tail?.bytes.length ?? 0);
  const context = {
    hasServerCode: head.includes('<%'),
    hasPhp: PHP_OPEN.test(head.toString('latin1')),
  };
  const withEnd = (encoding: 'utf8' | 'latin1') => {
    if (!tail) return {};
    const { middleTexts, endText } = piecesAsText(head, middle, tail, encoding, context);
    const startTo = middleTexts.reduce(
      (to, m) => (m.from <= to ? Math.max(to, m.to) : to),
      head.length,
    );
    return {
      endText,
      tailFrom: tail.from,
      ...(middleTexts.length ? { middleTexts, startTo } : {}),
      isCut: startTo < tail.from,
    };
  };
  // Pages in an encoding their prolog declares or their bytes show are judged on their start
  // only, as UTF-16 is below: their end would need the start's reading.
  const ebcdic = ebcdicText(head);
  if (ebcdic !== undefined) return { type, text: ebcdic, isCut: size > head.length };
  if (isTextual(head)) return { type, text: head.toString('utf8'), isCut, ...withEnd('utf8') };
  // A page that opens PHP in its first bytes is PHP's, binary strings and all (a payload
  // kept encrypted with the visitor's key in a literal): judged as the text PHP reads.
  if (!head.includes(0) || PHP_FIRST.test(head.subarray(0, 64).toString('latin1')))
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

// Where a page's code shows in its start: a server block.
const PAGE_CODE = /<\?(?:php|=|\s)|<%|<script\s{1,20}runat\s{0,20}=/i;
// Names a server runs as pages or scripts. Not a PHP archive: its files are code, but it is
// no page; its stub, at its start, is what a request runs first.
const PAGE_NAME = /\.(?:php\d?|phtml|inc|jspx?|aspx?|ashx|asmx|cer|asa|cgi|pl|py|cfm)$/i;
const PHP_OPEN = /<\?(?:php|=)/i;
const PHP_FIRST = /^(?:\xef\xbb\xbf)?\s{0,16}<\?php\s/i;

/**
 * The byte ranges of a long file's middle the rules read too (`ruleText`'s `middle`): windows
 * of `RULE_SAMPLE_BYTES` that overlap, from the start's sample to the end's, at most
 * `maxBytes` in all. Only for a server page or script (by its name, `path`) or a file whose
 * start shows page code; none for a file the start and end cover.
 */
export function middleRanges(
  head: Buffer,
  sizeBytes: number,
  path: string,
  maxBytes = RULE_MIDDLE_BYTES,
): { from: number; length: number }[] {
  if (/\.phar$/i.test(path)) return [];
  const isServerPage = PAGE_NAME.test(path);
  const start = Math.min(head.length, RULE_SAMPLE_BYTES);
  // The end's text starts at its first whole line, up to half of it in.
  const until = sizeBytes - RULE_TAIL_BYTES / 2 + WINDOW_OVERLAP_BYTES;
  if (sizeBytes <= start + RULE_TAIL_BYTES || until <= start) return [];
  const showsCode = PAGE_CODE.test(head.subarray(0, RULE_SAMPLE_BYTES).toString('latin1'));
  if (!showsCode && (!isServerPage || head.includes(0))) return [];
  const ranges: { from: number; length: number }[] = [];
  let from = start - WINDOW_OVERLAP_BYTES;
  for (let read = 0; read < maxBytes;) {
    const length = Math.min(RULE_SAMPLE_BYTES, until - from, maxBytes - read);
    ranges.push({ from, length });
    read += length;
    if (from + length >= until) break;
    from += length - WINDOW_OVERLAP_BYTES;
  }
  return ranges;
}

/** The markup a point of the file is inside of. */
interface Markup {
  inScript: boolean;
  inServerCode: boolean;
  inPhp: boolean;
}

/** The markup at the end of `bytes`, which start inside `before`: the last open or close of each. */
function markupAfter(bytes: Buffer, before: Markup): Markup {
  // Latin-1: the marks are ASCII, and no byte of a UTF-8 sequence is.
  const text = bytes.toString('latin1');
  const lower = text.toLowerCase();
  const after = (open: number, close: number, was: boolean) =>
    open > close ? true : close > open ? false : was;
  return {
    inScript: after(lower.lastIndexOf('<script'), lower.lastIndexOf('</script'), before.inScript),
    inServerCode: after(text.lastIndexOf('<%'), text.lastIndexOf('%>'), before.inServerCode),
    inPhp: after(text.lastIndexOf('<?'), text.lastIndexOf('?>'), before.inPhp),
  };
}

/**
 * The middle's windows and the end as texts, each from its first whole line, reopened in the
 * markup it starts inside of. Where the pieces read so far reach a piece's start, that markup
 * is known (each piece's last opens and closes, from the file's start on: a window wholly
 * inside a long browser script is the browser's); past a gap it is guessed from the piece
 * alone (`inItsContext`).
 */
function piecesAsText(
  head: Buffer,
  middle: readonly FilePiece[],
  tail: { bytes: Buffer; from: number },
  encoding: 'utf8' | 'latin1',
  context: StartContext,
): { middleTexts: MiddleText[]; endText: string } {
  // Pieces whose markup at their text's start (`at`) is known, the file's start first.
  const known: { at: number; markup: Markup; piece: FilePiece }[] = [
    {
      at: 0,
      markup: { inScript: false, inServerCode: false, inPhp: false },
      piece: { from: 0, bytes: head },
    },
  ];
  // The markup at `at`, from the last known piece that starts before it and reaches it.
  const markupAt = (at: number): Markup | undefined => {
    for (let i = known.length - 1; i >= 0; i--) {
      const { at: from, markup, piece } = known[i]!;
      if (from <= at && at <= piece.from + piece.bytes.length)
        return markupAfter(piece.bytes.subarray(from - piece.from, at - piece.from), markup);
    }
    return undefined;
  };
  const reopened = (bytes: Buffer, at: number, piece?: FilePiece) => {
    const text = bytes.toString(encoding);
    const markup = markupAt(at);
    if (!markup) return inItsContext(text, context);
    if (piece) known.push({ at, markup, piece });
    return reopen(text, markup, context);
  };
  const middleTexts = [...middle]
    .sort((a, b) => a.from - b.from)
    .map((piece) => {
      const skip = tailStart(piece.bytes);
      const text = reopened(piece.bytes.subarray(skip), piece.from + skip, piece);
      return { text, from: piece.from + skip, to: piece.from + piece.bytes.length };
    });
  return { middleTexts, endText: reopened(tail.bytes, tail.from) };
}

/** What the file's start holds that a later piece may start inside of. */
interface StartContext {
  hasServerCode: boolean;
  hasPhp: boolean;
}

/**
 * A piece (the end, a middle window), with the markup it starts inside of reopened: a piece
 * that closes a browser script (`</script>` before any `<script`), server code (`%>` before
 * any `<%`) or PHP (`?>` before any `<?`) starts inside one, and is read so (a JSP's
 * client-side eval() is not its server's; PHP code before a `?>` is not template text).
 * Server code or PHP only when the file's start holds some too: a `%>` in a script's string
 * makes no page of it. Issue 27: a JSP's end, cut inside a browser script, was taken for
 * server code.
 */
function inItsContext(piece: string, start: StartContext): string {
  const lower = piece.toLowerCase();
  const isInside = (open: number, close: number) => close >= 0 && (open < 0 || close < open);
  const markup = {
    inScript: isInside(lower.indexOf('<script'), lower.indexOf('</script')),
    inServerCode: isInside(piece.indexOf('<%'), piece.indexOf('%>')),
    inPhp: isInside(piece.indexOf('<?'), piece.indexOf('?>')),
  };
  return reopen(piece, markup, start);
}

/**
 * A piece with the markup it starts inside of opened before it. Server code or PHP only when
 * the file's start holds some too.
 */
function reopen(piece: string, markup: Markup, start: StartContext): string {
  const script = markup.inScript ? '<script>' : '';
  const serverCode = markup.inServerCode && start.hasServerCode ? '<%' : '';
  const php = markup.inPhp && start.hasPhp ? '<?php ' : '';
  return `${script}${serverCode}${php}${piece}`;
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

/** What the rules are given of a file's content (`ChangeFacts`), from what `ruleText` read. */
export function contentFacts(judged: RuleText | undefined): Partial<ChangeFacts> {
  if (!judged) return {};
  return {
    ...(judged.type ? { currentType: judged.type } : {}),
    ...(judged.text !== undefined ? { currentText: judged.text } : {}),
    ...(judged.text !== undefined && judged.isCut ? { isCurrentTextCut: true } : {}),
    ...(judged.endText !== undefined
      ? { currentTextEnd: judged.endText, currentTextTailFrom: judged.tailFrom! }
      : {}),
    ...(judged.middleTexts?.length
      ? { currentTextMiddles: judged.middleTexts, currentTextStartTo: judged.startTo! }
      : {}),
  };
}
