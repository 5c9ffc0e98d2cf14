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
const LOOP = /\b(?:foreach|for)\s*\(/g;
// The variable a loop steps: `for ($i = …` or `foreach (… as $ip)` (`as $k => $ip`).
const LOOP_VARIABLE = /^\s*\$(\w{1,40})\s*=|\bas\s+(?:\$\w{1,40}\s*=>\s*)?\$(\w{1,40})/;

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
    // A range: the loop steps a variable (`for ($p = $from; …)`, `foreach ($ips as $ip)`)
    // through values from the request, and the host or port is built from that variable.
    const isOverARange = [...before.matchAll(LOOP)].some((l) => {
      const head = callArgs(before, l.index! + l[0].length - 1)[0] ?? '';
      const stepped = LOOP_VARIABLE.exec(head);
      return (
        stepped !== null &&
        carriesInput(head, tainted) &&
        [...`${host},${port ?? ''}`.matchAll(/\$(\w{1,40})/g)].some(
          (v) => v[1] === (stepped[1] ?? stepped[2]),
        )
      );
    });
    if (isOverARange) found = 'scan';
  }
  return found;
}
