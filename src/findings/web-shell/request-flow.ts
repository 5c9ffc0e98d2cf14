/**
 * Request input and where it goes: what a visitor controls, the sinks that run commands or
 * code, and the ways input reaches them (directly, through up to three assignments, through
 * a function of the file's own, through a callback or a name chosen at run time).
 */
import {
  callArgs,
  isInterpolated,
  ownFunctions,
  parameterNames,
  unescapePhp,
  withoutSingleQuoted,
} from './code-text.js';

// What a visitor controls: query, form, cookies, uploads, headers (`$_SERVER` taken whole by
// position too, `end($_SERVER)`: its last entries are the request's), the raw body, a
// superglobal named at run time (`${'_' . $x}`: no other variable's name starts so) or
// picked out of `get_defined_vars()` by a bare word (`[_POST]`, a string before PHP 8); in .NET
// also the Request object held in a variable or its collections looked up by name, and a
// web service method's parameters (`[WebMethod] public string Run(string cmd)`, JScript's
// `WebMethodAttribute function Run(cmd : String)`); in Java the request's readers reached by
// reflection (`getMethod("getParameter", String.class)`).
export const INPUT =
  /\$_(?:GET|POST|REQUEST|COOKIE|FILES)\b|\$\{\s*['"]_['"]\s*\.|\$HTTP_(?:GET|POST|COOKIE|POST_FILES)_VARS\b|\bextract\s*\(\s*\$_(?:GET|POST|REQUEST|COOKIE)\b|\$_SERVER\s*\[\s*['"](?:HTTP_|REQUEST_URI|QUERY_STRING|PATH_INFO)|\bgetallheaders\s*\(|\bfilter_input(?:_array)?\s*\(\s*INPUT_(?:GET|POST|COOKIE|REQUEST)\b|\bapache_request_headers\s*\(|php:\/\/input|\bgetenv\s*\(\s*['"]?HTTP_|(?:\b(?:\w{0,30}R|r)equest|\breq)\s*\.\s*get(?:Parameter(?:Values|Map)?|Headers?|InputStream|Reader|QueryString|Parts?)\b|\bget(?:Servlet)?Request\s*\(\s*\)\s*\.\s*get(?:Parameter(?:Values|Map)?|Headers?|InputStream|Reader|QueryString|Parts?)\b|\bRequest\s*(?:\[|\.(?:Form|QueryString|Params|Item|Cookies|Headers|InputStream|BinaryRead|Files|item|form|querystring|params)\b)|=\s*(?:HttpContext\.Current\.)?Request\s*;|\[\s*WebMethod\b[^\]\n]{0,200}\]\s*public\s+(?:static\s+)?[\w.<>\[\],]{1,60}\s+\w{1,60}\s*\(\s*[A-Za-z]|\bWebMethodAttribute\s+(?:\w{1,40}Attribute\s+){0,3}(?:public\s+)?function\s+\w{1,60}\s*\(\s*[A-Za-z]|\bRequest\.GetType\s*\(\s*\)\s*\.GetProperty\s*\(\s*"(?:Form|QueryString|Params|Item|Cookies|Headers|InputStream|Files)"|\.get(?:Declared)?Method\s*\(\s*"get(?:Parameter(?:Values|Map)?|Headers?|InputStream|Reader|QueryString|Parts?)"|\brequest\.(?:args|form|values|data|json|files)\b|\b(?:array_values|array_reverse|array_slice|end|current|reset|next|prev|array_pop|array_shift)\s*\(\s*\$_SERVER\b(?!\s*\[)|\$ENV\{\s*['"]?QUERY_STRING|\bparam\s*\(|\$\{\s*['"]_(?:GET|POST|REQUEST|COOKIE|FILES)['"]\s*\}|['"]_(?:GET|POST|REQUEST|COOKIE)['"]|\bget_defined_vars\s*\(\s*\)\s*\[\s*_(?:GET|POST|REQUEST|COOKIE)\b|<asp:TextBox\b/;

// Runs a command: PHP's, Java's, .NET's and Python's calls, WScript.Shell and
// Shell.Application by name or by class id (GetObject("new:…"), GetTypeFromCLSID), Win32's
// CreateProcess declared for P/Invoke, PowerShell hosted in the page's own process
// (System.Management.Automation: no powershell.exe is started), WMI's Win32_Process.Create
// (.NET's InvokeMethod("Create", …), a moniker's Get("Win32_Process").Create). A backtick
// run with PHP's string joins in it (`'SELECT (`' . implode('`, `', $cols) . '`)'`) is SQL
// quoting names inside strings, not a command.
export const COMMAND_SINK =
  /(?<![\w$>:]|->|::|function\s|[\w)\]]\.)\b(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*\(|(?:[=(;,]|\becho|\bprint|<\?(?:=|php\b)?)\s*`(?:(?!['"]\s*\.|\.\s*['"])[^`\n]){0,80}\$(?:(?!['"]\s*\.|\.\s*['"])[^`\n]){0,80}`|\bRuntime\.getRuntime\s*\(\s*\)|\bProcessStartInfo\b|\bnew\s+(?:System\.Diagnostics\.)?Process\s*\(\s*\)|\bStartInfo\.FileName\b|\bWScript\.Shell\b|\bnew\s+COM\s*\(\s*['"]wscript\b|\b72C24DD5-D70A-438B-8A42-98424B88AFB8\b|\b13709620-C279-11CE-A49E-444553540000\b|\bextern\s+(?:static\s+)?\w{1,10}\s+CreateProcess\w{0,12}\s*\(|\bnew\s+(?:java\.lang\.)?ProcessBuilder\b|\bProcess\.Start\s*\(|\bPowerShell\.Create\s*\(|\.InvokeMethod\s*\(\s*"Create"\s*,|["':]Win32_Process["']\s*\)\s*\.\s*Create\b|\bRunspaceFactory\.CreateRunspace\s*\(|\bsubprocess\.(?:Popen|call|run|check_output)\s*\(|\bos\.(?:system|popen)\s*\(/i;

// Runs code given at run time (Java's too: EL, BCEL's and the JDK's class loaders, a
// process started through its private classes; .NET's Assembly.Load, called directly or
// through reflection, and an XSLT transform allowed to run the stylesheet's C# scripts).
export const CODE_SINK =
  /(?<![\w$>:]|->|::|function\s|[\w)\]]\.)\b(eval|assert|create_function)\s*\(|\bpreg_(?:replace|filter)\s*\(\s*(['"])([^a-zA-Z0-9\s])[^'"\n]{0,200}\3[a-df-zA-Z \n]*e[a-zA-Z \n]*\2|\bmb_ereg(?:i)?_replace\s*\([^;\n]{0,200}['"]e['"]\s*\)|\bScriptEngineManager\b|\bJShell\b|\bdefineClass\s*\(|\bELProcessor\b|\$\$BCEL\$\$|\bbcel\.internal\.util\.ClassLoader\b|\bTemplatesImpl\b|\bforkAndExec\b|\bAssembly\.Load\s*\(|\bXsltSettings\.TrustedXslt\b|\.EnableScript\s*=\s*true\b|\bnew\s+XsltSettings\s*\(\s*\w{1,10}\s*,\s*true\s*\)|\btypeof\s*\(\s*(?:System\.Reflection\.)?Assembly\s*\)\s*\.\s*GetMethod\s*\(\s*"Load"|\bcompile\s*\([^)\n]{0,100}['"]exec['"]/i;

// Code run through a name chosen at run time: $f(...), $a['k'](...), ${...}(...), and a
// variable variable's value ($$f(...): the function is named by the variable $f names).
export const DYNAMIC_CALL =
  /(?<![\w>:$])\$\$?\{?([\w]{1,40})\}?\s*(?:\[[^\]\n]{0,60}\]\s*){0,3}\(|\$\{[^}\n]{1,80}\}\s*(?:\[[^\]\n]{0,60}\]\s*){0,3}\(/g;

// `)(`: the result of an expression called; a cast such as `(int) ($x)` is not a call.
const CALL_OF_RESULT = String.raw`(?<!\(\s*(?:array|int|integer|string|bool|boolean|float|double|real|object|binary|unset)\s*)\)\s*\(\s*`;

const RESULT_CALLED_ON_INPUT = new RegExp(
  String.raw`${CALL_OF_RESULT}(?:@\s*)?\$_(?:GET|POST|REQUEST|COOKIE)\b`,
);

// Any call through a name or a result chosen at run time, for weighing with disguises.
// `${"GLOBALS"}["f"](…)` too: a variable named by an expression, called.
export const ANY_DYNAMIC_CALL = new RegExp(
  String.raw`(?<![\w>:$])\$\$?(?:\{\w{1,40}\}|\w{1,40})\s*(?:\[[^\]\n]{0,60}\]\s*){0,3}\(|\$\{[^}\n]{1,80}\}\s*(?:\[[^\]\n]{0,60}\]\s*){0,3}\(|${CALL_OF_RESULT}\$`,
);

export const COMMAND_SINKS = new RegExp(COMMAND_SINK.source, 'gi');

export const CODE_SINKS = new RegExp(CODE_SINK.source, 'gi');

// Functions that call back a name they are given; `first` when the name is the first argument.
const CALLBACK =
  /\b(call_user_func(?:_array)?|forward_static_call(?:_array)?|register_(?:tick|shutdown)_function|array_map|array_filter|array_walk(?:_recursive)?|array_reduce|array_(?:udiff|uintersect)(?:_u?assoc)?|array_(?:diff|intersect)_u(?:assoc|key)|u[ak]?sort|iterator_apply|preg_replace_callback(?:_array)?|set_(?:error|exception)_handler|ob_start|Closure::fromCallable|mb_ereg_replace_callback|spl_autoload_register|session_set_save_handler|xml_set_\w{1,30}_handler|sqliteCreateFunction|createFunction|new\s+(?:Recursive)?CallbackFilterIterator)\s*\(/g;

const CALLEE_FIRST =
  /^(call_user_func|forward_static_call|register_|array_map|set_(?:error|exception)_handler|ob_start|Closure|spl_autoload_register)/;

// A name that runs code or commands, as a string.
const DANGEROUS_NAME =
  /['"](?:assert|eval|system|exec|shell_exec|passthru|popen|proc_open|create_function|pcntl_exec)['"]|^\s*assert\s*$/;

const DECODED_NAME = /\b(?:base64_decode|str_rot13|hex2bin|strrev|gzinflate|pack)\s*\(/;

// A value that holds none of what the visitor sent, whatever it tests: a number made of it,
// a test of it, or one of two constants a test of it chose (`$w = $_GET['w'] == 'now' ?
// 'now' : '+1'`). Issue 27: a held-out benign false alarm read for its cause.
const NUMBER_OR_TEST =
  /^[ \t]*(?:@[ \t]*)?(?:\([ \t]*(?:int|integer|float|double|bool|boolean)\s*\)|(?:intval|floatval|boolval|count|strlen|isset|empty|is_\w{1,20}|ctype_\w{1,10}|in_array|array_key_exists)\s*\()/i;
const CHOSEN_CONSTANT =
  /\?\s*(?:(['"])[^'"\n$]{0,80}\1|-?\d{1,20}|true|false|null)\s*:\s*(?:(['"])[^'"\n$]{0,80}\2|-?\d{1,20}|true|false|null)\s*$/i;

// The number or test is the whole value: not one branch of a choice, nor joined to more.
const isInputFree = (expr: string) =>
  CHOSEN_CONSTANT.test(expr) ||
  (NUMBER_OR_TEST.test(expr) && !/[?.]/.test(expr.replace(/(['"])[^'"\n]{0,200}?\1/g, '')));

// `escapeshellarg($file)`: one quoted word of a command line the page writes, naming no
// command (Ampache's upload script given the uploaded file's name).
const SHELL_ARGUMENT = /\bescapeshellarg\s*\([^()\n]{0,200}\)/gi;

/** True when `expr` reads request input or a variable already known to hold some. */
export function carriesInput(expr: string, tainted: ReadonlySet<string>): boolean {
  if (isInputFree(expr)) return false;
  const rest = expr.replace(SHELL_ARGUMENT, "''");
  return INPUT.test(rest) || [...rest.matchAll(/\$(\w{1,40})/g)].some((v) => tainted.has(v[1]!));
}

/** Names of variables assigned straight from request input (`$c = $_POST['c']`). */
export function directlyTainted(text: string): Set<string> {
  const names = new Set<string>();
  const assign = /\$(\w{1,40})\s*=\s*([^;\n]{0,160})/g;
  for (const m of text.matchAll(assign))
    if (INPUT.test(m[2]!) && !isInputFree(m[2]!)) names.add(m[1]!);
  // The keys and values of a request array, looped over or handed to a closure
  // (`foreach ($_POST as $k => $v)`, `array_walk($_GET, function ($v, $k) {…})`).
  for (const m of [...text.matchAll(LOOP_OVER_REQUEST)].slice(0, 200))
    for (const v of [m[1], m[2]]) if (v) names.add(v);
  for (const m of [...text.matchAll(CALLBACK)].slice(0, 200)) {
    const args = callArgs(text, m.index! + m[0].length - 1);
    if (!args.some((a) => WHOLE_REQUEST.test(a))) continue;
    for (const a of args) {
      const params = CLOSURE_PARAMS.exec(a);
      if (params) for (const v of [params[1], params[2]]) if (v) names.add(v);
    }
  }
  // Names given the request's values by destructuring (`list($f, $c) = explode(',',
  // $_GET['x'])`, `[$f, $c] = [$_GET['f'], $_GET['c']]`).
  for (const m of [...text.matchAll(DESTRUCTURED)].slice(0, 200))
    if (INPUT.test(m[2]!) && /^[\s,$\w]*$/.test(m[1]!))
      for (const v of m[1]!.matchAll(/\$(\w{1,40})/g)) names.add(v[1]!);
  // An element picked out of what was sent, whole (`$in = json_decode(…php://input…);
  // $f = $in['f'];`): as much the visitor's as `$_POST['f']`.
  const picks = [...text.matchAll(ELEMENT_PICKED)].slice(0, 2000);
  for (let round = 0; round < 3 && picks.length; round++) {
    const before = names.size;
    for (const m of picks) if (names.has(m[2]!)) names.add(m[1]!);
    if (names.size === before) break;
  }
  return names;
}

// `list(…) = value` and `[…] = value` (not an element set: `$a[…] = `).
const DESTRUCTURED =
  /(?:\blist\s*\(|(?<![\w\])$'"])\[)([^\]()=;\n'"]{1,200})[\])]\s*=(?![=>])\s*([^;\n]{1,160})/g;

// `$a = $b['k'];`, `$a = $b[0]['k'];`, `$a = $b->k;`: one value of an array or object, whole.
const ELEMENT_PICKED =
  /\$(\w{1,40})\s*=\s*@?\$(\w{1,40})(?:\s*\[\s*(?:['"][\w-]{0,40}['"]|\d{1,4})\s*\]|->\w{1,40}){1,3}\s{0,8};/g;

// A superglobal of the request, whole.
const WHOLE_REQUEST = /^\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\s*$/;
const LOOP_OVER_REQUEST =
  /\bforeach\s*\(\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\s+as\s+\$(\w{1,40})(?:\s*=>\s*\$(\w{1,40}))?/g;
const CLOSURE_PARAMS = /^\s*(?:static\s+)?function\s*\(\s*&?\$(\w{1,40})(?:\s*,\s*&?\$(\w{1,40}))?/;

/**
 * Names of variables that hold request input: assigned from it (`$c = $_POST['c']`), from a
 * variable that holds it (`$cmd = "cd $d; $c"`), or looped over it (`foreach ($_POST as $k
 * => $v)`). Three rounds: a console passes the command on a step or two, not ten. A caller
 * may narrow what carries the input (`carries`) and follow it further.
 */
export function taintedNames(
  text: string,
  carries: (expr: string, names: ReadonlySet<string>) => boolean = carriesInput,
  rounds = 3,
): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*\.?=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 5000);
  const loops = [
    ...text.matchAll(
      /\bforeach\s*\(([^;\n]{0,80}?)\s{1,80}as\s+\$(\w{1,40})(?:\s*=>\s*\$(\w{1,40}))?/g,
    ),
  ].slice(0, 1000);
  for (let round = 0; round < rounds; round++) {
    const before = names.size;
    for (const m of assigns) if (carries(m[2]!, names)) names.add(m[1]!);
    for (const m of loops)
      if (carries(m[1]!, names)) for (const v of [m[2], m[3]]) if (v) names.add(v);
    if (names.size === before) break;
  }
  return names;
}

/** Calls of a function of the file's own (its name is `\w{1,40}`): not its definition, nor a method's. */
export function callsOf(text: string, name: string): RegExpExecArray[] {
  const call = new RegExp(String.raw`(?<!function\s+|->|::)\b${name}\s*\(`, 'g');
  return [...text.matchAll(call)].slice(0, 50);
}

/**
 * A function of the file's own that hands a parameter to a sink (`function shell($c) { $fp =
 * popen($c, "r"); … }`), or calls a function it chose at run time on one (`function y($b,
 * $c) { $f = strrev($b); $f($c); }`), where a call of it gives that parameter request input:
 * the sink, and the function it went through.
 */
export function wrappedSinkOnInput(text: string, tainted: ReadonlySet<string>): string | undefined {
  for (const f of ownFunctions(text)) {
    const params = parameterNames(f.params);
    if (!params.some((p) => p !== undefined)) continue;
    const given = new Set<string>();
    for (const call of callsOf(text, f.name)) {
      const args = callArgs(text, call.index! + call[0].length - 1);
      args.forEach((a, i) => {
        const param = params[i];
        if (param !== undefined && carriesInput(a, tainted)) given.add(param);
      });
    }
    if (!given.size) continue;
    const held = taintedThrough(f.body, given);
    const sink = sinkOnInput(f.body, COMMAND_SINKS, held) ?? sinkOnInput(f.body, CODE_SINKS, held);
    if (sink) return `${sink}() on request input, through ${f.name}()`;
    // Only a callee worked out from a parameter (`$f = strrev($b)`), or a parameter the
    // request fills: a parameter the caller fills is a callback it chose (DokuWiki's `$move
    // = 'move_uploaded_file'`, calleeRelayedOnInput()'s to read), and a name a loop takes
    // from the function's own list (`foreach (array('trim', 'strip_tags') as $f)`) is a
    // filter chain.
    const named = new Set(params.filter((p) => p !== undefined));
    const callees = new Set([
      ...[...taintedThrough(f.body, named)].filter((n) => !named.has(n)),
      ...given,
    ]);
    const chosen = dynamicCallOnInput(f.body, held, callees);
    if (chosen) return `${chosen}, through ${f.name}()`;
  }
  return undefined;
}

/**
 * The page's own function that calls what a parameter names (`function test($a, $b) {
 * array_map($a, $b); }`), called with a runner's name in that place and request input
 * (`test(assert, array($_POST['cmd']))`): the name reaches its callback through one call more.
 */
export function calleeRelayedOnInput(
  text: string,
  tainted: ReadonlySet<string>,
): string | undefined {
  for (const { name, params: list, body } of ownFunctions(text)) {
    const params = list.split(',').map((p) => /\$(\w{1,40})/.exec(p)?.[1]);
    const called = new Set<string>();
    for (const m of [...body.matchAll(CALLBACK)].slice(0, 50))
      for (const a of calleesOf(m[1]!, callArgs(body, m.index! + m[0].length - 1)))
        called.add(/^\s*\$(\w{1,40})\s*$/.exec(a)?.[1] ?? '');
    for (const m of [...body.matchAll(DYNAMIC_CALL)].slice(0, 50)) if (m[1]) called.add(m[1]);
    const places = params.flatMap((p, i) => (p && called.has(p) ? [i] : []));
    if (!places.length) continue;
    for (const call of callsOf(text, name)) {
      const args = callArgs(text, call.index! + call[0].length - 1);
      const isRunner = (i: number) => RUNNER_NAME.test(args[i] ?? '');
      if (places.some(isRunner) && args.some((a) => carriesInput(a, tainted)))
        return `a runner's name and request input handed to ${name}(), which calls it`;
    }
  }
  return undefined;
}

// A runner's name as a whole argument: quoted, or a bare word PHP 7 reads as a string.
const RUNNER_NAME =
  /^\s*(?:(['"])(?:assert|system|exec|shell_exec|passthru|popen|proc_open|create_function|pcntl_exec)\1|(?:assert|system|exec|shell_exec|passthru)(?![\w(]))\s*$/i;

// A test that yields true or false: a comparison, a negation, a type or presence check.
const BOOLEAN_TEST =
  /^\s*(?:!|(?:is_\w{1,20}|ctype_\w{1,10}|in_array|isset|empty|array_key_exists|preg_match|\w{1,40}_exists|is_a|is_subclass_of|filter_var)\s*\()|===|!==|==|!=|<=|>=|<(?![<?=])|(?<![-=])>|\binstanceof\b|&&|\|\||\b(?:and|or|xor)\b/i;

// `assert(false)`: a line the code should never reach, checked; no string, so no code.
const LITERAL_TRUTH = /^\s*(?:true|false|null|\d{1,20})\s*$/i;

/**
 * `assert()` given a test (`assert(is_numeric($id))`, `assert($n !== null)`) checks a value
 * and runs no code: only a string handed to it is evaluated (PHP 5 and 7). Issue 27: type
 * checks on request data were taken for a code sink.
 */
export function isAssertedTest(text: string, m: RegExpMatchArray): boolean {
  if (m[1]?.toLowerCase() !== 'assert' || !m[0].endsWith('(')) return false;
  const first = callArgs(text, m.index! + m[0].length - 1)[0];
  return first !== undefined && (BOOLEAN_TEST.test(first) || LITERAL_TRUTH.test(first));
}

/** The first code sink that runs code (not an assert() of a test), as `CODE_SINK.exec` gives it. */
export function firstCodeSink(text: string): RegExpMatchArray | null {
  for (const m of [...text.matchAll(CODE_SINKS)].slice(0, 200))
    if (!isAssertedTest(text, m)) return m;
  return null;
}

// A value a PHP framework's request object gives (`$request->get('cmd')` in Symfony, Laravel
// or vtiger, `$this->input->post()` in CodeIgniter, `$this->getRequest()->getParam()`): the
// request, as much as `$_GET` is. Read only as a sink's argument, where no application puts it.
export const FRAMEWORK_REQUEST_VALUE =
  /\$(?:this\s*->\s*)?\w{0,20}(?:request|input|req)(?:\(\s*\))?\s*->\s*(?:get|post|query|input|param)\w{0,12}\s*\(/i;

// One single-quoted PHP string: PHP puts nothing into it, whatever it holds.
const SINGLE_QUOTED = String.raw`'(?:[^'\\]|\\.){0,400}'`;
const SINGLE_QUOTED_WHOLE = new RegExp(String.raw`^\s*(?:@\s*)?${SINGLE_QUOTED}\s*$`);

/** The first sink whose first argument carries request input, with its name. */
export function sinkOnInput(
  text: string,
  sinks: RegExp,
  tainted: ReadonlySet<string>,
): string | undefined {
  for (const m of [...text.matchAll(sinks)].slice(0, 200)) {
    if (!m[0].endsWith('(') || !m[1] || isAssertedTest(text, m)) continue;
    const args = callArgs(text, m.index! + m[0].length - 1);
    // create_function($args, $code) evaluates both: its code is the second.
    const first = /^create_function$/i.test(m[1]) ? args.slice(0, 2).join(',') : args[0];
    if (first === undefined) continue;
    // One single-quoted string is the page's own text: eval('function f() { … $_SERVER … }')
    // defines code written out in the page, which the rules read where it stands. Not when
    // the call is itself inside a double-quoted string (`$perl->eval("system('$c')")`).
    const interpolated = isInterpolated(text, m.index!);
    if (SINGLE_QUOTED_WHOLE.test(first) && !interpolated) continue;
    // Request input anywhere in it counts; a tainted name only outside an index ($t[$c] is a
    // lookup) and outside single quotes (`eval('global $settings; ' . $m[0])` names it as text).
    const named = interpolated ? first : withoutSingleQuoted(first);
    if (
      INPUT.test(first) ||
      FRAMEWORK_REQUEST_VALUE.test(first) ||
      carriesInput(named.replace(/\[[^\]\n]{0,400}\]/g, ''), tainted)
    )
      return m[1];
  }
  return undefined;
}

/** What makes a callee argument a shell's: a dangerous name, request input, a tainted or decoded name. */
function isShellCallee(arg: string, tainted: Set<string>): boolean {
  const a = unescapePhp(arg.replace(/^\s*\(/, ''));
  // A closure is code written out, not a name: its own calls are judged where they stand.
  if (/^\s*(?:static\s+)?(?:function|fn)\s*\(/.test(a)) return false;
  if (isBoundedName(a)) return false;
  if (DANGEROUS_NAME.test(a) || DECODED_NAME.test(a) || INPUT.test(a)) return true;
  // $ch[1].$ch[3].$ch[4]: a name put together from picked pieces.
  if (/\$\w{1,40}\s*\[\s*\d{1,3}\s*\]\s*\.\s*\$\w{1,40}\s*\[\s*\d{1,3}\s*\]/.test(a)) return true;
  // $ch."ert", $wx . "ert": a name finished from the request or from pieces.
  if (/\.\s*['"](?:ert|sert|ssert|al|val|tem|stem|ec|xec)['"]/.test(a)) return true;
  // A table looked up by input ($handlers[$_GET['x']]) is the server's choice, not the visitor's.
  const unindexed = a.replace(/\[[^\]\n]{0,400}\]/g, '');
  return [...unindexed.matchAll(/\$(\w{1,40})/g)].some((v) => tainted.has(v[1]!));
}

/**
 * Functions a shell reaches for through a name it builds. A literal start that begins none of
 * them (`'doStep' . $_GET['step']`, `'update_' . $func`) limits the call to the page's own
 * family of functions; `'sys' . $x` and `'file_' . $x` do not.
 */
const RUNNER_NAMES = [
  ...['system', 'exec', 'shell_exec', 'passthru', 'popen', 'proc_open', 'pcntl_exec'],
  ...['assert', 'create_function', 'call_user_func', 'call_user_func_array', 'array_map'],
  ...['array_filter', 'array_walk', 'usort', 'uasort', 'uksort', 'preg_replace', 'eval'],
  ...['mb_ereg_replace', 'file_put_contents', 'fwrite', 'fputs', 'fopen', 'include', 'require'],
  ...['move_uploaded_file', 'copy', 'rename', 'unlink', 'chmod', 'readfile', 'extract'],
  ...['file_get_contents', 'highlight_file', 'show_source', 'parse_str', 'putenv', 'ini_set'],
  ...['register_shutdown_function', 'register_tick_function', 'set_error_handler'],
  ...['set_exception_handler', 'ob_start', 'session_set_save_handler', 'unserialize', 'mail'],
  ...['iterator_apply', 'forward_static_call', 'forward_static_call_array', 'array_reduce'],
  ...['preg_replace_callback', 'mb_ereg_replace_callback', 'header_register_callback'],
  ...['spl_autoload_register', 'yaml_parse', 'array_udiff', 'array_uintersect', 'dl'],
  // Decoders, which finish a runner's name from another spelling.
  ...['base64_decode', 'gzinflate', 'gzuncompress', 'gzdecode', 'str_rot13', 'strrev'],
  ...['hex2bin', 'convert_uudecode', 'urldecode', 'rawurldecode', 'pack', 'chr'],
];

/**
 * A callee that can only be one of the page's own: a method of its own class
 * (`[$this, $_POST['item']]`, `[__CLASS__, $_GET['f']]`), or a name whose literal start
 * begins no runner's.
 */
function isBoundedName(a: string): boolean {
  if (/^\s*(?:\[|array\s*\()\s*(?:\$this|__CLASS__|self::class|static::class)\s*,/i.test(a))
    return true;
  const start = /^\s*(['"])([A-Za-z_]\w{2,39})\1\s*\./.exec(a)?.[2]?.toLowerCase();
  return start !== undefined && !RUNNER_NAMES.some((n) => n.startsWith(start));
}

// A pattern literal ending in the e modifier (`'/.*/e'`, `"#x#ie"`), as preg_replace took it.
const EVALUATING_PATTERN =
  /^\s*(['"])([^\w\s\\])[^\n]{0,200}\2[a-df-zA-Z]{0,5}e[a-zA-Z]{0,5}\1\s*$/;

/** A call argument that is what the visitor sent (directly, or through a tainted variable). */
function isRequestValue(arg: string, tainted: ReadonlySet<string>): boolean {
  if (INPUT.test(arg)) return true;
  const v = /^\s*(?:\(\s*)?(?:@\s*)?\$(\w{1,40})/.exec(arg);
  return v !== null && tainted.has(v[1]!);
}

/** The arguments of a callback-taking function that name what it calls. */
function calleesOf(fn: string, args: string[], isMethod = false): string[] {
  // ArrayObject's ->uasort('cb'): the sort's callback is its only argument.
  if (CALLEE_FIRST.test(fn) || isMethod) return args.slice(0, 1);
  // Each of a session's save handlers is a callback.
  if (fn === 'session_set_save_handler') return args.slice(0, 6);
  // array_udiff($a, $b, 'cb'), array_intersect_ukey(…, 'cb'): the callback comes last.
  if (/^array_(?:u?diff|u?intersect)_|^array_u(?:diff|intersect)/.test(fn)) return args.slice(-1);
  // preg_replace_callback($re, 'cb', $subject), array_walk($a, 'cb'), usort($a, 'cb')…
  return args.slice(1, 2);
}

/** `$o->uasort(…)`: ArrayObject's sorts, called as methods, take the callback first. */
const isSortMethod = (text: string, m: RegExpMatchArray) =>
  /^u[ak]?sort$/.test(m[1]!) && /->\s*$/.test(text.slice(Math.max(0, m.index! - 4), m.index!));

/** A callback given a name held in a variable (`array_map($a, …)`): a call chosen at run time. */
export function callsBackAVariable(text: string): boolean {
  for (const m of [...text.matchAll(CALLBACK)].slice(0, 200)) {
    const callees = calleesOf(
      m[1]!,
      callArgs(text, m.index! + m[0].length - 1),
      isSortMethod(text, m),
    );
    if (callees.some((a) => /^\s*\$\w{1,40}\s*$/.test(a))) return true;
  }
  return false;
}

/**
 * `$conf['password_hash']($_POST['pwd'])`: a member of an array the file never sets, so the
 * site's configuration chose the function (Piwigo's pluggable hashing), not the page. A
 * shell sets the array it calls from (`$a = ['f' => 'assert']`), or takes it from the
 * request, which `tainted` already follows.
 */
function isOutsideSetting(text: string, m: RegExpMatchArray): boolean {
  const name = m[1];
  if (!name || !/\[\s*['"]\w{1,40}['"]\s*\]\s*\($/.test(m[0])) return false;
  const set = new RegExp(
    String.raw`\$${name}\s*(?:\[[^\]\n]{0,60}\]\s*){0,3}(?:[.+]?=(?![=>])|\?\?=)|\bas\s+(?:\$\w{1,40}\s*=>\s*)?&?\$${name}\b|\blist\s*\([^)]{0,200}\$${name}\b|\[[^\]]{0,200}\$${name}\s*\]\s*=`,
  );
  return !set.test(text);
}

// A character-by-character transform: a cipher of the page's own (`chr(ord($s[$i]) - 3)`).
const TRANSFORMS_CHARACTERS = /\bchr\s*\([\s\S]{0,200}?\bord\s*\(/;
// A call of one function on one string literal: `encode('xhhfsw')`.
const CALL_ON_LITERAL = /^\s*(?:@\s*)?(\w{1,40})\s*\(\s*(['"])[^'"\n]{1,60}\2\s*\)\s*$/;

/**
 * The page's own functions that rewrite a string a character at a time (chr() of ord()):
 * a callback named by one of them applied to a literal is a name the page hides behind its
 * own cipher (`call_user_func_array(encode('xhhfsw'), array($_POST['a']))` is assert()).
 */
const ownCiphers = (text: string) =>
  new Set(
    ownFunctions(text, 100, 2000)
      .filter((f) => TRANSFORMS_CHARACTERS.test(f.body))
      .map((f) => f.name.toLowerCase()),
  );

// A key a reason may show as written: a word in quotes, a variable, a number.
const PLAIN_KEY = /^\[\s*(?:'\w{1,40}'|"\w{1,40}"|\$\w{1,40}|\d{1,6})\s*\]$/;

/**
 * A dynamic call's callee as a reason shows it (`$f`, `$field['input_validate']`): the page's
 * text only where it is words, each other key or braced expression as `…`. The callee is
 * the attacker's, and a key may hold anything (a terminal's escape sequences).
 */
function calleeLabel(call: string): string {
  return call
    .slice(0, -1)
    .trimEnd()
    .replace(/\$\{([^}\n]{0,80})\}/g, (whole, inner: string) =>
      /^\w{1,40}$/.test(inner) ? whole : '${…}',
    )
    .replace(/\[[^\]\n]{0,60}\]/g, (key) => (PLAIN_KEY.test(key) ? key : '[…]'));
}

/**
 * A function the page chose at run time, called on request input or named by it (`$f($_POST
 * ['x'])`, `$_GET['f'](…)`): how, in words.
 */
function dynamicCallOnInput(
  text: string,
  tainted: ReadonlySet<string>,
  onlyCallees?: ReadonlySet<string>,
): string | undefined {
  for (const m of [...text.matchAll(DYNAMIC_CALL)].slice(0, 1000)) {
    if (isInterpolated(text, m.index!)) continue;
    const name = m[1];
    if (onlyCallees && !(name && onlyCallees.has(name))) continue;
    if (name && tainted.has(name)) return `a function named by request input ($${name}(...))`;
    if ((name === undefined || SUPERGLOBAL.test(name)) && INPUT.test(m[0]))
      return 'a function named by request input';
    // $f($_POST['x']): whatever $f is, it is given what the visitor sent.
    const args = callArgs(text, m.index! + m[0].length - 1);
    const first = args[0] ?? '';
    if (
      /^\s*(?:\(\s*)?(?:@\s*)?\$/.test(first) &&
      isRequestValue(first, tainted) &&
      !isOutsideSetting(text, m)
    )
      return `a function chosen at run time called on request input (${calleeLabel(m[0])}(...))`;
    // $f('/.*/e', $_POST['x'], ''): preg_replace's arguments, the replacement run as code.
    if (EVALUATING_PATTERN.test(first) && args.slice(1).some((a) => isRequestValue(a, tainted)))
      return `a pattern with the /e modifier and request input, given to a function chosen at run time (${calleeLabel(m[0])}(...))`;
  }
  return undefined;
}

/** How the file runs a name it does not spell out, if it does, in words. */
export function indirectExecution(text: string, tainted: Set<string>): string | undefined {
  let ciphers: Set<string> | undefined;
  for (const m of text.matchAll(CALLBACK)) {
    const args = callArgs(text, m.index! + m[0].length - 1);
    const callees = calleesOf(m[1]!, args, isSortMethod(text, m));
    if (callees.some((a) => isShellCallee(a, tainted)))
      return `${m[1]}() given a name from the request or a disguise`;
    const ciphered = callees
      .map((a) => CALL_ON_LITERAL.exec(a)?.[1]?.toLowerCase())
      .find((name) => name !== undefined && (ciphers ??= ownCiphers(text)).has(name));
    if (ciphered)
      return `${m[1]}() given a name the page deciphers with its own function (${ciphered}(…))`;
    // usort(...$_GET): the visitor's values spread as its arguments, the callback among them.
    if (args.some((a) => SPREAD.test(a) && isRequestValue(a.replace(SPREAD, ''), tainted)))
      return `${m[1]}() given the request's values as its arguments, the callback among them`;
  }
  // fetchAll(PDO::FETCH_FUNC, 'assert'): each row the query returns handed to a runner.
  if (RUNNER_FETCHING_ROWS.test(text))
    return "a runner ('assert', 'system'…) given each row a query returns";
  const dangerousLiteral = DANGEROUS_LITERAL.test(text);
  const chosen = dynamicCallOnInput(text, tainted);
  if (chosen) return chosen;
  // $n = "ass" . $_GET['a']; $n(…): the visitor completes a runner's name.
  const completed = namesCompletedByInput(text, tainted);
  if (completed.size)
    for (const m of [...text.matchAll(DYNAMIC_CALL)].slice(0, 500))
      if (m[1] && completed.has(m[1]) && !isInterpolated(text, m.index!))
        return `a function whose name the request completes from a runner's ($${m[1]}(...))`;
  // ($d->f)($d->a), ($d['f'])(…): a member of what was sent, called.
  for (const m of [...text.matchAll(MEMBER_CALLED)].slice(0, 50))
    if (tainted.has(m[1]!)) return `a function named by request input ($${m[1]} member called)`;
  // filter_var(…, FILTER_CALLBACK, ['options' => 'assert']), yaml_parse()'s tag callbacks.
  if (RUNNER_AS_OPTION.test(text) && INPUT.test(text))
    return "a runner ('assert', 'system'…) given as a filter's or a parser's callback";
  // new ReflectionFunction('system') then ->invoke($_GET['c']), or a function the request names.
  for (const m of [...text.matchAll(REFLECTED_FUNCTION)].slice(0, 20)) {
    const named = callArgs(text, m.index! + m[0].length - 1)[0] ?? '';
    if (isRequestValue(named, tainted))
      return 'a function named by request input (ReflectionFunction)';
    if (DANGEROUS_NAME.test(named) && callsGivenInput(text, INVOKED, tainted))
      return "ReflectionFunction of a runner ('system', 'assert'…) invoked on request input";
  }
  // ("...")($_GET[2]) and the like: the result of an expression called on request input.
  const called = RESULT_CALLED_ON_INPUT.exec(text);
  if (called) return "an expression's result called on request input";
  if (dangerousLiteral) {
    const lists = listNames(text);
    const holders = namesHolding(text, DANGEROUS_LITERAL, lists);
    // A list is called through one of its items (`$f[0]($c)`); called whole, it is a closure
    // or a callable the same variable holds at another time (`$areas = ['site', 'system']`
    // as menu names, `$areas($kirby)` when a setting gave a closure). One constant handed to
    // it chooses nothing (Carbon's `$function('composer require carbon-cli/carbon-cli')`).
    for (const m of [...text.matchAll(DYNAMIC_CALL)].slice(0, 500))
      if (
        m[1] &&
        holders.has(m[1]) &&
        (!lists.has(m[1]) || m[0].includes('[')) &&
        !hasConstantArgument(text, m) &&
        !isInterpolated(text, m.index!)
      )
        return `a function called through a variable holding its name ('assert', 'system'…: $${m[1]}(...))`;
  }
  return undefined;
}

// A runner's name cut in two, one part the page's and the other the visitor's.
const RUNNER_PARTS = ['assert', 'system', 'passthru', 'shell_exec', 'popen', 'proc_open', 'exec'];
const JOINED_NAME =
  /\$(\w{1,40})\s*=\s*(?:(['"])([a-z_]{3,12})\2\s*\.\s*@?\$(\w{1,40})|@?\$(\w{1,40})\s*\.\s*(['"])([a-z_]{3,12})\6)\s*;/gi;

/** Names set to a piece of a runner's name joined to request input (`"ass" . $a`). */
function namesCompletedByInput(text: string, tainted: ReadonlySet<string>): Set<string> {
  const names = new Set<string>();
  for (const m of [...text.matchAll(JOINED_NAME)].slice(0, 200)) {
    const [piece, input, isPrefix] = m[3] ? [m[3], m[4]!, true] : [m[7]!, m[5]!, false];
    const lower = piece.toLowerCase();
    if (!tainted.has(input) || lower.startsWith('_') || lower.endsWith('_')) continue;
    const fits = (r: string) =>
      r !== lower && (isPrefix ? r.startsWith(lower) : r.endsWith(lower) && lower.length >= 4);
    if (RUNNER_PARTS.some(fits)) names.add(m[1]!);
  }
  return names;
}

// `$_GET['f'](…)`: the request's own array, called.
const SUPERGLOBAL = /^_(?:GET|POST|REQUEST|COOKIE)$/;
const SPREAD = /^\s*\.\.\.\s*/;
const RUNNER_FETCHING_ROWS =
  /\bFETCH_FUNC\s*,\s*['"](?:assert|eval|system|exec|shell_exec|passthru|popen|proc_open|create_function)['"]/;
const MEMBER_CALLED = /\(\s*\$(\w{1,40})\s*(?:->\s*\w{1,40}|\[[^\]\n]{1,60}\])\s*\)\s*\(/g;
const RUNNER_AS_OPTION =
  /\b(?:FILTER_CALLBACK\b[^;]{0,200}['"]options['"]|yaml_parse(?:_file|_url)?\s*\([^;]{0,300})\s*=>\s*['"](?:assert|system|exec|shell_exec|passthru|popen|proc_open|create_function|preg_replace|preg_filter)['"]/;
const REFLECTED_FUNCTION = /\bnew\s+\\?ReflectionFunction\s*\(/g;
const INVOKED = /->\s*invoke(?:Args)?\s*\(/g;

/** A call of `calls` given request input (or a name holding it) among its arguments. */
const callsGivenInput = (text: string, calls: RegExp, tainted: Set<string>) =>
  [...text.matchAll(calls)]
    .slice(0, 50)
    .some((m) =>
      callArgs(text, m.index! + m[0].length - 1).some((a) => isRequestValue(a, tainted)),
    );

const DANGEROUS_LITERAL =
  /['"](?:assert|eval|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|create_function)['"]/;

/** Variables assigned a list (`$a = [`, `$a = array(`). */
const listNames = (text: string) =>
  new Set(
    [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])\s*(?:\[|array\s*\()/gi)]
      .slice(0, 5000)
      .map((m) => m[1]!),
  );

/**
 * Names of variables that may hold what `value` matches: assigned an expression holding it
 * (`$f = 'system'`, `$f = $x ? 'assert' : 'eval'`, `$a = array('system')`), looped over one,
 * or copied from such a name, in up to three rounds. Issue 27: a variable call in a file that
 * holds 'system' somewhere else (a label, a config key) was taken for the name being called.
 */
function namesHolding(text: string, value: RegExp, lists: ReadonlySet<string>): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*\.?=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 5000);
  const loops = [
    ...text.matchAll(
      /\bforeach\s*\(([^;\n]{0,160}?)\s{1,80}as\s+\$(\w{1,40})(?:\s*=>\s*\$(\w{1,40}))?/g,
    ),
  ].slice(0, 1000);
  // An item of a list (`lists`) is a name (`$f = $list[0]`); a key of a name is not
  // (`$area['menu']`).
  const holds = (expr: string) =>
    value.test(withoutMethodArguments(expr)) ||
    [...expr.matchAll(/\$(\w{1,40})(\s*(?:\[|->))?/g)].some(
      (v) => names.has(v[1]!) && (v[2] === undefined || lists.has(v[1]!)),
    );
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns) if (holds(m[2]!)) names.add(m[1]!);
    for (const m of loops) if (holds(m[1]!)) for (const v of [m[2], m[3]]) if (v) names.add(v);
    if (names.size === before) break;
  }
  return names;
}

// A method's call: what it returns is its object's (`config()->get('system', 'theme')` gives
// the theme), not the name it was handed. PHP's own functions may hand the name back, found
// or cut (`substr($doc, strpos($doc, 'assert'), 6)`), and keep it.
const METHOD_CALL = /(?:->|::)\s*\w{1,40}\s*\((?=([^()\n]{0,300}))\1\)/g;

/**
 * The expression with the arguments of method calls taken out, up to three deep. Issue 27:
 * Friendica's `$func = "{$theme}_install"` read as holding 'system' because `$theme` came
 * from `config()->get('system', …)`, a new tuning application's false alarm.
 */
function withoutMethodArguments(expr: string): string {
  let out = expr;
  for (let i = 0; i < 3; i++) out = out.replace(METHOD_CALL, '->x()');
  return out;
}

// One constant: a single-quoted string, a double-quoted one naming no variable, a literal.
const CONSTANT = new RegExp(
  String.raw`^\s*(?:@\s*)?(?:${SINGLE_QUOTED}|"[^"$]*"|true|false|null|-?\d{1,20})\s*$`,
  'i',
);

/** Within this many characters, input and sink are taken as one statement's doing. */
const NEAR = 240;

// A command line the page writes out: a program named in a string literal, then only literals
// and words quoted by escapeshellarg() (`'convert ' . escapeshellarg($in) . ' -resize 50%'`).
const WRITTEN_COMMAND =
  /^\s*(?:@\s*)?(?=['"][\w./-])(?:'(?:[^'\\]|\\.){0,400}'|"[^"$\\\n]*"|escapeshellarg\s*\([^()\n]{0,200}\))\s*(?:\.\s*(?:'(?:[^'\\]|\\.){0,400}'|"[^"$\\\n]*"|escapeshellarg\s*\([^()\n]{0,200}\))\s*){0,20}$/i;
const COMMAND_RUNNER = /^(?:system|exec|shell_exec|passthru|popen|proc_open)$/i;

/**
 * A call whose argument is one constant (`shell_exec('git log -1')`, `assert(false)` marking
 * a line never reached) runs nothing chosen; nor does a command line the page writes out,
 * quoting each value it is given (WRITTEN_COMMAND): the visitor picks no program.
 */
function hasConstantArgument(text: string, m: RegExpMatchArray): boolean {
  if (!m[0].endsWith('(')) return false;
  const args = callArgs(text, m.index! + m[0].length - 1);
  // create_function($args, $code) evaluates both: its code is the second.
  const first = /^create_function$/i.test(m[1] ?? '') ? args[1] : args[0];
  // pcntl_exec('/bin/sh', ['-c', $c]): a constant program given the arguments that matter.
  if (/^pcntl_exec$/i.test(m[1] ?? '') && /\$/.test(args[1] ?? '')) return false;
  if (first === undefined || isInterpolated(text, m.index!)) return false;
  return CONSTANT.test(first) || (COMMAND_RUNNER.test(m[1] ?? '') && WRITTEN_COMMAND.test(first));
}

// Request input made a number (`(int) $_GET['id']`, `intval($_POST['n'])`): nothing of what
// was sent is left to run.
const MADE_A_NUMBER =
  /(?:\(\s*(?:int|integer|float|double|bool|boolean)\s*\)|\b(?:intval|floatval|boolval)\s*\()\s*(?:@\s*)?$/i;

/**
 * True when request input (`a`) stands within NEAR characters of a sink (`b`) that is given
 * more than a constant string; `skip` leaves out more sinks (a file the page names itself).
 */
export function near(
  text: string,
  a: RegExp,
  b: RegExp,
  skip?: (m: RegExpMatchArray) => boolean,
): boolean {
  const global = (r: RegExp) =>
    new RegExp(r.source, r.flags.includes('g') ? r.flags : `${r.flags}g`);
  const sinks = [...text.matchAll(global(b))]
    .filter((m) => !hasConstantArgument(text, m) && !isAssertedTest(text, m) && !skip?.(m))
    .map((m) => m.index!)
    .slice(0, 200);
  if (sinks.length === 0) return false;
  for (const m of text.matchAll(global(a))) {
    if (
      isWrittenTo(text, m) ||
      MADE_A_NUMBER.test(text.slice(Math.max(0, m.index! - 40), m.index!))
    )
      continue;
    if (sinks.some((s) => Math.abs(s - m.index!) <= NEAR)) return true;
  }
  return false;
}

// `[…]` keys, then a plain `=`: what the match names is assigned, not read.
const ASSIGNED = /^\s*(?:\[[^\]\n]{0,80}\]\s*){0,8}=(?![=>])/;

/**
 * True when the match is the target of an assignment (`$_GET['noheader'] = true;`): a page
 * that sets a request value before it runs another page's code reads nothing the visitor sent.
 */
function isWrittenTo(text: string, m: RegExpMatchArray): boolean {
  const end = m.index! + m[0].length;
  return ASSIGNED.test(text.slice(end, end + 300));
}

// Not move_uploaded_file(): its first argument is the temporary file PHP made for the
// upload, from the request in every uploader; where it is saved is the upload rules' to judge.
const FILE_OPERATIONS =
  /(?<![\w$>:]|->|::|function\s)\b(chmod|chown|unlink|rmdir|rename|file_put_contents|mkdir|copy|touch)\s*\(/g;

/**
 * The page's own functions that pass a parameter on as the first argument of one of
 * `calls` (`function update($f, $d) { $h = fopen($f, 'w'); … }`): each function's name, with
 * the names of the calls it makes so.
 */
function ownWrappers(text: string, calls: RegExp): Map<string, Set<string>> {
  const wrappers = new Map<string, Set<string>>();
  for (const f of ownFunctions(text)) {
    const params = new Set([...f.params.matchAll(/\$(\w{1,40})/g)].map((v) => v[1]!));
    if (params.size === 0) continue;
    const body = f.body;
    const held = taintedThrough(body, params);
    for (const m of [...body.matchAll(calls)].slice(0, 50)) {
      const first = callArgs(body, m.index! + m[0].length - 1)[0];
      if (first !== undefined && carriesInput(first, held))
        wrappers.set(f.name, (wrappers.get(f.name) ?? new Set()).add(m[1] ?? m[0]));
    }
  }
  return wrappers;
}

/** Parameters and the names assigned from them in a function's body (one step). */
function taintedThrough(body: string, params: ReadonlySet<string>): Set<string> {
  const names = new Set(params);
  for (const m of [...body.matchAll(/\$(\w{1,40})\s*\.?=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 500))
    if ([...m[2]!.matchAll(/\$(\w{1,40})/g)].some((v) => params.has(v[1]!))) names.add(m[1]!);
  return names;
}

/**
 * The names of `calls` (each a group 1 of the regex) made on a path from the request:
 * directly, or through a function of the page's own called with request input.
 */
function callsOnInput(text: string, calls: RegExp, tainted: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  for (const m of [...text.matchAll(calls)].slice(0, 500)) {
    const first = callArgs(text, m.index! + m[0].length - 1)[0];
    if (first !== undefined && carriesInput(first.replace(/\[[^\]\n]{0,80}\]/g, ''), tainted))
      found.add(m[1] ?? m[0]);
  }
  for (const [name, made] of [...ownWrappers(text, calls)].slice(0, 50)) {
    const isOnInput = callsOf(text, name).some((c) =>
      callArgs(text, c.index! + c[0].length - 1).some((a) => carriesInput(a, tainted)),
    );
    if (isOnInput) for (const op of made) found.add(op);
  }
  return found;
}

/** The distinct file operations whose first argument comes from the request (a file manager's). */
export function fileOperationsOnInput(text: string, tainted: ReadonlySet<string>): string[] {
  return [...callsOnInput(text, FILE_OPERATIONS, tainted)];
}

// Sending a file's bytes to the visitor, and listing a folder.
const HANDS_OUT =
  /(?<![\w$>:]|->|::|function\s)\b(?:readfile|fpassthru|highlight_file|show_source)\s*\(/g;
const LISTS_FOLDER = /(?<![\w$>:]|->|::|function\s)\b(?:opendir|scandir|glob)\s*\(/g;

// A subscript picks from what the array holds: `$files[$_GET['i']]` is a file the server
// listed, not one the visitor names (the request's own `$_GET['f']` stays the request).
/**
 * A file browser: lists any folder and hands out any file the visitor names. A download
 * page hands out files by a name from the request too, but does not list the folders.
 */
export function browsesFiles(text: string, tainted: ReadonlySet<string>): boolean {
  return (
    callsOnInput(text, HANDS_OUT, tainted).size > 0 &&
    callsOnInput(text, LISTS_FOLDER, tainted).size > 0
  );
}

// A file read and handed to a printer, after a tag or a label (`echo "<pre>" . …`).
// (readfile() is a download page's too, judged with a lister above; highlight_file() a
// developer's source viewer, adminer's coverage page.)
const PRINTED_READ =
  /\b(?:echo|print|var_dump|print_r|die|exit)\b[\s(]{0,8}(?:(?:"[^"\n]{0,40}"|'[^'\n]{0,40}')\s*\.\s*)?(?:@\s*)?(?:(?:htmlspecialchars|htmlentities|nl2br)\s*\(\s*){0,2}(?:file_get_contents|file)\s*\(/g;

/**
 * A file reader: prints the file whose path the visitor sends, whole, into the page
 * (`var_dump(file_get_contents($_GET['f']))`, `print_r(file($f))` with `$f = $_POST['f']`):
 * any file the server can read, /etc/passwd or the site's configuration.
 */
export function printsNamedFile(text: string): boolean {
  const holders = requestValueHolders(text);
  const isNamed = (arg: string | undefined) =>
    arg !== undefined &&
    (isRawRequestValue(arg) || holders.has(/^\s*@?\$(\w{1,40})\s*$/.exec(arg)?.[1] ?? ''));
  return [...text.matchAll(PRINTED_READ)]
    .slice(0, 300)
    .some((m) => isNamed(callArgs(text, m.index! + m[0].length - 1)[0]));
}

// The request's value as sent, at most trimmed or decoded: `@$_GET['f']`, `trim($_POST['p'])`.
const RAW_REQUEST_VALUE =
  /^\s*@?(?:(?:trim|urldecode|rawurldecode|stripslashes|base64_decode)\s*\(\s*@?){0,3}\$_(?:GET|POST|REQUEST|COOKIE)\s*\[[^\]\n]{1,40}\](?:\[[^\]\n]{1,40}\])?\s*(?:\)\s*){0,3}$/;
const INCLUDES_VARIABLE =
  /\b(?:include|require)(?:_once)?\s*(?:\(\s*)?@?\$(\w{1,40})\s*(?:\)\s*)?(?:;|\?>)/g;

/**
 * A file included by a name the visitor sends, held in a variable (`$f = $_GET['code'];
 * include($f);`): any file on the server run as PHP, an upload or a log written first. A
 * page that includes by a request value builds the path around it (`"pages/$p.php"`).
 */
export function includesRequestValue(text: string): boolean {
  const holders = requestValueHolders(text);
  return (
    holders.size > 0 &&
    [...text.matchAll(INCLUDES_VARIABLE)].slice(0, 300).some((m) => holders.has(m[1]!))
  );
}

// Where PHP keeps an upload until the page moves it: `$_FILES['f']['tmp_name']`.
const UPLOAD_TEMP_NAME =
  /^\s*@?\$(?:_FILES|HTTP_POST_FILES)\s*\[[^\]\n]{1,40}\]\s*\[\s*['"]tmp_name['"]\s*\]\s*$/;

/**
 * True when the page includes an upload's temporary file, held in a variable (`$f =
 * $_FILES['x']['tmp_name']; include $f;`): the code the visitor uploads, run as PHP.
 */
export function includesUpload(text: string): boolean {
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])([^;\n]{1,120});/g)].slice(0, 5000);
  const holders = new Set(assigns.filter((m) => UPLOAD_TEMP_NAME.test(m[2]!)).map((m) => m[1]!));
  return (
    holders.size > 0 &&
    [...text.matchAll(INCLUDES_VARIABLE)].slice(0, 300).some((m) => holders.has(m[1]!))
  );
}

/** True when `expr` is the request's value as sent (see RAW_REQUEST_VALUE). */
export const isRawRequestValue = (expr: string) => RAW_REQUEST_VALUE.test(expr);

// A variable's value as it is, at most trimmed or decoded, or spelt alone in a string:
// `stripslashes($q)`, `"$q"`, `"{$q}"`.
const HELD_VALUE =
  /^\s*@?(?:(?:trim|urldecode|rawurldecode|stripslashes|base64_decode)\s*\(\s*@?){0,3}(?:\$(\w{1,40})|"\{?\$(\w{1,40})\}?")\s*(?:\)\s*){0,3}$/;
// A choice whose first branch is the request's value and whose other is a constant:
// `$_POST['sql'] ? $_POST['sql'] : 'select version()'`.
const CHOSEN_OR_DEFAULT =
  /^[^?\n]{1,120}\?\s*([^:\n]{1,80}?)\s*:\s*(?:'[^'\n]{0,80}'|"[^"\n$]{0,80}"|-?\d{1,10}|null|false)\s*$/i;

/** The variable whose value `expr` is, as it is (see HELD_VALUE), or undefined. */
export function heldVariable(expr: string): string | undefined {
  const m = HELD_VALUE.exec(expr);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * Variables holding the request's value as sent: assigned it (trimmed or decoded at most, or
 * as the first branch of a choice with a constant default), or assigned such a variable's
 * value (`$q = stripslashes($_POST['sql']); $sql = $q;`), through up to three steps.
 */
export function requestValueHolders(text: string): Set<string> {
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])([^;\n]{1,120});/g)].slice(0, 5000);
  const isRequestValue = (expr: string) =>
    isRawRequestValue(expr) || isRawRequestValue(CHOSEN_OR_DEFAULT.exec(expr)?.[1] ?? '');
  const holders = new Set(assigns.filter((m) => isRequestValue(m[2]!)).map((m) => m[1]!));
  for (let round = 0; round < 3; round++) {
    const before = holders.size;
    for (const m of assigns) {
      const held = heldVariable(m[2]!);
      if (held !== undefined && holders.has(held)) holders.add(m[1]!);
    }
    if (holders.size === before) break;
  }
  return holders;
}

// Request input turned into variables: extract($_REQUEST) (or of the old $HTTP_*_VARS),
// import_request_variables(), parse_str() of the query with no result array, a loop
// setting a variable variable per field (`foreach ($_POST as $k => $v) $$k = $v;`):
// register_globals by hand.
const INPUT_AS_VARIABLES =
  /\b(?:extract|import_request_variables)\s*\(\s*@?\$(?:_(?:GET|POST|REQUEST|COOKIE)|HTTP_(?:GET|POST|COOKIE)_VARS)\b|\bimport_request_variables\s*\(\s*['"][GPC]{1,3}['"]\s*\)|\bparse_str\s*\(\s*\$_SERVER\s*\[\s*['"]QUERY_STRING['"]\s*\]\s*\)|\bforeach\s*\(\s*\$_(?:GET|POST|REQUEST|COOKIE)\s+as\s+\$\w{1,40}\s*=>\s*\$\w{1,40}\s*\)\s*(?:\{\s*)?\$\$\w{1,40}\s*=/i;

/** extract() of a name set to a whole request array (`$c = $_REQUEST; extract($c);`). */
function extractsHeldRequest(text: string): boolean {
  const held = new Set(
    [...text.matchAll(/\$(\w{1,40})\s*=\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\s*;/g)]
      .slice(0, 50)
      .map((m) => m[1]!),
  );
  if (!held.size) return false;
  return [...text.matchAll(/\bextract\s*\(\s*@?\$(\w{1,40})\s*[,)]/g)]
    .slice(0, 50)
    .some((m) => held.has(m[1]!));
}

// `if ($x == "")`, `if (empty($x))`, `if (!isset($x))`, `if (!$x)`, then `{`: what follows
// gives $x a value only when the visitor did not.
const EMPTY_TEST =
  /\bif\s*\(\s*(?:!\s*isset\s*\(\s*\$(\w{1,40})\s*\)|empty\s*\(\s*\$(\w{1,40})\s*\)|\$(\w{1,40})\s*===?\s*(?:""|''|null)|!\s*\$(\w{1,40}))\s*\)\s*(?:\{\s*)?$/i;

/** True when the assignment at `at` to `name` is a default given under an emptiness test. */
function isDefaultWhenEmpty(text: string, at: number, name: string): boolean {
  const test = EMPTY_TEST.exec(text.slice(Math.max(0, at - 120), at));
  return test !== null && (test[1] ?? test[2] ?? test[3] ?? test[4]) === name;
}

/**
 * Variables the file reads and never sets itself: not assigned (an assignment from the
 * variable itself, `$c = stripslashes($c)`, or a compound one, `$c .= …`, keeps what it
 * held; so does a default given when it came empty, `if ($cmd == "") { $cmd = 'dir'; }`),
 * nor taken as parameters, globals, statics, loop or list() targets.
 */
function variablesNeverSet(text: string): Set<string> {
  const set = new Set<string>(['this', 'GLOBALS']);
  for (const m of [
    ...text.matchAll(/\$(\w{1,40})\s*(?:\[[^\]\n]{0,60}\]\s*)?(=)(?!=)([^;\n]{0,200})/g),
  ].slice(0, 5000))
    if (
      ![...m[3]!.matchAll(/\$(\w{1,40})/g)].some((v) => v[1] === m[1]) &&
      !isDefaultWhenEmpty(text, m.index!, m[1]!)
    )
      set.add(m[1]!);
  for (const m of [...text.matchAll(/\b(?:function|global|static|as|list)\b/g)].slice(0, 2000)) {
    const after = text.slice(m.index!, m.index! + 300);
    const end = after.search(/[;{]|\)(?!\s*(?:use\b|\{|:))/);
    for (const v of after.slice(0, end < 0 ? after.length : end).matchAll(/\$(\w{1,40})/g))
      set.add(v[1]!);
  }
  const read = new Set<string>();
  for (const m of [...text.matchAll(/\$(\w{1,40})/g)].slice(0, 20000))
    if (!set.has(m[1]!) && !m[1]!.startsWith('_') && !/^HTTP_\w+_VARS$/.test(m[1]!))
      read.add(m[1]!);
  return read;
}

/**
 * What the visitor sends as variables: in a file that turns request input into variables,
 * every variable it reads and never sets (`extract($_REQUEST); $f($a);` calls the function
 * the visitor names); otherwise, under register_globals as old pages were written for, the
 * fields of the page's own form read as variables it never sets (`<textarea name="cmd">`
 * then `system($cmd)`). Issue 27: register_globals-era input was not followed to the sink.
 */
export function variablesFromRequest(text: string): Set<string> {
  const isExtracted = INPUT_AS_VARIABLES.test(text) || extractsHeldRequest(text);
  const fields = isExtracted
    ? undefined
    : new Set(
        [...text.matchAll(/\bname\s*=\s*\\?["']?(\w{1,40})/gi)].slice(0, 500).map((m) => m[1]!),
      );
  const never = variablesNeverSet(text);
  if (!fields) return never;
  const run = handedToRunner(text);
  return new Set([...never].filter((v) => fields.has(v) || run.has(v)));
}

// A command whose result the visitor sees (system and passthru print it; shell_exec's and
// exec's printed), given a variable alone or in a double-quoted string. A process written
// to (`popen($sendmail, "w")`) is a mailer's, and `eval($compiled)` a template engine's
// fragment: their variables are set by the file that includes them.
const RUNNER_CALL =
  /(?<![\w$>:]|->|::|function\s)(?:\b(?:system|passthru)|\b(?:echo|print)\b[\s(@]{0,12}(?:shell_exec|exec))\s*\(\s*@?(?:\$(\w{1,40})\s*[,)]|"[^"\n]{0,80}?\$(\w{1,40}))/gi;

/**
 * The variables handed straight to a runner (`print shell_exec($cmd)`): read and never set,
 * they are the request's under register_globals, as a shell written for it expects, with
 * or without a form of its own. Issue 27: such shells named no request input.
 */
function handedToRunner(text: string): Set<string> {
  return new Set([...text.matchAll(RUNNER_CALL)].slice(0, 200).map((m) => (m[1] ?? m[2])!));
}
