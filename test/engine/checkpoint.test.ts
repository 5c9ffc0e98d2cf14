/**
 * Checkpoint archives (issue 26, item 5). A real one needs CRIU 4, and Debian 12's 3.17
 * fails on this kernel, so the archive is BUILT HERE IN THE KUBELET'S / PODMAN'S FORMAT
 * from a real container: the webshell sample runs on the system Docker and is attacked
 * (plus one deletion), then its overlay2 upper dir becomes rootfs-diff.tar (whiteout
 * character devices become deleted.files, as podman writes them), its inspect becomes
 * config.dump and spec.dump, and a couple of placeholder CRIU images stand in for the
 * process state. `docker save` of its image is the --image archive. coroner must then rank
 * the same changes from the archive as from the live container it came from.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import { cleanRun, docker, newRunId, ranking, startSample } from '../support/engine.js';

const run = promisify(execFile);
const runId = newRunId();
/** No engine listens here: reading an archive must not need one. */
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

let work: string;
let container: string;
let containerId: string;
let archive: string;
let imageTar: string;
let live: TriageReport;

async function triageJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<TriageReport> {
  const { code, stdout, stderr } = await runCoroner(['triage', ...args, '--json'], env);
  if (code !== 3 && code !== 0) throw new Error(`coroner exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as TriageReport;
}

/** Every path under the upper dir, relative, split into entries and whiteouts (0/0 char devices). */
async function walkUpper(upper: string): Promise<{ entries: string[]; deleted: string[] }> {
  const entries: string[] = [];
  const deleted: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const name of await readdir(path.join(upper, relative))) {
      const child = relative ? `${relative}/${name}` : name;
      const stat = await lstat(path.join(upper, child));
      if (stat.isCharacterDevice() && stat.rdev === 0) {
        deleted.push(`/${child}`);
        continue;
      }
      entries.push(child);
      if (stat.isDirectory()) await walk(child);
    }
  };
  await walk('');
  return { entries, deleted };
}

/** The archive a checkpoint of `container` would be, from its upper dir and inspect. */
async function buildCheckpointArchive(name: string, into: string): Promise<string> {
  const inspect = JSON.parse(await docker('inspect', name))[0] as {
    Id: string;
    Name: string;
    Image: string;
    Created: string;
    Path: string;
    Args: string[];
    Config: { Image: string; Env: string[]; User: string };
    GraphDriver: { Data: { UpperDir: string } };
  };
  const stage = path.join(into, 'stage');
  await mkdir(path.join(stage, 'checkpoint'), { recursive: true });
  await docker('pause', name);
  try {
    const upper = inspect.GraphDriver.Data.UpperDir;
    const { entries, deleted } = await walkUpper(upper);
    const list = path.join(into, 'rootfs-list');
    await writeFile(list, entries.join('\n') + '\n');
    await run('tar', [
      '-C',
      upper,
      '--no-recursion',
      '--numeric-owner',
      '--xattrs',
      '-cf',
      path.join(stage, 'rootfs-diff.tar'),
      '-T',
      list,
    ]);
    await writeFile(path.join(stage, 'deleted.files'), JSON.stringify(deleted));
  } finally {
    await docker('unpause', name);
  }
  await writeFile(
    path.join(stage, 'config.dump'),
    JSON.stringify({
      id: inspect.Id,
      name: inspect.Name.replace(/^\//, ''),
      rootfsImage: inspect.Image,
      rootfsImageRef: inspect.Image,
      rootfsImageName: inspect.Config.Image,
      runtime: 'runc',
      createdTime: inspect.Created,
      checkpointedTime: new Date().toISOString(),
    }),
  );
  await writeFile(
    path.join(stage, 'spec.dump'),
    JSON.stringify({
      ociVersion: '1.0.2',
      process: {
        user: { uid: 0, gid: 0 },
        args: [inspect.Path, ...inspect.Args],
        env: inspect.Config.Env,
        capabilities: { bounding: ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_KILL'] },
      },
      root: { path: 'rootfs', readonly: false },
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      linux: {
        namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })),
        seccomp: { defaultAction: 'SCMP_ACT_ERRNO' },
      },
      annotations: { 'io.kubernetes.container.name': 'web', 'io.kubernetes.pod.name': 'shop' },
    }),
  );
  // Placeholders for CRIU's images: listed and hashed, never read.
  await writeFile(path.join(stage, 'checkpoint', 'inventory.img'), Buffer.from('placeholder'));
  await writeFile(path.join(stage, 'checkpoint', 'pages-1.img'), Buffer.alloc(64 * 1024, 7));
  const out = path.join(into, 'checkpoint-shop_default-web-2026-12-03T09:00:00Z.tar');
  await run('tar', [
    '-C',
    stage,
    '-cf',
    out,
    'config.dump',
    'spec.dump',
    'rootfs-diff.tar',
    'deleted.files',
    'checkpoint',
  ]);
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-checkpoint-'));
  container = await startSample('webshell', runId, '-checkpoint');
  // The sample's attack adds and changes files; a deletion makes deleted.files hold one.
  await docker('exec', container, 'rm', '/var/www/about.html');
  containerId = (await docker('inspect', '-f', '{{.Id}}', container)).trim();
  live = await triageJson([container, '--case-dir', path.join(work, 'live')]);
  archive = await buildCheckpointArchive(container, work);
  imageTar = path.join(work, 'image.tar');
  await docker('save', '-o', imageTar, live.container.imageRef);
}, 600_000);

afterAll(async () => {
  await cleanRun(runId);
  await rm(work, { recursive: true, force: true });
});

describe('a checkpoint archive (built in the kubelet format from a real container)', () => {
  it('lists the one container the archive holds', async () => {
    const { code, stdout } = await runCoroner(['list', '--checkpoint', archive], NO_ENGINE);
    expect(code).toBe(0);
    expect(stdout).toContain(container);
    expect(stdout).toContain(containerId.slice(0, 12));
  });

  it('ranks the same changes as a live triage of the container it came from, with --image', async () => {
    const report = await triageJson(
      ['--checkpoint', archive, '--image', imageTar, '--case-dir', path.join(work, 'cp')],
      NO_ENGINE,
    );
    expect(ranking(report)).toEqual(ranking(live));
    expect(ranking(report)).toContainEqual(
      expect.objectContaining({ path: '/var/www/about.html', kind: 'D' }),
    );
    expect(report.container).toMatchObject({ id: containerId, name: container });
    expect(report.source.kind).toBe('checkpoint');
    expect(report.source.described).toContain(archive);
    expect(report.evidence).toMatchObject({ kind: 'layer-folder', dataRoot: archive });
    const { stdout: sha } = await run('sha256sum', [archive]);
    expect(report.evidence.kind === 'layer-folder' && report.evidence.whereKept).toContain(
      `sha256:${sha.split(' ')[0]}`,
    );
    expect(report.layers.checks?.map((c) => c.status)).toEqual(
      report.layers.list.map(() => 'verified'),
    );
    expect(report.notCollected.map((n) => n.item).join('\n')).toMatch(/CRIU images: 2 files/);
    expect(report.problems).toEqual([]);
    expect(report.artifacts.map((a) => a.path)).toEqual(
      expect.arrayContaining([
        'container/config.dump',
        'container/spec.dump',
        'container/deleted.files',
        'checkpoint/members.json',
        'image/config.json',
      ]),
    );
    // The defaced page is compared with the image's page, as live.
    const index = [...report.changes].find((c) => c.path === '/var/www/index.html')!;
    expect(index.comparison?.content.kind).toBe('text-diff');
  });

  it('reads the archive gzipped (podman may compress it) to the same ranking', async () => {
    await run('gzip', ['-k', archive]);
    const report = await triageJson(
      ['--checkpoint', `${archive}.gz`, '--image', imageTar, '--case-dir', path.join(work, 'gz')],
      NO_ENGINE,
    );
    expect(ranking(report)).toEqual(ranking(live));
    expect(report.source.described).toMatch(/gzipped tar/);
  });

  it('exports a case of the archive to a bundle that verifies, saying the evidence is the archive', async () => {
    const out = path.join(work, 'cp.tar.gz');
    const exported = await runCoroner(
      [
        'export',
        '--checkpoint',
        archive,
        '--image',
        imageTar,
        '--case',
        path.join(work, 'cp'),
        '--out',
        out,
      ],
      NO_ENGINE,
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/not included: the evidence is the checkpoint archive itself/);
    const verified = await runCoroner(['verify', out], NO_ENGINE);
    expect(verified.code).toBe(0);
    const caseVerified = await runCoroner(['verify', path.join(work, 'cp')], NO_ENGINE);
    expect(caseVerified.code).toBe(0);
  });

  it('lists and ranks the changes without the image, saying originals were not compared', async () => {
    const report = await triageJson(
      ['--checkpoint', archive, '--case-dir', path.join(work, 'cp-no-image')],
      NO_ENGINE,
    );
    const paths = ranking(report).map((c) => c.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/var/www/index.html',
        '/var/www/uploads/.cache.php',
        '/var/www/about.html',
      ]),
    );
    expect([...report.changes][0]).toMatchObject({
      path: '/var/www/uploads/.cache.php',
      severity: 'critical',
    });
    const originals = report.notCollected.find((n) =>
      /the originals of changed files/.test(n.item),
    );
    expect(originals?.reason).toMatch(
      /the local Docker engine \(unix:\/\/\/nonexistent\/docker.sock\) could not be asked/,
    );
    expect(report.layers.source).toBe('unavailable');
  });

  it("without --image, takes the image from the local engine's store when it holds it", async () => {
    // DOCKER_HOST unset: the system's engine, which holds the sample's image.
    const report = await triageJson(
      ['--checkpoint', archive, '--case-dir', path.join(work, 'store')],
      {
        DOCKER_HOST: '',
      },
    );
    expect(ranking(report)).toEqual(ranking(live));
    expect(report.source.described).toMatch(/with the image from the local Docker engine/);
    expect(report.layers.checks?.map((c) => c.status)).toEqual(
      report.layers.list.map(() => 'verified'),
    );
  });

  it('refuses an image archive that is not the image the checkpoint names', async () => {
    const other = path.join(work, 'other.tar');
    await docker('save', '-o', other, 'coroner-sample/base:busybox');
    const { code, stderr } = await runCoroner(
      ['triage', '--checkpoint', archive, '--image', other, '--case-dir', path.join(work, 'x')],
      NO_ENGINE,
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/does not hold the image the checkpoint names/);
  });
});
