/**
 * coroner's node-job image (deploy/node-job, issue 26 item 4), run as a node runs it: built
 * offline by its script, then started as a container on the system's Docker.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseImage,
  cleanRun,
  docker,
  newRunId,
  ROOT,
  runLabelled,
  TEST_LABEL,
} from '../support/engine.js';

const run = promisify(execFile);
const VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** Builds (or finds, when its inputs are unchanged) the image; its tag and what the script said. */
async function buildImage(): Promise<{ tag: string; stderr: string }> {
  const { stdout, stderr } = await run('bash', [path.join(ROOT, 'scripts/build-node-image.sh')], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return { tag: stdout.trim().split('\n').pop()!, stderr };
}

let image: string;
const runId = newRunId();

/** The image run once, as the Job runs it: its entrypoint is coroner. */
const inImage = (...args: string[]) =>
  docker('run', '--rm', '--network', 'none', '--label', `${TEST_LABEL}=${runId}`, image, ...args);

beforeAll(async () => {
  image = (await buildImage()).tag;
}, 600_000);
afterAll(() => cleanRun(runId));

describe('the node-job image', () => {
  it("is tagged with coroner's version and prints it", async () => {
    expect(image).toBe(`coroner:${VERSION}`);
    expect((await inImage('--version')).trim()).toBe(`coroner ${VERSION}`);
    expect(await inImage('--help')).toContain('coroner triage <container>');
  });

  it('runs Node 20 or newer on Debian 12', async () => {
    const node = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      image,
      '-p',
      'process.versions.node',
    );
    expect(Number(node.trim().split('.')[0])).toBeGreaterThanOrEqual(20);
    const release = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'cat',
      image,
      '/etc/os-release',
    );
    expect(release).toMatch(/^VERSION_ID="12"$/m);
  });

  it('holds every production dependency coroner declares, and loads each', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const names = Object.keys(pkg.dependencies);
    expect(names.length).toBeGreaterThan(0);
    // Resolved from coroner's own folder in the image, as its modules resolve them.
    const loaded = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--workdir',
      '/opt/coroner',
      '--entrypoint',
      'node',
      image,
      '--input-type=module',
      '-e',
      'for (const name of process.argv.slice(1)) { await import(name); console.log(name); }',
      ...names,
    );
    expect(loaded.trim().split('\n').sort()).toEqual([...names].sort());
  });

  it('lists the containers of the engine whose socket it is given', async () => {
    // A container on the system's Docker, listed by coroner from inside the image: the engine
    // client and its dependencies work there, not only load.
    const name = `coroner-test-nodejob-${runId}`;
    await runLabelled(name, runId, await baseImage(), 'sleep', '300');
    const listed = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--label',
      `${TEST_LABEL}=${runId}`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      image,
      'list',
    );
    expect(listed).toContain(name);
  });

  it('is built once: the script finds it again while its inputs are unchanged', async () => {
    const id = (await docker('image', 'inspect', '--format', '{{.Id}}', image)).trim();
    const again = await buildImage();
    expect(again.tag).toBe(image);
    expect(again.stderr).not.toContain('building');
    expect((await docker('image', 'inspect', '--format', '{{.Id}}', image)).trim()).toBe(id);
  });
});
