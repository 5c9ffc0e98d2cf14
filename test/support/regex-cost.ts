/**
 * A static check that a regular expression runs in time linear in its input (times a small
 * window), for the rules that read attacker-written files. JavaScript's engine backtracks:
 * a pattern that can match one string in many ways costs exponential or polynomial time,
 * and nothing can interrupt it. Three shapes make it so, and each is refused here:
 *
 * - a repeated group whose one iteration can end where the next could begin, or match
 *   nothing (`(?:^\s*'…'\s*$\n?){8,}`, `(?:a[^b]*)+`): exponential;
 * - two variable-length repetitions side by side over overlapping characters, one of them
 *   unbounded (`\s*\.?\s*`): polynomial in the run they share;
 * - an unbounded repetition over characters that can also start a match (`^\s*` under
 *   the `m` flag over blank lines, `a[^b]*c` over `aaaa`): every start rescans the run,
 *   quadratic.
 *
 * Characters are approximated as ASCII plus one "anything else" slot; lookbehinds are
 * checked inside but not for where a match starts (V8 tries the rest of the pattern first).
 * Conservative where it is unsure: a pattern it refuses may still be safe, and is rewritten.
 */

import ts from 'typescript';

const SLOTS = 129;
const OTHER = 128;
type CharSet = Uint8Array;

const set = (pred: (c: number) => boolean, other = false): CharSet => {
  const s = new Uint8Array(SLOTS);
  for (let c = 0; c < 128; c++) if (pred(c)) s[c] = 1;
  s[OTHER] = other ? 1 : 0;
  return s;
};
const union = (a: CharSet, b: CharSet): CharSet => a.map((x, i) => x | b[i]!);
const overlaps = (a: CharSet, b: CharSet) => a.some((x, i) => x && b[i]);
const EMPTY = set(() => false);
const ANY = set(() => true, true);
const isWordCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpaceCode = (c: number) => (c >= 9 && c <= 13) || c === 32;
const WORD = set(isWordCode);
const DIGIT = set((c) => c >= 48 && c <= 57);
const SPACE = set(isSpaceCode, true);
const LINE_END = set((c) => c === 10 || c === 13);

type Node =
  | { t: 'char'; set: CharSet }
  | { t: 'assert'; kind: string }
  | { t: 'group'; alts: Node[][]; look?: 'ahead' | 'behind' }
  | { t: 'quant'; body: Node; min: number; max: number };

/** Parses a JavaScript regex source (no `u` or `v` flag) into the tree the checks walk. */
function parse(source: string, ignoreCase: boolean): Node[][] {
  let i = 0;
  const fold = (s: CharSet) => {
    if (!ignoreCase) return s;
    const f = s.slice();
    for (let c = 65; c <= 90; c++) if (s[c] || s[c + 32]) f[c] = f[c + 32] = 1;
    return f;
  };
  const single = (c: number) => set((x) => x === c, c > 127);
  const escape = (inClass: boolean): CharSet => {
    const c = source[i++]!;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return set((x) => !(x >= 48 && x <= 57), true);
      case 'w':
        return WORD;
      case 'W':
        return set((x) => !isWordCode(x), true);
      case 's':
        return SPACE;
      case 'S':
        return set((x) => !isSpaceCode(x), true);
      case 'n':
        return single(10);
      case 'r':
        return single(13);
      case 't':
        return single(9);
      case 'f':
        return single(12);
      case 'v':
        return single(11);
      case 'b':
        return inClass ? single(8) : EMPTY;
      case 'x': {
        const code = parseInt(source.slice(i, i + 2), 16);
        i += 2;
        return single(code);
      }
      case 'u': {
        const code = parseInt(source.slice(i, i + 4), 16);
        i += 4;
        return single(code);
      }
      default:
        if (c >= '0' && c <= '9') {
          // A back reference (or an octal escape in a class): anything, to be safe.
          while (source[i] && source[i]! >= '0' && source[i]! <= '9') i++;
          return ANY;
        }
        return single(c.charCodeAt(0));
    }
  };
  const charClass = (): CharSet => {
    let negate = false;
    if (source[i] === '^') {
      negate = true;
      i++;
    }
    let s: CharSet = new Uint8Array(SLOTS);
    let first = true;
    while (i < source.length && (source[i] !== ']' || first)) {
      first = false;
      let lo: CharSet;
      let loCode = -1;
      if (source[i] === '\\') {
        i++;
        const before = i;
        lo = escape(true);
        if (!/[dDwWsS]/.test(source[before]!)) loCode = lo.indexOf(1);
      } else {
        loCode = source.charCodeAt(i++);
        lo = single(loCode);
      }
      if (source[i] === '-' && source[i + 1] !== ']' && loCode >= 0) {
        i++;
        let hiCode: number;
        if (source[i] === '\\') {
          i++;
          hiCode = escape(true).indexOf(1);
        } else hiCode = source.charCodeAt(i++);
        lo = set((x) => x >= loCode && x <= hiCode, hiCode > 127);
      }
      s = union(s, lo);
    }
    i++; // ']'
    s = fold(s);
    return negate ? s.map((x, k) => (k === OTHER ? 1 : x ? 0 : 1)) : s;
  };
  const alternation = (): Node[][] => {
    const alts: Node[][] = [[]];
    while (i < source.length && source[i] !== ')') {
      if (source[i] === '|') {
        i++;
        alts.push([]);
        continue;
      }
      const seq = alts[alts.length - 1]!;
      const c = source[i++]!;
      let atom: Node;
      if (c === '(') {
        let look: 'ahead' | 'behind' | undefined;
        if (source.startsWith('?:', i)) i += 2;
        else if (source.startsWith('?=', i) || source.startsWith('?!', i)) {
          look = 'ahead';
          i += 2;
        } else if (source.startsWith('?<=', i) || source.startsWith('?<!', i)) {
          look = 'behind';
          i += 3;
        } else if (source.startsWith('?<', i)) i = source.indexOf('>', i) + 1;
        const inner = alternation();
        i++; // ')'
        atom = look ? { t: 'group', alts: inner, look } : { t: 'group', alts: inner };
      } else if (c === '[') atom = { t: 'char', set: charClass() };
      else if (c === '\\') {
        if (source[i] === 'b' || source[i] === 'B')
          atom = { t: 'assert', kind: '\\' + source[i++] };
        else atom = { t: 'char', set: fold(escape(false)) };
      } else if (c === '^' || c === '$') atom = { t: 'assert', kind: c };
      else if (c === '.') atom = { t: 'char', set: set((x) => x !== 10 && x !== 13, true) };
      else atom = { t: 'char', set: fold(single(c.charCodeAt(0))) };
      // Quantifier, if any.
      let min = 1;
      let max = 1;
      const q = source[i];
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (q === '*' || q === '+' || q === '?') {
        i++;
        [min, max] = q === '*' ? [0, Infinity] : q === '+' ? [1, Infinity] : [0, 1];
      } else if (braces) {
        i += braces[0].length;
        min = Number(braces[1]);
        max = braces[2] === undefined ? min : braces[3] ? Number(braces[3]) : Infinity;
      }
      if (min !== 1 || max !== 1) {
        if (source[i] === '?') i++; // lazy: the same paths, tried in another order
        seq.push({ t: 'quant', body: atom, min, max });
      } else seq.push(atom);
    }
    return alts;
  };
  const tree = alternation();
  if (i < source.length) throw new Error(`unbalanced ')' at ${i} in /${source}/`);
  return tree;
}

const nullable = (n: Node): boolean =>
  n.t === 'assert' ||
  (n.t === 'group' && (n.look !== undefined || n.alts.some((a) => a.every(nullable)))) ||
  (n.t === 'quant' && (n.min === 0 || nullable(n.body)));

function first(n: Node): CharSet {
  if (n.t === 'char') return n.set;
  if (n.t === 'assert' || (n.t === 'group' && n.look)) return EMPTY;
  if (n.t === 'quant') return first(n.body);
  return n.alts.map(firstOfSeq).reduce(union, EMPTY);
}

function firstOfSeq(seq: readonly Node[]): CharSet {
  let s = EMPTY;
  for (const n of seq) {
    s = union(s, first(n));
    if (!nullable(n)) break;
  }
  return s;
}

/** Every character a node can consume anywhere. */
function chars(n: Node): CharSet {
  if (n.t === 'char') return n.set;
  if (n.t === 'assert' || (n.t === 'group' && n.look)) return EMPTY;
  if (n.t === 'quant') return chars(n.body);
  return n.alts.flat().map(chars).reduce(union, EMPTY);
}

/** Characters that could extend a match of `n` already complete (a repetition going on). */
function extension(n: Node): CharSet {
  if (n.t === 'char' || n.t === 'assert') return EMPTY;
  if (n.t === 'group') return n.look ? EMPTY : n.alts.map(extensionOfSeq).reduce(union, EMPTY);
  const more = n.max > n.min ? first(n.body) : EMPTY;
  return union(more, extension(n.body));
}

/** Characters that could go on matching after a point where the sequence could already end. */
function extensionOfSeq(seq: readonly Node[]): CharSet {
  let cont = EMPTY;
  let restFirst = EMPTY;
  let isRestNullable = true;
  for (let k = seq.length - 1; k >= 0; k--) {
    const n = seq[k]!;
    if (isRestNullable) cont = union(cont, union(extension(n), restFirst));
    restFirst = union(first(n), nullable(n) ? restFirst : EMPTY);
    isRestNullable &&= nullable(n);
  }
  return cont;
}

const isFlexible = (n: Node) => n.t === 'quant' && n.max > n.min;

/** Most paths two windows in a row may give one start (their bounds multiplied). */
const WINDOW_PATHS = 8_000;

export interface RegexCostProblem {
  shape: 'repeated group' | 'overlapping repetitions' | 'rescanned run' | 'windows in a row';
  at: string;
}

function show(n: Node, source: string): string {
  return `${n.t} in /${source.length > 60 ? source.slice(0, 60) + '…' : source}/`;
}

/** Why `re` may cost more than linear time on some input, or an empty list. */
export function regexCostProblems(re: RegExp): RegexCostProblem[] {
  const tree = parse(re.source, re.flags.includes('i'));
  const problems: RegexCostProblem[] = [];
  const visit = (seq: readonly Node[]) => {
    seq.forEach((n, k) => {
      if (n.t === 'group') n.alts.forEach(visit);
      if (n.t === 'quant') {
        visit([n.body]);
        const body = n.body;
        const isCompound = body.t === 'group' || body.t === 'quant';
        if (n.max > 1 && isCompound) {
          const seqs = body.t === 'group' ? body.alts : [[body]];
          const start = first(body);
          if (
            (nullable(body) && body.t !== 'quant') ||
            seqs.some((s) => overlaps(extensionOfSeq(s), start))
          )
            problems.push({ shape: 'repeated group', at: show(n, re.source) });
          // Two alternatives that can start alike, repeated: each iteration may take either.
          if (body.t === 'group' && body.alts.length > 1) {
            const firsts = body.alts.map(firstOfSeq);
            if (firsts.some((a, x) => firsts.some((b, y) => x < y && overlaps(a, b))))
              problems.push({ shape: 'repeated group', at: show(n, re.source) });
          }
        }
      }
      // Two windows in a row, the first able to stop at many places: each stop tries the
      // whole second window (`[^\n]{0,400}connect[\s\S]{0,400}`: 160,000 paths a start).
      if (isFlexible(n) && n.t === 'quant' && n.max !== Infinity && k + 1 < seq.length) {
        const stops = firstOfSeq(seq.slice(k + 1));
        const canStopOften = overlaps(extension(n), stops);
        // A later window that cannot cross the first one's stops ends at the next stop; one
        // with nothing mandatory after it succeeds at its first stop.
        const later = seq
          .slice(k + 1)
          .filter(
            (m, x) =>
              m.t === 'quant' &&
              isFlexible(m) &&
              m.max !== Infinity &&
              overlaps(chars(m), stops) &&
              seq.slice(k + 2 + x).some((after) => !nullable(after)),
          );
        if (canStopOften && later.some((m) => m.t === 'quant' && n.max * m.max > WINDOW_PATHS))
          problems.push({ shape: 'windows in a row', at: show(n, re.source) });
      }
      // Side by side: this repetition and a later one, only optional items between.
      if (isFlexible(n)) {
        const mine = extension(n);
        for (let j = k + 1; j < seq.length; j++) {
          const m = seq[j]!;
          const isUnbounded =
            n.t === 'quant' && (n.max === Infinity || (m.t === 'quant' && m.max === Infinity));
          if (isFlexible(m) && isUnbounded && overlaps(mine, first(m))) {
            problems.push({ shape: 'overlapping repetitions', at: show(n, re.source) });
            break;
          }
          if (!nullable(m)) break;
        }
      }
    });
  };
  tree.forEach(visit);
  // A run the rest of the pattern can fail after, which a match could also start inside
  // (every item it needs before the run is made of the run's own characters): each start
  // in the run rescans it. `^` under the `m` flag needs a line end before it.
  const multiline = re.flags.includes('m');
  const prefixFits = (n: Node, run: CharSet) =>
    !(n.t === 'assert' && n.kind === '^') || (multiline && overlaps(run, LINE_END));
  const runs = (seq: readonly Node[], outer: readonly Node[], followed: boolean) => {
    seq.forEach((n, k) => {
      const after = followed || seq.slice(k + 1).some((m) => !nullable(m));
      const before = [...outer, ...seq.slice(0, k)];
      if (n.t === 'group' && n.look !== 'behind')
        n.alts.forEach((a) => runs(a, before, after || n.look === 'ahead'));
      if (n.t !== 'quant') return;
      runs([n.body], before, after);
      if (n.max !== Infinity || !after) return;
      const run = chars(n.body);
      const fits = before.every(
        (m) =>
          (m.t === 'group' && m.look) ||
          (m.t === 'assert' ? prefixFits(m, run) : nullable(m) || overlaps(first(m), run)),
      );
      if (fits) problems.push({ shape: 'rescanned run', at: show(n, re.source) });
    });
  };
  tree.forEach((alt) => runs(alt, [], false));
  return problems;
}

/** A regex written in a source file: a literal, or `new RegExp(…)` of constants. */
export interface RegexInSource {
  file: string;
  line: number;
  re?: RegExp;
  /** Why it could not be read statically (built from data at run time). */
  dynamic?: string;
}

/** Every regex in a TypeScript file; `new RegExp` of String.raw templates over its constants too. */
export function regexesInSource(file: string, text: string): RegexInSource[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const constants = new Map<string, ts.Expression>();
  const found: RegexInSource[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const literal = (n: ts.RegularExpressionLiteral) => {
    const t = n.text;
    const end = t.lastIndexOf('/');
    return new RegExp(t.slice(1, end), t.slice(end + 1));
  };
  /** The string an expression stands for, when it is made of constants only. */
  const evaluate = (e: ts.Expression): string | undefined => {
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isTaggedTemplateExpression(e) && e.tag.getText() === 'String.raw') {
      const t = e.template;
      if (ts.isNoSubstitutionTemplateLiteral(t)) return t.rawText;
      let s = t.head.rawText ?? '';
      for (const span of t.templateSpans) {
        const v = evaluate(span.expression);
        if (v === undefined) return undefined;
        s += v + (span.literal.rawText ?? '');
      }
      return s;
    }
    if (ts.isIdentifier(e)) {
      const c = constants.get(e.text);
      return c ? evaluate(c) : undefined;
    }
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'source') {
      const c = ts.isIdentifier(e.expression) ? constants.get(e.expression.text) : undefined;
      return c && ts.isRegularExpressionLiteral(c) ? literal(c).source : undefined;
    }
    return undefined;
  };
  const walk = (n: ts.Node) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer)
      constants.set(n.name.text, n.initializer);
    if (ts.isRegularExpressionLiteral(n)) found.push({ file, line: lineOf(n), re: literal(n) });
    if (ts.isNewExpression(n) && n.expression.getText() === 'RegExp') {
      const [src, flags] = n.arguments ?? [];
      const source = src ? evaluate(src) : undefined;
      const f = flags ? evaluate(flags) : '';
      found.push(
        source !== undefined && f !== undefined
          ? { file, line: lineOf(n), re: new RegExp(source, f) }
          : { file, line: lineOf(n), dynamic: n.getText() },
      );
    }
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return found;
}
