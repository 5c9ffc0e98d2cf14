/**
 * Disguises: the ways a web shell hides a name or code from a reader (decoding, XOR,
 * pieces joined at run time, byte arrays, reflection on decoded names…). The strong ones
 * have no business in ordinary code; weighed with a sink or a dynamic call, they make a
 * web shell.
 */
import { longestRun } from './code-text.js';

// Characters that print as nothing: Khmer's inherent vowels, Hangul fillers, zero-width
// spaces and joiners, the byte order mark.
const INVISIBLE = /[\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u2060-\u2064\u3164\uFEFF\uFFA0]/;
const INVISIBLE_NAMES = 'names holding invisible characters';
// `$$name` or `${'name'}`. `self::$$name` names a static property, never a variable of the
// page's or the request.
const VARIABLE_VARIABLE = /(?<!::)\$\$\w|\$\{\s*['"$]/;

/** The code as a reader sees it: with characters that print as nothing taken out. */
export const withoutInvisible = (text: string) =>
  text.replace(new RegExp(INVISIBLE.source, 'g'), '');

// Disguises: each a different way of hiding a name or code from a reader.
const DISGUISES: readonly [RegExp, string][] = [
  [
    /\b(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode|strrev|FromBase64String|decodeBuffer|getDecoder\(\)\.decode)\s*\(/i,
    'decoding',
  ],
  [
    /(?<![\w'"])(['"])(?=[^'"]*[^\w'"\s])[^'"\s,]{1,40}\1\s*\^\s*(['"])[^'"\s,]{1,40}\2|pack\s*\(\s*['"]H\*['"][^;\n]{0,80}\)\s*\^|\^\s*(?:hex2bin|pack)\s*\(/,
    'strings XORed together',
  ],
  // What `~` negates is unreadable bytes (the negation of a name); `~` before readable text is
  // a regex delimiter (`'~^\w+$~'`) or Perl's `=~`, never a disguise.
  [
    /~\s*['"](?:[^\x00-\x7f]|\\x[0-9a-fA-F]{2}|\\[0-7]{3})(?:[^\x00-\x7f]|\\x[0-9a-fA-F]|\\[0-7])|~\s*\(\s*\$\w{1,20}\s*[{[]/,
    'strings negated bit by bit',
  ],
  [
    // Letters only (A-Z, _, a-z: 65 to 122): chr(0).chr(1).chr(0) builds a packet, not a name.
    /(?:\bchr\s*\(\s*(?:6[5-9]|[78]\d|9\d|1[01]\d|12[0-2])\s*\)\s*\.\s*){3,}|(?:\$\w{1,20}\s*\(\s*(?:6[5-9]|[78]\d|9\d|1[01]\d|12[0-2])\s*\)\s*\.\s*){3,}/i,
    'names spelt with chr()',
  ],
  [
    /(?:\$\w{1,20}\s*(?:\[\s*(['"]?)\d{1,3}\1\s*\]|\{\s*\d{1,3}\s*\})\s*\.\s*){3,}/,
    'names picked letter by letter',
  ],
  [
    // `$type.'val'` makes intval or strval (eval cannot be called by name): a piece of
    // `eval` counts after a string; assert's after anything (`$ch."ert"`).
    /(?:['"][a-zA-Z_]{1,3}['"]\s*\.\s*){3,}|['"]as['"]\s*\.\s*['"]?s?ert|\.\s*['"](?:sert|ssert|ert)['"]|['"]\s*\.\s*['"](?:al|val)['"]/,
    'names cut into pieces',
  ],
  [VARIABLE_VARIABLE, 'variable variables'],
  [/\bpack\s*\(\s*['"]c\*['"]\s*,\s*(?:0x[0-9a-fA-F]{2}|\d{2,3})\s*,/, 'names spelt with pack()'],
  // `(?=(…))\1`: the whole unreadable name, never given back a byte at a time to the window.
  [/\$(?=([^\x00-\x7f]{8,4000}))\1[^=\n]{0,40}=/, 'variable names of unreadable bytes'],
  // Zero-width and blank letters in a name: names that differ only in what a reader cannot
  // see, or that carry data in it.
  [new RegExp(String.raw`\$\w{0,40}${INVISIBLE.source}`), INVISIBLE_NAMES],
  [/new\s+String\s*\(\s*new\s+byte\s*\[\s*\]\s*\{\s*\d{2,3}\s*,/, 'names spelt as byte arrays'],
  [
    /\b(?:Class\.forName|get(?:Declared)?Method)\s*\(\s*(?:new\s+String\s*\(\s*)?[\w.]{0,80}?(?:decode\w{0,40}|getDecoder\(\)\.decode)\s*\(/,
    'class or method names decoded at run time',
  ],
  [/(?<![\w>:$])\$_{1,8}\s*\(/, 'a function held in a variable named with underscores only'],
  [/(?:\$\w{1,20}\s*\+\+\s*;\s*){8,}/, 'letters made by incrementing strings'],
  [/pack\s*\(\s*['"]H\*['"]/i, 'hex packed'],
  // Escapes of printable characters, which spell a name or code (`"\x73\x79\x73…"`); a
  // binary constant (a zip's "\x50\x4b\x05\x06\x00\x00", phpseclib's "\x80\x00\x00\x00")
  // hides nothing. A long escaped blob holds runs of printable ones.
  [
    /(?:\\x(?:[2-6][0-9a-fA-F]|7[0-9a-eA-E])){4,}|(?:\\(?:0[4-7][0-7]|1[0-6][0-7]|17[0-6])){4,}/,
    'escaped bytes',
  ],
  // The code a function is made from, written in escapes (`create_function /*…*/ ("\x24…",
  // "\x65\x76…")`): a library writes the code it compiles as code.
  [
    /\bcreate_function\s*(?:\/\*[^*\n]{0,80}\*\/\s*)?\(\s*(?:\/\*[^*\n]{0,80}\*\/\s*)?["'][^"'\n\\]{0,40}(?:\\(?:x[0-9a-fA-F]{2}|[0-7]{3})){4}/i,
    'a function made from escaped bytes',
  ],
];

export const STRONG_DISGUISES = new Set([
  'names spelt with pack()',
  'variable names of unreadable bytes',
  INVISIBLE_NAMES,
  'class or method names decoded at run time',
  'names spelt as byte arrays',
  'the request read through a name held in a string',
  'a function held in a variable named with underscores only',
  'letters made by incrementing strings',
  'strings XORed together',
  'strings negated bit by bit',
  'names spelt with chr()',
  'names picked letter by letter',
  'names cut into pieces',
  'names hidden by str_replace',
  'a long encoded blob',
  'code written without letters or digits',
  'strings made from numbers',
  'a function made from escaped bytes',
]);

// A single-quoted PHP string on one line: PHP reads no variable in it.
const SINGLE_QUOTED = /'(?:[^'\\\n]|\\.){0,400}'/g;

const isLetterOrDigit = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * PHP written with no letter or digit at all (`$_[] = @!+_; $__ = @${_} >> $_; …`): the
 * names it calls are made from the strings PHP gives back for arrays and errors. A run of
 * 200 characters without one, holding 30 variables, 5 statements and 3 calls or groups:
 * a banner drawn in `$` (figlet's "Big Money" fonts) has no statements. Issue 27: the
 * non-alphanumeric class of held-out misses, seen on a tuning collection.
 */
function hasCodeWithoutLetters(text: string): boolean {
  let length = 0;
  let variables = 0;
  let statements = 0;
  let groups = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isLetterOrDigit(c) || c > 127) {
      length = variables = statements = groups = 0;
      continue;
    }
    length++;
    if (c === 36) variables++;
    else if (c === 59) statements++;
    else if (c === 40) groups++;
    if (length >= 200 && variables >= 30 && statements >= 5 && groups >= 3) return true;
  }
  return false;
}

/**
 * Strings made from numbers (`((1).(0.00001)){4}` is "E", `(999**999).(1)` starts "INF"),
 * picked by offset and joined by bitwise operators into names: a run of 200 characters
 * without a letter that joins 10 parenthesised values with `).(`. Arithmetic joins numbers
 * with operators, not as strings.
 */
function hasStringsFromNumbers(text: string): boolean {
  let length = 0;
  let joins = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 127) {
      length = joins = 0;
      continue;
    }
    length++;
    if (c === 46 && text.charCodeAt(i - 1) === 41 && text.charCodeAt(i + 1) === 40) joins++;
    if (length >= 200 && joins >= 10) return true;
  }
  return false;
}

// str_replace('marker', '', 'the string it is taken out of').
const STR_REPLACE_REMOVES =
  /\bstr_replace\s*\(\s*(['"])([^'"\n]{1,10})\1\s*,\s*['"]{2}\s*,\s*(['"])([^'"\n]{4,400})\3/g;

const PIECES = /['"][^'"\n]{1,40}['"](?:\s*[.+]\s*['"][^'"\n]{1,40}['"])+/g;

const PIECE_ARRAY =
  /(?:\barray\s*\(|\[)\s*((?:['"][^'"\n]{0,6}['"]\s*,\s*){2,20}['"][^'"\n]{0,6}['"])\s*[)\]]/g;

const RUNS_CODE = new Set([
  'assert',
  'eval',
  'system',
  'exec',
  'shell_exec',
  'passthru',
  'popen',
  'proc_open',
  'create_function',
  'base64_decode',
  'str_rot13',
  'gzinflate',
  'call_user_func',
  'preg_replace',
  'pcntl_exec',
  'file_put_contents',
]);

/** One line of an encoded blob cut into quoted pieces: `"QUFB…" .` (blanks around allowed). */
const BLOB_LINE = /^[ \t\r\f\v]*['"][A-Za-z0-9+/=]{50,}['"][ \t\r\f\v]*(?:\.[ \t\r\f\v]*)?$/;

/** Lines that hold nothing, or only the `.` joining two pieces: they do not break a blob. */
const BLOB_GAP = /^[ \t\r\f\v]*(?:\.[ \t\r\f\v]*)?$/;

/**
 * Eight or more quoted base64 lines in a row, blank lines between them allowed, in one
 * pass over the lines. It was one regex, `(?:^\s*'…'\s*\.?\s*$\n?){8,}`, whose blanks
 * could be taken by either side of a line end: 471 bytes took hours, and nothing in Node
 * can interrupt a running regex.
 */
function hasEncodedBlobLines(text: string): boolean {
  let run = 0;
  let from = 0;
  while (from <= text.length) {
    const end = text.indexOf('\n', from);
    const line = text.slice(from, end < 0 ? text.length : end);
    if (BLOB_LINE.test(line)) {
      if (++run >= 8) return true;
    } else if (!BLOB_GAP.test(line)) run = 0;
    if (end < 0) break;
    from = end + 1;
  }
  return false;
}

export const isBase64Char = (c: number) => isLetterOrDigit(c) || c === 43 || c === 47;

// Base64 and what joins its pieces in code: quotes, dots, spaces, '='.
export const isBlobChar = (c: number) =>
  isBase64Char(c) || c === 61 || c === 39 || c === 34 || c === 46 || c <= 32;

/** True when some of `pieces`, in order, join into `name`, and no one piece holds it. */
function spellsInOrder(pieces: readonly string[], name: string): boolean {
  if (pieces.some((p) => p.includes(name))) return false;
  let at = 0;
  let used = 0;
  for (const p of pieces) {
    if (p && name.startsWith(p, at)) {
      at += p.length;
      used++;
      if (at === name.length) return used >= 2;
    }
  }
  return false;
}

/** The disguises a text uses, by name. */
export function disguisesIn(text: string): string[] {
  const found = DISGUISES.filter(([r]) => r.test(text)).map(([, name]) => name);
  if (hasEncodedBlobLines(text) || longestRun(text, isBase64Char) >= 600)
    found.push('a long encoded blob');
  if (hasCodeWithoutLetters(text)) found.push('code written without letters or digits');
  if (hasStringsFromNumbers(text)) found.push('strings made from numbers');
  // "sys"."tem", "gzin"."flate(": pieces that join into a name no piece spells alone.
  for (const m of text.matchAll(PIECES)) {
    const pieces = [...m[0].matchAll(/['"]([^'"\n]*)['"]/g)].map((p) => p[1]!.toLowerCase());
    const joined = pieces.join('');
    const hidden = [...RUNS_CODE].some(
      (name) => joined.includes(name) && !pieces.some((p) => p.includes(name)),
    );
    if (hidden) {
      if (!found.includes('names cut into pieces')) found.push('names cut into pieces');
      break;
    }
  }
  // ["s","a","ys","te","m"] less ["a"]: an array of pieces that, some left out, spells a name.
  const arrays = [
    ...[...text.matchAll(PIECE_ARRAY)].map((m) =>
      [...m[1]!.matchAll(/['"]([^'"\n]*)['"]/g)].map((p) => p[1]!),
    ),
    // explode(".", "hello.ass.world.er.t"): pieces cut by a separator.
    ...[
      ...text.matchAll(/\bexplode\s*\(\s*(['"])([^'"\n]{1,3})\1\s*,\s*(['"])([^'"\n]{3,200})\3/g),
    ].map((m) => m[4]!.split(m[2]!)),
  ];
  // The pieces must make the name whole, one after another: a list of words or extensions
  // runs across one by chance (e107's ['type', 'name', 'value'] holds 'eval').
  for (const found_ of arrays) {
    const pieces = found_.map((p) => p.toLowerCase());
    if ([...RUNS_CODE].some((name) => spellsInOrder(pieces, name))) {
      if (!found.includes('names cut into pieces')) found.push('names cut into pieces');
      break;
    }
  }
  // str_replace('k', '', 'askserkt'): a marker strewn through a string, taken out, leaves a
  // function's name. A string the marker is not strewn through hides nothing (Roundcube's
  // str_replace('.', '', 'foldertest' . microtime())).
  for (const m of [...text.matchAll(STR_REPLACE_REMOVES)].slice(0, 200)) {
    const pieces = m[4]!.split(m[2]!);
    const left = pieces.join('').toLowerCase();
    if (pieces.length > 2 && /^[a-z_][a-z0-9_]{2,40}$/.test(left)) {
      found.push('names hidden by str_replace');
      break;
    }
  }
  // array('_POST', '_GET') walked with $$: the request read through names held in strings.
  // A `$$` inside single quotes is text, not a variable variable (a test's '!P@$$w0rd#').
  if (
    /['"]_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES)['"]/.test(text) &&
    VARIABLE_VARIABLE.test(text.replace(SINGLE_QUOTED, "''"))
  )
    found.push('the request read through a name held in a string');
  return found;
}
