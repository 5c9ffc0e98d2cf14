/**
 * PHP's constant expressions worked out, so the rules read what a loader decodes and runs:
 * `chr(63)^chr(96)` is `_`, `"ev"."al"` is `eval`, `base64_decode('c3lzdGVt')` is
 * `system`, and `eval(gzinflate(base64_decode($a)))` with `$a = '…'` set once is the
 * code it inflates. Each foldable expression is replaced by a single-quoted literal of its
 * value (decoded code included), and the pass runs again on the result, for loaders of
 * several layers. The text is the attacker's: a small recursive-descent parser with a
 * depth limit, each decoder's output capped, the whole result capped, a fixed number of
 * passes. Issue 27: obfuscated loaders whose decoded code runs were missed.
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

const MAX_DEPTH = 12;
const MAX_DECODED_BYTES = 64 * 1024;
const MAX_RESULT_CHARS = 256 * 1024;
const MAX_FOLDS = 4000;
const MAX_PASSES = 3;
/** Assignments constantVariables() parses (each parse is bounded, not each one's length). */
const ASSIGNMENTS_READ = 2000;
/** Characters of a list of character codes read (`array_map('chr', [...])`): 4,000 codes. */
const CHAR_CODES_READ = 16 * 1024;

type Decoder = (value: string) => string | undefined;

const inflated = (inflate: typeof inflateSync) => (v: string) => {
  try {
    return inflate(Buffer.from(v, 'latin1'), { maxOutputLength: MAX_DECODED_BYTES }).toString(
      'latin1',
    );
  } catch {
    return undefined;
  }
};

const DECODERS: Readonly<Record<string, Decoder>> = {
  base64_decode: (v) => Buffer.from(v, 'base64').toString('latin1'),
  str_rot13: (v) =>
    v.replace(/[a-zA-Z]/g, (c) => {
      const base = c <= 'Z' ? 65 : 97;
      return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
    }),
  strrev: (v) => [...v].reverse().join(''),
  hex2bin: (v) =>
    /^(?:[0-9a-fA-F]{2})*$/.test(v) ? Buffer.from(v, 'hex').toString('latin1') : undefined,
  gzinflate: inflated(inflateRawSync),
  gzuncompress: inflated(inflateSync),
  gzdecode: inflated(gunzipSync),
  // Byte by byte, as PHP decodes (`%99` is the byte 0x99, no UTF-8 sequence needed).
  urldecode: (v) => percentDecoded(v.replace(/\+/g, ' ')),
  rawurldecode: (v) => percentDecoded(v),
  // A name trimmed or cased into shape (`trim("\x0Bassert")`, `strtolower('SYSTEM')`).
  trim: (v) => v.replace(/^[ \t\n\r\0\v]+|[ \t\n\r\0\v]+$/g, ''),
  ltrim: (v) => v.replace(/^[ \t\n\r\0\v]+/, ''),
  rtrim: (v) => v.replace(/[ \t\n\r\0\v]+$/, ''),
  strtolower: (v) => v.toLowerCase(),
  strtoupper: (v) => v.toUpperCase(),
  ucfirst: (v) => v.charAt(0).toUpperCase() + v.slice(1),
  lcfirst: (v) => v.charAt(0).toLowerCase() + v.slice(1),
};

type Argument = string | number;

function percentDecoded(v: string): string {
  return v.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/**
 * String functions of several arguments, on constants: a name cut, spliced or picked out of
 * a longer string (`substr_replace('aert', 'ss', 1, 0)` is `assert`). PHP's own semantics
 * for the cases shells use; anything else is left unfolded.
 */
const SHAPERS: Readonly<Record<string, (args: readonly Argument[]) => string | undefined>> = {
  substr: ([s, start, length]) =>
    typeof s === 'string' && typeof start === 'number' ? phpSubstr(s, start, length) : undefined,
  substr_replace: ([s, by, start, length]) => {
    if (typeof s !== 'string' || typeof by !== 'string' || typeof start !== 'number')
      return undefined;
    const from = start < 0 ? Math.max(0, s.length + start) : Math.min(start, s.length);
    const n = typeof length === 'number' ? length : s.length;
    const to = n < 0 ? Math.max(from, s.length + n) : Math.min(s.length, from + n);
    return s.slice(0, from) + by + s.slice(to);
  },
  str_replace: ([search, by, subject]) =>
    typeof search === 'string' && search && typeof by === 'string' && typeof subject === 'string'
      ? subject.split(search).join(by)
      : undefined,
  // `str_ireplace("fuck", "et_contents", "file_gFUCK")` is `file_get_contents`.
  str_ireplace: ([search, by, subject]) =>
    typeof search === 'string' && search && typeof by === 'string' && typeof subject === 'string'
      ? replacedIgnoringCase(subject, search, by)
      : undefined,
  // `preg_replace('/\s+/', '', 'base 64 _ deco de')` is `base64_decode`; preg_filter()
  // gives nothing when nothing matched.
  preg_replace: ([pattern, by, subject]) => replacedByPattern(pattern, by, subject, false),
  preg_filter: ([pattern, by, subject]) => replacedByPattern(pattern, by, subject, true),
};

// A PCRE pattern simple enough to read the same in JavaScript, token by token: characters,
// the escapes both know, classes, plain groups, alternation, anchors and repetitions.
const PATTERN_TOKEN =
  /\\[dDsSwWnrt.\\/#~|+*?()[\]{}^$-]|\[\^?(?:[^\\\][\n]|\\[dDsSwWnrt\\\]^/-]){1,60}\]|\((?:\?:)?|[)|^$.]|[*+?]|\{\d{1,3}(?:,\d{0,3})?\}|[^\\()[\]{}*+?|^$.]/y;
const PORTABLE_FLAGS = /^[ims]{0,3}$/;

/**
 * True when `body` reads the same in PCRE and JavaScript and repeats at most once: no
 * look-around, back-reference or lazy and possessive repetition, so no input makes it slow.
 */
function isPortablePattern(body: string): boolean {
  let repetitions = 0;
  let canRepeat = false;
  PATTERN_TOKEN.lastIndex = 0;
  while (PATTERN_TOKEN.lastIndex < body.length) {
    const token = PATTERN_TOKEN.exec(body)?.[0];
    if (!token) return false;
    const isRepetition = /^[*+?{]/.test(token);
    if (isRepetition && (!canRepeat || ++repetitions > 1)) return false;
    canRepeat = !isRepetition && !/^[(|^]/.test(token);
  }
  return true;
}

/**
 * `subject` with what `pattern` matches replaced by the plain text `by`, when all three are
 * constants and the pattern is a portable one (above); otherwise left unfolded.
 */
function replacedByPattern(
  pattern: Argument | undefined,
  by: Argument | undefined,
  subject: Argument | undefined,
  onlyWhenMatched: boolean,
): string | undefined {
  if (typeof pattern !== 'string' || typeof by !== 'string' || typeof subject !== 'string')
    return undefined;
  if (pattern.length > 100 || subject.length > 512 || /[$\\]/.test(by)) return undefined;
  const delimiter = pattern[0] ?? '';
  if (!/^[/#~!%@|]$/.test(delimiter)) return undefined;
  const close = pattern.lastIndexOf(delimiter);
  const body = pattern.slice(1, close);
  const flags = pattern.slice(close + 1);
  if (close < 1 || !PORTABLE_FLAGS.test(flags) || !isPortablePattern(body)) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(body, `${flags}g`);
  } catch {
    return undefined;
  }
  if (onlyWhenMatched && !re.test(subject)) return undefined;
  re.lastIndex = 0;
  return subject.replace(re, () => by);
}

/** `search` replaced by `by` in `s`, ASCII letters of either case alike, as PHP does. */
function replacedIgnoringCase(s: string, search: string, by: string): string {
  // ASCII only, so each character keeps its place (`'İ'.toLowerCase()` is two).
  const lower = (t: string) => t.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const haystack = lower(s);
  const needle = lower(search);
  let out = '';
  let from = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, from)) {
    out += s.slice(from, at) + by;
    from = at + needle.length;
  }
  return out + s.slice(from);
}

function phpSubstr(s: string, start: number, length?: Argument): string | undefined {
  if (length !== undefined && typeof length !== 'number') return undefined;
  const from = start < 0 ? Math.max(0, s.length + start) : start;
  const to = length === undefined ? s.length : length < 0 ? s.length + length : from + length;
  return s.slice(from, Math.max(from, to));
}

/** A double-quoted PHP string's escapes as the characters they stand for. */
function unescapeDouble(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const n = raw[i + 1]!;
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(raw.slice(i + 1, i + 4));
    const oct = /^([0-7]{1,3})/.exec(raw.slice(i + 1, i + 4));
    if (hex) {
      out += String.fromCharCode(parseInt(hex[1]!, 16));
      i += hex[0].length;
    } else if (oct) {
      out += String.fromCharCode(parseInt(oct[1]!, 8) & 0xff);
      i += oct[0].length;
    } else {
      const simple: Record<string, string> = {
        n: '\n',
        r: '\r',
        t: '\t',
        '\\': '\\',
        '"': '"',
        $: '$',
        e: '\x1b',
        v: '\v',
        f: '\f',
        '0': '\0',
      };
      out += simple[n] ?? `\\${n}`;
      i++;
    }
  }
  return out;
}

interface Parsed {
  value: string;
  end: number;
  /** True when working it out changed something: an operator, chr(), a decoder, an escape. */
  isFolded: boolean;
  /** True when a decoder made part of it (`base64_decode`, `gzinflate`, `str_rot13`…). */
  isDecoded?: boolean;
}

// The decoders that hide code, as decoded-run.ts names them: trimming and casing hide none.
const HIDES_CODE = new Set([
  'base64_decode',
  'gzinflate',
  'gzuncompress',
  'gzdecode',
  'str_rot13',
  'hex2bin',
  'pack',
  'strrev',
  'urldecode',
  'rawurldecode',
]);

/** Parses PHP constant expressions from positions in `text`. */
class ConstantParser {
  readonly #text: string;
  readonly #variables: ReadonlyMap<string, string>;
  readonly #decodedNames: ReadonlySet<string>;
  decodedBytes = 0;

  constructor(
    text: string,
    variables: ReadonlyMap<string, string>,
    decodedNames: ReadonlySet<string> = new Set(),
  ) {
    this.#text = text;
    this.#variables = variables;
    this.#decodedNames = decodedNames;
  }

  #skip(i: number): number {
    while (i < this.#text.length && /\s/.test(this.#text[i]!)) i++;
    return i;
  }

  /** xor := concat ('^' concat)* */
  expression(i: number, depth = 0): Parsed | undefined {
    if (depth > MAX_DEPTH) return undefined;
    let left = this.#concat(i, depth);
    if (!left) return undefined;
    for (;;) {
      const at = this.#skip(left.end);
      if (this.#text[at] !== '^') return left;
      const right = this.#concat(at + 1, depth);
      if (!right) return left;
      let value = '';
      for (let k = 0; k < Math.min(left.value.length, right.value.length); k++)
        value += String.fromCharCode(left.value.charCodeAt(k) ^ right.value.charCodeAt(k));
      left = {
        value,
        end: right.end,
        isFolded: true,
        isDecoded: left.isDecoded || right.isDecoded,
      };
    }
  }

  /** concat := term ('.' term)* */
  #concat(i: number, depth: number): Parsed | undefined {
    let left = this.#term(i, depth);
    if (!left) return undefined;
    for (;;) {
      const at = this.#skip(left.end);
      // `.` joins, `.=` assigns; a digit after it is a float.
      if (this.#text[at] !== '.' || /[=\d.]/.test(this.#text[at + 1] ?? '')) return left;
      const right = this.#term(at + 1, depth);
      if (!right) return left;
      left = {
        value: left.value + right.value,
        end: right.end,
        isFolded: true,
        isDecoded: left.isDecoded || right.isDecoded,
      };
    }
  }

  #term(start: number, depth: number): Parsed | undefined {
    const text = this.#text;
    let i = this.#skip(start);
    // `@strrev(…)`: errors silenced, the same value.
    if (text[i] === '@') i = this.#skip(i + 1);
    const c = text[i];
    if (c === "'" || c === '"') return this.#literal(i);
    // `~"\x8c\x86…"`, `~urldecode('%99…')`: a string negated bit by bit spells a name.
    if (c === '~') {
      const inner = this.#term(i + 1, depth + 1);
      if (!inner) return undefined;
      let value = '';
      for (let k = 0; k < inner.value.length; k++)
        value += String.fromCharCode(~inner.value.charCodeAt(k) & 0xff);
      return { value, end: inner.end, isFolded: true, isDecoded: inner.isDecoded };
    }
    if (c === '(') {
      const inner = this.expression(i + 1, depth + 1);
      const close = inner ? this.#skip(inner.end) : -1;
      return inner && text[close] === ')' ? { ...inner, end: close + 1 } : undefined;
    }
    if (c === '$') {
      // One character of a constant picked by its place (`$s{4}`, `$s[4]`), not set.
      const picked =
        /^\$(\w{1,40})\s*(?:\{\s*(\d{1,5})\s*\}|\[\s*(\d{1,5})\s*\])(?!\s*(?:\[|=(?!=)|\.=))/.exec(
          text.slice(i, i + 64),
        );
      const whole = picked ? this.#variables.get(picked[1]!) : undefined;
      const at = picked ? Number(picked[2] ?? picked[3]) : 0;
      if (whole !== undefined && at < whole.length)
        return { value: whole[at]!, end: i + picked![0].length, isFolded: true };
      // A name read, not one being assigned, indexed or called.
      const name = /^\$(\w{1,40})\b(?!\s*(?:\[|\{|->|\(|=(?!=)|\.=))/.exec(text.slice(i, i + 48));
      const value = name ? this.#variables.get(name[1]!) : undefined;
      if (value !== undefined)
        return {
          value,
          end: i + name![0].length,
          isFolded: true,
          isDecoded: this.#decodedNames.has(name![1]!),
        };
      if (!/^\$\w{1,40}\s*\(/.test(text.slice(i, i + 48))) return undefined;
    }
    // A function called by its name (`strrev(…)`), or through a variable holding that name.
    const call = /^(\$?)(\w{1,40})\s*\(/.exec(text.slice(i, i + 48));
    if (!call) return undefined;
    const fn = (call[1] ? this.#variables.get(call[2]!) : call[2])?.toLowerCase();
    if (!fn) return undefined;
    const open = i + call[0].length;
    const shaper = SHAPERS[fn];
    if (shaper) return this.#shaped(shaper, open, depth);
    if (fn === 'explode') return this.#exploded(open, depth);
    if (fn === 'call_user_func') return this.#decoderByName(open, depth);
    if (fn === 'implode' || fn === 'join') return this.#charCodesJoined(open);
    if (fn === 'chr') {
      const n = /^\s*(\d{1,3})\s*\)/.exec(text.slice(open, open + 12));
      return n
        ? {
            value: String.fromCharCode(Number(n[1]) % 256),
            end: open + n[0].length,
            isFolded: true,
          }
        : undefined;
    }
    // pack('H*', '3c3f…'): hex spelt out, as hex2bin() reads it.
    const format = fn === 'pack' ? /^\s*(['"])H\*\1\s*,/.exec(text.slice(open, open + 12)) : null;
    const decode = format ? DECODERS.hex2bin : DECODERS[fn];
    if (!decode || (fn === 'pack' && !format)) return undefined;
    // A bare word is the string it spells to the PHP shells are written for
    // (`strrev(ecalper_gerp)`): an undefined constant. One in capitals is a defined one
    // (`strtoupper(PHP_OS)`), whose value is not known here.
    const word = /^\s*([A-Za-z_]\w{0,60})\s*\)/.exec(text.slice(open, open + 72));
    if (word && !format && /[a-z]/.test(word[1]!)) {
      const value = decode(word[1]!);
      return value === undefined
        ? undefined
        : { value, end: open + word[0].length, isFolded: true, isDecoded: HIDES_CODE.has(fn) };
    }
    return this.#decodedArgument(fn, decode, open + (format?.[0].length ?? 0), depth);
  }

  /** A decoder's one argument, from `at` to its `)`, decoded within the budget. */
  #decodedArgument(fn: string, decode: Decoder, at: number, depth: number): Parsed | undefined {
    const arg = this.expression(at, depth + 1);
    const close = arg ? this.#skip(arg.end) : -1;
    if (!arg || this.#text[close] !== ')') return undefined;
    if (this.decodedBytes > MAX_RESULT_CHARS) return undefined;
    const value = decode(arg.value);
    if (value === undefined || value.length > MAX_DECODED_BYTES) return undefined;
    this.decodedBytes += value.length;
    return {
      value,
      end: close + 1,
      isFolded: true,
      isDecoded: arg.isDecoded || HIDES_CODE.has(fn),
    };
  }

  /** `call_user_func('base64_decode', '…')`: a decoder called by its name, given as a string. */
  #decoderByName(open: number, depth: number): Parsed | undefined {
    const name = this.expression(open, depth + 1);
    const comma = name ? this.#skip(name.end) : -1;
    const fn = name?.value.toLowerCase() ?? '';
    const decode = DECODERS[fn];
    if (!decode || this.#text[comma] !== ',') return undefined;
    return this.#decodedArgument(fn, decode, comma + 1, depth);
  }

  /** A call's arguments, each a constant expression or a whole number, up to its `)`. */
  #arguments(open: number, depth: number): { values: Argument[]; end: number } | undefined {
    const values: Argument[] = [];
    let at = open;
    for (let n = 0; n < 4; n++) {
      const number = /^\s*(-?\d{1,6})\b(?!\s*[.^])/.exec(this.#text.slice(at, at + 12));
      let end: number;
      if (number) {
        values.push(Number(number[1]));
        end = at + number[0].length;
      } else {
        const arg = this.expression(at, depth + 1);
        if (!arg) return undefined;
        values.push(arg.value);
        end = arg.end;
      }
      end = this.#skip(end);
      if (this.#text[end] === ')') return { values, end: end + 1 };
      if (this.#text[end] !== ',') return undefined;
      at = end + 1;
    }
    return undefined;
  }

  #shaped(shaper: (args: readonly Argument[]) => string | undefined, open: number, depth: number) {
    const args = this.#arguments(open, depth);
    const value = args && shaper(args.values);
    return value === undefined ? undefined : { value, end: args!.end, isFolded: true };
  }

  /**
   * `implode('', array_map('chr', [104, 116, …]))`: a string spelt as character codes, a
   * URL or a function's name hidden from a reader. At most CHAR_CODES_READ characters of
   * the list are read.
   */
  #charCodesJoined(open: number): Parsed | undefined {
    const text = this.#text;
    const head = /^\s*(['"])\1\s*,\s*array_map\s*\(\s*(['"])chr\2\s*,\s*(\[|array\s*\()/i.exec(
      text.slice(open, open + 80),
    );
    if (!head) return undefined;
    const close = head[3] === '[' ? ']' : ')';
    let at = open + head[0].length;
    const limit = Math.min(text.length, at + CHAR_CODES_READ);
    let value = '';
    for (;;) {
      const n = /^\s*(\d{1,3})\s*([,\])])/.exec(text.slice(at, Math.min(limit, at + 16)));
      if (!n) return undefined;
      value += String.fromCharCode(Number(n[1]) % 256);
      at += n[0].length;
      if (n[2] === ',') continue;
      if (n[2] !== close) return undefined;
      const end = /^\s*\)\s*\)/.exec(text.slice(at, at + 16));
      return end ? { value, end: at + end[0].length, isFolded: true } : undefined;
    }
  }

  /** `explode('!', 'a!b')[1]`: one piece of a constant split. */
  #exploded(open: number, depth: number): Parsed | undefined {
    const args = this.#arguments(open, depth);
    const [sep, s] = args?.values ?? [];
    if (typeof sep !== 'string' || !sep || typeof s !== 'string') return undefined;
    const index = /^\s*\[\s*(\d{1,4})\s*\]/.exec(this.#text.slice(args!.end, args!.end + 16));
    const piece = index ? s.split(sep)[Number(index[1])] : undefined;
    return piece === undefined
      ? undefined
      : { value: piece, end: args!.end + index![0].length, isFolded: true };
  }

  #literal(i: number): Parsed | undefined {
    const text = this.#text;
    const quote = text[i]!;
    for (let j = i + 1; j < text.length && j < i + MAX_DECODED_BYTES; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === quote) {
        const raw = text.slice(i + 1, j);
        // Single quotes know only \\ and \'; double quotes know escapes (not interpolation: a
        // `$` in it makes it no constant).
        if (quote === '"' && /(?<!\\)\$[\w{]/.test(raw)) return undefined;
        const value = quote === "'" ? raw.replace(/\\([\\'])/g, '$1') : unescapeDouble(raw);
        // Hex and octal escapes hide names (`"\x73ystem"`); `\n` and `\'` hide nothing.
        return {
          value,
          end: j + 1,
          isFolded: quote === '"' && /\\(?:x[0-9a-fA-F]|[0-7])/.test(raw),
        };
      }
    }
    return undefined;
  }
}

/** A value as a single-quoted PHP literal. */
export const phpLiteral = (value: string) => `'${value.replace(/[\\']/g, '\\$&')}'`;

/**
 * `$name = <constant>;` set once in the file, and then only added to with constants
 * (`$s = "ev"; $s .= "al";`, a builder's straight line): the names a later expression may
 * use. A name set twice, or added to with anything else, is no constant.
 */
function constantVariables(text: string): Map<string, string> {
  const parser = new ConstantParser(text, new Map());
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const assignments = [...text.matchAll(/\$(\w{1,40})\s*(\.?)=(?![=>])/g)];
  // At most `ASSIGNMENTS_READ` are read, half from each end: a packed loader builds its
  // payload in thousands of appends and names its decoder after them (issue 27: a 400 KiB
  // loader's end held 4,000 `$z .= "…";` before `$c = $a.$b; eval($c($z))`). A name set in
  // the middle, unread, is no constant.
  const skipFrom = ASSIGNMENTS_READ / 2;
  const skipTo = assignments.length - ASSIGNMENTS_READ / 2;
  for (const [k, m] of assignments.entries()) {
    const name = m[1]!;
    const isAppend = m[2] === '.';
    if (k >= skipFrom && k < skipTo) {
      seen.add(name);
      found.delete(name);
      continue;
    }
    if (seen.has(name) !== isAppend) {
      found.delete(name);
      seen.add(name);
      continue;
    }
    seen.add(name);
    if (isAppend && !found.has(name)) continue;
    const parsed = parser.expression(m.index! + m[0].length);
    const value = parsed && (isAppend ? found.get(name)! : '') + parsed.value;
    if (
      value !== undefined &&
      /^\s*;/.test(text.slice(parsed!.end, parsed!.end + 8)) &&
      value.length <= MAX_DECODED_BYTES
    )
      found.set(name, value);
    else found.delete(name);
  }
  return found;
}

/** What one pass made: the text, and what it learnt of decoded values. */
interface Pass {
  text: string;
  /** The runner (eval, assert) handed code a decoder made, when one was. */
  decodedRunner?: string;
  /** Variables set to a decoded value (`$s = base64_decode('…')`, written out as a literal). */
  decodedNames: Set<string>;
}

/**
 * One pass: each foldable constant expression replaced by the literal of its value. The
 * variables an earlier pass set to decoded values are still decoded ones when read.
 */
function foldOnce(text: string, decodedNames: ReadonlySet<string>): Pass {
  const parser = new ConstantParser(text, constantVariables(text), decodedNames);
  const pass: Pass = { text, decodedNames: new Set(decodedNames) };
  let out = '';
  let from = 0;
  let folds = 0;
  // Where an expression may start: `~`, a quote, `(`, `$`, a decoder's or chr's name.
  const starts =
    /[~'"($]|\b(?:chr|base64_decode|str_rot13|strrev|hex2bin|pack|gzinflate|gzuncompress|gzdecode|urldecode|rawurldecode|[lr]?trim|strto(?:lower|upper)|[ul]cfirst|substr(?:_replace)?|str_i?replace|preg_(?:replace|filter)|explode|call_user_func)\s*\(/gi;
  for (let m = starts.exec(text); m && folds < MAX_FOLDS; m = starts.exec(text)) {
    if (m.index < from) continue;
    // A call's own parenthesis: its argument is the expression (`eval(` + `base64_decode(…)`).
    const at =
      m[0] === '(' && /\w\s*$/.test(text.slice(Math.max(0, m.index - 8), m.index))
        ? m.index + 1
        : m.index;
    const parsed = parser.expression(at);
    if (!parsed) {
      // Past a string literal that does not fold, so its insides are not read as code.
      if (m[0] === "'" || m[0] === '"') {
        const end = skipLiteral(text, m.index);
        starts.lastIndex = end;
      }
      continue;
    }
    if (parsed.isFolded) {
      // Code handed to eval() or assert() is written out as code, so the next pass and the
      // rules read its own calls; any other value stays a string.
      const before = text.slice(Math.max(0, at - 48), at).trimEnd();
      const runner = /\b(eval|assert)\s*\(\s*@?$/i.exec(before);
      const isRun = runner !== null;
      if (isRun && parsed.isDecoded) pass.decodedRunner ??= runner[1]!.toLowerCase();
      const set = /\$(\w{1,40})\s*=\s*@?$/.exec(before);
      if (set && parsed.isDecoded) pass.decodedNames.add(set[1]!);
      const value = isRun ? parsed.value.replace(/^\s*<\?(?:php)?|\?>\s*$/gi, '') : parsed.value;
      out += text.slice(from, at) + (isRun ? value : phpLiteral(value));
      from = parsed.end;
      folds++;
      if (out.length > MAX_RESULT_CHARS) break;
    }
    starts.lastIndex = Math.max(parsed.end, m.index + 1);
  }
  pass.text = (out + text.slice(from)).slice(0, MAX_RESULT_CHARS);
  return pass;
}

function skipLiteral(text: string, i: number): number {
  const quote = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === quote) return j + 1;
  }
  return text.length;
}

// A string called: PHP 7 calls the function the string names (`'system'($c)`, and what
// `'sy'.'stem'($c)` folds to), so it is read as that function's call.
const STRING_CALLED = /(?<![\w$\])])(['"])([A-Za-z_]\w{0,40})\1(\s*\()/g;
// The same string in parentheses (`('system')($c)`, what `(~"\x8c…")($c)` folds to).
const PARENTHESISED_STRING_CALLED = /(?<![\w$\])])\(\s*(['"])([A-Za-z_]\w{0,40})\1\s*\)(\s*\()/g;

// A name kept in $GLOBALS under a key (`${"GLOBALS"}["cpsgir"]="files";`, once folded), and
// a variable named through it (`${${"GLOBALS"}["cpsgir"]}`): an obfuscator's table of names.
const NAME_KEPT =
  /(?:\$\{\s*(['"])GLOBALS\1\s*\}|\$GLOBALS)\s*\[\s*(['"])(\w{1,40})\2\s*\]\s*=\s*(['"])(\w{1,40})\4\s*;/g;
const NAMED_THROUGH_TABLE =
  /\$\{\s*(?:\$\{\s*(['"])GLOBALS\1\s*\}|\$GLOBALS)\s*\[\s*(['"])(\w{1,40})\2\s*\]\s*\}/g;

/**
 * The variables an obfuscator names through a table in $GLOBALS, written by their names
 * (`${${"GLOBALS"}["cpsgir"]}` is `$files`): the rules then follow the request through
 * them. A key set twice is left as written: which name it holds depends on the run.
 */
function withGlobalsNamed(text: string): string {
  const table = new Map<string, string | undefined>();
  for (const m of [...text.matchAll(NAME_KEPT)].slice(0, 5000))
    table.set(m[3]!, table.has(m[3]!) && table.get(m[3]!) !== m[5] ? undefined : m[5]!);
  if (!table.size) return text;
  return text.replace(NAMED_THROUGH_TABLE, (whole, _q, _k, key: string) => {
    const name = table.get(key);
    return name ? `$${name}` : whole;
  });
}

// A variable named by a string (`${"command"} = …`, `${'_POST'}` once `chr(95).'POST'`
// is folded): the variable of that name.
const VARIABLE_NAMED_BY_LITERAL = /\$\{\s*(['"])([A-Za-z_]\w{0,39})\1\s*\}/g;

/** The text with PHP's constant expressions worked out, or the text itself when none fold. */
export const foldPhpConstants = (text: string) => foldedPhp(text).text;

/** PHP's constant expressions worked out, and what was found doing it. */
export interface FoldedPhp {
  text: string;
  /**
   * The runner handed code a decoder made (`$f = strrev('edoced_46esab'); eval($f('…'))`):
   * a decode-then-run that folding writes out as plain code, so it is said here.
   */
  decodedRunner?: string;
}

/** The text with PHP's constant expressions worked out, and the decoded code it runs. */
export function foldedPhp(text: string): FoldedPhp {
  let current = text;
  let decodedNames = new Set<string>();
  let decodedRunner: string | undefined;
  for (let n = 0; n < MAX_PASSES; n++) {
    const pass = foldOnce(current, decodedNames);
    decodedRunner ??= pass.decodedRunner;
    decodedNames = pass.decodedNames;
    if (pass.text === current) break;
    current = pass.text;
  }
  const folded = withGlobalsNamed(
    withNamedCalls(
      withVariablesNamed(current)
        .replace(PARENTHESISED_STRING_CALLED, '$2$3')
        .replace(STRING_CALLED, '$2$3')
        .replace(VARIABLE_NAMED_BY_LITERAL, '$$$2'),
    ),
  );
  return decodedRunner ? { text: folded, decodedRunner } : { text: folded };
}

// A variable called (`$a(…)`), not a method nor a variable variable.
const VARIABLE_CALLED = /(?<![\w$>:])\$(\w{1,40})(\s*\()/g;

/**
 * Calls through a variable set once to a function's name (`$a = strrev('ecalper_gerp');
 * $a('/x/e', $_POST['c'], 'x')`) written as that function's call, so the rules read
 * `preg_replace(…)` as they read it spelt out.
 */
function withNamedCalls(text: string): string {
  if (!/\$\w{1,40}\s*\(/.test(text)) return text;
  const names = constantVariables(text);
  if (!names.size) return text;
  return text.replace(VARIABLE_CALLED, (whole, name: string, open: string) => {
    const value = names.get(name);
    return value && /^[A-Za-z_]\w{0,40}$/.test(value) ? value + open : whole;
  });
}

// A variable variable (`$$c`), not a variable whose name is itself a variable's (`$$c[0]`).
const VARIABLE_VARIABLE = /\$\$(\w{1,40})\b(?!\s*\[)/g;

/**
 * Variable variables through a variable set once to a name (`$c = "a"; $b = $$c('…');`)
 * written as the variable they name (`$a('…')`), so a call through one is read as well.
 */
function withVariablesNamed(text: string): string {
  if (!text.includes('$$')) return text;
  const names = constantVariables(text);
  if (!names.size) return text;
  return text.replace(VARIABLE_VARIABLE, (whole, name: string) => {
    const value = names.get(name);
    return value && /^[A-Za-z_]\w{0,39}$/.test(value) ? `$${value}` : whole;
  });
}

/**
 * The value of the constant expression starting at `at` in `text` (`strrev("trea")`, `'a' .
 * $b` with `$b` among `variables`) and where it ends, if it is one.
 */
export function constantAt(
  text: string,
  at: number,
  variables: ReadonlyMap<string, string>,
): { value: string; end: number } | undefined {
  const parsed = new ConstantParser(text, variables).expression(at);
  return parsed && parsed.value.length <= MAX_DECODED_BYTES
    ? { value: parsed.value, end: parsed.end }
    : undefined;
}
