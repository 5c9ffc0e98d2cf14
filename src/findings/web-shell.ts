/**
 * Web shells: server-side code that runs what a visitor sends. Judged by content, wherever
 * the file is (a shell parked outside the web root is included later), from three kinds of
 * evidence in the file: request input read, a sink that runs code or commands, and
 * disguise. Libraries have sinks and read requests too, so a sink alone is worth a look
 * (medium), and input counts only near the sink or when the sink runs code dynamically.
 * Tuned on a public collection of web shells and on WordPress, phpMyAdmin and Roundcube as
 * Debian ships them (npm run bench -- detection).
 */
import type { RuleHit } from '../report/finding.js';
import type { ChangeFacts } from './change-rules.js';

// What a visitor controls: query, form, cookies, uploads, headers, the raw body.
const INPUT =
  /\$_(?:GET|POST|REQUEST|COOKIE|FILES)\b|\$HTTP_(?:GET|POST|COOKIE|POST_FILES)_VARS\b|\bextract\s*\(\s*\$_(?:GET|POST|REQUEST|COOKIE)\b|\$_SERVER\s*\[\s*['"](?:HTTP_|REQUEST_URI|QUERY_STRING|PATH_INFO)|\bgetallheaders\s*\(|\bapache_request_headers\s*\(|php:\/\/input|\bgetenv\s*\(\s*['"]HTTP_|request\.get(?:Parameter|Header|InputStream|Reader)\b|\bRequest\s*(?:\[|\.(?:Form|QueryString|Params|Item|Cookies|Headers|InputStream|BinaryRead|Files)\b)|\brequest\.(?:args|form|values|data|json|files)\b|\$ENV\{\s*['"]?QUERY_STRING|\bparam\s*\(|\$\{\s*['"]_(?:GET|POST|REQUEST|COOKIE|FILES)['"]\s*\}|['"]_(?:GET|POST|REQUEST|COOKIE)['"]|<asp:TextBox\b/;

// Runs a command.
const COMMAND_SINK =
  /(?<![\w$>:]|->|::|function\s|[\w)\]]\.)\b(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*\(|(?:[=(;,]|\becho|\bprint|<\?=?)\s*`[^`\n]{0,80}\$[^`\n]{0,80}`|\bRuntime\.getRuntime\s*\(\s*\)|\bProcessStartInfo\b|\bnew\s+Process\s*\(\s*\)|\bStartInfo\.FileName\b|\bWScript\.Shell\b|\bnew\s+ProcessBuilder\b|\bProcess\.Start\s*\(|\bsubprocess\.(?:Popen|call|run|check_output)\s*\(|\bos\.(?:system|popen)\s*\(/i;

// Runs code given at run time.
const CODE_SINK =
  /(?<![\w$>:]|->|::|function\s|[\w)\]]\.)\b(eval|assert|create_function)\s*\(|\bpreg_replace\s*\(\s*(['"])([^a-zA-Z0-9\s])[^'"\n]{0,200}\3[a-df-zA-Z]*e[a-zA-Z]*\2|\bmb_ereg(?:i)?_replace\s*\([^;\n]{0,200}['"]e['"]\s*\)|\bScriptEngineManager\b|\bJShell\b|\bdefineClass\s*\(|\bAssembly\.Load\s*\(|\bcompile\s*\([^)\n]{0,100}['"]exec['"]/i;

// Code run through a name chosen at run time: $f(...), $a['k'](...), ${...}(...).
const DYNAMIC_CALL =
  /(?<![\w>:$])\$\{?([\w]{1,40})\}?(?:\s*\[[^\]\n]{0,60}\]){0,3}\s*\(|\$\{[^}\n]{1,80}\}\s*(?:\[[^\]\n]{0,60}\]\s*)*\(/g;

// `)(`: the result of an expression called; a cast such as `(int) ($x)` is not a call.
const CALL_OF_RESULT = String.raw`(?<!\(\s*(?:array|int|integer|string|bool|boolean|float|double|real|object|binary|unset)\s*)\)\s*\(\s*`;
const RESULT_CALLED_ON_INPUT = new RegExp(
  String.raw`${CALL_OF_RESULT}@?\s*\$_(?:GET|POST|REQUEST|COOKIE)\b`,
);
// Any call through a name or a result chosen at run time, for weighing with disguises.
const ANY_DYNAMIC_CALL = new RegExp(
  String.raw`(?<![\w>:$])\$\{?\w{1,40}\}?(?:\s*\[[^\]\n]{0,60}\]){0,3}\s*\(|${CALL_OF_RESULT}\$`,
);
const COMMAND_SINKS = new RegExp(COMMAND_SINK.source, 'gi');
const CODE_SINKS = new RegExp(CODE_SINK.source, 'gi');

// Functions that call back a name they are given; `first` when the name is the first argument.
const CALLBACK =
  /\b(call_user_func(?:_array)?|forward_static_call(?:_array)?|register_(?:tick|shutdown)_function|array_map|array_filter|array_walk(?:_recursive)?|array_reduce|array_(?:udiff|uintersect)(?:_u?assoc)?|array_(?:diff|intersect)_u(?:assoc|key)|u[ak]?sort|iterator_apply|preg_replace_callback(?:_array)?|set_(?:error|exception)_handler|ob_start|Closure::fromCallable)\s*\(/g;
const CALLEE_FIRST =
  /^(call_user_func|forward_static_call|register_|array_map|set_(?:error|exception)_handler|ob_start|Closure)/;

// A name that runs code or commands, as a string.
const DANGEROUS_NAME =
  /['"](?:assert|eval|system|exec|shell_exec|passthru|popen|proc_open|create_function|pcntl_exec)['"]|^\s*assert\s*$/;
const DECODED_NAME = /\b(?:base64_decode|str_rot13|hex2bin|strrev|gzinflate|pack)\s*\(/;

/** True when `expr` reads request input or a variable already known to hold some. */
function carriesInput(expr: string, tainted: ReadonlySet<string>): boolean {
  return INPUT.test(expr) || [...expr.matchAll(/\$(\w{1,40})/g)].some((v) => tainted.has(v[1]!));
}

/** Names of variables assigned straight from request input (`$c = $_POST['c']`). */
function directlyTainted(text: string): Set<string> {
  const names = new Set<string>();
  const assign = /\$(\w{1,40})\s*=\s*([^;\n]{0,160})/g;
  for (const m of text.matchAll(assign)) if (INPUT.test(m[2]!)) names.add(m[1]!);
  return names;
}

/**
 * Names of variables that hold request input: assigned from it (`$c = $_POST['c']`), from a
 * variable that holds it (`$cmd = "cd $d; $c"`), or looped over it (`foreach ($_POST as $k
 * => $v)`). Three rounds: a console passes the command on a step or two, not ten.
 */
function taintedNames(text: string): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*\.?=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 5000);
  const loops = [
    ...text.matchAll(
      /\bforeach\s*\(\s*([^;\n]{0,80}?)\s+as\s+\$(\w{1,40})(?:\s*=>\s*\$(\w{1,40}))?/g,
    ),
  ].slice(0, 1000);
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns) if (carriesInput(m[2]!, names)) names.add(m[1]!);
    for (const m of loops)
      if (carriesInput(m[1]!, names)) for (const v of [m[2], m[3]]) if (v) names.add(v);
    if (names.size === before) break;
  }
  return names;
}

/**
 * A function of the file's own that hands its first parameter to a sink (`function
 * shell($c) { $fp = popen($c, "r"); … }`), called with request input: the sink, and the
 * function it went through.
 */
function wrappedSinkOnInput(text: string, tainted: ReadonlySet<string>): string | undefined {
  for (const f of [
    ...text.matchAll(/\bfunction\s+(\w{1,40})\s*\(\s*&?\$(\w{1,40})[^{]{0,200}\{/g),
  ].slice(0, 300)) {
    const body = text.slice(f.index! + f[0].length, f.index! + f[0].length + 2000);
    const param = new Set([f[2]!]);
    const sink = sinkOnInput(body, COMMAND_SINKS, param) ?? sinkOnInput(body, CODE_SINKS, param);
    if (!sink) continue;
    const calls = new RegExp(String.raw`(?<!function\s+|->|::)\b${f[1]}\s*\(`, 'g');
    for (const call of [...text.matchAll(calls)].slice(0, 50)) {
      const first = callArgs(text, call.index! + call[0].length - 1)[0];
      if (first !== undefined && carriesInput(first, tainted))
        return `${sink}() on request input, through ${f[1]}()`;
    }
  }
  return undefined;
}

/** The first sink whose first argument carries request input, with its name. */
function sinkOnInput(
  text: string,
  sinks: RegExp,
  tainted: ReadonlySet<string>,
): string | undefined {
  for (const m of [...text.matchAll(sinks)].slice(0, 200)) {
    if (!m[0].endsWith('(') || !m[1]) continue;
    const first = callArgs(text, m.index! + m[0].length - 1)[0];
    if (first !== undefined && carriesInput(first.replace(/\[[^\]\n]*\]/g, ''), tainted))
      return m[1];
    if (first !== undefined && INPUT.test(first)) return m[1];
  }
  return undefined;
}

/** The arguments of a call whose '(' ends at `open`, split at top level (bounded). */
function callArgs(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < Math.min(text.length, open + 400); i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i));
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

/** What makes a callee argument a shell's: a dangerous name, request input, a tainted or decoded name. */
function isShellCallee(arg: string, tainted: Set<string>): boolean {
  const a = unescapePhp(arg.replace(/^\s*\(/, ''));
  if (DANGEROUS_NAME.test(a) || DECODED_NAME.test(a) || INPUT.test(a)) return true;
  // $ch[1].$ch[3].$ch[4]: a name put together from picked pieces.
  if (/\$\w{1,40}\s*\[\s*\d{1,3}\s*\]\s*\.\s*\$\w{1,40}\s*\[\s*\d{1,3}\s*\]/.test(a)) return true;
  // $ch."ert", $wx . "ert": a name finished from the request or from pieces.
  if (/\.\s*['"](?:ert|sert|ssert|al|val|tem|stem|ec|xec)['"]/.test(a)) return true;
  // A table looked up by input ($handlers[$_GET['x']]) is the server's choice, not the visitor's.
  const unindexed = a.replace(/\[[^\]\n]*\]/g, '');
  return [...unindexed.matchAll(/\$(\w{1,40})/g)].some((v) => tainted.has(v[1]!));
}

/** PHP's string escapes (`"ass\x65rt"`, `"\163ystem"`) as the characters they stand for. */
function unescapePhp(s: string): string {
  return s
    .replace(/\\x([0-9a-fA-F]{1,2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\([0-7]{1,3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** A call argument that is what the visitor sent (directly, or through a tainted variable). */
function isRequestValue(arg: string, tainted: Set<string>): boolean {
  if (INPUT.test(arg)) return true;
  const v = /^\s*\(?\s*@?\s*\$(\w{1,40})/.exec(arg);
  return v !== null && tainted.has(v[1]!);
}

/** The arguments of a callback-taking function that name what it calls. */
function calleesOf(fn: string, args: string[]): string[] {
  if (CALLEE_FIRST.test(fn)) return args.slice(0, 1);
  // array_udiff($a, $b, 'cb'), array_intersect_ukey(…, 'cb'): the callback comes last.
  if (/^array_(?:u?diff|u?intersect)_|^array_u(?:diff|intersect)/.test(fn)) return args.slice(-1);
  // preg_replace_callback($re, 'cb', $subject), array_walk($a, 'cb'), usort($a, 'cb')…
  return args.slice(1, 2);
}

/** A callback given a name held in a variable (`array_map($a, …)`): a call chosen at run time. */
function callsBackAVariable(text: string): boolean {
  for (const m of [...text.matchAll(CALLBACK)].slice(0, 200)) {
    const callees = calleesOf(m[1]!, callArgs(text, m.index! + m[0].length - 1));
    if (callees.some((a) => /^\s*\$\w{1,40}\s*$/.test(a))) return true;
  }
  return false;
}

/** How the file runs a name it does not spell out, if it does, in words. */
function indirectExecution(text: string, tainted: Set<string>): string | undefined {
  for (const m of text.matchAll(CALLBACK)) {
    const callees = calleesOf(m[1]!, callArgs(text, m.index! + m[0].length - 1));
    if (callees.some((a) => isShellCallee(a, tainted)))
      return `${m[1]}() given a name from the request or a disguise`;
  }
  const dangerousLiteral = /['"](?:assert|eval|system|shell_exec|passthru)['"]/.test(text);
  for (const m of text.matchAll(DYNAMIC_CALL)) {
    const name = m[1];
    if (name && tainted.has(name)) return `a function named by request input ($${name}(...))`;
    if (name === undefined && INPUT.test(m[0])) return 'a function named by request input';
    // $f($_POST['x']): whatever $f is, it is given what the visitor sent.
    const first = callArgs(text, m.index! + m[0].length - 1)[0] ?? '';
    if (/^\s*\(?\s*@?\s*\$/.test(first) && isRequestValue(first, tainted))
      return `a function chosen at run time called on request input (${m[0].replace(/\s*\($/, '')}(...))`;
  }
  // ("...")($_GET[2]) and the like: the result of an expression called on request input.
  const called = RESULT_CALLED_ON_INPUT.exec(text);
  if (called) return "an expression's result called on request input";
  if (dangerousLiteral && text.match(DYNAMIC_CALL))
    return "a function called through a variable holding its name ('assert', 'system'…)";
  return undefined;
}

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
  [/~\s*['"][^'"\n]{2,}['"]|~\s*\(\s*\$\w{1,20}\s*[{[]/, 'strings negated bit by bit'],
  [
    /(?:\bchr\s*\(\s*\d{1,3}\s*\)\s*\.\s*){3,}|(?:\$\w{1,20}\s*\(\s*\d{2,3}\s*\)\s*\.\s*){3,}/i,
    'names spelt with chr()',
  ],
  [
    /(?:\$\w{1,20}\s*(?:\[\s*\d{1,3}\s*\]|\{\s*\d{1,3}\s*\})\s*\.\s*){3,}/,
    'names picked letter by letter',
  ],
  [
    /(?:['"][a-zA-Z_]{1,3}['"]\s*\.\s*){3,}|['"]as['"]\s*\.\s*['"]?s?ert|\.\s*['"](?:sert|ssert|ert|al|val)['"]/,
    'names cut into pieces',
  ],
  [
    /\bstr_replace\s*\(\s*['"][^'"\n]{1,10}['"]\s*,\s*['"]{2}\s*,\s*['"][^'"\n]{8,}/,
    'names hidden by str_replace',
  ],
  [/\$\$\w|\$\{\s*['"$]/, 'variable variables'],
  [/\bpack\s*\(\s*['"]c\*['"]\s*,\s*(?:0x[0-9a-fA-F]{2}|\d{2,3})\s*,/, 'names spelt with pack()'],
  [/\$[^\x00-\x7f]{8,}[^=\n]{0,40}=/, 'variable names of unreadable bytes'],
  [/new\s+String\s*\(\s*new\s+byte\s*\[\s*\]\s*\{\s*\d{2,3}\s*,/, 'names spelt as byte arrays'],
  [
    /\b(?:Class\.forName|get(?:Declared)?Method)\s*\(\s*(?:new\s+String\s*\()?\s*[\w.]*?(?:decode\w*|getDecoder\(\)\.decode)\s*\(/,
    'class or method names decoded at run time',
  ],
  [/(?<![\w>:$])\$_{1,8}\s*\(/, 'a function held in a variable named with underscores only'],
  [/(?:\$\w{1,20}\s*\+\+\s*;\s*){8,}/, 'letters made by incrementing strings'],
  [/pack\s*\(\s*['"]H\*['"]/i, 'hex packed'],
  [/(?:\\x[0-9a-fA-F]{2}){4,}|(?:\\[0-7]{3}){4,}/, 'escaped bytes'],
  [/(?:^\s*['"][A-Za-z0-9+/=]{50,}['"]\s*\.?\s*$\n?){8,}/m, 'a long encoded blob'],
];

const PHP_OR_SCRIPT = /<\?(?:php|=)?|<%|<script\s+runat\s*=|^#!.*(?:python|perl)/im;
const SERVER_SCRIPT = /\.(php\d?|phtml|phar|inc|jsp|jspx|asp|aspx|ashx|asmx|cer|cgi|pl|py|cfm)$/i;

// move_uploaded_file($_FILES['f']['tmp_name'], $dir . $_FILES['f']['name']): any name, any place.
const UPLOAD_AS_SENT =
  /\b(?:move_uploaded_file|copy)\s*\([^;\n]{0,200}?,[^;,\n]{0,80}\$(?:_FILES|HTTP_POST_FILES)\s*\[[^\]\n]{1,40}\]\s*\[\s*['"]name['"]\s*\]\s*\)/;
const DECODED_INTO_SESSION =
  /\$_SESSION\s*\[[^\]\n]{1,40}\]\s*=\s*@?(?:base64_decode|gzinflate|gzuncompress|str_rot13|hex2bin|strrev)\s*\(\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\b/;
const XPATH_PHP_CALL =
  /php:function(?:String)?\s*\(\s*\\?['"](system|exec|shell_exec|passthru|popen|proc_open|assert|eval)\\?['"]/;

const SELF_DELETE =
  /\b(?:unlink|@unlink)\s*\(\s*(?:__FILE__|\$_SERVER\s*\[\s*['"](?:SCRIPT_FILENAME|PHP_SELF)['"]\s*\])/;
const KEEPS_RUNNING = /\bignore_user_abort\s*\(\s*(?:true|1)\s*\)|\bset_time_limit\s*\(\s*0\s*\)/;
const FILE_OPERATIONS =
  /(?<![\w$>:]|->|::|function\s)\b(chmod|chown|unlink|rmdir|rename|file_put_contents|mkdir|copy|touch|move_uploaded_file)\s*\(/g;

/** The distinct file operations whose first argument comes from the request (a file manager's). */
function fileOperationsOnInput(text: string, tainted: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const m of [...text.matchAll(FILE_OPERATIONS)].slice(0, 500)) {
    const first = callArgs(text, m.index! + m[0].length - 1)[0];
    if (first !== undefined && carriesInput(first, tainted)) found.add(m[1]!);
  }
  return [...found];
}

// Writing files: Java's streams and writers (qualified or not), .NET's streams and uploads.
const STREAM_WRITER =
  /new\s+(?:java\.io\.)?(?:FileOutputStream|FileWriter|PrintWriter|RandomAccessFile)\s*\(|\bnew\s+FileStream\s*\([^;\n]{0,200}FileMode\.(?:Create|Append|OpenOrCreate)|\bFile\.WriteAll(?:Bytes|Text)\s*\(|\.SaveAs\s*\(/g;
const STREAM_READER =
  /\bResponse\.(?:WriteFile|TransmitFile)\s*\(|new\s+(?:java\.io\.)?(?:FileInputStream|FileReader)\s*\(|\bFile\.ReadAll(?:Bytes|Text|Lines)\s*\(/g;
const SQL_FROM_INPUT =
  /new\s+SqlCommand\s*\(\s*\w{1,40}\.Text\b|ConnectionString\s*=[^;\n]{0,80}\.Text\b|\.execute(?:Query|Update)?\s*\(\s*request\.getParameter\s*\(/;

/** Names (Java, C#: no `$`) that hold request input, through up to three assignments. */
function pageTainted(text: string): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\b(\w{1,40})\s*=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 5000);
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns)
      if (INPUT.test(m[2]!) || [...m[2]!.matchAll(/\b(\w{1,40})\b/g)].some((v) => names.has(v[1]!)))
        names.add(m[1]!);
    if (names.size === before) break;
  }
  return names;
}

/** A page opening a file (`calls`) whose name or content the request gave. */
function opensFromInput(text: string, calls: RegExp): boolean {
  const opened = [...text.matchAll(calls)].slice(0, 100);
  if (opened.length === 0) return false;
  if (near(text, INPUT, calls)) return true;
  const tainted = pageTainted(text);
  return opened.some((m) => {
    const args = m[0].endsWith('(') ? callArgs(text, m.index! + m[0].length - 1).join(',') : m[0];
    return (
      /(?:PostedFile|HttpPostedFile\w*)\.FileName\b/.test(args) ||
      [...args.matchAll(/\b(\w{1,40})\b/g)].some((v) => tainted.has(v[1]!))
    );
  });
}

/** Within this many characters, input and sink are taken as one statement's doing. */
const NEAR = 240;

/** A call whose argument is one constant string (`shell_exec('git log -1')`) runs nothing chosen. */
function hasConstantArgument(text: string, m: RegExpMatchArray): boolean {
  if (!m[0].endsWith('(')) return false;
  const first = callArgs(text, m.index! + m[0].length - 1)[0];
  return first !== undefined && /^\s*@?\s*(['"])[^'"$]*\1\s*$/.test(first);
}

function near(text: string, a: RegExp, b: RegExp): boolean {
  const global = (r: RegExp) =>
    new RegExp(r.source, r.flags.includes('g') ? r.flags : `${r.flags}g`);
  const sinks = [...text.matchAll(global(b))]
    .filter((m) => !hasConstantArgument(text, m))
    .map((m) => m.index!)
    .slice(0, 200);
  if (sinks.length === 0) return false;
  for (const m of text.matchAll(global(a))) {
    if (sinks.some((s) => Math.abs(s - m.index!) <= NEAR)) return true;
  }
  return false;
}

const STRONG_DISGUISES = new Set([
  'names spelt with pack()',
  'variable names of unreadable bytes',
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
]);

const PIECES = /(?:['"][^'"\n]{1,40}['"]\s*[.+]\s*)+['"][^'"\n]{1,40}['"]/g;
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

const isBase64Char = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47;
// Base64 and what joins its pieces in code: quotes, dots, spaces, '='.
const isBlobChar = (c: number) =>
  isBase64Char(c) || c === 61 || c === 39 || c === 34 || c === 46 || c <= 32;

/**
 * The longest run of characters `isIn` accepts, in one pass: a regex `[…]{N,}` would rescan
 * each run from every start, seconds on a file an attacker shaped for it.
 */
export function longestRun(text: string, isIn: (code: number) => boolean): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = isIn(text.charCodeAt(i)) ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

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
  if (!found.includes('a long encoded blob') && longestRun(text, isBase64Char) >= 600)
    found.push('a long encoded blob');
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
  for (const found_ of arrays) {
    const pieces = found_.map((p) => p.toLowerCase());
    const joined = pieces.join('');
    const isHidden = (name: string) =>
      spellsInOrder(pieces, name) ||
      (joined.includes(name) && !pieces.some((p) => p.includes(name)));
    if ([...RUNS_CODE].some(isHidden)) {
      if (!found.includes('names cut into pieces')) found.push('names cut into pieces');
      break;
    }
  }
  // array('_POST', '_GET') walked with $$: the request read through names held in strings.
  if (
    /['"]_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES)['"]/.test(text) &&
    /\$\$\w|\$\{\s*['"$]/.test(text)
  )
    found.push('the request read through a name held in a string');
  return found;
}

/**
 * The code without its comments: docblocks quote `$_GET`, `exec` and backticks all the
 * time; what a comment says never runs. One pass that knows string literals, so `//` or
 * `/*` inside a string (a base64 blob has them) is not taken for a comment, and `//` after
 * a colon is a URL. `#` starts a comment only at the start of a line (`#!` stays).
 */
/** Only blanks between the line's start and `i` (looked at for a `#` only). */
function isLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0 && text[j] !== '\n'; j--)
    if (text[j] !== ' ' && text[j] !== '\t') return false;
  return true;
}

export function withoutComments(text: string): string {
  let out = '';
  let from = 0;
  let quote = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      continue;
    }
    const next = text[i + 1];
    let end = -1;
    if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      end = close < 0 ? n : close + 2;
      out += text.slice(from, i) + ' ';
    } else if (
      (c === '/' && next === '/' && text[i - 1] !== ':' && text[i - 1] !== '\\') ||
      (c === '#' && next !== '!' && isLineStart(text, i))
    ) {
      // A line comment ends at the line's end, or where the code block does (`?>`, `%>`).
      const close = text.indexOf('\n', i);
      const block = /[?%]>/.exec(text.slice(i, close < 0 ? n : close));
      end = block ? i + block.index : close < 0 ? n : close;
      out += text.slice(from, i);
    }
    if (end >= 0) {
      from = end;
      i = end - 1;
    }
  }
  return out + text.slice(from);
}

/** Java's \\uXXXX escapes, which javac reads as the characters anywhere in a JSP's code. */
function javaUnescaped(text: string): string {
  return text.replace(/\\u+([0-9a-fA-F]{4})/g, (_, h: string) =>
    String.fromCharCode(parseInt(h, 16)),
  );
}

export function judgeWebShell(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  if (f.kind === 'D' || f.currentText === undefined) return undefined;
  const isJava = /\.jspx?$/i.test(f.path) || /<%@\s*page\b[^%]{0,200}import=/i.test(f.currentText);
  const text = withoutComments(isJava ? javaUnescaped(f.currentText) : f.currentText);
  // Server-side code by its name or its markers; a web root's scripts and styles are the browser's.
  if (!SERVER_SCRIPT.test(f.path) && !PHP_OR_SCRIPT.test(text)) return undefined;
  const input = INPUT.test(text);
  const isPageScript =
    /\.(jspx?|aspx?|ashx|asmx|cer)$/i.test(f.path) || /<%@\s*(?:page|Page|WebHandler)\b/.test(text);
  const command = COMMAND_SINK.exec(text);
  const code = CODE_SINK.exec(text);
  const sink = command ?? code;
  const sinkName = sink ? `${sink[1] ?? 'code'}()` : '';
  // Names straight from the request choose what is called; the command a console builds
  // from them over a step or two is what its sinks run.
  const tainted = input ? directlyTainted(text) : new Set<string>();
  const carried = input ? taintedNames(text) : new Set<string>();
  const indirect = indirectExecution(text, tainted);
  const disguises = disguisesIn(text);
  const strong = disguises.filter((d) => STRONG_DISGUISES.has(d));

  const commands = new Set([...text.matchAll(COMMAND_SINKS)].map((m) => m[1]).filter(Boolean));
  const dynamic =
    ANY_DYNAMIC_CALL.test(text) ||
    callsBackAVariable(text) ||
    (isPageScript && /\bget(?:Declared)?Method\s*\([^;\n]{0,200}\.invoke\s*\(/.test(text));

  const reasons: string[] = [];
  const decodedRun =
    /\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\s*\(\s*@?\s*(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode)\s*\(/.exec(
      text,
    );
  if (decodedRun) reasons.push(`${decodedRun[1]}() on decoded data`);
  // A JSP or ASP(X) page that runs commands and reads the request: pages do not, shells do.
  if (isPageScript && input && sink && !reasons.length)
    reasons.push(`${sinkName === 'code()' ? 'code' : sinkName} and request input in a server page`);
  if (
    isPageScript &&
    sink &&
    /["'](?:cmd(?:\.exe)?|\/bin\/(?:ba)?sh|powershell(?:\.exe)?)["']/i.test(text)
  )
    reasons.push('a server page that starts a shell');
  if (isPageScript && code && disguises.length)
    reasons.push(`${code[1] ?? 'code'}() on decoded input`);
  if (isPageScript && input && opensFromInput(text, STREAM_WRITER))
    reasons.push('writes a file from request input in a server page');
  else if (isPageScript && input && opensFromInput(text, STREAM_READER))
    reasons.push('hands out any file the visitor names (a file browser in a server page)');
  if (isPageScript && /['"]yv66vg[A-Za-z0-9+/]{40}/.test(text))
    reasons.push('a compiled Java class carried in the page, to be loaded at run time');
  if (isPageScript && input && SQL_FROM_INPUT.test(text))
    reasons.push('runs the SQL or connects to the database the visitor types (a database console)');
  if (
    /\b(?:include|require)(?:_once)?\s*\(?\s*['"]?(?:php:\/\/input|data:)|\b(?:include|require)(?:_once)?\s*\(?\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\b/.test(
      text,
    )
  )
    reasons.push('includes code sent in the request');
  const writer =
    /\b(?:file_put_contents|fopen|copy|move_uploaded_file)\s*\(\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\b/.exec(
      text,
    );
  if (writer)
    reasons.push(`writes a file the visitor names (${writer[0].replace(/\s*\(.*$/, '')})`);
  if (UPLOAD_AS_SENT.test(text)) reasons.push('saves an upload under the name the visitor gave');
  if ((sink || dynamic) && SELF_DELETE.test(text) && KEEPS_RUNNING.test(text))
    reasons.push('deletes its own file and keeps running (a memory-resident shell)');
  const fileOps = input ? fileOperationsOnInput(text, carried) : [];
  if (fileOps.length >= 3)
    reasons.push(`a file manager: ${fileOps.join(', ')} on paths from the request`);
  if (DECODED_INTO_SESSION.test(text))
    reasons.push('keeps decoded request input in the session (half of a two-stage shell)');
  const xpath = XPATH_PHP_CALL.exec(text);
  if (xpath) reasons.push(`an XPath expression that calls ${xpath[1]}()`);
  // File managers and command consoles (c99, r57…): several ways to run commands, and a form.
  if (input && commands.size >= 3)
    reasons.push(`a command runner: ${[...commands].join(', ')} and request input`);
  const onInput = input
    ? (sinkOnInput(text, COMMAND_SINKS, carried) ?? sinkOnInput(text, CODE_SINKS, carried))
    : undefined;
  const throughWrapper = input && !onInput ? wrappedSinkOnInput(text, carried) : undefined;
  if (onInput) reasons.push(`${onInput}() on request input`);
  else if (throughWrapper) reasons.push(throughWrapper);
  else if (input && sink && near(text, INPUT, command ? COMMAND_SINK : CODE_SINK))
    reasons.push(`${sinkName} on request input`);
  else if (
    code &&
    input &&
    tainted.size &&
    near(text, new RegExp(`\\$(?:${[...tainted].join('|')})\\b`), CODE_SINK)
  )
    reasons.push(`${code[1] ?? 'code'}() on request input`);
  if (indirect) reasons.push(indirect);
  if ((sink || indirect || dynamic) && (strong.length || (sink && disguises.length >= 2)))
    reasons.push(`${sinkName || 'code run'} hidden by ${disguises.join(', ')}`);
  else if (strong.length >= 2 && (input || /\$\w+\s*\(/.test(text)))
    reasons.push(`heavily disguised (${disguises.join(', ')})`);
  if (reasons.length)
    return {
      severity: 'critical',
      reason: `web shell pattern: ${reasons.join('; ')}`,
      attack: 'T1505.003',
    };
  // Most of it one encoded blob: what it runs is hidden from a reader (and from this sample).
  if (
    PHP_OR_SCRIPT.test(text) &&
    longestRun(text, isBlobChar) >= 20000 &&
    (longestRun(text, isBase64Char) >= 4000 ||
      /(?:['"][A-Za-z0-9+/=]{50,}['"]\s*\.\s*){100,}/.test(text))
  )
    return {
      severity: 'high',
      reason: 'server-side code that is mostly one encoded blob: what it runs is hidden',
      attack: 'T1505.003',
    };
  // A library calling these is common: worth a look, not an alarm.
  if (sink && (isInWebRoot || SERVER_SCRIPT.test(f.path)))
    return {
      severity: 'medium',
      reason: `server-side code calling ${sinkName}${isInWebRoot ? ' in a web-served location' : ''}`,
      attack: 'T1505.003',
    };
  return undefined;
}
