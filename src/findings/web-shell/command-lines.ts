/**
 * What a PHP page's own command lines do, read from the text it hands to system(), exec()
 * and their kin (issue 27's droppers and cleaners): fetch a program and start it, start a
 * program it made executable in the background, or wipe the system's logs and shell
 * history. An application's command lines run its tools on its data.
 */
import { callArgs, unescapePhp } from './code-text.js';

const RUNS_COMMAND_LINE = /\b(?:system|exec|shell_exec|passthru|popen|proc_open)\s*\(/g;
// The same functions, not methods of the same name (`$ssh->exec('ls')`, `re.exec('id')`).
const RUNS_COMMAND_LINE_ITSELF =
  /(?<![\w$>:.])(?:system|exec|shell_exec|passthru|popen|proc_open)\s*\(/g;

// A quoted PHP string, escapes kept as written.
const QUOTED = String.raw`'(?:[^'\\\n]|\\.){0,400}'|"(?:[^"\\\n]|\\.){0,400}"`;
// A variable given alone, or alone in a double-quoted string (`system("$c")`).
const ONE_VARIABLE = /^\s*("?)\$(\w{1,40})\1\s*$/;

// The readers below each ask for the same page's lines in turn: worked out once.
let remembered: { text: string; calls: RegExp; lines: string[] } | undefined;

/**
 * The first argument of each command call, as written (at most 100); one that is a variable
 * alone stands for the strings the page puts in it: those it is set to (`$c = "id\npwd";
 * proc_open($c, …)`) and those of a list it is looped over (`foreach ($cmds as $c)
 * system($c)`). A command kept in a variable is still the page's own command line.
 */
function commandLines(text: string, calls = RUNS_COMMAND_LINE): string[] {
  if (remembered?.text === text && remembered.calls === calls) return remembered.lines;
  const lines: string[] = [];
  const held = new Map<string, string[]>();
  for (const m of [...text.matchAll(calls)].slice(0, 100)) {
    const first = callArgs(text, m.index! + m[0].length - 1)[0] ?? '';
    const variable = ONE_VARIABLE.exec(first)?.[2];
    if (variable && !held.has(variable)) held.set(variable, stringsHeldBy(text, variable));
    lines.push(...(variable ? held.get(variable)! : []), first);
  }
  remembered = { text, calls, lines };
  return lines;
}

/** The quoted strings a variable is set to, or that a list it loops over holds (bounded). */
function stringsHeldBy(text: string, name: string): string[] {
  const held: string[] = [];
  const set = new RegExp(String.raw`\$${name}\s*=\s*(${QUOTED})\s*;`, 'g');
  for (const m of [...text.matchAll(set)].slice(0, 20)) held.push(m[1]!);
  const loops = new RegExp(
    String.raw`\bforeach\s*\(\s*\$(\w{1,40})\s+as\s+(?:\$\w{1,40}\s*=>\s*)?\$${name}\s*\)`,
    'g',
  );
  for (const loop of [...text.matchAll(loops)].slice(0, 5)) {
    const list = new RegExp(String.raw`\$${loop[1]}\s*=\s*(?:array\s*\(|\[)`, 'g');
    for (const start of [...text.matchAll(list)].slice(0, 5))
      held.push(...listedStrings(text, start.index! + start[0].length));
  }
  return held;
}

/** The quoted strings of a list written out as strings alone, from `from` (at most 50). */
function listedStrings(text: string, from: number): string[] {
  const item = new RegExp(String.raw`(?:\d{1,4}\s*=>\s*)?(${QUOTED})\s*([,)\]])\s*`, 'y');
  const strings: string[] = [];
  let at = from;
  while (at < Math.min(text.length, from + 200) && /\s/.test(text[at]!)) at++;
  item.lastIndex = at;
  for (let m = item.exec(text); m && strings.length < 50; m = item.exec(text)) {
    strings.push(m[1]!);
    if (m[2] !== ',') break;
  }
  return strings;
}

// A program fetched by a command line (`system('wget "http://…/x" || curl -O …')`), from a
// URL written there or spliced in (`'cd /tmp;fetch ' . $url . 'k.txt'`), by any of the
// fetchers droppers try in turn (lwp-download, BSD's fetch, libwww's GET, lynx); and a
// command line that starts one (`chmod 777 ./x`, `nohup ./x &`, `perl k.txt`). wget and curl
// in either case, GET in capitals only (libwww's name; `get` is a word).
const FETCHES_PROGRAM =
  /\b(?:[Ww][Gg][Ee][Tt]|[Cc][Uu][Rr][Ll]|fetch|lwp-download|lynx\s{1,4}-source|GET)\s[^;|&\n]{0,200}?(?:(?:https?|ftp):\/\/|['"]\s{0,4}\.\s{0,4}\$)/;
const STARTS_PROGRAM =
  /\bchmod\s{1,4}\+?[0-7x]{1,4}\b|\bnohup\s|(?:^|[\s;&|'"])(?:\.\/\w|(?:perl|python[23]?|php|sh|bash)\s{1,4}[\w.-]{1,60}\s{0,4}(?:[;&|'"]|$))/;

/** True when the page's command lines download a program and start it (a dropper). */
export function downloadsAndRuns(text: string): boolean {
  const lines = commandLines(text);
  return lines.some((l) => FETCHES_PROGRAM.test(l)) && lines.some((l) => STARTS_PROGRAM.test(l));
}

// `./name …&` as the whole of a quoted command line: a program beside the page, started in
// the background (`&` at its end, not `&&`), its output thrown away or not.
const STARTS_OWN_IN_BACKGROUND =
  /^\s*['"]\s*(?:nohup\s+)?\.\/([\w.-]{1,60})\b[^'"\n]{0,120}(?<!&)&\s*['"]\s*$/;
const MADE_EXECUTABLE = /\bchmod\s*\(\s*(['"])(?:\.\/)?([\w.-]{1,60})\1\s*,\s*0?[0-7]{3,4}\s*\)/g;

/**
 * True when the page makes a program beside it executable and starts it in the background
 * (`chmod("apache2", 0744); exec('./apache2 > /dev/null &')`): a binary dropped among the
 * pages and run under a server's name.
 */
export function startsDroppedProgram(text: string): boolean {
  const started = commandLines(text).flatMap((l) => STARTS_OWN_IN_BACKGROUND.exec(l)?.[1] ?? []);
  if (!started.length) return false;
  const made = new Set([...text.matchAll(MADE_EXECUTABLE)].slice(0, 100).map((m) => m[2]!));
  return started.some((name) => made.has(name));
}

// Deleting the system's logs or a shell's history (`rm -rf /var/log`, `rm ~/.bash_history`,
// the login records in utmp, wtmp and lastlog), or turning history off.
const WIPES_TRACES =
  /\brm\s+(?:-\w{1,4}\s+){0,3}(?:\/var\/log\b|[^\s'"]{0,60}\.(?:bash|zsh|sh|ksh)_history\b|[^\s'"]{0,60}\/(?:[uw]tmp|lastlog)\b)|\bhistory\s+-c\b|\bunset\s+HISTFILE\b/;

/** True when the page's command lines wipe the system's logs or a shell's history. */
export function wipesTraces(text: string): boolean {
  return commandLines(text).some((l) => WIPES_TRACES.test(l));
}

// The server's account lists at their fixed places, sent to the visitor as they are
// (`echo file_get_contents('/etc/passwd')`, `readfile("/etc/shadow")`): what `cat /etc/passwd`
// shows, with no command run. Applications read them to look one user up, not to print them.
const ACCOUNT_FILE = String.raw`["']\/etc\/(?:passwd|shadow|trueuserowners|userdomains|valiases)["']`;
const SENDS_ACCOUNT_FILE = new RegExp(
  String.raw`\b(?:readfile|highlight_file|show_source)\s*\(\s*${ACCOUNT_FILE}|\b(?:echo|print|print_r|var_dump)\b[^;\n]{0,80}?\b(?:file_get_contents|file)\s*\(\s*${ACCOUNT_FILE}`,
);

/** True when the page sends the server's account list (/etc/passwd, cPanel's user files) out. */
export const sendsAccountList = (text: string) => SENDS_ACCOUNT_FILE.test(text);

// What an attacker runs to see whether commands run, before a shell: discovery commands and
// bare shells. An application runs its own tools with arguments; `whoami` is left out
// (installers ask who the server runs as), and so is `uptime` (forums read the load average
// from it).
const PROBE_COMMANDS = String.raw`id|dir|ls(?: -la?)?|pwd|uname(?: -a)?|ifconfig|ipconfig|netstat(?: -an)?|ps(?: aux| -ef)?|cat \/etc\/passwd|\/bin\/(?:ba)?sh(?: -i)?|(?:ba)?sh -i|nc(?: -h)?|net user|systeminfo|tasklist|cmd(?:\.exe)?`;
// One written into the call (`system("id")`, `popen('uname -a', 'r')`), in any language's
// text; not a method of the same name (`$ssh->exec('ls')`, JavaScript's `re.exec('id')`).
const PROBE_WRITTEN_IN = new RegExp(
  String.raw`(?<![\w$>:.])(?:system|exec|shell_exec|passthru|popen|proc_open)\s*\(\s*["'](?:${PROBE_COMMANDS})["']`,
);
const PROBE = new RegExp(`^(?:${PROBE_COMMANDS})$`);
// A bare word, which PHP before 8 reads as a string: `system(id)`.
const BARE_PROBE = /^\s*(?:id|uname|pwd|whoami)\s*$/;

/**
 * True when the page runs discovery commands or a bare shell and nothing else: written
 * into the call, and in PHP (`readsPhp`) however else the command line is written, kept in
 * a variable (`$c = "id\npwd\n"; proc_open($c, …)`), several in one string, or a bare word.
 */
export function runsProbeCommand(text: string, readsPhp: boolean): boolean {
  if (PROBE_WRITTEN_IN.test(text)) return true;
  if (!readsPhp) return false;
  return commandLines(text, RUNS_COMMAND_LINE_ITSELF).some((line) => {
    if (BARE_PROBE.test(line)) return true;
    const quoted = /^\s*(['"])([^]*)\1\s*$/.exec(line);
    if (!quoted) return false;
    const body =
      quoted[1] === '"'
        ? unescapePhp(quoted[2]!).replace(/\\n/g, '\n').replace(/\\t/g, '\t')
        : quoted[2]!;
    const parts = body
      .split(/\n|;|&&/)
      .map((p) => p.trim())
      .filter(Boolean);
    return parts.length > 0 && parts.length <= 10 && parts.every((p) => PROBE.test(p));
  });
}
