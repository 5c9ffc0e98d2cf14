/**
 * An HTTP proxy on a unix socket in front of the real engine that forwards
 * every request but answers chosen ones itself: a hostile engine (or anything
 * between coroner and it) sending archives the real engine never would.
 */
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface TamperingProxy {
  dockerHost: string;
  /** Request paths (with query) that were answered with a forged body. */
  forged: string[];
  close(): Promise<void>;
}

/** `forge` returns the body to send instead of the engine's for a GET, or undefined to forward. */
export async function startTamperingProxy(
  forge: (method: string, url: string) => Buffer | undefined,
  target = '/var/run/docker.sock',
): Promise<TamperingProxy> {
  const socketPath = path.join(await mkdtemp(path.join(os.tmpdir(), 'tamper-')), 'docker.sock');
  const forged: string[] = [];
  const server = http.createServer((req, res) => {
    const body = forge(req.method ?? 'GET', req.url ?? '');
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
