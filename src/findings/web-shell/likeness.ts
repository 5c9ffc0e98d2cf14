/**
 * How much a PHP page reads like the web shells of public collections, by a logistic
 * model over the words of its code (likeness-model.ts, made by bench/train-likeness.ts).
 * The rules name what a shell does; this catches the shells whose doing is written in a way
 * no rule reads (a new obfuscation, an idiom of another decade) by what the rest of such a
 * file looks like. It was trained by collection, never on the files it is
 * measured on (docs/detection.md), and is a second opinion: it raises a page to high, never
 * to critical, and says which of its words weighed most.
 *
 * The features are bounded by construction: the text is at most the rules' 64 KiB sample,
 * tokens are read by one linear regex, at most `MAX_TOKENS` of them are kept, and at most
 * `MAX_SHAPES` shapes, read in one pass over the characters.
 */
import type { RuleHit } from '../../report/finding.js';
import { LIKENESS_MODEL } from './likeness-model.js';
import { ANY_DYNAMIC_CALL, CODE_SINK, COMMAND_SINK, INPUT } from './request-flow.js';
import { disguisesIn, isBase64Char } from './disguises.js';

// PHP pages, by name or by PHP's opening tag. Only PHP: the benign side of the training has
// 9,000 PHP pages and few of the other languages' (Tomcat's and Mono's examples, no classic
// ASP), and on fresh benign JSP and classic ASP pages a model trained on all four ranked a
// third of them high (docs/detection.md). JSP, ASP.NET and classic ASP are the rules' alone.
const PHP_NAME = /\.(?:php\d?|phtml|inc)$/i;
const PHP_OPENS = /<\?(?:php|=)/i;

// Files a browser reads: a `<?php` there is an example in the text, not code the server runs.
const CLIENT_SIDE = /\.(?:m?js|css|json|map|svg|html?|xml|txt|md)$/i;

/**
 * True for the pages the model judges: the kind of file it was trained on. PHP runs what
 * follows its tag: a file without one is sent as text.
 */
export const likenessApplies = (path: string, text: string) =>
  !CLIENT_SIDE.test(path) && (PHP_OPENS.test(text) || (PHP_NAME.test(path) && text.includes('<?')));

/**
 * A page with fewer words and signals than this (its shapes aside) is left to the rules: a
 * few words say too little (a one-line shell is the rules' to read, and a short template's
 * words would weigh alone).
 */
export const LIKENESS_MIN_FEATURES = 60;

/** A file with more distinct words than this is judged on its first ones. */
const MAX_TOKENS = 4000;

// Words of code: names, `$` variables, and the words inside strings alike.
const WORD = /\$?[A-Za-z_][A-Za-z0-9_]{0,39}/g;

const bucket = (n: number) => (n <= 0 ? 0 : Math.min(8, Math.floor(Math.log2(n) / 2)));

/**
 * The file's features: its words and the pairs of words that follow each other (`eval
 * base64_decode`, `system $_get`), lowercased; its shape in coarse buckets (size, the
 * longest line, the longest run of base64, escapes, non-ASCII share); and the short runs of
 * its code's shape (`shapeGrams`).
 */
export function likenessFeatures(text: string): Set<string> {
  const features = wordFeatures(text);
  for (const gram of shapeGrams(text)) features.add(gram);
  return features;
}

function wordFeatures(text: string): Set<string> {
  const features = new Set<string>();
  let previous = '';
  let count = 0;
  for (const m of text.matchAll(WORD)) {
    const word = m[0].toLowerCase();
    features.add(word);
    if (previous) features.add(`${previous} ${word}`);
    previous = word;
    if (++count >= MAX_TOKENS * 4 || features.size >= MAX_TOKENS) break;
  }
  let line = 0;
  let longestLine = 0;
  let run = 0;
  let longestRun = 0;
  let escapes = 0;
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line = 0;
    else if (++line > longestLine) longestLine = line;
    // Runs of characters that usually mean encoded data, measured without a regex per run.
    if (isBase64Char(c)) {
      if (++run > longestRun) longestRun = run;
    } else run = 0;
    if (c === 92 && (text[i + 1] === 'x' || /[0-7]/.test(text[i + 1] ?? ''))) escapes++;
    if (c > 127) nonAscii++;
  }
  // What the rules see, as words of their own: request input, sinks, disguises.
  if (INPUT.test(text)) features.add('#input');
  if (COMMAND_SINK.test(text)) features.add('#command');
  if (CODE_SINK.test(text)) features.add('#code');
  if (ANY_DYNAMIC_CALL.test(text)) features.add('#dynamic');
  for (const d of disguisesIn(text)) features.add(`#disguise ${d}`);
  features.add(`#size${bucket(text.length)}`);
  features.add(`#line${bucket(longestLine)}`);
  features.add(`#b64run${bucket(longestRun)}`);
  features.add(`#escapes${bucket(escapes)}`);
  features.add(`#nonascii${bucket(Math.round((100 * nonAscii) / Math.max(1, text.length)))}`);
  return features;
}

/** How many characters of shape one feature holds, and how many distinct ones a file gives. */
const SHAPE_LENGTH = 5;
const MAX_SHAPES = 2000;

/** A shape feature's mark: `~` never starts a word or a signal. */
export const isShape = (feature: string) => feature.startsWith('~');

/**
 * The code's shape, words aside: letters as `a`, digits as `0` (a run of either as at most
 * two), a run of blanks as one space, any other ASCII character as itself and the rest
 * (controls, non-ASCII) as `¤`; and each run of `SHAPE_LENGTH` of those (`~$a00a`,
 * `~"\a00`, `~a(00)`). An obfuscator's output has a shape whatever names it picks:
 * `$O00O0O=`, `"\x65\x76"`, `chr(101).chr(118)`. Issue 27: measured out of fold on the
 * tuning side, with each shell's near copies in its fold, the shapes beside the words took
 * the likeness alone from 77.9% to 81.0% of the tuning PHP shells at the same three benign
 * pages of 11,257, and the rules with it from 93.4% to 94.3%.
 */
function shapeGrams(text: string): string[] {
  // Each run as a number, five 7-bit symbols (2^35: a safe integer): no string per character.
  const runs = new Set<number>();
  const span = 128 ** SHAPE_LENGTH;
  let run = 0;
  let length = 0;
  let last = -1;
  let beforeLast = -1;
  for (let i = 0; i < text.length && runs.size < MAX_SHAPES; i++) {
    const symbol = shapeOf(text.charCodeAt(i));
    if (symbol === SPACE && last === SPACE) continue;
    if ((symbol === LETTER || symbol === DIGIT) && last === symbol && beforeLast === symbol)
      continue;
    beforeLast = last;
    last = symbol;
    run = (run * 128 + symbol) % span;
    if (++length >= SHAPE_LENGTH) runs.add(run);
  }
  return [...runs].map((n) => {
    let gram = '';
    for (let k = 0; k < SHAPE_LENGTH; k++, n = Math.floor(n / 128))
      gram = (n % 128 === OTHER ? '¤' : String.fromCharCode(n % 128)) + gram;
    return `~${gram}`;
  });
}

const LETTER = 97; // a
const DIGIT = 48; // 0
const SPACE = 32;
const OTHER = 127; // controls and non-ASCII, shown as ¤

function shapeOf(code: number): number {
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95) return LETTER;
  if (code >= 48 && code <= 57) return DIGIT;
  if (code === 32 || (code >= 9 && code <= 13)) return SPACE;
  return code > 32 && code < 127 ? code : OTHER;
}

/**
 * True when the page has enough words and signals to be judged: a few words say too little
 * (a one-line shell is the rules' to read). Its shapes do not count: any text has them.
 */
export function hasEnoughWords(features: ReadonlySet<string>): boolean {
  let words = 0;
  for (const f of features) if (!isShape(f) && ++words >= LIKENESS_MIN_FEATURES) return true;
  return false;
}

export interface LikenessModel {
  /** What it was trained on and when, as the trainer wrote it. */
  trainedOn: string;
  /** A page at or above this probability is ranked high. */
  threshold: number;
  bias: number;
  /** The features the model knows, and each one's weight at the same place. */
  features: readonly string[];
  weights: readonly number[];
}

// Weights by feature, in a Map: a word of the file may be `constructor` or `__proto__`.
const weightMaps = new WeakMap<LikenessModel, Map<string, number>>();
function weightsOf(model: LikenessModel): Map<string, number> {
  let map = weightMaps.get(model);
  if (!map) {
    map = new Map(model.features.map((f, i) => [f, model.weights[i] ?? 0]));
    weightMaps.set(model, map);
  }
  return map;
}

export interface Likeness {
  /** The model's probability that the page is a web shell. */
  score: number;
  /** The features that pushed it up most, strongest first. */
  strongest: string[];
}

/** The model's score of features. Words are weighed by 1/√n: a long file is not surer. */
export function likenessOf(
  features: ReadonlySet<string>,
  model: LikenessModel = LIKENESS_MODEL,
): Likeness {
  const words = [...features];
  const weights = weightsOf(model);
  const scale = 1 / Math.sqrt(Math.max(1, words.length));
  let sum = model.bias;
  const pushes: [string, number][] = [];
  for (const f of words) {
    const w = weights.get(f);
    if (w === undefined) continue;
    const x = f.startsWith('#') ? w : w * scale;
    sum += x;
    if (x > 0) pushes.push([f, x]);
  }
  pushes.sort((a, b) => b[1] - a[1]);
  return {
    score: 1 / (1 + Math.exp(-sum)),
    strongest: pushes.slice(0, 6).map(([f]) => f),
  };
}

/** The page's likeness to the collections' web shells. */
export const webShellLikeness = (text: string, model?: LikenessModel) =>
  likenessOf(likenessFeatures(text), model);

/** How a likeness finding's reason starts (the bench tells the model's findings by it). */
export const LIKENESS_REASON = 'reads like the web shells of public collections';

/**
 * A page that runs nothing, evaluates nothing, calls nothing by a name it computes, hides
 * nothing and uses none of a shell's tools must read even more like a shell than the model's
 * threshold: hand-written procedural pages (a form, its `$_POST`, a query, a redirect) share a
 * shell's words and little else. On 545 pages of 19 public beginner projects the shipped model
 * ranked 64 high, 61 of them with no such signal (docs/detection.md, thirty-second session);
 * at this threshold 3.
 */
export const INPUT_ONLY_THRESHOLD = 0.9999;

/**
 * A page whose only signal is a shell's tool (TOOL_CALL: mail, files, sockets, host facts)
 * must reach the threshold the model was trained with. The model's threshold was lowered
 * later, on benign pages it never saw (thirty-third session), for the pages that run or hide
 * something; a hand-written contact form mailing its office scores about 0.91.
 */
export const TOOL_ONLY_THRESHOLD = 0.9957;

/** What a page does that shells do, as the likeness's thresholds ask (`likenessNeeds`). */
export type PageSignal = 'runs' | 'tool' | 'none';

// `<script language="php">`: PHP's own code in a script element (PHP 5's alternative tag).
const PHP_SCRIPT_TAG = /^<script\b[^>]{0,300}\blanguage\s*=\s*["']?php\b/i;

/**
 * The page without its browser scripts: each `<script>…</script>` holding no PHP tag and not
 * PHP's own (`<script language="php">`). A template literal in the page's JavaScript
 * (`${file.name} (…)`) is no call of PHP's.
 */
function withoutBrowserScripts(text: string): string {
  const lower = text.toLowerCase();
  let out = '';
  let from = 0;
  for (let i = 0; i < 1000; i++) {
    const open = lower.indexOf('<script', from);
    if (open < 0) break;
    const close = lower.indexOf('</script>', open);
    if (close < 0) break;
    const block = text.slice(open, close);
    const isPhp = block.includes('<?') || PHP_SCRIPT_TAG.test(block);
    out += text.slice(from, open) + (isPhp ? block : '');
    from = close;
  }
  return out + text.slice(from);
}

// What a shell's tools do beyond a form and a query: mail, connect out, read and write files,
// list folders, change files' names and modes, ask what the host is. Hand-written pages keep
// to their database (and unlink() an image they replace, left out here).
const TOOL_CALL =
  /(?<![\w$>:]|->|::|function\s)\b(?:mail|p?fsockopen|curl_exec|stream_socket_client|socket_connect|ftp_connect|ftp_login|fopen|fwrite|fputs|file_put_contents|file_get_contents|readfile|scandir|opendir|readdir|rmdir|rename|chmod|copy|php_uname|getcwd|posix_getpwuid|disk_free_space|ini_get)\s*\(/i;

/**
 * `runs` when the page runs a command or code, calls a name or a result chosen at run time, or
 * hides something; else `tool` when it calls a tool of a shell's (TOOL_CALL); else `none`.
 * Read without the page's browser scripts.
 */
export function pageSignal(text: string): PageSignal {
  const code = withoutBrowserScripts(text);
  if (
    COMMAND_SINK.test(code) ||
    CODE_SINK.test(code) ||
    ANY_DYNAMIC_CALL.test(code) ||
    disguisesIn(code).length > 0
  )
    return 'runs';
  return TOOL_CALL.test(code) ? 'tool' : 'none';
}

/** The likeness a page with this signal must reach to be ranked high. */
export const likenessNeeds = (signal: PageSignal, model = LIKENESS_MODEL) =>
  Math.max(
    model.threshold,
    signal === 'runs' ? 0 : signal === 'tool' ? TOOL_ONLY_THRESHOLD : INPUT_ONLY_THRESHOLD,
  );

/** A high finding for a page whose likeness reaches what its signal needs (`likenessNeeds`). */
export function likenessFinding(text: string, model = LIKENESS_MODEL): RuleHit | undefined {
  const features = likenessFeatures(text);
  if (!hasEnoughWords(features)) return undefined;
  const { score, strongest } = likenessOf(features, model);
  if (!(score >= model.threshold)) return undefined;
  if (!(score >= likenessNeeds(pageSignal(text), model))) return undefined;
  const words = strongest.filter((f) => !f.startsWith('#') && !isShape(f)).slice(0, 5);
  return {
    severity: 'high',
    reason: `${LIKENESS_REASON} (learned likeness ${score.toFixed(4)}, threshold ${model.threshold}${words.length ? `; weighed most: ${words.join(', ')}` : ''})`,
    attack: 'T1505.003',
  };
}
