/**
 * The engines Docker ships today, beside the system's 20.10 (issue 25): Debian trixie's
 * dockerd 26.1 on overlay2, and on the containerd image store that Docker 29 uses by
 * default, both refusing API versions below 1.44 as Docker 29 does. A compromised sample
 * and a timestomped container on each are triaged, exported and verified as a responder
 * would, through the coroner executable.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { ContainerdRoot } from '../../src/sources/containerd-store/containerd-root.js';
import { BIN } from '../support/coroner-run.js';
import { baseImage, expectedChanges, newRunId, ranking, startSample } from '../support/engine.js';
import { startNewerEngine, type NewerEngine } from '../support/newer-engine.js';
import { startStomped } from '../support/timestomp.js';

const run = promisify(execFile);

const ENGINES = [
  { name: 'Docker 26 on overlay2', containerdStore: false },
  { name: 'Docker 26 on the containerd image store', containerdStore: true },
] as const;

describe.each(ENGINES)('$name', ({ containerdStore }) => {
  let engine: NewerEngine;
  let work: string;
  let container: string;
  let report: TriageReport;
  let stomped: TriageReport;
  let stompedName: string;
  const runId = newRunId();
  const coronerWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    run(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        DOCKER_HOST: engine.dockerHost,
        CORONER_CACHE_DIR: path.join(work, 'cache'),
        ...env,
      },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { code?: number; stdout?: string; stderr?: string }) => e);
  const coroner = (...args: string[]) => coronerWith({}, ...args);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'newer-engine-'));
    await baseImage();
    engine = await startNewerEngine({ containerdStore, minApi: '1.44' });
    await engine.loadFromSystem('coroner-sample/base:busybox');
    container = await startSample('webshell', runId, '', engine.env);
    const caseDir = path.join(work, 'case');
    await coroner('triage', container, '--case-dir', caseDir);
    report = JSON.parse(await readFile(path.join(caseDir, 'report.json'), 'utf8')) as TriageReport;
    stompedName = await startStomped(engine.docker, runId, 'coroner-sample/base:busybox');
    const stompedCase = path.join(work, 'stomped');
    await coroner('triage', stompedName, '--case-dir', stompedCase);
    stomped = JSON.parse(
      await readFile(path.join(stompedCase, 'report.json'), 'utf8'),
    ) as TriageReport;
  }, 300_000);
  afterAll(async () => {
    await engine?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists the ground-truth changes and ranks the web shell by its true reason', () => {
    const expected = expectedChanges('webshell');
    const real = [...report.changes]
      .filter((c) => !c.isParentOnly)
      .map((c) => `${c.kind} ${c.path}`);
    expect(real.sort()).toEqual(expected.map((e) => `${e.kind} ${e.path}`).sort());
    for (const e of expected.filter((x) => x.malicious)) {
      const change = [...report.changes].find((c) => c.path === e.path)!;
      expect(
        change.findings.map((f) => f.rule),
        e.path,
      ).toContain(e.rule);
    }
  });

  it('speaks the newest API version coroner knows to an engine that refuses below 1.44', async () => {
    expect(report.source.engine).toMatchObject({ apiSpoken: '1.45' });
    const listed = await coroner('list');
    expect((listed as { stdout: string }).stdout).toContain(container);
    const planned = await coroner('relaunch', container, '--dry-run', '--no-learn');
    expect((planned as { stdout: string }).stdout).toMatch(/Dry run: nothing was changed/);
  });

  it("reads the writable layer itself: a timestomped account and script are listed, ranked and kept, though the engine's list lacks them", async () => {
    expect(await engine.docker('diff', stomped.container.id)).toBe('');
    for (const p of ['/etc/passwd', '/usr/local/bin/start-web']) {
      const change = [...stomped.changes].find((c) => c.path === p);
      expect(change, p).toMatchObject({ kind: 'C', isParentOnly: false });
      expect(change!.findings.map((f) => f.rule)).toContain('timestomp');
    }
    expect(stomped.writableLayer?.notInEngineList).toEqual(
      expect.arrayContaining([
        { path: '/etc/passwd', kind: 'C', reason: 'same size, modification time put back' },
        {
          path: '/usr/local/bin/start-web',
          kind: 'C',
          reason: 'same size, modification time put back',
        },
      ]),
    );
    const archive = stomped.writableLayer!.archive;
    expect(stomped.artifacts.find((a) => a.path === archive.path)?.sha256).toBe(archive.sha256);
  });

  it.runIf(containerdStore)(
    "finds the container's writable layer and its image's layers in containerd's own databases, as its mount has them",
    async () => {
      const [id, pid, image] = (
        await engine.docker('inspect', '-f', '{{.Id}} {{.State.Pid}} {{.Image}}', container)
      )
        .trim()
        .split(' ');
      const root = await ContainerdRoot.open(engine.containerdRoot, { isLive: true });
      try {
        const chain = await root.snapshotChain('moby', id!);
        expect(chain.map((s) => s.kind)).toEqual([
          'active',
          ...chain.slice(1).map(() => 'committed'),
        ]);
        expect(chain[1]!.key).toBe(`${id}-init`);
        // The container's root mount, as its init sees it: upper dir, then the lower dirs top first.
        const mountinfo = await readFile(`/proc/${pid}/mountinfo`, 'utf8');
        const rootMount = mountinfo.split('\n').find((l) => l.split(' ')[4] === '/')!;
        const options = rootMount.split(' - ')[1]!.split(' ')[2]!.split(',');
        const option = (name: string) =>
          options.find((o) => o.startsWith(`${name}=`))!.slice(name.length + 1);
        expect(option('upperdir')).toBe(chain[0]!.dir);
        expect(option('lowerdir').split(':')).toEqual(chain.slice(1).map((s) => s.dir));

        const layers = await root.imageLayers('moby', image!);
        // Each image layer is in the chain, bottom first; what else the chain holds is the
        // init snapshot of a build step's container (the classic builder commits on top of it).
        const imageDirs = layers.layers.map((l) => l.snapshot?.dir);
        const lowers = chain.slice(2).reverse();
        expect(lowers.map((s) => s.dir).filter((d) => imageDirs.includes(d))).toEqual(imageDirs);
        for (const extra of lowers.filter((s) => !imageDirs.includes(s.dir)))
          expect(extra.key).toMatch(/^[0-9a-f]{64}-init$/);
      } finally {
        await root.close();
      }
    },
  );

  it.runIf(containerdStore)(
    "reads the image's layers from containerd's snapshot folders, each checked against its blob, with no reader container",
    async () => {
      expect(report.layers.source).toBe('layer-store');
      expect(report.layers.checks?.map((c) => c.status)).toEqual(
        report.layers.list.map(() => 'verified'),
      );
      expect(report.hostCompromise.isSuspected).toBe(false);
      const custody = await readFile(path.join(work, 'case', 'custody.json'), 'utf8');
      expect(custody).toMatch(/checked against its blob in containerd's content store/);
      expect(custody).toMatch(/read whole; 0 left \(in part\) to the reader containers/);
      expect(await engine.docker('ps', '-aq', '--filter', 'label=coroner.reader.for')).toBe('');
    },
  );

  it("collects the processes and /dev/shm from the host's /proc, whether or not the engine names the container's root folder", async () => {
    const pid = Number((await engine.docker('inspect', '-f', '{{.State.Pid}}', container)).trim());
    expect(report.processes?.map((p) => p.pid)).toContain(pid);
    expect(report.notCollected.map((n) => n.item)).not.toContain(
      'processes (executables, open and mapped files, sockets)',
    );
    expect(report.notCollected.map((n) => n.item)).not.toContain('/dev/shm and tmpfs mounts');
  });

  it.runIf(containerdStore)(
    "reports a bind shell appended on the host to an image layer's unpacked snapshot as tampering, and the host as compromised",
    async () => {
      const image = (await engine.docker('inspect', '-f', '{{.Image}}', container)).trim();
      const root = await ContainerdRoot.open(engine.containerdRoot, { isLive: true });
      const layers = (await root.imageLayers('moby', image)).layers;
      await root.close();
      const holding = layers.find((l) =>
        existsSync(path.join(l.snapshot!.dir, 'usr/local/bin/start-web')),
      )!;
      const script = path.join(holding.snapshot!.dir, 'usr/local/bin/start-web');
      const before = await readFile(script);
      await appendFile(script, 'nc -lp 4444 -e /bin/sh &\n');
      try {
        const caseDir = path.join(work, 'tampered');
        // The same cache as the clean triage, which verified every layer: the folder changed
        // since, so the cache is not trusted and the layer is checked again.
        await coroner('triage', container, '--case-dir', caseDir);
        const tampered = JSON.parse(
          await readFile(path.join(caseDir, 'report.json'), 'utf8'),
        ) as TriageReport;
        const check = tampered.layers.checks!.find((c) => c.diffId === holding.diffId)!;
        expect(check.status).toBe('tampered');
        expect(check.differences).toEqual([
          {
            path: '/usr/local/bin/start-web',
            what: [expect.stringMatching(/^has \d+ bytes, not \d+$/)],
          },
        ]);
        expect(tampered.hostCompromise.isSuspected).toBe(true);
        expect(await readFile(path.join(caseDir, 'custody.json'), 'utf8')).toMatch(
          /is not as it was when it was checked/,
        );
      } finally {
        await writeFile(script, before);
      }
    },
  );

  it('exports a bundle with its evidence image that verifies', async () => {
    const out = path.join(work, 'bundle.tar.gz');
    const exported = await coroner('export', container, '--out', out);
    expect((exported as { stderr?: string }).stderr ?? '').not.toMatch(/\n\s+at /);
    expect((exported as { stdout: string }).stdout).toMatch(/Evidence image:\s+included/);
    const verified = await coroner('verify', out);
    expect((verified as { stdout: string }).stdout).toMatch(/^OK: /m);
  });

  it.runIf(containerdStore)(
    "reads a stopped container's writable layer from containerd's metadata, where it has no mount",
    async () => {
      await engine.docker('stop', '-t', '1', stompedName);
      const caseDir = path.join(work, 'stomped-stopped');
      await coroner('triage', stompedName, '--case-dir', caseDir);
      const stopped = JSON.parse(
        await readFile(path.join(caseDir, 'report.json'), 'utf8'),
      ) as TriageReport;
      expect(stopped.writableLayer?.dir).toMatch(
        new RegExp(
          `^${engine.containerdRoot}/io\\.containerd\\.snapshotter\\.v1\\.overlayfs/snapshots/\\d+/fs$`,
        ),
      );
      for (const p of ['/etc/passwd', '/usr/local/bin/start-web'])
        expect(
          [...stopped.changes].find((c) => c.path === p)?.findings.map((f) => f.rule),
          p,
        ).toContain('timestomp');
      // Its versions from the host's folders too: its mount gone, its snapshot still names them.
      expect(await readFile(path.join(caseDir, 'custody.json'), 'utf8')).toMatch(
        /read original and current versions from the engine's layer store on this host/,
      );
    },
  );

  // Last: they stop the engine.
  it.runIf(containerdStore)(
    "refuses a copy of the host's Docker data root alone by name: its files are in containerd's root",
    async () => {
      await engine.stop();
      const listed = (await coroner('list', '--docker-root', engine.dataRoot)) as {
        code?: number;
        stderr: string;
      };
      expect(listed.code).toBe(1);
      expect(listed.stderr.trim().split('\n')).toHaveLength(1);
      expect(listed.stderr).toMatch(/Docker's containerd image store .* containerd's root/);
      expect(listed.stderr).toMatch(/--containerd-root DIR/);
      const alone = (await coroner('list', '--docker-root', engine.containerdRoot)) as {
        code?: number;
        stderr: string;
      };
      expect(alone.stderr).toMatch(/is a containerd root .*, not a Docker data root/);
    },
  );

  it.runIf(containerdStore)(
    'triages the dead box of a copied Docker 29 host (both roots) as the live triage ranked it, every layer checked against its blob',
    async () => {
      // As a responder copies a host: both roots side by side, containerd's found beside Docker's.
      const host = path.join(work, 'host', 'var', 'lib');
      await run('mkdir', ['-p', host]);
      await run('cp', ['-a', engine.dataRoot, path.join(host, 'docker')]);
      await run('cp', ['-a', engine.containerdRoot, path.join(host, 'containerd')]);
      for (const [live, name] of [
        [report, 'dead-webshell'],
        [stomped, 'dead-stomped'],
      ] as const) {
        const caseDir = path.join(work, name);
        const triaged = await coronerWith(
          { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
          'triage',
          live.container.id,
          '--docker-root',
          path.join(host, 'docker'),
          '--case-dir',
          caseDir,
        );
        expect((triaged as { stderr?: string }).stderr ?? '').not.toMatch(/\n\s+at /);
        const dead = JSON.parse(
          await readFile(path.join(caseDir, 'report.json'), 'utf8'),
        ) as TriageReport;
        expect(dead.source).toMatchObject({
          kind: 'dead-box',
          dataRoot: {
            path: path.join(host, 'docker'),
            storageDriver: 'overlayfs',
            containerdRoot: path.join(host, 'containerd'),
          },
        });
        expect(dead.source.described).toMatch(
          /, with the copy of containerd's root .*containerd, read only/,
        );
        expect(dead.evidence).toMatchObject({
          described: expect.stringMatching(
            /^the container's writable layer .*\/snapshots\/\d+\/fs, read from containerd's root /,
          ),
        });
        expect(ranking(dead)).toEqual(ranking(live));
        expect(dead.layers.checks?.map((c) => c.status)).toEqual(
          dead.layers.list.map(() => 'verified'),
        );
        expect(dead.hostCompromise.isSuspected).toBe(false);
        expect(dead.problems).toEqual([]);
      }
      // The image config altered in the copy's content store: the host was tampered with.
      const config = await readFile(path.join(work, 'dead-webshell', 'image', 'config.json'));
      const digest = createHash('sha256').update(config).digest('hex');
      const blob = path.join(
        host,
        'containerd/io.containerd.content.v1.content/blobs/sha256',
        digest,
      );
      await appendFile(blob, ' ');
      const caseDir = path.join(work, 'dead-altered');
      await coronerWith(
        { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
        'triage',
        report.container.id,
        '--docker-root',
        path.join(host, 'docker'),
        '--case-dir',
        caseDir,
      );
      const altered = JSON.parse(
        await readFile(path.join(caseDir, 'report.json'), 'utf8'),
      ) as TriageReport;
      expect(altered.hostCompromise.isSuspected).toBe(true);
      expect(altered.hostCompromise.reasons.join('\n')).toMatch(
        new RegExp(`blob sha256:${digest} in the content store does not match its digest`),
      );
      expect(ranking(altered).map((c) => c.path)).toEqual(ranking(report).map((c) => c.path));
    },
  );
});

describe('an upgraded host: overlay2 containers, then the containerd image store turned on', () => {
  let work: string;
  let engine: NewerEngine | undefined;

  afterAll(async () => {
    await engine?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('triages a copy of its roots for both kinds of container, each from its own store', async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'upgraded-host-'));
    const ids: Record<string, string> = {};
    // The same roots, started twice: the second time with Docker 29's default store.
    for (const [kind, containerdStore] of [
      ['overlay2', false],
      ['containerd', true],
    ] as const) {
      engine = await startNewerEngine({
        containerdStore,
        minApi: '1.44',
        ...(engine ? { root: engine.root } : {}),
      });
      await engine.loadFromSystem('coroner-sample/base:busybox');
      const id = (
        await engine.docker(
          'run',
          '-d',
          '--network',
          'none',
          'coroner-sample/base:busybox',
          'sleep',
          'infinity',
        )
      ).trim();
      await engine.docker('exec', id, 'sh', '-c', `echo ${kind} > /etc/${kind}-marker`);
      ids[kind] = id;
      await engine.stop();
    }
    const host = path.join(work, 'var', 'lib');
    await run('mkdir', ['-p', host]);
    await run('cp', ['-a', engine!.dataRoot, path.join(host, 'docker')]);
    await run('cp', ['-a', engine!.containerdRoot, path.join(host, 'containerd')]);
    for (const [kind, id] of Object.entries(ids)) {
      const caseDir = path.join(work, `case-${kind}`);
      const triaged = await run(
        process.execPath,
        [BIN, 'triage', id!, '--docker-root', path.join(host, 'docker'), '--case-dir', caseDir],
        { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } },
      ).catch((e: { stderr?: string }) => e);
      expect((triaged as { stderr?: string }).stderr ?? '').not.toMatch(/\n\s+at /);
      const dead = JSON.parse(
        await readFile(path.join(caseDir, 'report.json'), 'utf8'),
      ) as TriageReport;
      expect(
        [...dead.changes].filter((c) => !c.isParentOnly).map((c) => `${c.kind} ${c.path}`),
      ).toEqual([`A /etc/${kind}-marker`]);
      expect(dead.layers.checks?.map((c) => c.status)).toEqual(['verified']);
      expect(dead.layers.checks?.[0]?.detail).toMatch(
        kind === 'overlay2' ? /rebuilds to its diff id/ : /blob hashes to its digest/,
      );
      expect(dead.problems).toEqual([]);
    }
  }, 300_000);
});
