/**
 * Does a service answer on a port: a TCP connection and an HTTP GET (which opens any
 * TCP service, and makes a web app do its first real work). From the host for a port
 * published on it, or from inside the container's own network namespace (nsenter, as
 * root) when nothing is published: the only address either uses is loopback.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { parseInetTable } from '../sources/host-proc/proc-net.js';

export interface Answer {
  port: number;
  /** Where it was asked: `127.0.0.1:32768`, or `127.0.0.1:80 in its network namespace`. */
  address: string;
  isOpen: boolean;
  bytes: number;
}

const CLIENT = `
  const net = require('node:net');
  const [host, port, timeout] = process.argv.slice(1);
  const s = net.connect({ host, port: Number(port) }, () => s.write('GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n'));
  let bytes = 0;
  s.on('data', (d) => { bytes += d.length; if (bytes > 65536) s.destroy(); });
  s.setTimeout(Number(timeout), () => s.destroy());
  s.on('close', () => process.stdout.write(String(bytes)));
  s.on('error', () => process.exit(1));`;

/** A request to host:port from here. */
export function askFromHost(host: string, port: number, timeoutMs = 3000): Promise<Answer> {
  return new Promise((resolve) => {
    const address = `${host}:${port}`;
    let bytes = 0;
    let isOpen = false;
    const socket = net.connect({ host, port }, () => {
      isOpen = true;
      socket.write('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
    });
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > 65536) socket.destroy();
    });
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ port, address, isOpen, bytes }));
  });
}

/** A request to 127.0.0.1:port inside the network namespace of `pid` (root only). */
export function askInNamespace(pid: number, port: number, timeoutMs = 3000): Promise<Answer> {
  return new Promise((resolve) => {
    const address = `127.0.0.1:${port} in its network namespace`;
    const child = spawn(
      'nsenter',
      [
        `--target=${pid}`,
        '--net',
        '--',
        process.execPath,
        '-e',
        CLIENT,
        '127.0.0.1',
        String(port),
        String(timeoutMs),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', () => resolve({ port, address, isOpen: false, bytes: 0 }));
    child.on('close', (code) =>
      resolve({ port, address, isOpen: code === 0, bytes: Number(out) || 0 }),
    );
  });
}

export const canEnterNamespaces = () => process.getuid?.() === 0;

/** The TCP ports a process of the twin listens on, from its network namespace (root only). */
export async function listeningPorts(pid: number): Promise<number[] | undefined> {
  if (process.getuid?.() !== 0 || !pid) return undefined;
  const tables = await Promise.all(
    (['tcp', 'tcp6'] as const).map(async (p) =>
      parseInetTable(await readFile(`/proc/${pid}/net/${p}`, 'utf8').catch(() => ''), p),
    ),
  );
  return [
    ...new Set(
      tables
        .flat()
        .filter((s) => s.state === 'listen')
        .map((s) => Number(s.local.slice(s.local.lastIndexOf(':') + 1))),
    ),
  ];
}

/**
 * A request to each of `ports` inside the network namespace of process `pid` (a twin's), and
 * what came back, in words for its record.
 */
export async function sendTraffic(
  pid: number,
  ports: readonly number[],
): Promise<{ traffic: string; answers?: Answer[] }> {
  if (!canEnterNamespaces())
    return {
      traffic:
        "no traffic sent (coroner is not root, so it cannot enter the twin's network namespace)",
    };
  if (ports.length === 0) return { traffic: 'no port to send a request to' };
  const answers = [];
  for (const port of ports) answers.push(await askInNamespace(pid, port));
  return {
    traffic: `a request to each port the suspect listened on (${answers
      .map((a) => `port ${a.port}: ${a.isOpen ? `${a.bytes} bytes` : 'no answer'}`)
      .join(', ')})`,
    answers,
  };
}
