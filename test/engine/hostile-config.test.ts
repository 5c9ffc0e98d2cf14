/**
 * Attacker text in a container's labels and environment (names and values, with
 * escape sequences; megabytes in a label): kept whole in the evidence, never
 * flooding or driving the terminal, and carried whole into a relaunch. Created through the engine API: the docker CLI caps one
 * argument at 128 KiB and a line of --env-file at 64 KiB.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../src/sources/docker-live/engine.js';
import { BIN, coronerVerify } from '../support/coroner-run.js';
import {
  cleanRun,
  docker,
  newRunId,
  startSample,
  TEST_LABEL,
  inspectField,
} from '../support/engine.js';
import { rawControls } from '../support/terminal-bytes.js';

const runId = newRunId();
const MiB = 1024 * 1024;
const ESCAPES = '\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e';
let work: string;
let container: string;
afterAll(async () => {
  await cleanRun(runId);
  // Two case folders and a bundle of the megabytes of config: 70 MB a run.
  if (work) await rm(work, { recursive: true, force: true });
});

async function coroner(
  ...args: string[]
): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
  return promisify(execFile)(process.execPath, [BIN, ...args], {
    encoding: 'buffer',
    maxBuffer: 256 * MiB,
    cwd: work,
    env: { ...process.env, CORONER_CACHE_DIR: path.join(work, 'cache') },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: Buffer; stderr: Buffer }) => e,
  );
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'hostile-config-'));
  const sample = await startSample('webshell', runId, '-bigconfig-source');
  const image = await inspectField(sample, '{{.Image}}');
  const engine = await connectEngine();
  container = `coroner-test-bigconfig-${runId}`;
  const id = await engine.createContainer({
    image,
    name: container,
    config: {
      Labels: { [TEST_LABEL]: runId, 'evil.big': ESCAPES + 'A'.repeat(4 * MiB) },
      // Env strings stop at the kernel's 128 KiB per string (a bigger one and nothing
      // starts), so the megabytes are in the label and the env carries 100 KB pieces.
      Env: [
        `BIG=${ESCAPES}${'B'.repeat(100_000)}`,
        // A secret-looking name 100 KB long: the exposure check names it.
        `${'C'.repeat(100_000)}${ESCAPES}_PASSWORD=hunter2`,
      ],
      HostConfig: { NetworkMode: 'none' },
    },
  });
  await engine.startContainer(id);
  expect(await inspectField(container, '{{.State.Status}}')).toBe('running');
});

describe('escape-laden text, megabytes in a label and 100 KB pieces in env', () => {
  it('triage keeps them whole in the evidence and prints a bounded, inert summary', async () => {
    const result = await coroner('triage', container, '--case-dir', path.join(work, 'case'));
    expect(result.code).toBe(0); // an unattacked container: nothing ranks medium or above
    expect(result.stdout.length).toBeLessThan(64 * 1024);
    expect(rawControls(result.stdout)).toEqual([]);
    expect(rawControls(result.stderr)).toEqual([]);
    // The 100 KB secret-looking name is named, cut short, and says how much is left.
    expect(result.stdout.toString()).toMatch(
      /secrets in environment: variables: C{100,}… \[\d+ more characters\]/,
    );
    const inspect = JSON.parse(
      await readFile(path.join(work, 'case', 'container', 'inspect.json'), 'utf8'),
    ) as { Config: { Labels: Record<string, string>; Env: string[] } };
    expect(inspect.Config.Labels['evil.big']).toBe(ESCAPES + 'A'.repeat(4 * MiB));
    expect(inspect.Config.Env).toContain(`BIG=${ESCAPES}${'B'.repeat(100_000)}`);
  });

  it("reads a healthcheck's exec_create events past megabytes of labels in every event", async () => {
    // Each event carries the container's labels (4 MiB here). Triage reads the execs started
    // during its process snapshot from where its first read ended, exec_create only: a read
    // that took every event stopped at its limit before the one it needed (seen in CI: a
    // healthcheck's `runc init` then ranked high, and this triage exited 3).
    const engine = await connectEngine();
    const first = await engine.events(container, 0, MiB);
    expect(first.isCut).toBe(true); // not even the create event fits
    await new Promise((resolve) => setTimeout(resolve, 4500)); // the probe runs every 2 s
    const late = await engine.events(container, first.untilSeconds, 16 * MiB, ['exec_create']);
    expect(late.events.length).toBeGreaterThan(0);
    for (const e of late.events) {
      expect(e.Action).toMatch(/^exec_create: /);
      expect(e.time).toBeGreaterThanOrEqual(Math.floor(first.untilSeconds));
    }
  });

  it('says so when the events it reads stop at their limit', async () => {
    // By now the healthcheck has run for seconds, four events a probe, each with the label.
    const again = path.join(work, 'case-again');
    const result = await coroner('triage', container, '--case-dir', again);
    expect(result.code, result.stdout.toString().slice(-2000)).toBe(0);
    const report = JSON.parse(await readFile(path.join(again, 'report.json'), 'utf8')) as {
      notCollected: { item: string; reason: string }[];
    };
    expect(report.notCollected).toContainEqual({
      item: 'engine events',
      reason: expect.stringMatching(/more than 16 MiB .*the later ones were not read/),
    });
  });

  it('exports a bundle that verifies', async () => {
    const out = path.join(work, 'bundle.tar.gz');
    const result = await coroner(
      'export',
      container,
      '--case',
      path.join(work, 'case'),
      '--out',
      out,
    );
    expect(result.code).toBe(0);
    expect(rawControls(result.stdout)).toEqual([]);
    expect((await coronerVerify(out)).stdout).toMatch(/^OK: /);
  });
});

describe('relaunching it', () => {
  it('keeps the megabytes of config: the create request carries them in its body, not its URL', async () => {
    const result = await coroner('relaunch', container, '--yes');
    expect(result.stderr.toString()).not.toMatch(/431|\n\s+at /);
    expect(result.code, result.stdout.toString().slice(-2000)).toBe(0);
    const replacement = (
      await docker(
        'ps',
        '-q',
        '--filter',
        `label=coroner.replaces`,
        '--filter',
        `label=${TEST_LABEL}=${runId}`,
      )
    ).trim();
    expect(replacement).not.toBe('');
    expect(await inspectField(replacement, '{{len (index .Config.Labels "evil.big")}}')).toBe(
      String(Buffer.byteLength(ESCAPES + 'A'.repeat(4 * MiB))),
    );
  });
});
