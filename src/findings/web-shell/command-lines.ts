/**
 * What a PHP page's own command lines do, read from the text it hands to system(), exec()
 * and their kin (issue 27's droppers and cleaners): fetch a program and start it, start a
 * program it made executable in the background, or wipe the system's logs and shell
 * history. An application's command lines run its tools on its data.
 */
import { callArgs } from './code-text.js';

const RUNS_COMMAND_LINE = /\b(?:system|exec|shell_exec|passthru|popen|proc_open)\s*\(/g;

/** The first argument of each command call, as written (at most 100). */
function commandLines(text: string): string[] {
  return [...text.matchAll(RUNS_COMMAND_LINE)]
    .slice(0, 100)
    .map((m) => callArgs(text, m.index! + m[0].length - 1)[0] ?? '');
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
