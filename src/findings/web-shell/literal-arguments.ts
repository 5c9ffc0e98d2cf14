/**
 * A function of the page's own that its one call gives constants (`yuag_array("trea",
 * $_POST['x'])`, `new Runner('assert', …)`): inside its body each such parameter is that
 * constant until the body sets it again, and what the body sets it to from constants is a
 * constant too (`$b = strrev($b)`). Written into the body, the constants let the folder
 * (php-constants.ts) work out the name it builds: `array_map(substr_replace($b, 'ss', 1, 0),
 * array($c))` reads as `array_map('assert', array($c))`. Issue 27: a callback built by a
 * wrapper from the literals its only call passes, missed on the tuning side.
 *
 * Only what is certain is bound. Calls are found in the code alone (strings, heredocs and
 * what lies outside PHP's tags blanked), and the one call must surely be the function's: a
 * function declared once and called bare, a method called through `$this`, `self`, `static`
 * or its own class, a constructor through `new` and its class. A name a string spells is a
 * callback that may call it unseen, so it counts as a call. A parameter a body shares or
 * aliases (`global`, `static`, `&`, `unset`, `list`, an output argument) is left unbound; so
 * is one set inside a block or under a condition, as the walk is in text order, not run
 * order; and a body that may set names unseen (`extract`, `$$`, an include) binds none.
 * Nested functions and closures end the walk, as their names are their own. A bound value is
 * at most `MAX_VALUE` characters and the rewrite adds at most `MAX_GROWTH`: a hostile page
 * cannot grow the text the folder reads.
 */
import {
  blockEnd,
  callArgs,
  ownFunctions,
  parameterNames,
  splitParameters,
  type OwnFunction,
} from './code-text.js';
import { constantAt, phpLiteral } from './php-constants.js';

const FUNCTIONS_READ = 300;
const CALLS_READ = 50_000;
const NAMES_PER_BODY = 400;
const ARGUMENTS_READ = 2000;
// A function's name or a short command: what a wrapper is given to build a callee from.
const MAX_VALUE = 256;
const MAX_GROWTH = 16 * 1024;

// A name followed by its arguments' '(' (a call, a declaration, a construction), not a call
// through a variable (`$f(`).
const NAME_CALLED = /(?<![\w$])(\w{1,40})\s*\(/g;
const DECLARED = /\bfunction(?:\s+|\s*&\s*)(\w{1,40})\s*\(/gi;
const CONSTRUCTED = /\bnew\s+\\?(?:\w{1,40}\\){0,6}(\w{1,40})\s*\(/gi;
const CLASS_DECLARED = /\b(?:class|trait)\s+(\w{1,40})[^{;]{0,400}\{/gi;
// A string naming a function or method (`'run'`, `'Tools::run'`, `'\\ns\\run'`): a callback
// that may call it, a call no count sees.
const NAMED_IN_STRING = /^\\?(?:\w{1,40}(?:\\|::)){0,6}(\w{1,40})$/;

// How a call names its callee, from the text before its name.
const THIS_CALL = /\$this\s*->\s*$/;
const CLASS_CALL = /\b(\w{1,40})\s*::\s*$/;
const OTHER_CALL = /(?:->|::)\s*$/;

// A variable (`$name`), read where it starts (sticky).
const VARIABLE_AT = /\$(\w{1,40})\b/y;
const VARIABLE = /\$(\w{1,40})/g;
// A nested function, closure or arrow function: its parameters are names of its own.
const NESTED_FUNCTION_AT = /(?:function|fn)\b/iy;
const HEREDOC_AT = /<<<[ \t]*(["']?)(\w{1,40})\1/y;
// What follows a variable that sets it: `=` or `.=`.
const SETS = /^\s*(\.?)=(?![=>])/;
// What changes a variable other than a plain assignment: an element of it read or set
// (`$b[0]`), another operator's assignment (`+=`), an increment, a loop's target (after
// `as` or `=>`: a value in an array literal is read so too, and only stops the reading).
const ELEMENT_OR_OPERATOR = /^\s*(?:[[{]|(?:[-+*\/%|&^]|\?\?|<<|>>|\*\*)=|\+\+|--)/;
const LOOP_TARGET = /(?:\bas|=>|\+\+|--)\s*(?:&\s*)?$/;
// A body that may set any of its names unseen: variables by computed names, the request's
// or an array's keys made variables, a file included into its scope, PHP's alternative
// syntax (`if (…): … endif;`), whose blocks have no braces to follow.
const SETS_UNSEEN =
  /\$\$|\$\{|\b(?:extract|parse_str|mb_parse_str|include|include_once|require|require_once|endif|endwhile|endfor|endforeach|endswitch)\b/i;
// Where a body shares, aliases or hands out a name for writing: `global` and `static`
// lists, `&$x` (not `&&`), `unset()` and `list()`, a short list assigned (`[$a, $b] = …`).
const SHARED_OR_ALIASED =
  /\b(?:global|static)\s[^;]{0,400};|(?<!&)&(?!&)\s*\$\w{1,40}|\b(?:unset|list)\s*\([^)]{0,400}\)|\[[^\][]{0,400}\]\s*=(?![=>])/gi;
// PHP's own functions that fill a variable given as an argument, as a call's start.
const FILLS_ARGUMENT =
  /^(?:preg_(?:match(?:_all)?|replace(?:_callback)?)|str_i?replace|parse_str|mb_parse_str|exec|settype|sscanf|similar_text|getimagesize|dns_get_record|stream_select|fsockopen|proc_open|openssl_\w{1,30}|socket_\w{1,30}|array_(?:push|unshift|splice|shift|pop|walk(?:_recursive)?|multisort)|(?:r|u|ua|uk|k|kr|a|ar|nat|natcase)?sort|shuffle|mb_convert_variables|xml_parse_into_struct|curl_multi_exec)\s*\($/i;

/** The text with each function called once with constant arguments written as it runs. */
export function withLiteralArguments(text: string): string {
  if (!/\bfunction\b/i.test(text)) return text;
  const { code, namedInStrings } = phpCode(text);
  // Bodies found in the code with strings blanked: a '{' in a string opens no block.
  const functions = ownFunctions(code, FUNCTIONS_READ);
  if (!functions.length) return text;
  const classes = classesOf(code);
  const calls = callsOf(code, namedInStrings);
  const declared = new Map<string, number>();
  for (const m of [...code.matchAll(DECLARED)].slice(0, CALLS_READ)) {
    const name = m[1]!.toLowerCase();
    declared.set(name, (declared.get(name) ?? 0) + 1);
  }
  const fillers = new Set(
    functions.filter((f) => f.params.includes('&')).map((f) => f.name.toLowerCase()),
  );
  let out = '';
  let from = 0;
  let growth = 0;
  let read = 0;
  for (const f of functions) {
    // One nested in a function already read is read as part of it (closures end the walk).
    if (f.at < read) continue;
    read = f.end;
    const at = theOneCall(f, classes, calls, declared);
    const args = at === undefined ? undefined : argumentsOf(text, at);
    const bindings = args && constantParameters(f, args, code, fillers);
    if (!bindings?.size) continue;
    const written = text.slice(f.open, f.end);
    const body = withConstantsRead(written, bindings);
    if (body === written || growth + body.length - written.length > MAX_GROWTH) continue;
    growth += body.length - written.length;
    out += text.slice(from, f.open) + body;
    from = f.end;
  }
  return from ? out + text.slice(from) : text;
}

/**
 * The text with what PHP does not run as code blanked (same length, so places stay): what
 * lies outside its tags, and the inside of its strings, heredocs and backticks. And each
 * function name a string spells, counted.
 */
function phpCode(text: string): { code: string; namedInStrings: Map<string, number> } {
  const namedInStrings = new Map<string, number>();
  let code = '';
  let kept = 0;
  const blank = (from: number, to: number) => {
    code += text.slice(kept, from) + ' '.repeat(Math.max(0, to - from));
    kept = to;
  };
  for (let i = 0; i < text.length;) {
    const open = text.indexOf('<?', i);
    if (open === -1) {
      blank(i, text.length);
      break;
    }
    blank(i, open);
    for (i = open + 2; i < text.length; i++) {
      const c = text[i];
      if (c === '?' && text[i + 1] === '>') break;
      if (c === "'" || c === '"' || c === '`') {
        const end = stringEnd(text, i);
        const named = NAMED_IN_STRING.exec(text.slice(i + 1, Math.min(end, i + 400)))?.[1];
        if (named)
          namedInStrings.set(
            named.toLowerCase(),
            (namedInStrings.get(named.toLowerCase()) ?? 0) + 1,
          );
        blank(i + 1, Math.min(end, text.length));
        i = end;
      } else if (c === '<' && text.startsWith('<<<', i)) {
        const end = heredocEnd(text, i);
        blank(i + 3, end);
        i = end - 1;
      }
    }
    i += 2;
  }
  return { code: code + text.slice(kept), namedInStrings };
}

interface OwnClass {
  name: string;
  open: number;
  end: number;
}

/** The page's classes and traits, with their bodies' extents in the code. */
function classesOf(code: string): OwnClass[] {
  return [...code.matchAll(CLASS_DECLARED)].slice(0, FUNCTIONS_READ).map((m) => {
    const open = m.index! + m[0].length - 1;
    return { name: m[1]!.toLowerCase(), open, end: blockEnd(code, open, 400_000) };
  });
}

interface Call {
  open: number;
  /** `bare` (`run(`), `this` (`$this->run(`), a class's name (`Tools::run(`), or `other`. */
  form: string;
}

/** Each name's calls, constructions (as `new name`) and mentions in strings (as `other`). */
function callsOf(code: string, namedInStrings: ReadonlyMap<string, number>): Map<string, Call[]> {
  const calls = new Map<string, Call[]>();
  const add = (name: string, call: Call) => {
    const list = calls.get(name) ?? [];
    if (list.length < 2) list.push(call);
    calls.set(name, list);
  };
  for (const m of [...code.matchAll(NAME_CALLED)].slice(0, CALLS_READ)) {
    const before = code.slice(Math.max(0, m.index! - 60), m.index);
    if (/\b(?:function|new)\s*(?:&\s*)?$/i.test(before)) continue;
    const form = THIS_CALL.test(before)
      ? 'this'
      : (CLASS_CALL.exec(before)?.[1]?.toLowerCase() ??
        (OTHER_CALL.test(before) ? 'other' : 'bare'));
    add(m[1]!.toLowerCase(), { open: m.index! + m[0].length - 1, form });
  }
  for (const m of [...code.matchAll(CONSTRUCTED)].slice(0, CALLS_READ))
    add(`new ${m[1]!.toLowerCase()}`, { open: m.index! + m[0].length - 1, form: 'new' });
  for (const [name, n] of namedInStrings) {
    for (let k = 0; k < Math.min(n, 2); k++) add(name, { open: -1, form: 'other' });
    for (let k = 0; k < Math.min(n, 2); k++) add(`new ${name}`, { open: -1, form: 'other' });
  }
  return calls;
}

/**
 * Where the function's one call opens its arguments, when it has exactly one that surely
 * calls it: a function declared once, called bare; a method of the page's own class, called
 * through `$this`, `self`, `static` or its class; a constructor, through `new` and its class.
 */
function theOneCall(
  f: OwnFunction,
  classes: readonly OwnClass[],
  calls: ReadonlyMap<string, Call[]>,
  declared: ReadonlyMap<string, number>,
): number | undefined {
  const name = f.name.toLowerCase();
  const owner = classes.find((c) => c.open < f.at && f.at < c.end);
  if (declared.get(name) !== 1 && !(name === '__construct' && owner)) return undefined;
  if (name === '__construct') {
    // `parent::__construct(…)` calls some class's constructor too: which, the page may not say.
    if (!owner || calls.has(name) || classes.filter((c) => c.name === owner.name).length !== 1)
      return undefined;
    const made = calls.get(`new ${owner.name}`);
    return made?.length === 1 && made[0]!.form === 'new' ? made[0]!.open : undefined;
  }
  const called = calls.get(name);
  if (called?.length !== 1) return undefined;
  const { open, form } = called[0]!;
  if (!owner) return form === 'bare' ? open : undefined;
  const isOwn = form === 'this' || ['self', 'static', owner.name].includes(form);
  return isOwn ? open : undefined;
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
 * body shares, aliases or has filled, and none at all in a body that may set names unseen.
 */
function constantParameters(
  f: OwnFunction,
  args: readonly string[],
  code: string,
  fillers: ReadonlySet<string>,
): Map<string, string> {
  const bindings = new Map<string, string>();
  const body = code.slice(f.open, f.end);
  if (SETS_UNSEEN.test(body)) return bindings;
  // A variadic (`...$rest`) has no name here: it takes every argument left.
  parameterNames(f.params).forEach((name, i) => {
    const arg = args[i];
    if (name === undefined || arg === undefined) return;
    const start = arg.length - arg.trimStart().length;
    const value = constantAt(arg, start, new Map());
    if (value && value.value.length <= MAX_VALUE && !arg.slice(value.end).trim())
      bindings.set(name, value.value);
  });
  if (!bindings.size) return bindings;
  for (const m of [...body.matchAll(SHARED_OR_ALIASED)].slice(0, 200))
    for (const v of m[0].matchAll(VARIABLE)) bindings.delete(v[1]!);
  for (const m of [...body.matchAll(NAME_CALLED)].slice(0, 2000)) {
    if (!fillers.has(m[1]!.toLowerCase()) && !FILLS_ARGUMENT.test(m[0])) continue;
    for (const a of callArgs(body, m.index! + m[0].length - 1))
      for (const v of a.matchAll(VARIABLE)) bindings.delete(v[1]!);
  }
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
    // The body's own end: what follows is not its code, whatever a '{' in a string made of it.
    else if (c === '}' && --depth === 0) break;
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
