import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import {
  cleanRun,
  docker,
  expectedChanges,
  newRunId,
  ROOT,
  SAMPLES,
  startSample,
} from '../support/engine.js';

const runId = newRunId();
let engine: Engine;
beforeAll(async () => {
  engine = await connectEngine();
});
afterAll(() => cleanRun(runId));

const KIND = { 0: 'C', 1: 'A', 2: 'D' } as const;

describe.each(SAMPLES)('the %s sample', (sample) => {
  it('builds offline, starts, and shows its ground-truth changes through the engine changes endpoint', async () => {
    const container = await startSample(sample, runId);
    const changes = (await engine.changes(container, 64 * 1024 * 1024)).map(
      (c) => `${KIND[c.Kind]} ${c.Path}`,
    );
    for (const e of expectedChanges(sample)) expect(changes).toContain(`${e.kind} ${e.path}`);
    const labels = JSON.parse(
      await docker('inspect', '-f', '{{json .Config.Labels}}', container),
    ) as Record<string, string>;
    expect(labels['coroner.sample']).toBe(sample);
  });
});

describe('samples/run.sh', () => {
  it('lists the scenarios', async () => {
    const { stdout } = await promisify(execFile)('bash', [
      path.join(ROOT, 'samples/run.sh'),
      '--list',
    ]);
    expect(stdout.trim().split('\n').sort()).toEqual(
      [...SAMPLES, 'apache-host', 'hostile', 'php-links', 'wp-volume'].sort(),
    );
  });

  it('refuses an unknown scenario with the list of known ones', async () => {
    await expect(
      promisify(execFile)('bash', [path.join(ROOT, 'samples/run.sh'), 'nosuch']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /no scenario named 'nosuch'[\s\S]*scenarios: apache-host backdoor hostile miner persistence php-links webshell wp-volume/,
      ),
    });
  });
});
