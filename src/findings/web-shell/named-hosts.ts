/**
 * Pages that attack hosts the visitor names: a flooder opens connections or sends packets to
 * one over and over in an endless loop (HTTP, UDP and slow-read floods); a scanner connects
 * to each host or port of a range the visitor gives. Pages connect out to a host they are
 * configured with, once per request. Issue 27: these were caught only by their likeness to
 * known shells.
 */
import { callArgs } from './code-text.js';
import { carriesInput } from './request-flow.js';

// PHP's socket opens and sends; the group that matched tells where the host is.
const CONNECTS = /\b(?:(p?fsockopen|stream_socket_client)|(socket_connect)|(socket_sendto))\s*\(/g;
const ENDLESS_LOOP = /\b(?:while\s*\(\s*(?:1|true|!\s*0)\s*\)|for\s*\(\s*;\s*;\s*\))/i;
const LOOP = /\b(?:foreach|for|while)\s*\(/g;

// How far before a connection its loop may begin.
const LOOP_REACH = 1000;

/** What the page does to hosts the visitor names: floods one, or scans a range; or nothing. */
export function attackOnNamedHosts(
  text: string,
  tainted: ReadonlySet<string>,
): 'flood' | 'scan' | undefined {
  let found: 'flood' | 'scan' | undefined;
  for (const m of [...text.matchAll(CONNECTS)].slice(0, 100)) {
    const args = callArgs(text, m.index! + m[0].length - 1);
    const at = m[1] ? 0 : m[2] ? 1 : 4;
    const [host, port] = [args[at], args[at + 1]];
    if (host === undefined || !carriesInput(`${host},${port ?? ''}`, tainted)) continue;
    const before = text.slice(Math.max(0, m.index! - LOOP_REACH), m.index!);
    if (carriesInput(host, tainted) && ENDLESS_LOOP.test(before)) return 'flood';
    const isOverARange = [...before.matchAll(LOOP)].some((l) =>
      carriesInput(callArgs(before, l.index! + l[0].length - 1)[0] ?? '', tainted),
    );
    if (isOverARange) found = 'scan';
  }
  return found;
}
