/**
 * An engine that takes only newer API versions, as Docker 29 does (API 1.44 at least): an
 * HTTP proxy in front of the system's engine (Docker 20.10, API 1.41, which ignores
 * DOCKER_MIN_API_VERSION) that says so in its unversioned /version answer, refuses an older
 * versioned path with Docker's own 400 and words, and hands a path it takes to the engine
 * behind it in that engine's version. Bodies are untouched: it tests the negotiation, not
 * the newer engine's answers.
 */
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface ApiFloorProxy {
  dockerHost: string;
  /** The versions coroner asked for, in order ('' for an unversioned path). */
  versionsAsked: string[];
  /** The versions it takes: change it to imitate the engine restarted with another floor. */
  range: { min: string; max: string };
  close(): Promise<void>;
}

function older(a: string, b: string): boolean {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1! < b1! || (a1 === b1 && a2! < b2!);
}

export async function startApiFloorProxy(
  range: { min: string; max: string },
  behind: { socket: string; version: string } = {
    socket: '/var/run/docker.sock',
    version: '1.41',
  },
): Promise<ApiFloorProxy> {
  const socketPath = path.join(await mkdtemp(path.join(os.tmpdir(), 'api-floor-')), 'docker.sock');
  const versionsAsked: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url);
    const asked = m?.[1] ?? '';
    versionsAsked.push(asked);
    if (asked && (older(asked, range.min) || older(range.max, asked))) {
      req.resume();
      const message = older(asked, range.min)
        ? `client version ${asked} is too old. Minimum supported API version is ${range.min}, please upgrade your client to a newer version`
        : `client version ${asked} is too new. Maximum supported API version is ${range.max}`;
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message }) + '\n');
      return;
    }
    const rest = m ? m[2]! : url;
    const isVersion = /^\/version(\?|$)/.test(rest);
    const upstream = http.request(
      {
        socketPath: behind.socket,
        method: req.method,
        path: `/v${behind.version}${rest}`,
        headers: req.headers,
      },
      (answer) => {
        if (!isVersion) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const version = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<
            string,
            unknown
          >;
          const body = JSON.stringify({
            ...version,
            ApiVersion: range.max,
            MinAPIVersion: range.min,
          });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    versionsAsked,
    range,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
