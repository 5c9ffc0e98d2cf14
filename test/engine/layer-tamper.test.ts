/**
 * Image layers changed on the host, seen through the layer check (issue 23): a private
 * dockerd builds an image offline, its layer folder is tampered with every way that
 * leaves file contents alone, and coroner must name each path and what differs, both
 * live (the engine's own layer store, coroner as root) and on a copy of the data root.
 * An untouched copy verifies; a copy missing a record or a folder is "not checked",
 * said without a stack trace and without calling the host compromised. The system
 * engine's layers are never touched.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageLayers } from '../../src/sources/docker-store/image-store.js';
import type { LayerCheck, TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import { newRunId, ROOT, TEST_LABEL } from '../support/engine.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';

const sh = async (script: string, env: NodeJS.ProcessEnv = {}) =>
  (
    await promisify(execFile)('sh', ['-c', script], {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...env },
    })
  ).stdout;
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const runId = newRunId();
const name = `coroner-test-layers-${runId}`;
const image = `coroner-test/layers:${runId}`;

/** The second layer: a hard link, symlinks, an empty folder, a file to make setuid. */
const DOCKERFILE = `FROM coroner-sample/base:busybox
RUN mkdir -p /opt/empty /opt/keep && echo tool > /opt/tool && chmod 755 /opt/tool \\
 && echo data > /opt/keep/data && ln -s /etc/passwd /opt/link && ln -s /etc/group /opt/link2 \\
 && rm /bin/sh && ln /bin/busybox /bin/sh
`;

/** Each tampering, the path it must be named at, and what must be said of it. */
const TAMPERINGS: { how: string; path: string; what: RegExp; script: (diff: string) => string }[] =
  [
    {
      how: 'a file added',
      path: '/opt/added',
      what: /in the layer folder \(a file\) but not in the layer's record/,
      script: (d) => `echo evil > '${d}/opt/added'`,
    },
    {
      how: 'setuid added',
      path: '/opt/tool',
      what: /mode 4755, recorded 0755/,
      script: (d) => `chmod 4755 '${d}/opt/tool'`,
    },
    {
      how: 'an owner changed',
      path: '/opt/keep/data',
      what: /owned by 1000:1000, recorded 0:0/,
      script: (d) => `chown 1000:1000 '${d}/opt/keep/data'`,
    },
    {
      how: 'a file capability set',
      path: '/bin/busybox',
      what: /attribute security\.capability/,
      script: (d) =>
        `setfattr -n security.capability -v 0x0100000200040000000000000000000000000000 '${d}/bin/busybox'`,
    },
    {
      how: 'a symlink pointed elsewhere',
      path: '/opt/link',
      what: /points to "\/tmp\/evil", recorded "\/etc\/passwd"/,
      script: (d) => `ln -sfn /tmp/evil '${d}/opt/link'`,
    },
    {
      how: 'a symlink deleted',
      path: '/opt/link2',
      what: /missing from the layer folder/,
      script: (d) => `rm '${d}/opt/link2'`,
    },
    {
      how: 'a hard link replaced by a script',
      path: '/bin/sh',
      what: /no longer a hard link of "\/bin\/busybox"/,
      script: (d) => `rm '${d}/bin/sh' && printf '#!/bin/busybox sh\\n' > '${d}/bin/sh'`,
    },
    {
      how: 'an empty folder deleted',
      path: '/opt/empty',
      what: /missing from the layer folder/,
      script: (d) => `rmdir '${d}/opt/empty'`,
    },
  ];

let engine: PrivateEngine;
let work: string;
let clean: string;
/** The tampered layer's folder, relative to a data root. */
let layerDir: string;
let tarSplit: string;
let live: TriageReport;

async function triage(args: string[], env: NodeJS.ProcessEnv) {
  const run = await runCoroner(['triage', name, ...args, '--json'], env);
  if (run.code !== 0 && run.code !== 3)
    throw new Error(`coroner exited ${run.code}: ${run.stderr}`);
  return { report: JSON.parse(run.stdout) as TriageReport, stderr: run.stderr };
}

/** A copy of the clean data root, changed by `script` (given the copy's path). */
async function copyOf(label: string, script: (root: string) => string): Promise<string> {
  const root = path.join(work, label);
  await sh(`cp -a '${clean}' '${root}' && ${script(root)}`);
  return root;
}

function expectEachTamperingNamed(check: LayerCheck) {
  expect(check.status).toBe('tampered');
  for (const t of TAMPERINGS) {
    const found = check.differences?.find((d) => d.path === t.path);
    expect(found?.what.join('; '), t.how).toMatch(t.what);
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-layers-'));
  engine = await startPrivateEngine();
  const env = { DOCKER_HOST: engine.dockerHost };
  await sh(`bash '${ROOT}/samples/base/build.sh'`, env);
  const context = path.join(work, 'context');
  await sh(`mkdir '${context}'`);
  await writeFile(path.join(context, 'Dockerfile'), DOCKERFILE);
  await engine.docker('build', '-q', '--label', `${TEST_LABEL}=${runId}`, '-t', image, context);
  const diffIds = JSON.parse(
    await engine.docker('image', 'inspect', image, '--format', '{{json .RootFS.Layers}}'),
  ) as string[];
  const layers = await imageLayers({ path: engine.dataRoot, storageDriver: 'overlay2' }, diffIds);
  expect(layers).toHaveLength(2);
  layerDir = path.relative(engine.dataRoot, layers[1]!.dir);
  tarSplit = path.relative(engine.dataRoot, layers[1]!.tarSplit);
  await engine.docker(
    ...['run', '-d', '--name', name, '--network', 'none', '--label', `${TEST_LABEL}=${runId}`],
    ...[image, '/bin/busybox', 'sleep', '3600'],
  );
  // A copy made before anything was tampered with: as a responder copies, everything kept.
  await engine.stop();
  clean = path.join(work, 'clean');
  await sh(`cp -a '${engine.dataRoot}' '${clean}'`);
  await engine.start();
  // Tampered on the private engine's own disk, under its running container.
  const diff = path.join(engine.dataRoot, layerDir);
  for (const t of TAMPERINGS) await sh(t.script(diff));
  await engine.docker('start', name);
  // A change of its own: a container that changed nothing commits no layer to read.
  await engine.docker('exec', name, '/bin/busybox', 'touch', '/root/mark');
  ({ report: live } = await triage(['--case-dir', path.join(work, 'live')], {
    DOCKER_HOST: engine.dockerHost,
    CORONER_CACHE_DIR: path.join(work, 'cache'),
  }));
}, 600_000);

afterAll(async () => {
  await engine?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("an image layer changed on the engine's own disk (live, layer store)", () => {
  it('is reported tampered, naming each path and what differs, and the host as compromised', () => {
    expect(live.layers.source).toBe('layer-store');
    expect(live.layers.checks?.[0]?.status).toBe('verified');
    expectEachTamperingNamed(live.layers.checks![1]!);
    expect(live.hostCompromise.isSuspected).toBe(true);
    expect(live.hostCompromise.reasons.join('\n')).toMatch(/"\/opt\/tool" has mode 4755/);
  });
});

describe('an image layer in a copied data root', () => {
  it('verifies every layer of an untouched copy', async () => {
    const { report } = await triage(
      ['--docker-root', clean, '--case-dir', path.join(work, 'dead-clean')],
      NO_ENGINE,
    );
    expect(report.layers.checks?.map((c) => c.status)).toEqual(['verified', 'verified']);
    expect(report.hostCompromise.isSuspected).toBe(false);
  });

  it('is reported tampered, naming each path and what differs', async () => {
    const root = await copyOf('tampered', (r) =>
      TAMPERINGS.map((t) => t.script(path.join(r, layerDir))).join(' && '),
    );
    const { report } = await triage(
      ['--docker-root', root, '--case-dir', path.join(work, 'dead-tampered')],
      NO_ENGINE,
    );
    expect(report.layers.checks?.[0]?.status).toBe('verified');
    expectEachTamperingNamed(report.layers.checks![1]!);
    expect(report.hostCompromise.isSuspected).toBe(true);
  });

  it.each([
    ['its tar-split record missing', (r: string) => `rm '${r}/${tarSplit}'`, /is missing/],
    [
      'its tar-split record cut short',
      (r: string) => `truncate -s 200 '${r}/${tarSplit}'`,
      /cut short/,
    ],
    [
      'its layer folder missing',
      (r: string) => `rm -rf '${r}/${layerDir}'`,
      /folder .* is missing/,
    ],
  ])(
    'with %s, says the layer was not checked and the copy may be incomplete, without a stack trace or a compromised host',
    async (label, script, why) => {
      const root = await copyOf(label.replace(/\W+/g, '-'), script);
      const { report, stderr } = await triage(
        [
          '--docker-root',
          root,
          '--case-dir',
          path.join(work, `dead-${label.replace(/\W+/g, '-')}`),
        ],
        NO_ENGINE,
      );
      const check = report.layers.checks![1]!;
      expect(check.status).toBe('not-checked');
      expect(check.detail).toMatch(/^not checked: /);
      expect(check.detail).toMatch(why);
      expect(check.detail).toMatch(/incomplete/);
      expect(report.layers.checks![0]!.status).toBe('verified');
      expect(report.hostCompromise.isSuspected).toBe(false);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );
});
