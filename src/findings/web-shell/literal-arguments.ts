/**
 * A function of the page's own that its one call gives constants (`yuag_array("trea",
 * $_POST['x'])`, `new Runner('assert', …)`): inside its body each such parameter is that
 * constant until the body sets it again, and what the body sets it to from constants is a
 * constant too (`$b = strrev($b)`). Written into the body, the constants let the folder
 * (php-constants.ts) work out the name it builds: `array_map(substr_replace($b, 'ss', 1, 0),
 * array($c))` reads as `array_map('assert', array($c))`. Issue 27: a callback built by a
 * wrapper from the literals its only call passes, missed on the tuning side.
 *
 * A function called more than once is left as written: its parameters are no one constant.
 */
import { callArgs, ownFunctions, splitParameters, type OwnFunction } from './code-text.js';
import { constantAt, phpLiteral } from './php-constants.js';

const FUNCTIONS_READ = 100;
const CALLS_READ = 5000;
const NAMES_PER_BODY = 400;

// A call of a function or method by name, and a construction (`new Name(`). Not the
// declaration itself, nor a call through a variable (`$f(`).
const CALLED = /(?<!\bfunction\s{1,20}&?\s{0,20}|[\w$])(\w{1,40})\s*\(/g;
const CONSTRUCTED = /\bnew\s+\\?(?:\w{1,40}\\){0,6}(\w{1,40})\s*\(/gi;
// The class a method is declared in: the last `class Name` before it.
const CLASS_DECLARED = /\bclass\s+(\w{1,40})/gi;

// A parameter's name: `$name`, after a type and a `&` or `...` if any.
const PARAMETER = /^\s*(?:[\w\\?|]{1,80}\s+)?(?:&\s*)?\$(\w{1,40})/;

// A variable (`$name`), read where it starts (sticky).
const VARIABLE_AT = /\$(\w{1,40})\b/y;
// What follows a variable that sets it: `=` or `.=`.
const SETS = /^\s*(\.?)=(?![=>])/;
// What changes a variable other than a plain assignment: an element of it read or set
// (`$b[0]`), another operator's assignment (`+=`), an increment, a loop's target (after
// `as` or `=>`: a value in an array literal is read so too, and only stops the reading).
const ELEMENT_OR_OPERATOR = /^\s*(?:[[{]|(?:[-+*\/%|&^]|\?\?|<<|>>|\*\*)=|\+\+|--)/;
const LOOP_TARGET = /(?:\bas|=>|\+\+|--)\s*(?:&\s*)?$/;

/** The text with each function called once with constant arguments written as it runs. */
export function withLiteralArguments(text: string): string {
  if (!/\bfunction\b/i.test(text)) return text;
  const functions = ownFunctions(text, FUNCTIONS_READ);
  if (!functions.length) return text;
  const calls = callsByName(text, functions);
  let out = '';
  let from = 0;
  for (const f of functions) {
    // A function declared inside one already written out is read as part of it.
    if (f.open < from) continue;
    const at = calls.get(ownName(text, f));
    if (at === undefined || at === MANY) continue;
    const bindings = constantParameters(f.params, callArgs(text, at));
    if (!bindings.size) continue;
    const body = withConstantsRead(f.body, bindings);
    if (body === f.body) continue;
    out += text.slice(from, f.open) + body;
    from = f.end;
  }
  return from ? out + text.slice(from) : text;
}

const MANY = -1;

/**
 * The name a function's calls use, lowercased as PHP matches them: a constructor is called
 * by its class's name (`new Runner(…)`), marked so no plain call of that name counts.
 */
function ownName(text: string, f: OwnFunction): string {
  const name = f.name.toLowerCase();
  if (name !== '__construct') return name;
  let owner: string | undefined;
  for (const m of text.slice(Math.max(0, f.at - 20_000), f.at).matchAll(CLASS_DECLARED))
    owner = m[1];
  return owner ? `new ${owner.toLowerCase()}` : name;
}

/**
 * Where the one call of each of the page's own functions opens its arguments ('('), or MANY
 * when it has more than one. Calls inside the function's own body (recursion) count too.
 */
function callsByName(text: string, functions: readonly OwnFunction[]): Map<string, number> {
  const own = new Set(functions.map((f) => f.name.toLowerCase()));
  const calls = new Map<string, number>();
  const count = (name: string, open: number) => calls.set(name, calls.has(name) ? MANY : open);
  for (const m of [...text.matchAll(CALLED)].slice(0, CALLS_READ)) {
    const name = m[1]!.toLowerCase();
    if (own.has(name) && !/\bnew\s+$/i.test(text.slice(Math.max(0, m.index! - 8), m.index)))
      count(name, m.index! + m[0].length - 1);
  }
  for (const m of [...text.matchAll(CONSTRUCTED)].slice(0, CALLS_READ))
    count(`new ${m[1]!.toLowerCase()}`, m.index! + m[0].length - 1);
  return calls;
}

/** The parameters whose argument is a constant expression, with its value. */
function constantParameters(params: string, args: readonly string[]): Map<string, string> {
  const bindings = new Map<string, string>();
  splitParameters(params).forEach((p, i) => {
    const name = PARAMETER.exec(p)?.[1];
    const arg = args[i];
    if (name === undefined || arg === undefined || p.includes('...')) return;
    const start = arg.length - arg.trimStart().length;
    const value = constantAt(arg, start, new Map());
    if (value && !arg.slice(value.end).trim()) bindings.set(name, value.value);
  });
  return bindings;
}

/**
 * The body with each bound parameter read as its constant, in order: an assignment to one
 * (`$b = strrev($b);`) binds it to what its right side works out to with the bindings so far,
 * written out as that literal; anything else that changes it unbinds it. Names inside
 * strings are left as written: a single-quoted `'$b'` is text, a double-quoted one text too.
 */
function withConstantsRead(body: string, initial: ReadonlyMap<string, string>): string {
  const bindings = new Map(initial);
  let out = '';
  let from = 0;
  let names = 0;
  for (let i = 0; i < body.length && names < NAMES_PER_BODY; i++) {
    const c = body[i];
    if (c === "'" || c === '"') {
      i = stringEnd(body, i);
      continue;
    }
    if (c !== '$' || body[i - 1] === '$') continue;
    VARIABLE_AT.lastIndex = i;
    const m = VARIABLE_AT.exec(body);
    if (!m) continue;
    names++;
    const name = m[1]!;
    const after = i + m[0].length;
    i = after - 1;
    if (!initial.has(name)) continue;
    const next = body.slice(after, after + 8);
    if (
      ELEMENT_OR_OPERATOR.test(next) ||
      LOOP_TARGET.test(body.slice(Math.max(0, m.index - 60), m.index))
    ) {
      bindings.delete(name);
      continue;
    }
    const sets = SETS.exec(next);
    if (!sets) {
      const value = bindings.get(name);
      if (value === undefined) continue;
      out += body.slice(from, m.index) + phpLiteral(value);
      from = after;
      continue;
    }
    const right = after + sets[0].length;
    const parsed = constantAt(body, right, bindings);
    const isAppend = sets[1] === '.';
    if (
      !parsed ||
      !/^\s*;/.test(body.slice(parsed.end, parsed.end + 8)) ||
      (isAppend && !bindings.has(name))
    ) {
      bindings.delete(name);
      continue;
    }
    const value = (isAppend ? bindings.get(name)! : '') + parsed.value;
    bindings.set(name, value);
    out += `${body.slice(from, after)} = ${phpLiteral(value)}`;
    from = parsed.end;
    i = parsed.end - 1;
  }
  return from ? out + body.slice(from) : body;
}

/** Where the string whose quote is at `open` ends (its closing quote), escapes followed. */
function stringEnd(text: string, open: number): number {
  const quote = text[open];
  let i = open + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return i;
}
