import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ProcessRecord } from '../../src/report/process.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { ProcessesScreen } from '../../ui/screens/ProcessesScreen.js';
import { rawControls } from '../support/terminal-bytes.js';

const listener: ProcessRecord = {
  pid: 28515,
  ppid: 1,
  name: 'kdevtmpfsi',
  commandLine: ['/tmp/.X11-unix/kdevtmpfsi\u001b]0;owned\u0007', '-r', 'listen'],
  uid: 33,
  gid: 33,
  exe: { path: '/tmp/.X11-unix/kdevtmpfsi', isDeleted: true, image: 'absent' },
  isFromExec: false,
  loaderEnv: [],
  mappedFiles: [],
  deletedOpenFiles: [],
  sockets: [{ protocol: 'tcp', state: 'listen', local: '0.0.0.0:4444' }],
  findings: [
    {
      rule: 'process-deleted-executable',
      path: '/tmp/.X11-unix/kdevtmpfsi',
      pid: 28515,
      severity: 'critical',
      reason: 'runs from /tmp/.X11-unix/kdevtmpfsi, deleted after it started',
    },
  ],
};

const report = {
  processes: [listener],
  events: [{ time: 't', action: 'exec_create: bash', attributes: {} }],
  findings: [
    ...listener.findings,
    { rule: 'engine-exec', path: '/', severity: 'high', reason: 'a command was run: bash' },
  ],
  mounts: [{ type: 'tmpfs', destination: '/dev/shm' }],
  notCollected: [{ item: 'volumes and bind mounts', reason: 'not on the host' }],
} as unknown as TriageReport;

describe('ProcessesScreen', () => {
  it('shows the processes ranked with their findings, the listeners, the events and the mounts read', () => {
    const { lastFrame } = render(
      <ProcessesScreen report={report} width={160} height={30} onBack={() => undefined} />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain("Processes (1, read on the engine's host)");
    expect(frame).toMatch(/CRITICAL\s+pid 28515 \/tmp\/\.X11-unix\/kdevtmpfsi \(deleted\), uid 33/);
    expect(frame).toContain('deleted after it started');
    expect(frame).toContain('listening: 0.0.0.0:4444/tcp (pid 28515)');
    expect(frame).toMatch(/HIGH\s+a command was run: bash/);
    expect(frame).toContain('/dev/shm (tmpfs)');
    expect(frame).toContain('volumes and bind mounts: not on the host');
    // A command line the attacker chose is shown escaped, never interpreted.
    expect(frame).toContain('\\e]0;owned');
    expect(rawControls(Buffer.from(frame))).toEqual([]);
  });

  it('goes back on escape', async () => {
    let backs = 0;
    const ui = render(
      <ProcessesScreen report={report} width={120} height={10} onBack={() => backs++} />,
    );
    ui.stdin.write('\u001b');
    await new Promise((r) => setTimeout(r, 50));
    expect(backs).toBe(1);
  });
});
