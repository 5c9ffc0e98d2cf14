/**
 * What a VBScript expression of constants works out to: strings joined with `&`, `Chr()`,
 * `Split()` and `Join()`, `Array()`, `Replace()`, `StrReverse()`, `Mid()`, an array's
 * element, and names the page sets to such expressions (in steps too: `s = Replace(s, …)`
 * reads what `s` held before). A page that builds
 * `eval(request("x"))` out of `"e!v!a!l"`, `Split` and `Join`, or out of an array of
 * character codes, and hands it to `Execute`, hides what it runs from a reader of its
 * source; worked out, it runs the request. Issue 27: the tuning side's classic ASP misses.
 *
 * The text is the attacker's: expressions up to 2,000 characters, names four deep, at most
 * four assignments of a name tried, eight candidate values, 2,000 characters a value, and
 * 20,000 terms read in all.
 */

/** A value: a string, or an array of values. */
type Value = string | Value[];

const MAX_EXPRESSION = 2000;
const MAX_VALUE = 2000;
const MAX_DEPTH = 4;
const MAX_ASSIGNMENTS = 4;
const MAX_CANDIDATES = 8;
const MAX_TERMS = 20_000;

type Token = { kind: 'str' | 'num' | 'name' | 'op'; text: string };

// A number (decimal or &H hex), a name, or an operator VBScript joins values with.
const TOKEN = /^(?:(&[hH][0-9a-fA-F]{1,4}|\d{1,6})|([A-Za-z_]\w{0,40})|([&+(),]))/;

/** The expression's tokens up to a comment, or undefined when it holds anything else. */
function tokens(expression: string): Token[] | undefined {
  const out: Token[] = [];
  const s = expression.slice(0, MAX_EXPRESSION);
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === "'") break;
    else if (c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] !== '"') text += s[j];
        else if (s[j + 1] === '"') text += s[++j];
        else break;
      }
      if (j >= s.length) return undefined;
      out.push({ kind: 'str', text });
      i = j + 1;
    } else {
      const m = TOKEN.exec(s.slice(i, i + 48));
      if (!m) return undefined;
      out.push({ kind: m[1] ? 'num' : m[2] ? 'name' : 'op', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const numberOf = (text: string) =>
  /^&[hH]/.test(text) ? parseInt(text.slice(2), 16) : parseInt(text, 10);

const asString = (v: Value | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;

const asNumber = (v: Value | undefined): number | undefined => {
  const s = asString(v);
  return s !== undefined && /^\s*-?\d{1,9}\s*$/.test(s) ? Number(s) : undefined;
};

/** VBScript's functions of constants; undefined for any other call, or a bad argument. */
function call(name: string, args: Value[]): Value | undefined {
  const [a, b, c] = args;
  switch (name) {
    case 'array':
      return args;
    case 'chr':
    case 'chrw': {
      const n = asNumber(a);
      return n !== undefined && n >= 0 && n < 0x10000 ? String.fromCharCode(n) : undefined;
    }
    case 'split': {
      const s = asString(a);
      const sep = b === undefined ? ' ' : asString(b);
      return s === undefined || !sep ? undefined : s.split(sep).slice(0, 2000);
    }
    case 'join': {
      const sep = b === undefined ? ' ' : asString(b);
      if (!Array.isArray(a) || sep === undefined || !a.every((x) => typeof x === 'string'))
        return undefined;
      return (a as string[]).join(sep);
    }
    case 'replace': {
      const [s, from, to] = [asString(a), asString(b), asString(c)];
      return s === undefined || !from || to === undefined ? undefined : s.split(from).join(to);
    }
    case 'strreverse': {
      const s = asString(a);
      return s === undefined ? undefined : [...s].reverse().join('');
    }
    case 'lcase':
    case 'ucase':
    case 'trim': {
      const s = asString(a);
      if (s === undefined) return undefined;
      return name === 'lcase' ? s.toLowerCase() : name === 'ucase' ? s.toUpperCase() : s.trim();
    }
    case 'mid':
    case 'left':
    case 'right': {
      const s = asString(a);
      const n = asNumber(b);
      if (s === undefined || n === undefined) return undefined;
      if (name === 'left') return s.slice(0, n);
      if (name === 'right') return n > 0 ? s.slice(-n) : '';
      const length = c === undefined ? undefined : asNumber(c);
      return s.substr(n - 1, length);
    }
    default:
      return undefined;
  }
}

interface Scope {
  assignmentsOf: (name: string) => string[];
  /** A name's value where an assignment reads the name itself: what it held just before. */
  held?: ReadonlyMap<string, Value[]>;
  depth: number;
  /** Terms read so far, shared by the whole evaluation: names set to many names cost. */
  budget: { terms: number };
}

/** Each value the tokens from `at` may work out to, and where they end; undefined if unknown. */
function parseExpression(t: Token[], at: number, scope: Scope): [Value[], number] | undefined {
  const first = parseTerm(t, at, scope);
  if (!first) return undefined;
  let [values, i] = first;
  while (t[i]?.kind === 'op' && (t[i]!.text === '&' || t[i]!.text === '+')) {
    const next = parseTerm(t, i + 1, scope);
    if (!next) return undefined;
    const joined: Value[] = [];
    for (const l of values)
      for (const r of next[0]) {
        const [ls, rs] = [asString(l), asString(r)];
        if (ls === undefined || rs === undefined || ls.length + rs.length > MAX_VALUE) continue;
        if (joined.length < MAX_CANDIDATES && !joined.includes(ls + rs)) joined.push(ls + rs);
      }
    if (!joined.length) return undefined;
    values = joined;
    i = next[1];
  }
  return [values, i];
}

/** The arguments of a call whose '(' is at `at`: each one's candidates (the first taken). */
function parseArguments(t: Token[], at: number, scope: Scope): [Value[], number] | undefined {
  const args: Value[] = [];
  let i = at + 1;
  if (t[i]?.text === ')') return [args, i + 1];
  for (;;) {
    const arg = parseExpression(t, i, scope);
    if (!arg) return undefined;
    args.push(arg[0][0]!);
    i = arg[1];
    if (t[i]?.text === ',') i++;
    else if (t[i]?.text === ')') return [args, i + 1];
    else return undefined;
  }
}

function parseTerm(t: Token[], at: number, scope: Scope): [Value[], number] | undefined {
  const tok = t[at];
  if (!tok || ++scope.budget.terms > MAX_TERMS) return undefined;
  if (tok.kind === 'str') return [[tok.text], at + 1];
  if (tok.kind === 'num') return [[String(numberOf(tok.text))], at + 1];
  if (tok.text === '(') {
    const inner = parseExpression(t, at + 1, scope);
    return inner && t[inner[1]]?.text === ')' ? [inner[0], inner[1] + 1] : undefined;
  }
  if (tok.kind !== 'name') return undefined;
  const name = tok.text.toLowerCase();
  if (t[at + 1]?.text === '(') {
    const args = parseArguments(t, at + 1, scope);
    if (!args) return undefined;
    const result = call(name, args[0]);
    if (result !== undefined) return [[result], args[1]];
    // An array the page set, indexed: `parts(0)`.
    const index = asNumber(args[0][0]);
    if (args[0].length !== 1 || index === undefined) return undefined;
    const arrays = valuesOfName(name, scope).filter(Array.isArray);
    const elements = arrays.map((a) => a[index]).filter((v): v is Value => v !== undefined);
    return elements.length ? [elements, args[1]] : undefined;
  }
  const values = valuesOfName(name, scope);
  return values.length ? [values, at + 1] : undefined;
}

// A loop's step that appends a character code's character: `s = s & Chr(codes(i))`.
const APPENDS_CODE =
  /^(\w{1,40})\s*&\s*chrw?\s*\(\s*(\w{1,40})\s*\(\s*\w{1,40}\s*\)\s*\)\s*(?:'.*)?$/i;

/**
 * The values a name is set to (up to four assignments tried), and the string a loop builds
 * with `s = s & Chr(codes(i))` from an array of character codes.
 */
function valuesOfName(name: string, scope: Scope): Value[] {
  const held = scope.held?.get(name);
  if (held) return held;
  if (scope.depth >= MAX_DEPTH) return [];
  const inner = { ...scope, depth: scope.depth + 1 };
  const out: Value[] = [];
  // What the name held after the assignment before, in the page's order.
  let previous: Value[] = [];
  for (const value of scope.assignmentsOf(name).slice(0, MAX_ASSIGNMENTS)) {
    const loop = APPENDS_CODE.exec(value);
    if (loop && loop[1]!.toLowerCase() === name) {
      for (const codes of valuesOfName(loop[2]!.toLowerCase(), inner).filter(Array.isArray)) {
        const chars = codes.map((c) => call('chr', [c]));
        if (chars.every((c): c is string => typeof c === 'string')) out.push(chars.join(''));
      }
      continue;
    }
    const t = tokens(value);
    if (!t) continue;
    // A name set from itself (`s = Replace(s, "A", "x")`) reads what it held just before; a
    // loop's `s = s & x` is built in steps this does not follow.
    const isSelf = t.some((k) => k.kind === 'name' && k.text.toLowerCase() === name);
    if (isSelf && !previous.length) continue;
    const parsed = parseExpression(
      t,
      0,
      isSelf ? { ...inner, held: new Map([...(scope.held ?? []), [name, previous]]) } : inner,
    );
    previous = parsed && parsed[1] === t.length ? parsed[0] : [];
    for (const v of previous) if (typeof v !== 'string' || !out.includes(v)) out.push(v);
    if (out.length >= MAX_CANDIDATES) break;
  }
  return out.slice(0, MAX_CANDIDATES);
}

/**
 * The strings `expression` may work out to, given the page's assignments (`assignmentsOf`
 * lists the values a name is set to); none when any part of it is not a constant.
 */
export function vbStringValues(
  expression: string,
  assignmentsOf: (name: string) => string[],
): string[] {
  const t = tokens(expression.trim());
  if (!t) return [];
  const parsed = parseExpression(t, 0, { assignmentsOf, depth: 0, budget: { terms: 0 } });
  if (!parsed || parsed[1] !== t.length) return [];
  return parsed[0].filter((v): v is string => typeof v === 'string');
}
