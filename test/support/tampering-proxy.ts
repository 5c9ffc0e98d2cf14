/**
 * An HTTP proxy on a unix socket in front of the real engine that forwards
 * every request but answers chosen ones itself: a hostile engine (or anything
 * between coroner and it) sending archives the real engine never would, or an
 * engine that hangs on chosen requests (never answers them).
 */
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface TamperingProxy {
  dockerHost: string;
  /** Request paths (with query) that were answered with a forged body, or held unanswered. */
  forged: string[];
  close(): Promise<void>;
}

/**
 * `forge` returns the body to send instead of the engine's, 'no answer' to hold the
 * request unanswered (it never reaches the engine), or undefined to forward it.
 */
export async function startTamperingProxy(
  forge: (method: string, url: string) => Buffer | 'no answer' | undefined,
  target = '/var/run/docker.sock',
): Promise<TamperingProxy> {
  const socketPath = path.join(await mkdtemp(path.join(os.tmpdir(), 'tamper-')), 'docker.sock');
  const forged: string[] = [];
  const server = http.createServer((req, res) => {
    const body = forge(req.method ?? 'GET', req.url ?? '');
    if (body === 'no answer') {
      forged.push(req.url ?? '');
      req.resume();
      return;
    }
    if (body) {
      forged.push(req.url ?? '');
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    const upstream = http.request(
      { socketPath: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    forged,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
