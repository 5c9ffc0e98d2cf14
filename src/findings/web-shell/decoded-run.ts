/**
 * Decode-then-run: code or a command run on what a decoder returns, the hidden payload of an
 * obfuscated loader. The decoder may be named directly (`eval(base64_decode(…))`), through
 * a variable that holds its name (`$f = "\x62\x61…"; eval($f("…"))`, as FOPO and similar
 * obfuscators write it; php-constants.ts has already turned the escapes into
 * `$f='base64_decode'`), or be a function of the page's own that decodes what it is given
 * (`function d($s) { return gzinflate(base64_decode($s)); } eval(d("…"))`). Issue 27:
 * loaders whose decoded code runs in a form not recognised.
 */
import { callArgs, ownFunctions } from './code-text.js';
import { writesOf } from './droppers.js';

// `'?>' . `: the decoded text run as a page of its own (`eval("?>" . $decoded)`), its markup
// and its own `<?php` opening alike.
const AS_PAGE = String.raw`(?:(?:'\?>'|"\?>")\s*\.\s*)?`;

// Up to two calls may wrap the decoder (`eval(htmlspecialchars_decode(gzinflate(…)))`):
// what they do to the decoded text, it is still run.
const DIRECT = new RegExp(
  String.raw`\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\s*\(\s*(?:@\s*)?${AS_PAGE}(?:\w{1,40}\s*\(\s*(?:@\s*)?){0,2}(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode|strrev|urldecode|rawurldecode)\s*\(`,
);

// $code = base64_decode(…), or $code = $f(…) with $f a decoder's name: decoded text kept.
const DECODED_INTO =
  /\$(\w{1,40})\s*=\s*(?:@\s*)?(?:(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode|strrev|urldecode|rawurldecode)|\$(\w{1,40}))\s*\(/gi;

// A runner given a variable, whole: eval($code), eval('?>' . $code).
const RUNS_VARIABLE = new RegExp(
  String.raw`\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\s*\(\s*(?:@\s*)?${AS_PAGE}\$(\w{1,40})\s*\)`,
  'gi',
);

// A string built a character at a time from numbers (`$d .= chr(…)`, a hand-written
// decoder's loop over hex or a key), as a decoder's output is.
const BUILT_BY_CHR = /\$(\w{1,40})\s*\.=\s*(?:@\s*)?chr\s*\(/gi;

// $name = 'base64_decode'; (single or double quotes, the whole string one decoder's name)
const DECODER_IN_VARIABLE =
  /\$(\w{1,40})\s*=\s*(['"])(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode|strrev|urldecode|rawurldecode)\2\s*;/gi;

// A name set or grown from an expression (`$o .= $b[$i] ^ $k;`).
const SET_FROM = /\$(\w{1,40})\s*\.?=(?!=)\s*([^;\n]{1,200});/g;
// Calls that only rework the characters of what they are given (a decoder's own loop), and
// token_get_all(): the decoded code cut into its tokens, to be put back together and run.
const CHARACTER_CALL =
  /\b(?:chr|ord|substr|strtr|str_replace|implode|join|str_rot13|strrev|str_split|sprintf|pack|hexdec|dechex|base_convert|token_get_all)\s*\(/gi;
// `foreach ($tokens as $t)`, `foreach ($parts as $i => $t)`: each piece of what is stepped.
const STEPS_THROUGH =
  /\bforeach\s*\(\s*\$(\w{1,40})\s+as\s+(?:\$\w{1,40}\s*=>\s*)?\$(\w{1,40})\s*\)/gi;

/**
 * Names holding text reworked from decoded text, through up to three steps: a decoder's own
 * loop (`for (…) $o .= $b[$i] ^ $k;` over `$b = base64_decode(…)`), whose result is the
 * code run, or a loop over its pieces (`foreach (token_get_all($code) as $t) $c .= …`). Only
 * character work counts: a value passed to any other call is data.
 */
function reworkedFrom(text: string, decoded: Set<string>): Set<string> {
  const sets = [...text.matchAll(SET_FROM)].slice(0, 3000);
  const steps = [...text.matchAll(STEPS_THROUGH)].slice(0, 200);
  for (let round = 0; round < 3; round++) {
    const before = decoded.size;
    for (const m of steps) if (decoded.has(m[1]!)) decoded.add(m[2]!);
    for (const m of sets) {
      const expr = m[2]!;
      if (decoded.has(m[1]!) || /\b\w{1,40}\s*\(/.test(expr.replace(CHARACTER_CALL, ''))) continue;
      if ([...expr.matchAll(/\$(\w{1,40})/g)].some((v) => decoded.has(v[1]!))) decoded.add(m[1]!);
    }
    if (decoded.size === before) break;
  }
  return decoded;
}

// A decoder called in a body: what a function of the page's own does to what it is given.
const DECODER_CALL =
  /\b(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode)\s*\(/i;

// A closure kept in a variable: `$d = function ($s) {`.
const CLOSURE = /\$(\w{1,40})\s*=\s*function\s*\(([^)]{0,200})/gi;

/**
 * The page's own functions, methods or closures that decode their parameter and return the
 * result (`function slbN($s) { $s = gzinflate(base64_decode($s)); … return $s; }`), at most
 * 200 of each looked at: each is a decoder as base64_decode() is.
 */
const ownDecoders = (text: string, declaration?: RegExp) =>
  ownFunctions(text, 200, 3000, declaration)
    .filter(
      (f) =>
        /\$\w/.test(f.params) &&
        DECODER_CALL.test(f.body) &&
        /\breturn\b[^;]{0,200}\$/.test(f.body),
    )
    .map((f) => f.name);

// PHP's open tag, then one name: the whole of a file written as code (`'<?php ' . $code`).
const OPEN_TAG_THEN = /^\s*(['"])<\?(?:php)?\s*\1\s*\.\s*\$(\w{1,40})\s*$/i;
// A name included or required, whole (`include $t;`, `@include($t);`).
const INCLUDES_NAME = /\b(?:include|require)(?:_once)?[\s(@]{0,8}\$(\w{1,40})\s*[);]/g;

/**
 * The page's own functions and methods that run a parameter as PHP or as a command, by name
 * (lowercase) with what they run it by: `eval($c)` in the body, or the parameter written
 * after PHP's open tag into a file the body then includes (`file_put_contents($t, '<?php ' .
 * $code); include $t;`, phpobs.com's loader: an eval() that leaves no eval to be seen).
 */
function ownRunners(text: string): Map<string, string> {
  const runners = new Map<string, string>();
  for (const f of ownFunctions(text, 200, 3000)) {
    const params = new Set([...f.params.matchAll(/\$(\w{1,40})/g)].map((m) => m[1]!));
    if (!params.size) continue;
    const runs = [...f.body.matchAll(RUNS_VARIABLE)].slice(0, 50).find((m) => params.has(m[2]!));
    if (runs) {
      runners.set(f.name.toLowerCase(), runs[1]!.toLowerCase());
      continue;
    }
    const included = new Set([...f.body.matchAll(INCLUDES_NAME)].slice(0, 50).map((m) => m[1]!));
    if (!included.size) continue;
    const isIncludedCode = writesOf(f.body).some(({ file, data }) => {
      const written = /^\s*\$(\w{1,40})\s*$/.exec(file)?.[1];
      const code = OPEN_TAG_THEN.exec(data)?.[2];
      return (
        written !== undefined && included.has(written) && code !== undefined && params.has(code)
      );
    });
    if (isIncludedCode) runners.set(f.name.toLowerCase(), 'include');
  }
  return runners;
}

// A call of a name, bare, on the page's own object or statically (`$this->run(`, `A::run(`);
// not a declaration, nor another object's method.
const OWN_CALL = /(?:\$this\s*->\s*|\b\w{1,40}\s*::\s*|(?<![\w$>:]|function\s))(\w{1,40})\s*\(/g;
// A name set to what a call returns (`$content = $this->parse($cfg);`).
const SET_BY_CALL =
  /\$(\w{1,40})\s*=\s*(?:@\s*)?(?:\$this\s*->\s*|\b\w{1,40}\s*::\s*)?(\w{1,40})\s*\(/g;
const STARTS_WITH_DECODER =
  /^(?:@\s*)?(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode)\s*\(/i;
const STARTS_WITH_CALL = /^(?:@\s*)?(?:\$this\s*->\s*|\w{1,40}\s*::\s*)?(\w{1,40})\s*\(/;

/**
 * What the page's own runners (ownRunners) are given, when it is decoded: a decoder's
 * result, a decoder of the page's own, or a name holding either. The runner's way, or
 * undefined.
 */
function decodedToOwnRunner(
  text: string,
  decoders: ReadonlySet<string>,
  decoded: ReadonlySet<string>,
): string | undefined {
  const runners = ownRunners(text);
  if (!runners.size) return undefined;
  for (const m of [...text.matchAll(OWN_CALL)].slice(0, 5000)) {
    const runner = runners.get(m[1]!.toLowerCase());
    if (runner === undefined) continue;
    const arg = (callArgs(text, m.index! + m[0].length - 1)[0] ?? '').trim();
    const name = /^\$(\w{1,40})$/.exec(arg)?.[1];
    const callee = STARTS_WITH_CALL.exec(arg)?.[1]?.toLowerCase();
    if (
      (name !== undefined && decoded.has(name)) ||
      STARTS_WITH_DECODER.test(arg) ||
      (callee !== undefined && decoders.has(callee))
    )
      return runner;
  }
  return undefined;
}

/** The runner of the first decode-then-run in PHP code, or undefined. */
export function decodedRun(text: string): string | undefined {
  const direct = DIRECT.exec(text);
  if (direct) return direct[1];
  const hasFunctions = /\bfunction\b/i.test(text);
  const own = hasFunctions ? ownDecoders(text) : [];
  // Each name is `\w{1,40}`: one alternation of words. Called bare, on the page's own object
  // or statically; another object's method of the same name (`$tpl->d(`) is not the page's.
  const throughOwn = own.length
    ? new RegExp(
        String.raw`\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\s*\(\s*(?:@\s*)?(?:\$this\s*->\s*|\b\w{1,40}\s*::\s*|(?<![\w$>:]))(?:${own.join('|')})\s*\(`,
        'i',
      ).exec(text)
    : null;
  if (throughOwn) return throughOwn[1]!.toLowerCase();
  // Variables holding a decoder: its name, or a closure that decodes.
  const names = new Set([
    ...[...text.matchAll(DECODER_IN_VARIABLE)].slice(0, 50).map((m) => m[1]!),
    ...(hasFunctions ? ownDecoders(text, CLOSURE) : []),
  ]);
  // $s = $c($z); eval($s): what a decoder returned, kept in a variable, then run.
  const decoded = new Set([
    ...[...text.matchAll(DECODED_INTO)]
      .slice(0, 200)
      .filter((m) => m[2] === undefined || names.has(m[2]))
      .map((m) => m[1]!),
    ...[...text.matchAll(BUILT_BY_CHR)].slice(0, 200).map((m) => m[1]!),
  ]);
  // $content = $this->parse($cfg): what a decoder of the page's own returned.
  const decoders = new Set(own.map((name) => name.toLowerCase()));
  if (decoders.size)
    for (const m of [...text.matchAll(SET_BY_CALL)].slice(0, 3000))
      if (decoders.has(m[2]!.toLowerCase())) decoded.add(m[1]!);
  if (decoded.size) reworkedFrom(text, decoded);
  const runsDecoded = [...text.matchAll(RUNS_VARIABLE)]
    .slice(0, 200)
    .find((m) => decoded.has(m[2]!));
  if (runsDecoded) return runsDecoded[1]!.toLowerCase();
  const byOwnRunner = hasFunctions ? decodedToOwnRunner(text, decoders, decoded) : undefined;
  if (byOwnRunner) return byOwnRunner;
  if (!names.size) return undefined;
  // Each name is `\w{1,40}`: one alternation of words.
  const through = new RegExp(
    `\\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\\s*\\(\\s*(?:@\\s*)?\\$(?:${[...names].join('|')})\\s*\\(`,
  ).exec(text);
  return through?.[1];
}
