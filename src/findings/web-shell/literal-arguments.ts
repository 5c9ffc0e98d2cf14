/**
 * A function of the page's own that its one call gives constants (`yuag_array("trea",
 * $_POST['x'])`, `new Runner('assert', …)`): inside its body each such parameter is that
 * constant until the body sets it again, and what the body sets it to from constants is a
 * constant too (`$b = strrev($b)`). Written into the body, the constants let the folder
 * (php-constants.ts) work out the name it builds: `array_map(substr_replace($b, 'ss', 1, 0),
 * array($c))` reads as `array_map('assert', array($c))`. Issue 27: a callback built by a
 * wrapper from the literals its only call passes, missed on the tuning side.
 *
 * Only what is certain is bound. A function called more than once, or a name declared
 * twice (two classes' `write()`), is left as written. A parameter a body shares or aliases
 * (`global`, `static`, `&`, `unset`, `list`, an output argument) is left unbound. So is one
 * set inside a block or under a condition: the walk is in text order, not run order. Nested
 * functions and closures end the walk, as their names are their own. A bound value is at
 * most `MAX_VALUE` characters and the rewrite adds at most `MAX_GROWTH`: a hostile page
 * cannot grow the text the folder reads.
 */
import { callArgs, ownFunctions, splitParameters, type OwnFunction } from './code-text.js';
import { constantAt, phpLiteral } from './php-constants.js';

const FUNCTIONS_READ = 100;
const CALLS_READ = 5000;
const NAMES_PER_BODY = 400;
const ARGUMENTS_READ = 2000;
// A function's name or a short command: what a wrapper is given to build a callee from.
const MAX_VALUE = 256;
const MAX_GROWTH = 16 * 1024;

// A call of a function or method by name, and a construction (`new Name(`). Not the
// declaration itself, nor a call through a variable (`$f(`).
const CALLED = /(?<!\bfunction\s{1,20}&?\s{0,20}|[\w$])(\w{1,40})\s*\(/g;
const CONSTRUCTED = /\bnew\s+\\?(?:\w{1,40}\\){0,6}(\w{1,40})\s*\(/gi;
// The class a method is declared in: the last `class Name` before it.
const CLASS_DECLARED = /\bclass\s+(\w{1,40})/gi;

// A parameter's name: `$name`, after a type and a `&` if any.
const PARAMETER = /^\s*(?:[\w\\?|]{1,80}\s+)?(?:&\s*)?\$(\w{1,40})/;

// A variable (`$name`), read where it starts (sticky).
const VARIABLE_AT = /\$(\w{1,40})\b/y;
const VARIABLE = /\$(\w{1,40})/g;
// A nested function, closure or arrow function: its parameters are names of its own.
const NESTED_FUNCTION_AT = /(?:function|fn)\b/y;
const HEREDOC_AT = /<<<[ \t]*(["']?)(\w{1,40})\1/y;
// What follows a variable that sets it: `=` or `.=`.
const SETS = /^\s*(\.?)=(?![=>])/;
// What changes a variable other than a plain assignment: an element of it read or set
// (`$b[0]`), another operator's assignment (`+=`), an increment, a loop's target (after
// `as` or `=>`: a value in an array literal is read so too, and only stops the reading).
const ELEMENT_OR_OPERATOR = /^\s*(?:[[{]|(?:[-+*\/%|&^]|\?\?|<<|>>|\*\*)=|\+\+|--)/;
const LOOP_TARGET = /(?:\bas|=>|\+\+|--)\s*(?:&\s*)?$/;
// Where a body shares, aliases or hands out a name for writing: `global` and `static`
// lists, `&$x`, `unset()` and `list()`, a short list assigned (`[$a, $b] = …`), and the
// output arguments of PHP's own functions that fill one.
const SHARED_OR_ALIASED =
  /\b(?:global|static)\s[^;]{0,400};|&\s*\$\w{1,40}|\b(?:unset|list)\s*\([^)]{0,400}\)|\[[^\]]{0,400}\]\s*=(?![=>])/gi;
const FILLS_ARGUMENT =
  /\b(?:preg_match(?:_all)?|parse_str|mb_parse_str|exec|settype|sscanf)\s*\(/gi;

/** The text with each function called once with constant arguments written as it runs. */
export function withLiteralArguments(text: string): string {
  if (!/\bfunction\b/i.test(text)) return text;
  const functions = ownFunctions(text, FUNCTIONS_READ);
  if (!functions.length) return text;
  const calls = callsByName(text, functions);
  const declared = new Map<string, number>();
  for (const f of functions)
    declared.set(ownName(text, f), (declared.get(ownName(text, f)) ?? 0) + 1);
  let out = '';
  let from = 0;
  let growth = 0;
  for (const f of functions) {
    // A function declared inside one already written out is read as part of it.
    if (f.open < from) continue;
    const name = ownName(text, f);
    const at = calls.get(name);
    if (at === undefined || at === MANY || declared.get(name) !== 1) continue;
    const args = argumentsOf(text, at);
    const bindings = args && constantParameters(f.params, args, f.body);
    if (!bindings?.size) continue;
    const body = withConstantsRead(f.body, bindings);
    if (body === f.body) continue;
    growth += body.length - f.body.length;
    if (growth > MAX_GROWTH) return text;
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

/** A call's arguments, split at its own commas (strings and brackets followed). */
function argumentsOf(text: string, open: number): string[] | undefined {
  let depth = 0;
  for (let i = open; i < Math.min(text.length, open + ARGUMENTS_READ); i++) {
    const c = text[i];
    if (c === "'" || c === '"') i = stringEnd(text, i);
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && --depth === 0)
      return splitParameters(text.slice(open + 1, i));
  }
  return undefined;
}

/**
 * The parameters whose argument is a short constant expression, with its value; none the
 * body shares, aliases or has filled (SHARED_OR_ALIASED).
 */
function constantParameters(
  params: string,
  args: readonly string[],
  body: string,
): Map<string, string> {
  const bindings = new Map<string, string>();
  splitParameters(params).forEach((p, i) => {
    const name = PARAMETER.exec(p)?.[1];
    const arg = args[i];
    if (name === undefined || arg === undefined || p.includes('...')) return;
    const start = arg.length - arg.trimStart().length;
    const value = constantAt(arg, start, new Map());
    if (value && value.value.length <= MAX_VALUE && !arg.slice(value.end).trim())
      bindings.set(name, value.value);
  });
  if (!bindings.size) return bindings;
  for (const m of [...body.matchAll(SHARED_OR_ALIASED)].slice(0, 200))
    for (const v of m[0].matchAll(VARIABLE)) bindings.delete(v[1]!);
  for (const m of [...body.matchAll(FILLS_ARGUMENT)].slice(0, 200))
    for (const a of callArgs(body, m.index! + m[0].length - 1).slice(1))
      for (const v of a.matchAll(VARIABLE)) bindings.delete(v[1]!);
  return bindings;
}

/**
 * The body with each bound parameter read as its constant, in order: a statement of its own
 * at the body's level assigning one (`$b = strrev($b);`) binds it to what its right side
 * works out to with the bindings so far, written out as that literal; any other change
 * unbinds it. Names in strings, heredocs and backticks are left as written.
 */
function withConstantsRead(body: string, initial: ReadonlyMap<string, string>): string {
  const bindings = new Map(initial);
  let out = '';
  let from = 0;
  let names = 0;
  let depth = 0;
  for (let i = 0; i < body.length && names < NAMES_PER_BODY; i++) {
    const c = body[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = stringEnd(body, i);
      continue;
    }
    if (c === '<' && body.startsWith('<<<', i)) {
      i = heredocEnd(body, i);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if ((c === 'f' || c === 'F') && !/[\w$]/.test(body[i - 1] ?? '')) {
      NESTED_FUNCTION_AT.lastIndex = i;
      if (NESTED_FUNCTION_AT.test(body)) break;
    }
    if (c !== '$' || body[i - 1] === '$') continue;
    VARIABLE_AT.lastIndex = i;
    const m = VARIABLE_AT.exec(body);
    if (!m) continue;
    names++;
    const name = m[1]!;
    const after = i + m[0].length;
    i = after - 1;
    // A class's static property (`self::$mode`) or a property named by it (`$o->$name`).
    if (!initial.has(name) || /(?:::|->)\s*$/.test(body.slice(Math.max(0, m.index - 4), m.index)))
      continue;
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
    const value = parsed && (isAppend ? (bindings.get(name) ?? '') : '') + parsed.value;
    if (
      !parsed ||
      value === undefined ||
      value.length > MAX_VALUE ||
      (isAppend && !bindings.has(name)) ||
      depth !== 1 ||
      !isStatementStart(body, m.index) ||
      !/^\s*;/.test(body.slice(parsed.end, parsed.end + 8))
    ) {
      bindings.delete(name);
      continue;
    }
    bindings.set(name, value);
    out += `${body.slice(from, after)} = ${phpLiteral(value)}`;
    from = parsed.end;
    i = parsed.end - 1;
  }
  return from ? out + body.slice(from) : body;
}

/**
 * Whether what stands before `at` ends a statement or opens a block: an assignment under an
 * `if`, `else` or loop without braces (`if ($x) $d .= 'tem';`) does not always run.
 */
function isStatementStart(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && /[\s@]/.test(text[i]!)) i--;
  return i < 0 || text[i] === ';' || text[i] === '{' || text[i] === '}';
}

/** Where the string whose quote is at `open` ends (its closing quote), escapes followed. */
function stringEnd(text: string, open: number): number {
  const quote = text[open];
  let i = open + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return i;
}

/** Where the heredoc or nowdoc opened at `open` ends: the line its marker closes. */
function heredocEnd(text: string, open: number): number {
  HEREDOC_AT.lastIndex = open;
  const marker = HEREDOC_AT.exec(text)?.[2];
  if (!marker) return open + 2;
  for (let line = text.indexOf('\n', open); line !== -1; line = text.indexOf('\n', line + 1))
    if (
      text
        .slice(line + 1, line + 1 + marker.length + 40)
        .trimStart()
        .startsWith(marker)
    )
      return line + marker.length;
  return text.length;
}
