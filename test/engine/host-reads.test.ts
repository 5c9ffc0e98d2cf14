/**
 * What coroner reads on the engine's host (processes, /dev/shm and tmpfs) it reads
 * inside the container's own root, and only once the engine is proved to be this
 * host's: a container whose init chroots and plants an absolute link, or an engine
 * that lies about the container, never brings a host file into the case folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCaseReport } from '../../src/case/find-case.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectEngine } from '../../src/sources/docker-live/engine.js';
import { findHostLayers } from '../../src/sources/docker-live/host-layers.js';
import { runCoroner } from '../support/coroner-run.js';
import {
  baseImage,
  cleanRun,
  docker,
  evidenceImage,
  inspectField,
  newRunId,
  runLabelled,
} from '../support/engine.js';

const runId = newRunId();
const isRoot = process.getuid?.() === 0;
let work: string;
/** A folder and a file only this host has: their bytes must never reach a case folder. */
let hostOnly: string;
let marker: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'host-reads-'));
  hostOnly = path.join(work, 'host-only');
  await mkdir(hostOnly);
  marker = `host-only-${randomBytes(12).toString('hex')}`;
  await writeFile(path.join(hostOnly, 'secret'), marker);
});
afterAll(async () => {
  await cleanRun(runId);
  await rm(work, { recursive: true, force: true });
});

/** Every byte of every file in a case folder, to look for the marker anywhere in it. */
async function caseBytes(caseDir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const entry of await readdir(caseDir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) parts.push(await readFile(path.join(entry.path, entry.name)));
  return Buffer.concat(parts);
}

async function triage(container: string, caseName: string, env: NodeJS.ProcessEnv = {}) {
  const caseDir = path.join(work, caseName);
  const run = await runCoroner(['triage', container, '--case-dir', caseDir], {
    CORONER_CACHE_DIR: path.join(work, 'cache'),
    ...env,
  });
  expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  return { caseDir, report: await loadCaseReport(caseDir), run };
}

/** Polls (bounded) until the container's first process runs `what` (it chrooted and exec'd). */
async function untilRunning(container: string, what: RegExp): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const top = await docker('top', container).catch(() => '');
    if (what.test(top)) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`${container} never ran ${what}`);
}

describe.runIf(isRoot)('a container whose init chroots and links /dev/shm to a host path', () => {
  const name = `coroner-test-chroot-${runId}`;
  let caseDir: string;
  let report: TriageReport;

  beforeAll(async () => {
    const image = await baseImage();
    // In the real /dev/shm: a decoy and a web shell whose names differ only in a byte that is
    // not UTF-8. Then the init builds a jail whose dev/shm is an absolute link to the host-only
    // folder (resolved from the host's root when read through /proc/<pid>/root) and chroots.
    const script = [
      `printf decoy > "/dev/shm/sh$(printf '\\377')"`,
      `printf '<?php system($_GET[1]);' > "/dev/shm/sh$(printf '\\376')"`,
      'mkdir -p /jail/bin /jail/dev',
      'cp /bin/busybox /jail/bin/busybox',
      `ln -s ${hostOnly} /jail/dev/shm`,
      'exec chroot /jail /bin/busybox sleep 3600',
    ].join(' && ');
    await runLabelled(name, runId, image, 'sh', '-c', script);
    await untilRunning(name, /busybox sleep 3600/);
    ({ caseDir, report } = await triage(name, 'chroot-case'));
  }, 600_000);

  it('copies none of the host-only file the jail links to into the case folder', async () => {
    expect((await caseBytes(caseDir)).includes(marker)).toBe(false);
  });

  it("reads the container's own /dev/shm, not the jail's", () => {
    const shm = [...report.changes].filter((c) => c.mount?.destination === '/dev/shm');
    expect(shm.map((c) => c.path.startsWith('/dev/shm/sh'))).toEqual([true, true]);
    expect(report.notCollected).not.toContainEqual(
      expect.objectContaining({ item: '/dev/shm and tmpfs mounts' }),
    );
  });

  it('keeps both files whose names differ only in a byte that is not UTF-8, each with its content', async () => {
    const shm = [...report.changes].filter((c) => c.mount?.destination === '/dev/shm');
    expect(new Set(shm.map((c) => c.path)).size).toBe(2);
    const hashes = shm.map((c) => c.current?.content?.sha256).sort();
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(hashes).toEqual([sha('<?php system($_GET[1]);'), sha('decoy')].sort());
  });
});

/**
 * The engine behind tcp://127.0.0.1: an HTTP proxy to the real engine's socket that, when
 * `lie` is set, rewrites the container's inspect as a hostile remote engine would: an id every
 * cgroup path contains, this host's pid 1, and a host-only folder as a tmpfs and as its root.
 */
async function startTcpEngine(
  lie: boolean,
): Promise<{ dockerHost: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const isInspect =
      lie && req.method === 'GET' && /^\/v[\d.]+\/containers\/[^/]+\/json/.test(req.url ?? '');
    const upstream = http.request(
      {
        socketPath: '/var/run/docker.sock',
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (!isInspect || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const inspect = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          inspect.Id = '/';
          inspect.State.Pid = 1;
          inspect.HostConfig.Tmpfs = { [hostOnly]: '' };
          inspect.GraphDriver = { Name: 'overlay2', Data: { MergedDir: '/' } };
          const body = Buffer.from(JSON.stringify(inspect));
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    dockerHost: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.runIf(isRoot)('an engine reached over tcp', () => {
  const name = `coroner-test-tcp-${runId}`;

  beforeAll(async () => {
    await runLabelled(
      name,
      runId,
      await baseImage(),
      'sh',
      '-c',
      'echo hi > /dev/shm/note && echo changed > /etc/note && exec sleep 3600',
    );
    await untilRunning(name, /sleep 3600/);
  }, 120_000);

  it("reads none of this host's processes or folders when it lies about the container", async () => {
    const engine = await startTcpEngine(true);
    try {
      const { caseDir, report } = await triage(name, 'tcp-lying', {
        DOCKER_HOST: engine.dockerHost,
        CORONER_LAYER_READS: 'archive',
      });
      expect((await caseBytes(caseDir)).includes(marker)).toBe(false);
      expect(report.processes).toBeUndefined();
      const gaps = report.notCollected.map((n) => n.item);
      expect(gaps).toContain('processes (executables, open and mapped files, sockets)');
      expect(gaps).toContain('/dev/shm and tmpfs mounts');
      expect(JSON.stringify(report.notCollected)).toMatch(
        /nothing proves the engine runs on this host/,
      );
    } finally {
      await engine.close();
    }
  }, 600_000);

  it('reads the processes and /dev/shm of a container it proves to be on this host', async () => {
    const engine = await startTcpEngine(false);
    try {
      const { report } = await triage(name, 'tcp-honest', { DOCKER_HOST: engine.dockerHost });
      expect(report.processes?.map((p) => p.pid)).toContain(
        Number(await inspectField(name, '{{.State.Pid}}')),
      );
      expect([...report.changes].map((c) => c.path)).toContain('/dev/shm/note');
      // Its layer store is read only with proof: the evidence image this triage committed is on
      // this disk with this triage's label; the same image claimed for another capture is not.
      const evidence = evidenceImage(report);
      const local = await connectEngine();
      const identity = await local.identity();
      const image = await local.inspectImage(await inspectField(name, '{{.Image}}'));
      const committed = await local.inspectImage(evidence.id);
      const container = { id: await inspectField(name, '{{.Id}}') };
      const proved = await findHostLayers(
        identity,
        image,
        committed,
        evidence.committedAt,
        container,
      );
      expect('reason' in proved ? proved.reason : 'proved').toBe('proved');
      expect(
        await findHostLayers(identity, image, committed, new Date(0).toISOString(), container),
      ).toEqual({
        reason: expect.stringMatching(/nothing proves the engine runs on this host/),
      });
    } finally {
      await engine.close();
    }
  }, 600_000);
});
