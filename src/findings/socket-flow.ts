/**
 * A PHP reverse shell wires a socket to a process: the socket handed to the process as its
 * standard streams (`proc_open($sh, [0 => $sock, 1 => $sock, 2 => $sock], $pipes)`), or
 * what one reads written to the other (`fwrite($pipes[0], fread($sock, 1400))`). Followed
 * here by the variables that hold each end, through assignments, wherever they are in the
 * file: a window of characters missed a well-known shell whose socket and process call are
 * 398 characters apart (issue 27).
 */
import { callArgs, ownFunctions } from './web-shell/code-text.js';

const SOCKET_OPEN =
  /(?<![\w>:])(?:p?fsockopen|stream_socket_(?:client|server|accept)|socket_(?:create|accept|connect))\s*\(/;

const PROCESS_OPEN = /(?<![\w>:$])(proc_open|popen)\s*\(/g;

const PROCESS_RUN = /(?<![\w>:$])(proc_open|popen|shell_exec|exec|system|passthru)\s*\(/g;

// Calls that move data from one stream to another.
const STREAM_WRITE =
  /(?<![\w>:$])(?:fwrite|fputs|socket_write|socket_send|stream_copy_to_stream)\s*\(/g;

const names = (expr: string) => [...expr.matchAll(/\$(\w{1,40})/g)].map((m) => m[1]!);

/** Variables holding one end: assigned from `opens`, or from an expression of such a variable. */
function holders(text: string, seed: Set<string>, opens: RegExp): Set<string> {
  const held = new Set(seed);
  // An assignment ends at its statement's end or at a block's edge: `while (($d = fread($in,
  // 1024)) && …) {}` must not run on into the next function's assignments.
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])\s*([^;{}]{0,300})/g)].slice(0, 5000);
  for (let round = 0; round < 4; round++) {
    const before = held.size;
    for (const m of assigns)
      if (opens.test(m[2]!) || names(m[2]!).some((n) => held.has(n))) held.add(m[1]!);
    if (held.size === before) break;
  }
  return held;
}

/** True when the file connects a socket to a process, by the variables that hold them. */
export function socketReachesProcess(text: string): boolean {
  if (!SOCKET_OPEN.test(text)) return false;
  const sockets = holders(text, new Set(), SOCKET_OPEN);
  if (sockets.size === 0) return false;
  // A process's ends: what proc_open or popen returns, and proc_open's pipes (its third argument).
  const seed = new Set<string>();
  for (const m of [...text.matchAll(PROCESS_OPEN)].slice(0, 200)) {
    const pipes = callArgs(text, m.index! + m[0].length - 1)[2];
    if (pipes) names(pipes).forEach((n) => seed.add(n));
  }
  const processes = holders(text, seed, /(?<![\w>:$])(?:proc_open|popen)\s*\(/);
  // The socket given to a process as its streams or its command.
  for (const m of [...text.matchAll(PROCESS_RUN)].slice(0, 200)) {
    const args = callArgs(text, m.index! + m[0].length - 1).join(',');
    if (names(args).some((n) => sockets.has(n))) return true;
  }
  // One end's data written to the other, or both ends handed to a function of the page's own
  // that writes (`$this->rw($socket, $pipes[0])`).
  const copiers = streamCopiers(text);
  const copies = copiers.length
    ? new RegExp(
        String.raw`${STREAM_WRITE.source}|(?:->|::|(?<![\w$]))(?:${copiers.join('|')})\s*\(`,
        'g',
      )
    : STREAM_WRITE;
  for (const m of [...text.matchAll(copies)].slice(0, 500)) {
    const args = callArgs(text, m.index! + m[0].length - 1).join(',');
    const used = names(args);
    if (!used.some((n) => sockets.has(n))) continue;
    // The process's end, or a command's output written straight down the socket
    // (`fputs($sock, system('uname -a'))`: a connect-back reporting to its listener).
    if (used.some((n) => processes.has(n)) || args.search(PROCESS_RUN) >= 0) return true;
  }
  return false;
}

// Reads from a stream, and the calls that run code.
const SOCKET_READ =
  /(?<![\w>:$])(?:socket_read|socket_recv|fread|fgets|stream_get_contents|stream_socket_recvfrom)\s*\(/;
const NEVER = /(?!)/;
const CODE_RUN = /(?<![\w>:$])(?:eval|assert|create_function)\s*\(/g;

/**
 * True when PHP runs as code what a socket it opened receives: Metasploit's PHP stager
 * (`$len = socket_read($s, 4); $b = socket_read($s, $len); eval($b);`) and its kin. The
 * received data is followed by the variables that hold it, as the process's ends are above.
 */
export function socketCodeRun(text: string): boolean {
  if (!SOCKET_OPEN.test(text) || !/\b(?:eval|assert|create_function)\s*\(/.test(text)) return false;
  const sockets = holders(text, new Set(), SOCKET_OPEN);
  if (sockets.size === 0) return false;
  const received = new Set<string>();
  for (const m of [...text.matchAll(/\$(\w{1,40})\s*\.?=(?![=>])\s*([^;{}]{0,300})/g)].slice(
    0,
    5000,
  ))
    if (SOCKET_READ.test(m[2]!) && names(m[2]!).some((n) => sockets.has(n))) received.add(m[1]!);
  if (received.size === 0) return false;
  const data = holders(text, received, NEVER);
  for (const m of [...text.matchAll(CODE_RUN)].slice(0, 200)) {
    const args = callArgs(text, m.index! + m[0].length - 1).join(',');
    if (names(args).some((n) => data.has(n))) return true;
  }
  return false;
}

/**
 * The page's own functions that write to a stream, themselves or through another such
 * function (`rw()` calling `$this->write()`), by their bodies; at most 50.
 */
function streamCopiers(text: string): string[] {
  const bodies = ownFunctions(text, 200, 3000).map((f) => [f.name, f.body] as const);
  const own = new Set<string>();
  const writes = (body: string) => {
    if (body.search(STREAM_WRITE) >= 0) return true;
    const calls = [...body.matchAll(/(?:->|::|(?<![\w$]))(\w{1,40})\s*\(/g)].slice(0, 200);
    return calls.some((c) => own.has(c[1]!));
  };
  for (let round = 0; round < 3; round++) {
    const before = own.size;
    for (const [name, body] of bodies) if (own.size < 50 && writes(body)) own.add(name);
    if (own.size === before) break;
  }
  return [...own];
}

// Python: what a socket receives, and the calls that run a command.
const PY_RECEIVE = /\.recv(?:from)?\s*\(/;
// subprocess under another name too (`import subprocess as sp`), by its calls no other
// module has.
const PY_RUN =
  /(?<![\w.])(?:os\.(?:system|popen\d?)|subprocess\.(?:call|check_call|check_output|run|Popen|getoutput|getstatusoutput)|\w{1,20}\.(?:Popen|check_output|getoutput|getstatusoutput)|popen2\.popen\d|commands\.getoutput|pty\.spawn)\s*\(/g;
const pyNames = (expr: string) => [...expr.matchAll(/\b([A-Za-z_]\w{0,39})\b/g)].map((m) => m[1]!);

/**
 * True when a Python file runs what a socket receives as a command (`data =
 * conn.recv(1024)`, then `os.popen(data[:-2])`): a bind or reverse shell, however far apart
 * the two are. A fixed program given its arguments as a list is not a command received.
 */
export function pythonSocketRunsCommand(text: string): boolean {
  if (!PY_RECEIVE.test(text)) return false;
  const received = new Set<string>();
  // `data = …`, and a tuple's first name (`data, addr = s.recvfrom(1024)`), at a line's
  // start or after `;` or a one-line block's `:` (`while True: d=c.recv(1024);p=…`).
  const statements = text.replace(/[;:]/g, '\n');
  const assigns = [...statements.matchAll(/^[ \t]*([A-Za-z_][\w ,]{0,120})=(?!=)([^\n]{0,300})/gm)]
    .slice(0, 5000)
    .map((m) => [/^\w+/.exec(m[1]!)![0], m[2]!] as const);
  for (let round = 0; round < 4; round++) {
    const before = received.size;
    for (const [name, value] of assigns)
      if (PY_RECEIVE.test(value) || pyNames(value).some((n) => received.has(n))) received.add(name);
    if (received.size === before) break;
  }
  for (const m of [...text.matchAll(PY_RUN)].slice(0, 300)) {
    const first = callArgs(text, m.index! + m[0].length - 1)[0] ?? '';
    if (/^\s*\[\s*['"]/.test(first)) continue;
    if (PY_RECEIVE.test(first) || pyNames(first).some((n) => received.has(n))) return true;
  }
  return false;
}

// Perl: handles that are a socket or a connection accepted on one, by name.
const PERL_SOCKET_HANDLE =
  /\b(?:socket|accept)\s*\(\s*(?:my\s+)?\$?(\w{1,40})|\$(\w{1,40})\s*=\s*(?:IO::Socket::INET\s*->\s*new\b|new\s+IO::Socket::INET\b|\$\w{1,40}\s*->\s*accept\b)/g;
// The standard handles duplicated onto another: `open(STDIN, ">&SOCK")`, `open STDIN,"<&C"`,
// `open(STDOUT, ">&", $sock)`, `STDIN->fdopen($c, r)`; quotes escaped inside a shell's
// string too.
const PERL_DUP_STD =
  /\bopen\s*(?:\(\s*)?STD(?:IN|OUT|ERR)\s*,\s*\\{0,2}["'][<>+]{0,2}&(?:\\{0,2}["']\s*,\s*)?=?\$?(\w{1,40})|\bSTD(?:IN|OUT|ERR)\s*->\s*fdopen\s*\(\s*\$(\w{1,40})/g;

/**
 * True when a Perl file duplicates its standard handles onto a socket (or a connection it
 * accepted) and then runs a program: the whole of a Perl reverse or bind shell. A handle
 * duplicated onto a log file is not a socket.
 */
export function perlSocketRunsShell(text: string): boolean {
  const sockets = new Set(
    [...text.matchAll(PERL_SOCKET_HANDLE)].slice(0, 200).map((m) => m[1] ?? m[2]!),
  );
  if (sockets.size === 0) return false;
  for (const m of [...text.matchAll(PERL_DUP_STD)].slice(0, 200))
    if (
      sockets.has(m[1] ?? m[2]!) &&
      /\b(?:exec|system)\b/.test(text.slice(m.index!, m.index! + 2000))
    )
      return true;
  return false;
}
