/**
 * An sshd of the test's own on 127.0.0.1 (a free port), with a client key held in an
 * ssh-agent and a client configuration whose known hosts the test chooses: how a
 * responder reaches an engine host with DOCKER_HOST=ssh://…, on loopback only.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestSshd {
  port: number;
  /** For DOCKER_HOST. */
  dockerHost: string;
  /** The environment coroner runs with: the agent, and ssh reading the test's config. */
  env(knownHosts: 'known' | 'unknown'): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'coroner-sshd-'));
  const port = await freePort();
  const file = (name: string) => path.join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file('host_key')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file('client_key')]);
  await writeFile(file('authorized_keys'), await readFile(file('client_key.pub')), { mode: 0o600 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  await writeFile(
    file('sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${file('host_key')}`,
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      `PidFile ${file('sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      // The remote end of the tunnel is the docker CLI: it needs the engine's socket only.
      'AllowTcpForwarding no',
    ].join('\n') + '\n',
  );
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', file('sshd_config')], {
    stdio: 'ignore',
  });
  const agentSocket = file('agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await listening(port)); i++)
    await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 50; i++) {
    const added = await run('ssh-add', [file('client_key')], {
      env: { ...process.env, SSH_AUTH_SOCK: agentSocket },
    }).then(
      () => true,
      () => false,
    );
    if (added) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const hostKey = (await readFile(file('host_key.pub'), 'utf8')).trim();
  await writeFile(file('known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  await writeFile(file('no_known_hosts'), '');
  // The responder's ~/.ssh/config, in the test's folder: strict host keys, the agent's key only.
  for (const which of ['known', 'unknown'] as const)
    await writeFile(
      file(`config-${which}`),
      [
        'Host 127.0.0.1',
        `  UserKnownHostsFile ${file(which === 'known' ? 'known_hosts' : 'no_known_hosts')}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
      ].join('\n') + '\n',
    );
  return {
    port,
    dockerHost: `ssh://root@127.0.0.1:${port}`,
    env: (knownHosts) => ({
      SSH_AUTH_SOCK: agentSocket,
      CORONER_SSH_COMMAND: `ssh -F ${file(`config-${knownHosts}`)}`,
    }),
    stop: async () => {
      sshd.kill();
      agent.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
