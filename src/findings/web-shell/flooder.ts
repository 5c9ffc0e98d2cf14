/**
 * A flooder: a page that opens connections or sends packets to a host the visitor names,
 * over and over in an endless loop (HTTP, UDP and slow-read floods). Pages connect out to a
 * host they are configured with, once per request. Issue 27: flooders were caught only by
 * their likeness to known shells.
 */
import { callArgs } from './code-text.js';
import { carriesInput } from './request-flow.js';

// PHP's socket opens and sends, with the index of the argument naming the host.
const CONNECTS = /\b(?:(p?fsockopen|stream_socket_client)|(socket_connect)|(socket_sendto))\s*\(/g;
const ENDLESS_LOOP = /\b(?:while\s*\(\s*(?:1|true|!\s*0)\s*\)|for\s*\(\s*;\s*;\s*\))/i;

// How far before a connection its endless loop may begin.
const LOOP_REACH = 1000;

/** True when a host from the request is connected to inside an endless loop. */
export function floodsNamedHost(text: string, tainted: ReadonlySet<string>): boolean {
  return [...text.matchAll(CONNECTS)].slice(0, 100).some((m) => {
    const args = callArgs(text, m.index! + m[0].length - 1);
    const host = args[m[1] ? 0 : m[2] ? 1 : 4];
    return (
      host !== undefined &&
      carriesInput(host, tainted) &&
      ENDLESS_LOOP.test(text.slice(Math.max(0, m.index! - LOOP_REACH), m.index!))
    );
  });
}
