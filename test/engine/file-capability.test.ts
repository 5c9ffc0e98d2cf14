/**
 * A file capability set on a system binary whose bytes do not change (as `setcap
 * cap_setuid+ep /usr/bin/python3` would): only the extended attribute says it is now a
 * way to root. Set from the host on the container's own layer (busybox has no setcap).
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import {
  baseImage,
  cleanRun,
  docker,
  inspectField,
  newRunId,
  runLabelled,
} from '../support/engine.js';

const runId = newRunId();
let container: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-cap-'));
  container = `coroner-test-cap-${runId}`;
  await runLabelled(
    container,
    runId,
    await baseImage(),
    'sh',
    '-c',
    'while :; do sleep 3600; done',
  );
  // Same mode, same bytes: only copied up into the container's layer.
  await docker('exec', container, 'chmod', '755', '/bin/busybox');
  const upper = await inspectField(container, '{{.GraphDriver.Data.UpperDir}}');
  await promisify(execFile)('setfattr', [
    '-n',
    'security.capability',
    '-v',
    '0x0100000280000000000000000000000000000000',
    path.join(upper, 'bin/busybox'),
  ]);
}, 120_000);
afterAll(() => cleanRun(runId));

describe('a file capability gained', () => {
  it.each([
    ['from the layer store', {}, 'cap_setuid=ep'],
    ['through reader containers', { CORONER_LAYER_READS: 'archive' }, undefined],
  ])(
    'is critical, with its technique, read %s',
    async (_, env, exact) => {
      const caseDir = path.join(work, `case-${Object.keys(env).length}`);
      const run = await runCoroner(['triage', container, '--json', '--case-dir', caseDir], env);
      expect(run.code, run.stderr).toBe(3);
      const report = JSON.parse(run.stdout) as TriageReport;
      const change = [...report.changes].find((c) => c.path === '/bin/busybox')!;
      expect(change.findings[0]).toMatchObject({
        rule: 'capability',
        severity: 'critical',
        attack: 'T1548',
      });
      expect(change.comparison?.metadata.find((m) => m.field === 'capabilities')).toMatchObject({
        before: 'none',
        after: exact ?? expect.stringMatching(/^set /),
      });
      if (exact) expect(change.findings[0]!.reason).toContain(exact);
    },
    120_000,
  );
});
