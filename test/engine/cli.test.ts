import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawControls } from '../support/terminal-bytes.js';
import { sarifErrors } from '../support/sarif-schema.js';
import { runCoroner } from '../support/coroner-run.js';
import { cleanRun, docker, inspectField, newRunId, startSample } from '../support/engine.js';

const runId = newRunId();
afterAll(() => cleanRun(runId));

const coroner = runCoroner;

describe('the coroner command', () => {
  it('lists its commands with --help', async () => {
    const { code, stdout } = await coroner(['--help']);
    expect(code).toBe(0);
    for (const command of ['triage', 'export', 'verify', 'relaunch'])
      expect(stdout).toContain(`coroner ${command}`);
  });

  it('prints its version', async () => {
    expect((await coroner(['--version'])).stdout).toMatch(/^coroner \d+\.\d+\.\d+\n$/);
  });

  it('triages a container where nothing changed: no changes, no problems, exit 0', async () => {
    // Its own sample's image, but only sleeping: nothing writes to its disk.
    const sample = await startSample('backdoor', runId, '-untouched-source');
    const image = await inspectField(sample, '{{.Image}}');
    const name = `coroner-test-untouched-${runId}`;
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--label',
      `coroner.test=${runId}`,
      '--network',
      'none',
      '--entrypoint',
      'sleep',
      image,
      '3600',
    );
    expect(await docker('diff', name)).toBe('');
    const caseDir = await mkdtemp(path.join(os.tmpdir(), 'untouched-'));
    const { code, stdout } = await coroner(['triage', name, '--case-dir', caseDir, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { changes: unknown[]; problems: unknown[] };
    expect(report.changes).toEqual([]);
    expect(report.problems).toEqual([]);
  });

  it('escapes attacker text quoted in an error message', async () => {
    const { code, stderr } = await coroner(['verify', '/tmp/no\x1b]0;pwned\x07such.tar.gz']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('\\e]0;pwned\\x07');
    expect(rawControls(Buffer.from(stderr))).toEqual([]);
  });

  it('says in one line, without a stack trace, that a container does not exist', async () => {
    const { code, stdout, stderr } = await coroner(['triage', 'nosuch-container-' + runId]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /no container named or with id "nosuch-container-[0-9a-f]+".*docker ps -a/,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('says the engine cannot be reached and what to do', async () => {
    const { code, stderr } = await coroner(['triage', 'web-1'], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /no Docker engine answers at unix:\/\/\/nonexistent\/docker.sock.*Start the engine/,
    );
  });

  it('refuses bad usage with exit code 2', async () => {
    expect((await coroner(['triage'])).code).toBe(2);
    expect((await coroner(['triage', 'x', '--bogus'])).code).toBe(2);
  });

  it('refuses to relaunch without a terminal to confirm on, unless --yes', async () => {
    const container = await startSample('webshell', runId);
    const { code, stdout, stderr } = await coroner(['relaunch', container]);
    expect(code).toBe(2);
    expect(stdout).toMatch(/Relaunch plan for/);
    expect(stderr).toMatch(/needs confirmation.*--yes/);
  });

  it('prints the relaunch plan and the docker run line with --dry-run, changing nothing', async () => {
    const container = await startSample('miner', runId);
    const { code, stdout } = await coroner(['relaunch', container, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/CIS 5\.13 +read-only root filesystem/);
    expect(stdout).toMatch(
      /docker run -d --name coroner-test-miner-\w+ --read-only --cap-drop ALL/,
    );
    expect(stdout).toMatch(/Dry run: nothing was changed/);
    expect(await inspectField(container, '{{.State.Running}} {{.Name}}')).toBe(
      `true /${container}`,
    );
  });

  it('triages a compromised sample as JSON and exits 3 for suspicious findings', async () => {
    const container = await startSample('miner', runId);
    const caseDir = await mkdtemp(path.join(os.tmpdir(), 'cli-case-'));
    const { code, stdout } = await coroner(['triage', container, '--json', '--case-dir', caseDir]);
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as {
      schemaVersion: number;
      changes: { path: string; severity: string }[];
    };
    expect(report.schemaVersion).toBe(2);
    expect(report.changes[0]!.severity).toBe('critical');
    expect(report.changes.map((c) => c.path)).toContain('/tmp/.X11-unix/.k/kworkerd');
  });

  it('prints a readable summary naming the evidence image and the top findings', async () => {
    const container = await startSample('backdoor', runId);
    const { code, stdout } = await coroner([
      'triage',
      container,
      '--case-dir',
      await mkdtemp(path.join(os.tmpdir(), 'cli-case-')),
    ]);
    expect(code).toBe(3);
    expect(stdout).toMatch(
      /evidence: coroner-evidence\/coroner-test-backdoor-[0-9a-f]+:\d{8}t\d{6}z/,
    );
    expect(stdout).toMatch(/CRIT {2}A \/etc\/ld\.so\.preload/);
    expect(stdout).toMatch(/Changes: 5 added, 3 changed, 1 deleted/);
  });

  it('writes the findings as SARIF that validates, and refuses to overwrite a file before triaging', async () => {
    const container = await startSample('webshell', runId, '-sarif');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-sarif-'));
    const sarif = path.join(dir, 'web.sarif');
    const args = ['triage', container, '--sarif', sarif];
    const first = await coroner([...args, '--case-dir', path.join(dir, 'a')]);
    expect(first.code, first.stderr).toBe(3);
    const log = JSON.parse(await readFile(sarif, 'utf8'));
    expect(sarifErrors(log)).toEqual([]);
    const shell = log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'web-shell');
    expect(shell.locations[0].physicalLocation.artifactLocation.uri).toBe(
      'var/www/uploads/.cache.php',
    );
    expect(shell.properties).toMatchObject({ severity: 'critical', attack: 'T1505.003' });

    const again = await coroner([...args, '--case-dir', path.join(dir, 'b')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--sarif .*web\.sarif exists/);
    await expect(readdir(dir)).resolves.not.toContain('b');
  });
});
