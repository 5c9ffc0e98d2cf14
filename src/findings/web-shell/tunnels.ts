/**
 * Socket tunnels (reGeorg and its kind): a page that connects to a host and port the visitor
 * names and relays the request's body to it, so the attacker reaches the network behind the
 * server. Pages connect out (a spell checker, a feed), but never to where the visitor says
 * while passing on what the visitor sent. Issue 27: socket tunnels were missed.
 */
import { callArgs } from './code-text.js';
import { INPUT } from './request-flow.js';
import { opensFromInput } from './server-pages.js';

const PHP_CONNECT = /\b(?:socket_connect|p?fsockopen|stream_socket_client)\s*\(/g;
const PAGE_CONNECT =
  /\bnew\s+(?:java\.net\.)?(?:InetSocketAddress|Socket)\s*\(|\bnew\s+(?:System\.Net\.)?IPEndPoint\s*\(|\bnew\s+(?:System\.Net\.Sockets\.)?TcpClient\s*\(/g;

// The request's raw body, read to be passed on.
const BODY =
  /php:\/\/input|\brequest\.getInputStream\s*\(|\bRequest\.(?:InputStream|BinaryRead)\b/i;

/** Why the code is a tunnel to a host the visitor names, or undefined. */
export function tunnelToNamedHost(
  text: string,
  carried: ReadonlySet<string>,
  isPage: boolean,
): string | undefined {
  if (!BODY.test(text)) return undefined;
  if (isPage && opensFromInput(text, PAGE_CONNECT))
    return "relays the request's body to a host and port the visitor names (a socket tunnel)";
  for (const m of [...text.matchAll(PHP_CONNECT)].slice(0, 100)) {
    const args = callArgs(text, m.index! + m[0].length - 1);
    const named = args.some(
      (a) =>
        INPUT.test(a) ||
        [...a.replace(/\[[^\]\n]{0,400}\]/g, '').matchAll(/\$(\w{1,40})/g)].some((v) =>
          carried.has(v[1]!),
        ),
    );
    if (named)
      return "relays the request's body to a host and port the visitor names (a socket tunnel)";
  }
  return undefined;
}
