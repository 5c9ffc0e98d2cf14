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
  urldecode: (v) => {
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  },
  rawurldecode: (v) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return undefined;
    }
  },
};

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
}

/** Parses PHP constant expressions from positions in `text`. */
class ConstantParser {
  readonly #text: string;
  readonly #variables: ReadonlyMap<string, string>;
  decodedBytes = 0;

  constructor(text: string, variables: ReadonlyMap<string, string>) {
    this.#text = text;
    this.#variables = variables;
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
      left = { value, end: right.end, isFolded: true };
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
      left = { value: left.value + right.value, end: right.end, isFolded: true };
    }
  }

  #term(start: number, depth: number): Parsed | undefined {
    const text = this.#text;
    const i = this.#skip(start);
    const c = text[i];
    if (c === "'" || c === '"') return this.#literal(i);
    if (c === '(') {
      const inner = this.expression(i + 1, depth + 1);
      const close = inner ? this.#skip(inner.end) : -1;
      return inner && text[close] === ')' ? { ...inner, end: close + 1 } : undefined;
    }
    if (c === '$') {
      // A name read, not one being assigned, indexed or called.
      const name = /^\$(\w{1,40})\b(?!\s*(?:\[|->|\(|=(?!=)|\.=))/.exec(text.slice(i, i + 48));
      const value = name ? this.#variables.get(name[1]!) : undefined;
      return value === undefined ? undefined : { value, end: i + name![0].length, isFolded: true };
    }
    const call = /^(\w{1,20})\s*\(/.exec(text.slice(i, i + 24));
    if (!call) return undefined;
    const fn = call[1]!.toLowerCase();
    const open = i + call[0].length;
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
    const arg = this.expression(open + (format?.[0].length ?? 0), depth + 1);
    const close = arg ? this.#skip(arg.end) : -1;
    if (!arg || text[close] !== ')') return undefined;
    if (this.decodedBytes > MAX_RESULT_CHARS) return undefined;
    const value = decode(arg.value);
    if (value === undefined || value.length > MAX_DECODED_BYTES) return undefined;
    this.decodedBytes += value.length;
    return { value, end: close + 1, isFolded: true };
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
const literal = (value: string) => `'${value.replace(/[\\']/g, '\\$&')}'`;

/**
 * `$name = <constant>;` set once in the file, and then only added to with constants
 * (`$s = "ev"; $s .= "al";`, a builder's straight line): the names a later expression may
 * use. A name set twice, or added to with anything else, is no constant.
 */
function constantVariables(text: string): Map<string, string> {
  const parser = new ConstantParser(text, new Map());
  const found = new Map<string, string>();
  const seen = new Set<string>();
  for (const m of [...text.matchAll(/\$(\w{1,40})\s*(\.?)=(?![=>])/g)].slice(0, 2000)) {
    const name = m[1]!;
    const isAppend = m[2] === '.';
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

/** One pass: each foldable constant expression replaced by the literal of its value. */
function foldOnce(text: string): string {
  const parser = new ConstantParser(text, constantVariables(text));
  let out = '';
  let from = 0;
  let folds = 0;
  // Where an expression may start: a quote, `(`, `$`, a decoder's or chr's name.
  const starts =
    /['"($]|\b(?:chr|base64_decode|str_rot13|strrev|hex2bin|pack|gzinflate|gzuncompress|gzdecode|urldecode|rawurldecode)\s*\(/gi;
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
      const isRun = /\b(?:eval|assert)\s*\(\s*@?$/i.test(
        text.slice(Math.max(0, at - 24), at).trimEnd(),
      );
      const value = isRun ? parsed.value.replace(/^\s*<\?(?:php)?|\?>\s*$/gi, '') : parsed.value;
      out += text.slice(from, at) + (isRun ? value : literal(value));
      from = parsed.end;
      folds++;
      if (out.length > MAX_RESULT_CHARS) break;
    }
    starts.lastIndex = Math.max(parsed.end, m.index + 1);
  }
  return (out + text.slice(from)).slice(0, MAX_RESULT_CHARS);
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
export function foldPhpConstants(text: string): string {
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = foldOnce(current);
    if (next === current) break;
    current = next;
  }
  return withGlobalsNamed(
    current.replace(STRING_CALLED, '$2$3').replace(VARIABLE_NAMED_BY_LITERAL, '$$$2'),
  );
}
