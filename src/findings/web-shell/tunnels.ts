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

// A socket a Java or .NET page makes (`Socket s = new Socket(…)`, `sc = SocketChannel.open()`),
// and a value it keeps for later requests in the session or the application.
const SOCKET_MADE =
  /\b(\w{1,40})\s*=\s*(?:\([\w.]{1,40}\)\s*)?(?:new\s+(?:java\.net\.|System\.Net\.Sockets\.)?(?:Socket|TcpClient)\s*\(|(?:java\.nio\.channels\.)?SocketChannel\s*\.\s*open\s*\()/g;
const KEPT_FOR_LATER =
  /\b(?:Session|Application)\s*(?:\.\s*Add\s*\([^,;\n]{1,80},\s*(\w{1,40})\s*\)|\[[^\]\n]{1,80}\]\s*=\s*(\w{1,40})\s*;)|\b(?:session|application|getSession\s*\(\s*\)|getServletContext\s*\(\s*\))\s*\.\s*setAttribute\s*\([^,;\n]{1,80},\s*(\w{1,40})\s*\)/g;

/**
 * A page keeping an open socket in the session or the application, for the visitor's next
 * requests to read and write (reGeorg's and Neo-reGeorg's pages, suo5): a connection held
 * between requests is a tunnel, wherever it leads. Pages close what they open.
 */
function keepsSocketOpen(text: string): boolean {
  const sockets = new Set([...text.matchAll(SOCKET_MADE)].slice(0, 100).map((m) => m[1]!));
  if (!sockets.size) return false;
  return [...text.matchAll(KEPT_FOR_LATER)]
    .slice(0, 200)
    .some((m) => sockets.has((m[1] ?? m[2] ?? m[3])!));
}

/** Why the code is a tunnel to a host the visitor names, or undefined. */
export function tunnelToNamedHost(
  text: string,
  carried: ReadonlySet<string>,
  isPage: boolean,
): string | undefined {
  if (isPage && keepsSocketOpen(text))
    return 'keeps a socket open in the session or the application for later requests (a socket tunnel)';
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
