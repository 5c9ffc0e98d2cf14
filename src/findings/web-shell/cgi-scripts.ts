/**
 * CGI scripts in shell, Perl or Python: the web server hands them the request in their
 * environment (`QUERY_STRING`, `HTTP_*`) and on their standard input, and sends back what
 * they print. One that runs what it was sent (`eval "$QUERY_STRING"`, `open(CMD, "$cmd|")`,
 * `os.popen(form['c'].value)`) is a web shell, whatever its name. Issue 27: a shell script
 * in a cgi-bin folder evaluating `$QUERY_STRING` was ranked medium, as a new script.
 */
import { blockEnd, callArgs } from './code-text.js';

type CgiLanguage = 'sh' | 'perl' | 'python';

/** The script's language, by its first line or its name. */
export function languageOf(path: string, text: string): CgiLanguage | undefined {
  const shebang = /^#![^\n]{0,100}/.exec(text)?.[0] ?? '';
  if (/perl/.test(shebang)) return 'perl';
  if (/python/.test(shebang)) return 'python';
  if (/\/(?:ba|da|k|z|a)?sh\b|\benv\s+(?:ba)?sh\b/.test(shebang)) return 'sh';
  if (/\.(?:pl|pm)$/i.test(path)) return 'perl';
  if (/\.py$/i.test(path)) return 'python';
  if (/\.(?:sh|bash)$/i.test(path)) return 'sh';
  return undefined;
}

// What the web server hands a CGI script from the visitor, in each language.
const CGI_INPUT: Record<CgiLanguage, RegExp> = {
  sh: /\$\{?(?:QUERY_STRING|HTTP_[A-Z_]{1,40}|REQUEST_URI|PATH_INFO)\b|\bread\b[^\n;]{0,80}\$\{?CONTENT_LENGTH/,
  perl: /\$ENV\s*\{\s*['"]?(?:QUERY_STRING|HTTP_[A-Z_]{1,40}|REQUEST_URI|PATH_INFO)\b|\bparam\s*\(|->\s*param\b|\b(?:sys)?read\s*\(\s*STDIN\b|\bReadParse\b|\bCGI::Vars\b|\bVars\s*\(/,
  python:
    /\benviron(?:\.get\s*\(|\s*\[)\s*['"](?:QUERY_STRING|HTTP_[A-Z_]{1,40}|REQUEST_URI|PATH_INFO)|\bgetenv\s*\(\s*['"](?:QUERY_STRING|HTTP_)|\bFieldStorage\s*\(|\bsys\.stdin\.read\s*\(/,
};

// Where a CGI script runs what it is given, in each language.
const CGI_SINKS: Record<CgiLanguage, RegExp> = {
  // eval, sh -c, a pipe into a shell, and a command that is itself a variable (`$cmd 2>&1`,
  // `` `$cmd` ``, `$($cmd)`); a substitution that only parses the query (`$(echo … | sed …)`)
  // runs nothing the visitor chose.
  sh: /\beval\b[^\n]{0,200}|\b(?:ba|da|k|z)?sh\s+-c\b[^\n]{0,200}|\|\s*(?:ba|da)?sh\b|(?:^[ \t]*|`\s*|\$\(\s*)"?\$\{?\w{1,40}\}?"?(?=[\s`)]|$)/gm,
  // Perl's `eval { … }` is its try block, not a string evaluated.
  perl: /\b(?:system|exec)\s*\(?|\beval(?!\s*\{)\s*\(?|`[^`\n]{1,200}`|\bqx\s*[{(/'"|!]|\bopen\s*\(?/g,
  python:
    /\bos\.(?:system|popen\d?|exec\w{0,3}|spawn\w{0,3})\s*\(|\bsubprocess\.\w{1,20}\s*\(|\bcommands\.getoutput\s*\(|\b(?:eval|exec)\s*\(|\bpty\.spawn\s*\(/g,
};

// A variable's name in each language: Python's are bare words; shell and Perl ones carry a
// sigil.
const NAME: Record<CgiLanguage, RegExp> = {
  sh: /[$%@]\{?(\w{1,40})/g,
  perl: /[$%@]\{?(\w{1,40})/g,
  python: /\b(\w{1,40})\b/g,
};
const LABEL: Record<CgiLanguage, string> = { sh: 'shell', perl: 'Perl', python: 'Python' };

interface Tester {
  test(text: string): boolean;
}

// Where each language's functions start: Python's `def get(name):`, Perl's `sub param {`,
// a shell's `get() {`.
const FUNCTION_START: Record<CgiLanguage, RegExp> = {
  python: /^[ \t]*def\s+(\w{1,40})\s*\(/gm,
  perl: /\bsub\s+(\w{1,40})\s*(?:\([^)\n]{0,40}\)\s*)?\{/g,
  sh: /^[ \t]*(?:function\s+)?(\w{1,40})\s*\(\s*\)\s*\{/gm,
};

/**
 * Functions of the script's own that read what the request sends (`def get(name): q_str =
 * os.environ['QUERY_STRING'] …`): a call to one is request input as surely as the read.
 */
function inputReaders(language: CgiLanguage, text: string, input: RegExp): Set<string> {
  // A module-level name holding the request (`form = cgi.FieldStorage()`) read in the body.
  const held = requestVariables(text, input);
  const readsHeld = (body: string) =>
    [...body.matchAll(/\b(\w{1,40})\b/g)].some((w) => held.has(w[1]!));
  return new Set(
    functionsOf(language, text)
      .filter((f) => input.test(f.body) || readsHeld(f.body))
      .map((f) => f.name),
  );
}

/**
 * Where a Python block whose header line ends after `from` ends: the first line after it
 * indented no deeper than the header (`indent`), within 3,000 characters.
 */
function pythonBlockEnd(text: string, from: number, indent: number): number {
  const limit = Math.min(text.length, from + 3000);
  let at = text.indexOf('\n', from);
  while (at >= 0 && at < limit) {
    const line = /^[ \t]*(\S?)/.exec(text.slice(at + 1, at + 201))!;
    if (line[1] && line[1] !== '#' && line[0].length - 1 <= indent) return at;
    at = text.indexOf('\n', at + 1);
  }
  return limit;
}

/** The script's own functions: name, parameters (Python's and Perl's) and body. */
function functionsOf(language: CgiLanguage, text: string) {
  return [...text.matchAll(FUNCTION_START[language])].slice(0, 500).map((m) => {
    const from = m.index! + m[0].length;
    let body: string;
    let params: string[] = [];
    if (language === 'python') {
      body = text.slice(from, pythonBlockEnd(text, from, /^[ \t]*/.exec(m[0])![0].length));
      params = callArgs(text, from - 1).map((p) => /^\s*\**(\w{1,40})/.exec(p)?.[1] ?? '');
    } else {
      body = text.slice(from - 1, blockEnd(text, from - 1, 3000));
      // Perl: `my ($cmd, $dir) = @_;`, `my $cmd = shift;`.
      const list = /\bmy\s*\(([^)\n]{1,200})\)\s*=\s*@_/.exec(body)?.[1] ?? '';
      params = [
        ...[...list.matchAll(/\$(\w{1,40})/g)].map((p) => p[1]!),
        ...[...body.matchAll(/\bmy\s+\$(\w{1,40})\s*=\s*(?:shift\b|\$_\[\d\])/g)].map((p) => p[1]!),
      ];
    }
    return {
      name: m[1]!,
      at: m.index!,
      end: from + body.length,
      body,
      params: params.filter(Boolean),
    };
  });
}

/**
 * The request's input: what the web server hands over, or a call to one of `readers`
 * (`get('c')`, or Perl's `&init_cgi` with no parentheses).
 */
function inputOrReaders(input: RegExp, readers: ReadonlySet<string>): Tester {
  if (readers.size === 0) return input;
  return {
    test: (expr) =>
      input.test(expr) ||
      [...expr.matchAll(/(\w{1,40})\s*\(|&\s*(\w{1,40})/g)].some((c) => readers.has(c[1] ?? c[2]!)),
  };
}

/**
 * Variables a CGI script fills from the request, through up to five steps: assignments, an
 * element set (`$param{$name} = $value`), a list assigned (`($name, $value) = split(…)`) and
 * a loop over a list (`foreach $pair (@pairs)`, `for k in form.keys():`). The steps are how
 * a hand-written CGI parser reads the query: buffer, pairs, pair, name and value, the hash.
 */
function requestVariables(text: string, input: Tester): Set<string> {
  const names = new Set<string>();
  // sh `cmd=…`, Perl `my $cmd = …`, `%FORM = …` or `$FORM{$k} = …`, Python `cmd = …`.
  const assigns = [
    ...text.matchAll(
      /(?:^|[\s;({])[$%@]?(\w{1,40})(?:\[[^\]\n]{0,40}\]|\{[^}\n]{0,40}\})?[ \t]{0,8}=(?![=~>])([^\n;]{0,200})/gm,
    ),
  ]
    .slice(0, 5000)
    .map((m) => ({ targets: [m[1]!], from: m[2]! }));
  const lists = [
    ...text.matchAll(/(?:\bmy\s*)?\(([$@%\w\s,]{1,200})\)[ \t]{0,8}=(?![=~>])([^\n;]{0,200})/g),
    ...text.matchAll(/\bfor(?:each)?\s+(?:my\s+)?\$(\w{1,40})\s*\(([^)\n]{1,200})\)/g),
    ...text.matchAll(/^[ \t]*for\s+(\w{1,40}(?:\s*,\s*\w{1,40})?)\s+in\s+([^\n:]{1,200}):/gm),
  ]
    .slice(0, 2000)
    .map((m) => ({ targets: [...m[1]!.matchAll(/\w{1,40}/g)].map((v) => v[0]), from: m[2]! }));
  const steps = [...assigns, ...lists];
  const uses = (expr: string) =>
    input.test(expr) || [...expr.matchAll(/\b(\w{1,40})\b/g)].some((v) => names.has(v[1]!));
  for (let round = 0; round < 5; round++) {
    const before = names.size;
    for (const step of steps)
      // `(my $a, my $b) = …` names its variables with `my` among them.
      if (uses(step.from)) for (const t of step.targets) if (t !== 'my') names.add(t);
    if (names.size === before) break;
  }
  return names;
}

/** What a sink match runs: its call's arguments, or the text it spans. */
function sinkOperand(text: string, m: RegExpMatchArray): string {
  const at = m.index! + m[0].length;
  if (m[0].startsWith('`')) return m[0];
  if (m[0].endsWith('(')) {
    const args = callArgs(text, at - 1);
    // A fixed program given its arguments as a list (`subprocess.run(["ls", d])`,
    // `system("ls", $d)`): the visitor picks an argument, not the command.
    // Perl's open() names its handle first (`open("COMH", "$cmd |")`): no program.
    const first = args[0] ?? '';
    const isOpen = /^open\b/.test(m[0]);
    if (/^\s*\[\s*['"][\w./-]{1,80}['"]/.test(first)) return '';
    if (!isOpen && args.length > 1 && /^\s*['"][\w./-]{1,80}['"]\s*$/.test(first)) return '';
    return args.join(',');
  }
  // `open FH, "…|"`, `system "…"`, `qx{…}`: the rest of the statement.
  const end = text.indexOf('\n', at);
  return m[0] + text.slice(at, Math.min(end < 0 ? text.length : end, at + 200));
}

/** True for a Perl open() that starts a process: a pipe in its mode or its name. */
const isPerlPipeOpen = (operand: string) =>
  /\|\s*['"]|['"]\s*\||['"]-\|['"]|['"]\|-['"]/.test(operand);

/**
 * The reason a CGI script is a web shell, or undefined: a shell, Perl or Python script that
 * reads what the web server hands it from the visitor and runs it (directly, or through a
 * variable it fills from the request). `isServed`: it sits where a web server runs or serves
 * files; a script reading the CGI environment is a CGI script wherever it is.
 */
export function cgiRunsRequest(path: string, text: string, isServed: boolean): string | undefined {
  const language = languageOf(path, text);
  if (!language) return undefined;
  const input = CGI_INPUT[language];
  if (!input.test(text)) return undefined;
  const isCgi =
    isServed ||
    /\/cgi-bin\/|\.cgi$/i.test(path) ||
    /\bContent-type:|\bREQUEST_METHOD\b|\buse\s+CGI\b|\bimport\s+(?:\w{1,40}\s*,\s*){0,10}cgi\b|\bfrom\s+cgi\s+import\b/i.test(
      text,
    );
  if (!isCgi) return undefined;
  const fromRequest = inputOrReaders(input, inputReaders(language, text, input));
  const tainted = requestVariables(text, fromRequest);
  const names = NAME[language];
  const carries = (operand: string) =>
    fromRequest.test(operand) || [...operand.matchAll(names)].some((v) => tainted.has(v[1]!));
  for (const m of [...text.matchAll(CGI_SINKS[language])].slice(0, 300)) {
    const operand = sinkOperand(text, m);
    if (language === 'perl' && /^open\b/.test(m[0]) && !isPerlPipeOpen(operand)) continue;
    if (carries(operand))
      return `a ${LABEL[language]} CGI script that runs what the request sends (${m[0].trim().slice(0, 40)}…)`;
    // `echo "$QUERY_STRING" | sh`: input piped into a shell on the same line.
    if (language === 'sh' && /^\|/.test(m[0])) {
      const lineStart = text.lastIndexOf('\n', m.index!) + 1;
      if (carries(text.slice(lineStart, m.index!)))
        return 'a shell CGI script that pipes what the request sends into a shell';
    }
  }
  const wrapper = sinkWrapperOnInput(language, text, carries);
  if (wrapper)
    return `a ${LABEL[language]} CGI script that runs what the request sends (through its own ${wrapper}())`;
  if (browsesFiles(language, text, carries))
    return `a ${LABEL[language]} CGI script browsing files: lists any folder and hands out any file the visitor names`;
  return undefined;
}

// Where a script lists a folder, and where it opens a file, in each language.
const LISTS_FOLDER: Record<CgiLanguage, RegExp | undefined> = {
  sh: undefined,
  perl: /\bopendir\s*\(?/g,
  python: /\bos\.(?:listdir|scandir|walk)\s*\(|\bglob\.i?glob\s*\(/g,
};
const OPENS_FILE: Record<CgiLanguage, RegExp | undefined> = {
  sh: undefined,
  perl: /\bopen\s*\(?/g,
  python: /(?<![\w.])open\s*\(|\bio\.open\s*\(/g,
};

/**
 * A file browser: lists a folder and opens a file, each by a name the request sends
 * (PerlKit's browse.pl): any file the server can read, the site's secrets among them. A
 * download script opens a file the visitor picks but lists no folder the visitor names.
 */
function browsesFiles(
  language: CgiLanguage,
  text: string,
  carries: (operand: string) => boolean,
): boolean {
  const onInput = (calls: RegExp | undefined) =>
    calls !== undefined &&
    [...text.matchAll(calls)]
      .slice(0, 300)
      .map((m) => sinkOperand(text, m))
      .some((operand) => !isPerlPipeOpen(operand) && carries(operand));
  return onInput(LISTS_FOLDER[language]) && onInput(OPENS_FILE[language]);
}

/**
 * A function of the script's own that runs one of its parameters (`def ExecuteCommandCode(
 * cmdPath, command): … os.popen3(cmd)`), called elsewhere with what the request sends: the
 * function's name.
 */
function sinkWrapperOnInput(
  language: CgiLanguage,
  text: string,
  carries: (operand: string) => boolean,
): string | undefined {
  if (language === 'sh') return undefined;
  const names = NAME[language];
  const wrappers = new Map<string, { at: number; end: number }>();
  for (const f of functionsOf(language, text)) {
    if (!f.params.length) continue;
    const params = new Set(f.params);
    const fromParams = {
      test: (e: string) => [...e.matchAll(names)].some((v) => params.has(v[1]!)),
    };
    const derived = requestVariables(f.body, fromParams);
    const runs = [...f.body.matchAll(CGI_SINKS[language])].slice(0, 50).some((m) => {
      const operand = sinkOperand(f.body, m);
      if (language === 'perl' && /^open\b/.test(m[0]) && !isPerlPipeOpen(operand)) return false;
      return [...operand.matchAll(names)].some((v) => params.has(v[1]!) || derived.has(v[1]!));
    });
    if (runs) wrappers.set(f.name, f);
  }
  if (wrappers.size === 0) return undefined;
  for (const c of [...text.matchAll(/(\w{1,40})\s*\(/g)].slice(0, 20_000)) {
    const f = wrappers.get(c[1]!);
    if (!f || (c.index! >= f.at && c.index! < f.end)) continue;
    if (carries(callArgs(text, c.index! + c[0].length - 1).join(','))) return c[1]!;
  }
  return undefined;
}
