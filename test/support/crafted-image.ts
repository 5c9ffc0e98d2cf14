/**
 * Images whose top layer is a hand-made tar, loaded with `docker load`: the
 * way an attacker who controls an image gets tar-level tricks (PAX names, `./`
 * and absolute names, `..`, climbing links) into what the engine later streams
 * back (`docker save` re-creates a loaded layer byte for byte).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar-stream';
import { docker, ROOT, TEST_LABEL } from './engine.js';
import { makeTar, type FixtureEntry } from './tar-fixtures.js';

const BASE = 'coroner-sample/base:busybox';

async function readTar(data: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const reader = extract();
  data.pipe(reader as unknown as NodeJS.WritableStream);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    if (entry.header.type === 'file') files.set(entry.header.name, Buffer.concat(chunks));
  }
  return files;
}

/**
 * Loads `repoTag`: the offline base image plus one layer made of `entries`, its history
 * line `createdBy`, labelled for this test run. Returns the image id.
 */
export async function loadCraftedImage(
  repoTag: string,
  entries: FixtureEntry[],
  createdBy: string,
  runId: string,
): Promise<string> {
  await promisify(execFile)('bash', [path.join(ROOT, 'samples/base/build.sh'), BASE]).catch(
    () => undefined, // already built
  );
  const save = spawn('docker', ['save', BASE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const files = await readTar(save.stdout);
  const [manifest] = JSON.parse(files.get('manifest.json')!.toString()) as {
    Config: string;
    Layers: string[];
  }[];
  const config = JSON.parse(files.get(manifest!.Config)!.toString()) as {
    rootfs: { diff_ids: string[] };
    history?: { created: string; created_by: string }[];
    config: { Cmd?: string[]; Labels?: Record<string, string> };
  };
  const layer = await makeTar(entries);
  config.rootfs.diff_ids.push(`sha256:${createHash('sha256').update(layer).digest('hex')}`);
  config.history = [
    ...(config.history ?? []),
    { created: '2026-11-23T00:00:00Z', created_by: createdBy },
  ];
  config.config.Cmd = ['sleep', '3600'];
  config.config.Labels = { ...config.config.Labels, [TEST_LABEL]: runId };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configName = `${createHash('sha256').update(configBytes).digest('hex')}.json`;
  const archive = await makeTar([
    { name: 'crafted/layer.tar', content: layer },
    ...manifest!.Layers.map((name) => ({ name, content: files.get(name)! })),
    { name: configName, content: configBytes },
    {
      name: 'manifest.json',
      content: JSON.stringify([
        {
          Config: configName,
          RepoTags: [repoTag],
          Layers: [...manifest!.Layers, 'crafted/layer.tar'],
        },
      ]),
    },
  ]);
  const load = spawn('docker', ['load', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  load.stdout.on('data', (d) => (output += d));
  load.stderr.on('data', (d) => (output += d));
  load.stdin.end(archive);
  const code = await new Promise<number | null>((resolve) => load.on('exit', resolve));
  if (code !== 0) throw new Error(`docker load of ${repoTag} failed: ${output}`);
  return (await docker('image', 'inspect', '-f', '{{.Id}}', repoTag)).trim();
}
