/**
 * --rules: the responder's YARA rules over what a real triage stored, by Debian's yara.
 */
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import { cleanRun, newRunId, startSample } from '../support/engine.js';

const runId = newRunId();
let container: string;
let work: string;
let rules: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-yara-'));
  rules = path.join(work, 'rules');
  await mkdir(path.join(rules, 'web'), { recursive: true });
  await writeFile(
    path.join(rules, 'web', 'backdoor.yar'),
    `rule Md5_Gated_Backdoor {
  meta:
    description = "command gated by an md5 of a request field"
    severity = "critical"
    attack = "T1505.003"
  strings:
    $gate = "md5($_REQUEST['k'])"
    $run = "shell_exec"
  condition:
    all of them
}
`,
  );
  await writeFile(
    path.join(rules, 'elf.yara'),
    'rule Any_Elf { meta: severity = "low" strings: $e = { 7F 45 4C 46 } condition: $e at 0 }\n',
  );
  await writeFile(path.join(rules, 'README.txt'), 'not a rule file\n');
  container = await startSample('webshell', runId, '-yara');
}, 120_000);
afterAll(() => cleanRun(runId));

describe('triage --rules', () => {
  it("adds each hit as a finding naming the rule, on the change and on the process's executable", async () => {
    const run = await runCoroner(
      ['triage', container, '--json', '--rules', rules, '--case-dir', path.join(work, 'case')],
      {},
    );
    expect(run.code, run.stderr).toBe(3);
    const report = JSON.parse(run.stdout) as TriageReport;
    const shell = [...report.changes].find((c) => c.path === '/var/www/uploads/.cache.php')!;
    expect(shell.findings.find((f) => f.rule === 'yara:Md5_Gated_Backdoor')).toMatchObject({
      severity: 'critical',
      attack: 'T1505.003',
      reason: 'YARA rule Md5_Gated_Backdoor matched: command gated by an md5 of a request field',
    });
    expect(report.findings.some((f) => f.rule === 'yara:Md5_Gated_Backdoor')).toBe(true);
    // httpd runs busybox, an ELF: its recovered executable is scanned too.
    const httpd = report.processes!.find((p) => p.exe.stored);
    expect(httpd?.findings.find((f) => f.rule === 'yara:Any_Elf')).toMatchObject({
      severity: 'low',
      pid: httpd!.pid,
    });
    // The defaced page matched nothing.
    const page = [...report.changes].find((c) => c.path === '/var/www/index.html')!;
    expect(page.findings.some((f) => f.rule.startsWith('yara:'))).toBe(false);
  }, 120_000);

  it('refuses rules that do not compile before touching the suspect', async () => {
    const bad = path.join(work, 'bad.yar');
    await writeFile(bad, 'rule broken { condition: no_such_thing }\n');
    const caseDir = path.join(work, 'case-bad');
    const run = await runCoroner(['triage', container, '--rules', bad, '--case-dir', caseDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/YARA cannot compile the rules: .*no_such_thing/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expect(readdir(caseDir)).rejects.toThrow();
  });
});
