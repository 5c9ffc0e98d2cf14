/**
 * An engine reached over ssh, as the Docker CLI reaches `DOCKER_HOST=ssh://user@host:port`:
 * the system's own `ssh` runs `docker system dial-stdio` on the remote host for each
 * connection. So the responder's agent, `~/.ssh/config` and known hosts apply exactly as
 * they do for `docker -H ssh://…`, and a host whose key is unknown is refused, never
 * trusted on first use. coroner speaks HTTP to a private local socket (mode 0700 folder)
 * whose connections are piped through those ssh processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../errors.js';

export interface SshTunnel {
  /** The local socket that leads to the remote engine. */
  socketPath: string;
  /** What ssh last said on stderr, for an error message (ssh's own words: host key, auth). */
  lastError(): string;
  close(): void;
}

/** The pieces of `ssh://[user@]host[:port][/path]`; anything else is a usage error. */
export function parseSshHost(address: string): { destination: string; port?: string } {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new UsageError(
      `DOCKER_HOST=${address} is not a valid ssh address`,
      'Use ssh://user@host or ssh://user@host:port, as for docker -H.',
    );
  }
  if (url.protocol !== 'ssh:' || !url.hostname || (url.pathname && url.pathname !== '/'))
    throw new UsageError(
      `DOCKER_HOST=${address} is not an ssh address coroner understands`,
      'Use ssh://user@host or ssh://user@host:port (no path), as for docker -H.',
    );
  if (url.password)
    throw new UsageError(
      `DOCKER_HOST=${address} holds a password`,
      'Passwords do not go in DOCKER_HOST: use a key in your ssh agent or ~/.ssh/config.',
    );
  const user = decodeURIComponent(url.username);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // Never an option to ssh: a host or user that starts with '-' is refused.
  if (host.startsWith('-') || user.startsWith('-'))
    throw new UsageError(
      `DOCKER_HOST=${address} names a host or user starting with "-"`,
      'Name the host as ssh would take it, without a leading "-".',
    );
  return { destination: user ? `${user}@${host}` : host, ...(url.port ? { port: url.port } : {}) };
}

/**
 * The ssh command line: CORONER_SSH_COMMAND (like GIT_SSH_COMMAND, split on spaces) or
 * `ssh`, never asking on a terminal (BatchMode): coroner may run without one.
 */
function sshArgv(target: { destination: string; port?: string }): string[] {
  const command = (process.env['CORONER_SSH_COMMAND'] || 'ssh').split(/\s+/).filter(Boolean);
  return [
    ...command,
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=30',
    '-T',
    ...(target.port ? ['-p', target.port] : []),
    '--',
    target.destination,
    'docker',
    'system',
    'dial-stdio',
  ];
}

export async function openSshTunnel(address: string): Promise<SshTunnel> {
  const target = parseSshHost(address);
  const argv = sshArgv(target);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'coroner-ssh-'));
  const socketPath = path.join(dir, 'engine.sock');
  const children = new Set<ChildProcess>();
  let lastError = '';
  const server = net.createServer((conn) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-2000);
    });
    child.on('error', (e) => {
      lastError = `could not run ${argv[0]}: ${e.message}`;
      conn.destroy();
    });
    child.on('close', (code) => {
      children.delete(child);
      // Its lines in one, without the final full stop: the message goes on after it.
      const said = stderr
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' ');
      if (code) lastError = said.replace(/\.$/, '') || `ssh exited with ${code}`;
      conn.end();
    });
    conn.on('error', () => child.kill());
    conn.on('close', () => child.stdin!.end());
    conn.pipe(child.stdin!);
    // Ended by the close handler, once ssh's last words are kept for the error message.
    child.stdout!.pipe(conn, { end: false });
    // ssh gone mid-write: its close handler ends the connection once its words are kept.
    child.stdin!.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  server.unref();
  const close = () => {
    server.close();
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', close);
  return { socketPath, lastError: () => lastError, close };
}
