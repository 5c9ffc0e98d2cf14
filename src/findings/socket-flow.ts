/**
 * A PHP reverse shell wires a socket to a process: the socket handed to the process as its
 * standard streams (`proc_open($sh, [0 => $sock, 1 => $sock, 2 => $sock], $pipes)`), or
 * what one reads written to the other (`fwrite($pipes[0], fread($sock, 1400))`). Followed
 * here by the variables that hold each end, through assignments, wherever they are in the
 * file: a window of characters missed a well-known shell whose socket and process call are
 * 398 characters apart (issue 27).
 */
import { callArgs } from './web-shell/code-text.js';

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
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])\s*([^;]{0,300})/g)].slice(0, 5000);
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
  // One end's data written to the other.
  for (const m of [...text.matchAll(STREAM_WRITE)].slice(0, 500)) {
    const used = names(callArgs(text, m.index! + m[0].length - 1).join(','));
    if (used.some((n) => sockets.has(n)) && used.some((n) => processes.has(n))) return true;
  }
  return false;
}
