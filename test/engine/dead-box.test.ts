/**
 * Dead-box triage: a private dockerd runs and compromises the samples, is stopped
 * as a host would be, and coroner triages a copy of its data root with no engine
 * (DOCKER_HOST points nowhere: any attempt to reach one would fail the run).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { BIN, runCoroner } from '../support/coroner-run.js';
import { newRunId, ranking, startSample } from '../support/engine.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';

const sh = async (script: string) =>
  (await promisify(execFile)('sh', ['-c', script], { maxBuffer: 64 * 1024 * 1024 })).stdout;
const SAMPLES = ['webshell', 'miner', 'backdoor'] as const;
const runId = newRunId();
/** No engine listens here: a dead-box run that tried to reach one would fail. */
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

let engine: PrivateEngine;
let work: string;
let copy: string;
const names: Record<string, string> = {};
/** A container with a named volume (the samples have none). */
let volumeName: string;
const live: Record<string, TriageReport> = {};

async function triageJson(args: string[], env: NodeJS.ProcessEnv): Promise<TriageReport> {
  const { code, stdout, stderr } = await runCoroner(['triage', ...args, '--json'], env);
  if (code !== 3 && code !== 0) throw new Error(`coroner exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as TriageReport;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-deadbox-'));
  engine = await startPrivateEngine();
  for (const sample of SAMPLES) {
    names[sample] = await startSample(sample, runId, '', {
      ...process.env,
      DOCKER_HOST: engine.dockerHost,
    });
    live[sample] = await triageJson(
      [names[sample], '--case-dir', path.join(work, `live-${sample}`)],
      { DOCKER_HOST: engine.dockerHost, CORONER_CACHE_DIR: path.join(work, 'cache') },
    );
  }
  volumeName = `coroner-test-volume-${runId}`;
  await engine.docker(
    'run',
    '-d',
    '--name',
    volumeName,
    '--network',
    'none',
    '-v',
    `${volumeName}:/var/www/uploads`,
    live.webshell!.container.imageId,
  );
  await engine.stop();
  copy = path.join(work, 'copy');
  // As a responder copies a data root: everything, with owners, devices and extended attributes.
  await sh(`cp -a '${engine.dataRoot}' '${copy}'`);
}, 600_000);

afterAll(async () => {
  await engine?.destroy();
  await rm(work, { recursive: true, force: true });
});

describe('a copied data root, no engine', () => {
  it('lists the containers it holds', async () => {
    const { code, stdout } = await runCoroner(['list', '--docker-root', copy], NO_ENGINE);
    expect(code).toBe(0);
    for (const sample of SAMPLES) expect(stdout).toContain(names[sample]);
  });

  it.each(SAMPLES)(
    'finds in %s exactly what a live triage found, every image layer verified',
    async (sample) => {
      const dead = await triageJson(
        [names[sample]!, '--docker-root', copy, '--case-dir', path.join(work, `dead-${sample}`)],
        NO_ENGINE,
      );
      expect(ranking(dead)).toEqual(ranking(live[sample]!));
      expect(dead.source).toMatchObject({
        kind: 'dead-box',
        dataRoot: { path: copy, storageDriver: 'overlay2' },
      });
      expect(dead.evidence).toMatchObject({ kind: 'layer-folder', dataRoot: copy });
      expect(dead.layers.source).toBe('layer-store');
      expect(dead.layers.checks?.map((c) => c.status)).toEqual(
        dead.layers.list.map(() => 'verified'),
      );
      expect(dead.hostCompromise.isSuspected).toBe(false);
      expect(dead.notCollected.map((n) => n.item)).toContain(
        'processes, memory, open files and network connections',
      );
      expect(dead.problems).toEqual([]);
      expect(dead.artifacts.map((a) => a.path)).toEqual(
        expect.arrayContaining([
          'container/config.v2.json',
          'container/hostconfig.json',
          'image/config.json',
          'container/logs/stdout.log',
        ]),
      );
    },
  );

  it('exports a bundle of a dead-box case that verifies, saying the evidence is the data root', async () => {
    const out = path.join(work, 'dead.tar.gz');
    const exported = await runCoroner(
      [
        'export',
        names.webshell!,
        '--docker-root',
        copy,
        '--case',
        path.join(work, 'dead-webshell'),
        '--out',
        out,
      ],
      NO_ENGINE,
    );
    expect(exported.stderr).toContain(
      `exporting the case folder ${path.join(work, 'dead-webshell')}`,
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      /not included: the evidence is the copied Docker data root itself/,
    );
    const verified = await runCoroner(['verify', out], NO_ENGINE);
    expect(verified.code).toBe(0);
  });

  it('reports a byte changed in an image layer folder as a layer tampered with on the host', async () => {
    const tampered = path.join(work, 'tampered');
    await sh(`cp -a '${copy}' '${tampered}'`);
    const [file] = (await sh(`ls -d '${tampered}'/overlay2/*/diff/usr/local/bin/start-web`))
      .trim()
      .split('\n');
    const bytes = await readFile(file!);
    bytes[3] = bytes[3]! ^ 0xff;
    await writeFile(file!, bytes);
    const report = await triageJson(
      [names.webshell!, '--docker-root', tampered, '--case-dir', path.join(work, 'dead-tampered')],
      NO_ENGINE,
    );
    const bad = report.layers.checks!.filter((c) => c.status === 'tampered');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.detail).toMatch(
      /"\/usr\/local\/bin\/start-web" has other content than the layer recorded/,
    );
    expect(report.hostCompromise.isSuspected).toBe(true);
    expect(report.hostCompromise.reasons.join('\n')).toMatch(
      /image layer \d+ .*tampered with on the host/,
    );
  });

  it('reads a copy on a read-only mount, and writes nothing into it', async () => {
    const readOnly = path.join(work, 'ro');
    await sh(
      `mkdir '${readOnly}' && mount --bind '${copy}' '${readOnly}' && mount -o remount,ro,bind '${readOnly}'`,
    );
    try {
      const before = await sh(`cd '${copy}' && find . -printf '%p %s %T@\\n' | sort | sha256sum`);
      const report = await triageJson(
        [names.backdoor!, '--docker-root', readOnly, '--case-dir', path.join(work, 'dead-ro')],
        NO_ENGINE,
      );
      expect(ranking(report)).toEqual(ranking(live.backdoor!));
      expect(await sh(`cd '${copy}' && find . -printf '%p %s %T@\\n' | sort | sha256sum`)).toBe(
        before,
      );
    } finally {
      await sh(`umount '${readOnly}'`);
    }
  });
});

describe('what is refused', () => {
  it('refuses the data root of a running engine', async () => {
    const { code, stderr } = await runCoroner(['list', '--docker-root', '/var/lib/docker']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /is the data root of a running Docker engine.*Triage its containers live/s,
    );
  });

  it('refuses a folder that is not a data root, with one line', async () => {
    const notRoot = await runCoroner(['triage', 'x', '--docker-root', work], NO_ENGINE);
    expect(notRoot.code).toBe(1);
    expect(notRoot.stderr).toMatch(/is not a Docker data root/);
    expect(notRoot.stderr).not.toMatch(/\n\s+at /);
  });
});

/** A copy of the copy, damaged by `damage` (given the copy's path), as a responder may receive one. */
async function damagedCopy(
  name: string,
  damage: (dir: string) => Promise<unknown>,
): Promise<string> {
  const dir = path.join(work, name);
  await sh(`cp -a '${copy}' '${dir}'`);
  await damage(dir);
  return dir;
}

const idOf = (sample: string) => live[sample]!.container.id;
/** The folder of a container's writable layer in a data root, as its layer database names it. */
const writableLayerOf = async (root: string, id: string) =>
  path.join(
    root,
    'overlay2',
    (
      await readFile(path.join(root, 'image/overlay2/layerdb/mounts', id, 'mount-id'), 'utf8')
    ).trim(),
  );
/** A stack frame ("    at f (file:1:2)"): a bug's trace, never an expected failure's line. */
const STACK_FRAME = /\n\s+at /;

async function triageOf(root: string, ref: string, caseName: string) {
  const run = await runCoroner(
    ['triage', ref, '--docker-root', root, '--case-dir', path.join(work, caseName), '--json'],
    NO_ENGINE,
  );
  expect(run.stderr).not.toMatch(STACK_FRAME);
  return {
    ...run,
    report: [0, 3].includes(run.code) ? (JSON.parse(run.stdout) as TriageReport) : undefined,
  };
}

describe('a damaged or hostile copy', () => {
  it('triages without the writable layer folder, saying the change list was not collected and why', async () => {
    const root = await damagedCopy('no-writable', async (dir) =>
      rm(await writableLayerOf(dir, idOf('webshell')), { recursive: true }),
    );
    const { code, report } = await triageOf(root, names.webshell!, 'dead-no-writable');
    expect([0, 3]).toContain(code);
    const missing = report!.notCollected.find((n) => /writable layer/.test(n.item));
    expect(missing?.reason).toMatch(/not in the data root copy/);
    expect(report!.layers.checks?.map((c) => c.status)).toEqual(
      report!.layers.list.map(() => 'verified'),
    );
    expect(report!.counts.added + report!.counts.changed + report!.counts.deleted).toBe(0);
  });

  it('reports an image config that no longer matches its id as host tampering, and still lists every change', async () => {
    const root = await damagedCopy('altered-config', async (dir) => {
      const file = path.join(
        dir,
        'image/overlay2/imagedb/content/sha256',
        live.webshell!.container.imageId.replace('sha256:', ''),
      );
      await writeFile(file, (await readFile(file, 'utf8')) + '\n');
    });
    const { code, report } = await triageOf(root, names.webshell!, 'dead-altered-config');
    expect(code).toBe(3);
    expect(report!.hostCompromise.isSuspected).toBe(true);
    expect(report!.hostCompromise.reasons.join('\n')).toMatch(
      /image config of sha256:[0-9a-f]{64} .*does not hash to its id/,
    );
    expect(ranking(report!)).toEqual(ranking(live.webshell!));
  });

  it('lists a container whose config.v2.json is empty or missing as damaged, and says so in one line when it is triaged', async () => {
    const empty = idOf('backdoor');
    const missing = idOf('miner');
    const root = await damagedCopy('empty-config', async (dir) => {
      await writeFile(path.join(dir, 'containers', empty, 'config.v2.json'), '');
      await rm(path.join(dir, 'containers', missing, 'config.v2.json'));
    });
    const listed = await runCoroner(['list', '--docker-root', root], NO_ENGINE);
    expect(listed.code).toBe(0);
    for (const id of [empty, missing])
      expect(listed.stdout).toMatch(new RegExp(`${id.slice(0, 12)} .*damaged`));
    for (const [id, why] of [
      [empty, /config\.v2\.json is not JSON/],
      [missing, /config\.v2\.json is not in the data root copy/],
    ] as const) {
      const { code, stderr } = await triageOf(root, id, `dead-damaged-config-${id}`);
      expect(code).toBe(1);
      // One line for the damage; the next only says the case folder it began is incomplete.
      expect(stderr.split('\n')[0]).toMatch(why);
    }
  });

  it('names the copy\u2019s containers, not an engine command, when the container is unknown', async () => {
    const { code, stderr } = await triageOf(copy, 'nosuch', 'dead-nosuch');
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/docker ps/);
    expect(stderr).toContain(names.miner);
    expect(stderr).toContain(`coroner list --docker-root ${copy}`);
  });

  it('says it has no permission to read image/ when not run as root', async () => {
    await chmod(work, 0o755);
    const asNobody = (root: string) =>
      promisify(execFile)(
        'setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          BIN,
          'list',
          '--docker-root',
          root,
        ],
        { env: { ...process.env, ...NO_ENGINE } },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
    // As on many hosts, the data root lets anyone through (0711) and image/ is root's (0700).
    const open = await damagedCopy('not-root', (dir) => chmod(dir, 0o711));
    for (const [root, what] of [
      [open, /no permission to read \S*not-root\/image \(EACCES\)/],
      [copy, /no permission to read/],
    ] as const) {
      const run = await asNobody(root);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(what);
      expect(run.stderr).not.toMatch(/storage driver|not a Docker data root/);
      expect(run.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('never reads a writable layer folder that is a link: the responder\u2019s own files stay out of the case', async () => {
    const own = path.join(work, 'responder-own');
    await mkdir(own, { recursive: true });
    await writeFile(path.join(own, 'responder-secret.txt'), 'not evidence\n');
    const root = await damagedCopy('linked-writable', async (dir) => {
      const layer = path.join(await writableLayerOf(dir, idOf('webshell')), 'diff');
      await rm(layer, { recursive: true });
      await symlink(own, layer);
    });
    const { report } = await triageOf(root, names.webshell!, 'dead-linked-writable');
    expect([...report!.changes].map((c) => c.path)).not.toContain('/responder-secret.txt');
    expect(report!.notCollected.map((n) => n.reason).join('\n')).toMatch(
      /overlay2\/[0-9a-f]{64}\/diff is a symbolic link/,
    );
    expect(
      await sh(`grep -rl 'not evidence' '${path.join(work, 'dead-linked-writable')}' || true`),
    ).toBe('');
  });

  it('never reads a volume folder that is a link', async () => {
    const own = path.join(work, 'responder-volume');
    await mkdir(own, { recursive: true });
    await writeFile(path.join(own, 'responder-secret.txt'), 'not evidence\n');
    const root = await damagedCopy('linked-volume', async (dir) => {
      const data = path.join(dir, 'volumes', volumeName, '_data');
      await rm(data, { recursive: true });
      await symlink(own, data);
    });
    const { report } = await triageOf(root, volumeName, 'dead-linked-volume');
    expect([...report!.changes].map((c) => c.path)).not.toContain(
      '/var/www/uploads/responder-secret.txt',
    );
    expect(report!.notCollected.find((n) => n.item === `the volume ${volumeName}`)?.reason).toMatch(
      /is a symbolic link/,
    );
  });

  it('names the file and field of wrongly typed JSON in config.v2.json and hostconfig.json', async () => {
    const id = idOf('miner');
    const root = await damagedCopy('typed-json', async (dir) => {
      const config = path.join(dir, 'containers', id, 'config.v2.json');
      const parsed = JSON.parse(await readFile(config, 'utf8')) as { Config: { Image: unknown } };
      parsed.Config.Image = { not: 'a string' };
      await writeFile(config, JSON.stringify(parsed));
      const hostConfig = path.join(dir, 'containers', idOf('webshell'), 'hostconfig.json');
      const host = JSON.parse(await readFile(hostConfig, 'utf8')) as { Devices: unknown };
      host.Devices = 'not a list';
      await writeFile(hostConfig, JSON.stringify(host));
    });
    const listed = await runCoroner(['list', '--docker-root', root], NO_ENGINE);
    expect(listed.stderr).not.toMatch(STACK_FRAME);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${id.slice(0, 12)} .*damaged`));
    const miner = await triageOf(root, id, 'dead-typed-miner');
    expect(miner.code).toBe(1);
    expect(miner.stderr).toMatch(/config\.v2\.json: Config\.Image is an object, not a string/);
    const web = await triageOf(root, names.webshell!, 'dead-typed-web');
    expect([0, 3]).toContain(web.code);
    expect(web.report!.notCollected.map((n) => n.reason).join('\n')).toMatch(
      /hostconfig\.json: Devices is a string, not a list/,
    );
    expect(ranking(web.report!)).toEqual(ranking(live.webshell!));
  });
});

describe('exporting a dead-box case', () => {
  it('leaves no environment value anywhere in a --redact-env bundle', async () => {
    const secret = 'tok-4f9c2e-not-for-bundles'; // the miner sample's ENV
    const out = path.join(work, 'dead-redacted.tar.gz');
    const exported = await runCoroner(
      [
        'export',
        names.miner!,
        '--docker-root',
        copy,
        '--redact-env',
        '--out',
        out,
        '--case',
        path.join(work, 'dead-miner'),
      ],
      NO_ENGINE,
    );
    expect(exported.code).toBe(0);
    const extracted = path.join(work, 'dead-redacted');
    await mkdir(extracted);
    await sh(`tar -xzf '${out}' -C '${extracted}'`);
    // The case did capture it: the bundle masks it.
    expect(await sh(`grep -rl '${secret}' '${path.join(work, 'dead-miner')}' || true`)).not.toBe(
      '',
    );
    expect(await sh(`grep -rl '${secret}' '${extracted}' || true`)).toBe('');
    const manifest = JSON.parse(await readFile(path.join(extracted, 'manifest.json'), 'utf8')) as {
      redaction: { isEnvRedacted: boolean; redactedFiles: string[] };
    };
    expect(manifest.redaction.redactedFiles).toEqual(
      expect.arrayContaining(['case/container/config.v2.json', 'case/image/config.json']),
    );
    expect((await runCoroner(['verify', out], NO_ENGINE)).code).toBe(0);
  });

  it('exports the dead-box case with --docker-root, never a live case of the same container', async () => {
    const cwd = path.join(work, 'export-cwd');
    await mkdir(path.join(cwd, 'coroner-cases'), { recursive: true });
    await sh(
      `cp -a '${path.join(work, 'live-backdoor')}' '${path.join(cwd, 'coroner-cases', 'live-backdoor')}'`,
    );
    const out = path.join(work, 'dead-fresh.tar.gz');
    const run = await promisify(execFile)(
      process.execPath,
      [BIN, 'export', names.backdoor!, '--docker-root', copy, '--out', out],
      { cwd, env: { ...process.env, ...NO_ENGINE } },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/triaging first/);
    expect(run.stdout).toMatch(/not included: the evidence is the copied Docker data root itself/);
    expect(run.stdout).not.toMatch(/--no-image/);
  });
});
