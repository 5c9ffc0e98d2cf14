/**
 * Reading code as text, the way the language reads it: a call's arguments, string escapes
 * (PHP's `\x65`, Java's `\u0065`), and runs of one kind of character measured in one pass.
 * Bounded and linear: the text is the attacker's. Comments are comments.ts's.
 */
/** The arguments of a call whose '(' ends at `open`, split at top level (bounded). */
export function callArgs(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < Math.min(text.length, open + 400); i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i));
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

/**
 * Where the block whose '{' is at `open` ends: the index of its matching '}', or of the
 * last character looked at when it does not close within `max` characters. With
 * `skipQuoted`, braces in quoted strings are passed over (`$y = '{';` opens nothing).
 */
export function blockEnd(text: string, open: number, max = 5000, skipQuoted = false): number {
  let depth = 0;
  const last = Math.min(text.length, open + max) - 1;
  for (let i = open; i <= last; i++) {
    const c = text[i];
    if (skipQuoted && (c === '"' || c === "'")) {
      // To the closing quote, escapes skipped; "{$x}" inside a string is balanced anyway.
      for (i++; i <= last && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return last;
}

/**
 * Whether the `$` at `at` is a variable written into a double-quoted string (`"group
 * $name (deleted)"`): text, never a call. `"{$f(1)}"` does call, so a `{` before it does
 * not count. Read from the line's start (PHP's tags start over), single-quoted strings and
 * escapes followed; bounded to the 400 characters before it.
 */
export function isInterpolated(text: string, at: number): boolean {
  if (text[at - 1] === '{') return false;
  let from = at;
  while (from > 0 && from > at - 400 && text[from - 1] !== '\n') from--;
  let quote = '';
  for (let i = from; i < at; i++) {
    const c = text[i];
    if (c === '<' && text[i + 1] === '?') quote = '';
    else if (quote && c === '\\') i++;
    else if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
  }
  return quote === '"';
}

/**
 * An expression with its single-quoted strings emptied (`'global $settings; ' . $m[0]` reads
 * `'' . $m[0]`): PHP puts no variable into one, so a name written inside is text. Double-
 * quoted strings are kept whole, an apostrophe in them included.
 */
export function withoutSingleQuoted(expr: string): string {
  let out = '';
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"') {
      const from = i;
      for (i++; i < expr.length && expr[i] !== '"'; i++) if (expr[i] === '\\') i++;
      out += expr.slice(from, i + 1);
    } else if (c === "'") {
      for (i++; i < expr.length && expr[i] !== "'"; i++) if (expr[i] === '\\') i++;
      out += "''";
    } else out += c;
  }
  return out;
}

/**
 * A parameter or argument list split at its commas outside strings and brackets (`$s = ','`,
 * a closure's body).
 */
export function splitParameters(list: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      pieces.push(list.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(list.slice(start));
  return pieces;
}

/**
 * A parameter list's names in order (undefined where a piece holds none), split at the commas
 * outside strings and brackets: a default of `','` or `array(1, 2)` is one parameter.
 */
export function parameterNames(list: string): (string | undefined)[] {
  return splitParameters(list).map((p) => /^\s*(?:[\w\\?|]{1,80}\s+)?&?\$(\w{1,40})/.exec(p)?.[1]);
}

/** One of the page's own named functions, with its body's extent in the text. */
export interface OwnFunction {
  name: string;
  /** What its parentheses hold (up to 200 characters, to the first ')'). */
  params: string;
  /** Where `function` is, where its body's '{' is, and where the body ends (its '}'). */
  at: number;
  open: number;
  end: number;
  body: string;
}

const NAMED_FUNCTION = /\bfunction\s+(\w{1,40})\s*\(([^)]{0,200})/gi;

/**
 * A Java or C# method's declaration, for ownFunctions(): an access or static modifier, a
 * return type, the name and the parameters (`public List run(String sql, String url)`).
 */
export const JAVA_METHOD =
  /\b(?:public|private|protected|static)\s+[\w.<>[\],]{1,60}\s+(\w{1,40})\s*\(([^)]{0,200})/g;

/**
 * The page's own named functions (`function name($a, $b) { … }`), at most `limit`, each with
 * its body up to `maxBody` characters from its '{': what the function does is read in its
 * body, not in a window of characters after its name. A declaration that a ';' ends before
 * any '{' (an interface's or an abstract method's), or with no '{' within 300 characters,
 * has no body and is left out.
 */
export function ownFunctions(
  text: string,
  limit = 300,
  maxBody = 5000,
  declaration = NAMED_FUNCTION,
): OwnFunction[] {
  return [...text.matchAll(declaration)].slice(0, limit).flatMap((m) => {
    // Its body's '{', unless a ';' ends the declaration first (an interface's, an abstract one).
    const after = m.index! + m[0].length;
    const ends = /[{;]/.exec(text.slice(after, m.index! + 300));
    if (ends?.[0] !== '{') return [];
    const open = after + ends.index;
    const end = blockEnd(text, open, maxBody);
    return [{ name: m[1]!, params: m[2]!, at: m.index!, open, end, body: text.slice(open, end) }];
  });
}

// The names withAsciiNames() gives, as found in a reason.
export const ASCII_NAME = /\bnonAscii\d{1,5}x\b/g;

/**
 * The text with each run of characters outside ASCII spelt as an ASCII name of its own (the
 * same run, the same name): PHP takes bytes above 0x7f in names (`$变量`), and VBScript on a
 * Chinese server takes DBCS names (`中文=request("a")`), but the rules' names are ASCII words.
 * Undefined when the text is all ASCII, or has more runs than are worth renaming.
 */
export function withAsciiNames(text: string): string | undefined {
  if (!/[^\x00-\x7f]/.test(text)) return undefined;
  const names = new Map<string, string>();
  let runs = 0;
  const renamed = text.replace(/[^\x00-\x7f]{1,200}/g, (run) => {
    runs++;
    let name = names.get(run);
    if (name === undefined) {
      name = `nonAscii${names.size}x`;
      names.set(run, name);
    }
    return name;
  });
  return runs > 20000 ? undefined : renamed;
}

/** PHP's string escapes (`"ass\x65rt"`, `"\163ystem"`) as the characters they stand for. */
export function unescapePhp(s: string): string {
  return s
    .replace(/\\x([0-9a-fA-F]{1,2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\([0-7]{1,3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Java's \\uXXXX escapes, which javac reads as the characters anywhere in a JSP's code. */
export function javaUnescaped(text: string): string {
  return text.replace(/\\u+([0-9a-fA-F]{4})/g, (_, h: string) =>
    String.fromCharCode(parseInt(h, 16)),
  );
}

/**
 * The longest run of characters `isIn` accepts, in one pass: a regex `[…]{N,}` would rescan
 * each run from every start, seconds on a file an attacker shaped for it.
 */
export function longestRun(text: string, isIn: (code: number) => boolean): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = isIn(text.charCodeAt(i)) ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

// `new string(new char[] {'c','m','d'})` (C#), `new String(new char[]{…})` and
// `new String(new byte[]{99, 109, 100})` (Java): a name spelt as an array so no string holds it.
const ARRAY_STRING =
  /\bnew\s+[sS]tring\s*\(\s*new\s+(?:char|byte)\s*\[\s*\]\s*\{([^{}]{0,4000})\}\s*\)/g;
const ARRAY_ITEM = /'(\\u[0-9a-fA-F]{4}|\\.|[^'\\])'|(?<![\w'.])(\d{1,5})(?![\w'.])/g;
const CHAR_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0' };

function arrayItem(quoted: string | undefined, code: string | undefined): string {
  if (code !== undefined) return String.fromCharCode(Number(code) & 0xffff);
  if (quoted!.startsWith('\\u')) return String.fromCharCode(parseInt(quoted!.slice(2), 16));
  return quoted!.startsWith('\\') ? (CHAR_ESCAPES[quoted![1]!] ?? quoted![1]!) : quoted!;
}

// "java.lang.Run" + "time": two literals joined, as the compiler joins them.
const JOINED_LITERALS = /"((?:[^"\\\n]|\\.){0,400})"\s*\+\s*"((?:[^"\\\n]|\\.){0,400})"/g;

// A name kept in base64 and decoded where it is used: C#'s
// `Encoding.UTF8.GetString(Convert.FromBase64String("…"))`, Java's
// `new String(Base64.getDecoder().decode("…"))` and
// `new String(new BASE64Decoder().decodeBuffer("…"))`.
const BASE64_STRING =
  /\bEncoding\s*\.\s*(?:UTF8|ASCII|Default)\s*\.\s*GetString\s*\(\s*(?:System\s*\.\s*)?Convert\s*\.\s*FromBase64String\s*\(\s*"([A-Za-z0-9+/=]{1,400})"\s*\)\s*\)|\bnew\s+String\s*\(\s*(?:(?:java\.util\.)?Base64\s*\.\s*getDecoder\s*\(\s*\)\s*\.\s*decode|new\s+(?:sun\.misc\.)?BASE64Decoder\s*\(\s*\)\s*\.\s*decodeBuffer)\s*\(\s*"([A-Za-z0-9+/=]{1,400})"\s*\)\s*\)/g;

const literal = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

// JScript's `unescape("%57%53…")`: a name kept percent-encoded.
const UNESCAPED = /\bunescape\s*\(\s*"((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._ -]){1,400})"\s*\)/g;

/**
 * Java's, C#'s and JScript's strings as the compiler sees them, and names decoded where they
 * are used: arrays of characters or bytes turned into strings, base64 or JScript's
 * unescape() decoded into a name, and literals joined with `+`, written as one literal
 * each. Anything else in an array (a variable, a call), or a decoded value that is not a
 * printable name, leaves it as written.
 */
export function foldCompiledStrings(text: string): string {
  let out = text
    .replace(ARRAY_STRING, (whole, body: string) => {
      if (body.replace(ARRAY_ITEM, '').replace(/[\s,]/g, '') !== '') return whole;
      return literal([...body.matchAll(ARRAY_ITEM)].map((m) => arrayItem(m[1], m[2])).join(''));
    })
    .replace(BASE64_STRING, (whole, dotnet?: string, java?: string) => {
      const value = Buffer.from(dotnet ?? java ?? '', 'base64').toString('latin1');
      return /^[\x20-\x7e]+$/.test(value) ? literal(value) : whole;
    })
    .replace(UNESCAPED, (whole, encoded: string) => {
      const value = encoded.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
        String.fromCharCode(parseInt(h, 16)),
      );
      return /^[\x20-\x7e]+$/.test(value) ? literal(value) : whole;
    });
  // Each pass joins pairs; a name cut in up to 16 pieces is whole after four.
  for (let pass = 0; pass < 4; pass++) {
    const joined = out.replace(JOINED_LITERALS, '"$1$2"');
    if (joined === out) break;
    out = joined;
  }
  return out;
}
