/**
 * Hostile inputs for the content rules, made by mutating real-ish files: the repo's own
 * samples (web shells, attack scripts, a WordPress plugin) and the shells its rule tests
 * quote. Each mutation aims at what makes a backtracking regex slow: a slice pumped until
 * the file is full, long runs of one character (blanks, line ends, quotes, dots,
 * brackets, base64), a rule's own tokens repeated, lines repeated, pieces of two seeds
 * spliced. Every input is cut to the rules' budget, as analyseChange cuts a file.
 * Deterministic for a given seed, so a slow input found once can be found again.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { RULE_SAMPLE_BYTES } from '../../src/findings/rule-budget.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Where a fuzzed file is placed: each path wakes a different set of rules. */
export const FUZZ_PATHS = [
  '/var/www/html/x.php',
  '/usr/local/tomcat/webapps/ROOT/x.jsp',
  '/var/www/html/x.aspx',
  '/etc/cron.d/x',
  '/root/.gitconfig',
  '/tmp/x.sh',
  '/etc/systemd/system/x.timer',
  '/etc/passwd',
];

/** Pieces of the rules' own vocabulary: repeated, they pump every partial match. */
const TOKENS = [
  'eval(',
  'eval (',
  'assert(@',
  'system(',
  '`$x`',
  'chr(101).',
  "'a'.",
  "'as'.",
  '"sys"+',
  '$a[1].',
  '$a{2}.',
  '$x++;',
  '$_($_GET[1])',
  '${"_GET"}',
  '$$a',
  '\\x41',
  '\\101',
  '~"ab"',
  '"ab"^"cd"',
  `"${'QUFB'.repeat(13)}"\n`,
  `'${'QUFB'.repeat(13)}' .\n`,
  'socket connect ',
  'nc -e ',
  'curl http://x | ',
  'base64 -d | ',
  'foreach ($_POST as $k => $v) ',
  'function f($a) { ',
  'array(',
  "explode('.', ",
  'base64_decode(',
  'preg_replace("/',
  '<%',
  '<?php ',
  'request.getParameter(',
  'new FileOutputStream(',
  'Class.forName(',
  'getMethod(decode',
  'HttpPostedFile',
  '[$a[',
  ')(',
  '(int)(',
  'stratum+tcp://',
  'pager = ',
  'x = !',
  '\n#',
  '//',
  '/*',
  '?>',
];

const RUN_CHARS = [
  ' ',
  '\n',
  '\r\n',
  '\t',
  '"',
  "'",
  '.',
  '(',
  ')',
  '[',
  ']',
  '$',
  '=',
  'A',
  '0',
  '/',
  '\\',
  '#',
  '~',
  '@',
  '\u00e9',
];

/** String literals of at least 40 characters in a test file: the shells the rule tests quote. */
function quotedIn(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const walk = (n: ts.Node) => {
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && n.text.length >= 40)
      out.push(n.text);
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

/** The seeds: the samples' scripts and pages, and the texts the rule tests judge. */
export function fuzzSeeds(): string[] {
  const samples = filesUnder(path.join(ROOT, 'samples'), /\.(php|jsp|aspx?|sh|py|pl)$/).map((f) =>
    readFileSync(f, 'utf8'),
  );
  const quoted = [
    'test/unit/web-shell.test.ts',
    'test/unit/detection-rules.test.ts',
    'test/unit/change-rules.test.ts',
  ].flatMap((f) => quotedIn(path.join(ROOT, f)));
  return [...samples, ...quoted];
}

/** A small seeded generator (mulberry32): the same seed gives the same inputs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzInput {
  path: string;
  text: string;
  /** How it was made, to find it again. */
  how: string;
}

/** Repeats `piece` until `text` with it inserted at `at` fills the budget. */
function pumped(text: string, at: number, piece: string, tail: string): string {
  const room = Math.max(0, RULE_SAMPLE_BYTES - text.length - tail.length);
  const times = Math.max(1, Math.floor(room / Math.max(1, piece.length)));
  return text.slice(0, at) + piece.repeat(times) + tail + text.slice(at);
}

/** `count` mutated inputs from `seeds`, each at most the rules' budget in bytes. */
export function* fuzzInputs(
  seeds: readonly string[],
  count: number,
  seed = 1,
): Generator<FuzzInput> {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  for (let i = 0; i < count; i++) {
    const base = pick(seeds);
    const at = int(base.length + 1);
    const tail = pick(['', '!', '\n', 'x', '"', ')', ';']);
    let text: string;
    let how: string;
    switch (int(6)) {
      case 0: {
        const len = 1 + int(40);
        const from = int(Math.max(1, base.length - len));
        const piece = base.slice(from, from + len) || 'a';
        text = pumped(base, at, piece, tail);
        how = `slice ${JSON.stringify(piece)} pumped`;
        break;
      }
      case 1: {
        const c = pick(RUN_CHARS);
        text = pumped(base, at, c, tail);
        how = `run of ${JSON.stringify(c)}`;
        break;
      }
      case 2: {
        const token = pick(TOKENS) + (rnd() < 0.5 ? pick(RUN_CHARS) : '');
        text = pumped(base, at, token, tail);
        how = `token ${JSON.stringify(token)} repeated`;
        break;
      }
      case 3: {
        const lines = base.split('\n');
        const line = pick(lines) + '\n';
        text = pumped(base, at, line, tail);
        how = `line ${JSON.stringify(line.slice(0, 40))} repeated`;
        break;
      }
      case 4: {
        const other = pick(seeds);
        const from = int(other.length);
        text = base.slice(0, at) + other.slice(from, from + 1 + int(4000)) + base.slice(at);
        how = 'spliced';
        break;
      }
      default: {
        // Two tokens alternating with a run between: partial matches that almost complete.
        const a = pick(TOKENS);
        const b = pick(RUN_CHARS).repeat(1 + int(8));
        text = pumped(base, at, a + b, tail);
        how = `${JSON.stringify(a + b)} repeated`;
      }
    }
    yield {
      path: pick(FUZZ_PATHS),
      text: Buffer.from(text).subarray(0, RULE_SAMPLE_BYTES).toString('utf8'),
      how,
    };
  }
}
