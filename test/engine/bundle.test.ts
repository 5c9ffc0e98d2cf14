import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { createReadStream } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { verifyBundle, verifyBundleFolder } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write-bundle.js';
import { loadPublicKey } from '../../src/bundle/signing.js';
import { CustodyLog } from '../../src/case/custody.js';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { rewriteBundle, type Appended } from '../support/bundle-tamper.js';
import { coronerVerify } from '../support/coroner-run.js';
import {
  cleanRun,
  docker,
  newRunId,
  SAMPLES,
  sha256InImage,
  startSample,
  withSmallDisk,
  evidenceImage,
} from '../support/engine.js';

const runId = newRunId();
let engine: Engine;
let work: string;
beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'bundle-test-'));
});
afterAll(async () => {
  await cleanRun(runId);
  await rm(work, { recursive: true, force: true });
});

async function triaged(sample: string): Promise<TriageReport> {
  const container = await startSample(sample, runId);
  return triage(new DockerLiveSource(engine), container, {
    caseDir: path.join(work, `case-${sample}-${Date.now()}`),
    cacheDir: path.join(work, 'cache'),
  });
}

/** Where a changed path's stored version is in the bundle (`case/<side>/<stored name>`). */
function inBundle(
  report: TriageReport,
  side: 'original' | 'current',
  containerPath: string,
): string {
  const stored = [...report.changes].find((c) => c.path === containerPath)?.[side]?.content?.path;
  if (!stored) throw new Error(`the report stores no ${side} version of ${containerPath}`);
  return `case/${stored}`;
}

async function readEntry(bundle: string, wanted: string): Promise<Buffer | undefined> {
  const reader = extract();
  createReadStream(bundle)
    .pipe(createGunzip())
    .pipe(reader as unknown as NodeJS.WritableStream);
  let found: Buffer | undefined;
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const c of entry as unknown as Readable) chunks.push(c as Buffer);
    if (entry.header.name === wanted) found = Buffer.concat(chunks);
  }
  return found;
}

describe.each(SAMPLES)('the bundle of the %s sample', (sample) => {
  it('verifies, holds every case file and the reports, and is private to its owner', async () => {
    const report = await triaged(sample);
    const out = path.join(work, `${sample}.tar.gz`);
    const result = await writeBundle(new DockerLiveSource(engine), report, {
      outPath: out,
      custody: new CustodyLog(),
    });
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const verdict = await verifyBundle(out);
    expect(verdict).toMatchObject({
      isIntact: true,
      missing: [],
      extra: [],
      altered: [],
      signature: 'absent',
    });
    const names = verdict.manifest!.files.map((f) => f.path);
    expect(names).toEqual(
      expect.arrayContaining([
        'case/report.json',
        'case/container/inspect.json',
        'report.md',
        'report.html',
        'custody.log',
        'evidence-image.tar',
      ]),
    );
    expect(result.fileCount).toBe(names.length);
    expect(verdict.manifest!.container.id).toBe(report.container.id);
    expect(verdict.manifest!.source.engine!.daemonId).toBe(report.source.engine!.daemonId);
  });
});

describe('tampering', () => {
  let bundle: string;
  let report: TriageReport;
  beforeAll(async () => {
    report = await triaged('webshell');
    bundle = path.join(work, 'tamper-source.tar.gz');
    await writeBundle(new DockerLiveSource(engine), report, {
      outPath: bundle,
      custody: new CustodyLog(),
    });
  });

  it('names a file in which one byte was flipped', async () => {
    const copy = path.join(work, 'flipped.tar.gz');
    const shell = inBundle(report, 'current', '/var/www/uploads/.cache.php');
    await rewriteBundle(bundle, copy, (name, content) => {
      if (name !== shell) return undefined;
      const changed = Buffer.from(content);
      changed[10] = changed[10]! ^ 1;
      return changed;
    });
    const verdict = await verifyBundle(copy);
    expect(verdict.isIntact).toBe(false);
    expect(verdict.altered.map((a) => a.path)).toEqual([shell]);
    expect(verdict.missing).toEqual([]);
  });

  it('names a deleted file and an added one', async () => {
    const copy = path.join(work, 'deleted-added.tar.gz');
    const page = inBundle(report, 'original', '/var/www/index.html');
    await rewriteBundle(bundle, copy, (name) => (name === page ? null : undefined), {
      'case/current/var/www/innocent.html': 'planted later',
    });
    const verdict = await verifyBundle(copy);
    expect(verdict).toMatchObject({
      isIntact: false,
      missing: [page],
      extra: ['case/current/var/www/innocent.html'],
      altered: [],
    });
  });

  it('reports the same through the command line, with exit code 4', async () => {
    const copy = path.join(work, 'cli-flipped.tar.gz');
    await rewriteBundle(bundle, copy, (name, content) =>
      name === 'report.md' ? Buffer.concat([content, Buffer.from('x')]) : undefined,
    );
    const bin = path.resolve(import.meta.dirname, '../../bin/coroner.js');
    const run = await promisify(execFile)(process.execPath, [bin, 'verify', copy]).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect(run).toMatchObject({
      code: 4,
      stdout: expect.stringMatching(/FAILED[\s\S]*altered: report\.md/),
    });
    const ok = await promisify(execFile)(process.execPath, [bin, 'verify', bundle]);
    expect(ok.stdout).toMatch(/^OK: .* match the manifest/);
  });

  it('fails a bundle whose report.html is appended as a contiguous file, a symlink or a hardlink', async () => {
    const forgeries: Appended[][] = [
      [{ name: 'report.html', type: 'contiguous-file', content: '<h1>all clear</h1>' }],
      [{ name: 'report.html', type: 'symlink', linkname: '/tmp/forged.html' }],
      [{ name: 'report.html', type: 'link', linkname: 'case/report.json' }],
      [{ name: './evil/../../outside', content: 'x' }],
    ];
    for (const [i, add] of forgeries.entries()) {
      const copy = path.join(work, `forged-${i}.tar.gz`);
      await rewriteBundle(bundle, copy, () => undefined, add);
      const verdict = await verifyBundle(copy);
      expect(verdict.isIntact).toBe(false);
      expect(verdict.forged.map((f) => f.path)).toEqual([
        add[0]!.name === 'report.html' ? 'report.html' : add[0]!.name,
      ]);
    }
    // What GNU tar makes of the first one: the forged page replaces the real one.
    const out = await mkdtemp(path.join(work, 'x-'));
    await promisify(execFile)('tar', ['-xzf', path.join(work, 'forged-0.tar.gz'), '-C', out]);
    expect(await readFile(path.join(out, 'report.html'), 'utf8')).toBe('<h1>all clear</h1>');
    expect((await verifyBundleFolder(out)).isIntact).toBe(false);
  });

  it('verifies a bundle re-packed by a person, and the folder it was extracted into', async () => {
    const out = await mkdtemp(path.join(work, 'extracted-'));
    await promisify(execFile)('tar', ['-xzf', bundle, '-C', out]);
    const repacked = path.join(work, 'repacked.tar.gz');
    await promisify(execFile)('tar', ['-czf', repacked, '-C', out, '.']);
    expect(await verifyBundle(repacked)).toMatchObject({ isIntact: true, forged: [], extra: [] });
    expect(await verifyBundleFolder(out)).toMatchObject({ isIntact: true, missing: [] });
    expect(await coronerVerify(out)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^OK: /),
    });
    // A file swapped for a link in the extracted folder is named.
    await rm(path.join(out, 'report.md'));
    await symlink('/etc/hostname', path.join(out, 'report.md'));
    const verdict = await coronerVerify(out);
    expect(verdict).toMatchObject({
      code: 4,
      stdout: expect.stringMatching(/forged:\s+report\.md \(a symlink entry/),
    });
  });

  it('refuses a bundle that is not one, clearly', async () => {
    const junk = path.join(work, 'junk.tar.gz');
    await writeFile(junk, 'not a bundle');
    await expect(verifyBundle(junk)).rejects.toThrow(/is not a readable coroner bundle/);
  });
});

describe('signing', () => {
  it('signs the manifest with a new Ed25519 key, and verify checks it', async () => {
    const report = await triaged('backdoor');
    const out = path.join(work, 'signed.tar.gz');
    const keyPath = path.join(work, 'signing-key.pem');
    const result = await writeBundle(new DockerLiveSource(engine), report, {
      outPath: out,
      custody: new CustodyLog(),
      signingKeyPath: keyPath,
    });
    expect(result.signing?.isNewKey).toBe(true);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect(
      await verifyBundle(out, { publicKey: await loadPublicKey(`${keyPath}.pub`) }),
    ).toMatchObject({ isIntact: true, signature: 'valid' });

    const otherKey = path.join(work, 'other-key.pem');
    await writeBundle(new DockerLiveSource(engine), report, {
      outPath: path.join(work, 'other.tar.gz'),
      custody: new CustodyLog(),
      signingKeyPath: otherKey,
    });
    expect(
      await verifyBundle(out, { publicKey: await loadPublicKey(`${otherKey}.pub`) }),
    ).toMatchObject({ isIntact: false, signature: 'invalid' });
  });
});

describe('writing safely', () => {
  let report: TriageReport;
  beforeAll(async () => {
    report = await triaged('miner');
  });

  it('refuses to overwrite an existing file unless forced', async () => {
    const out = path.join(work, 'exists.tar.gz');
    await writeFile(out, 'earlier evidence');
    await expect(
      writeBundle(new DockerLiveSource(engine), report, {
        outPath: out,
        custody: new CustodyLog(),
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/already exists/),
      hint: expect.stringMatching(/--force/),
    });
    expect(await readFile(out, 'utf8')).toBe('earlier evidence');
    await writeBundle(new DockerLiveSource(engine), report, {
      outPath: out,
      custody: new CustodyLog(),
      force: true,
    });
    expect((await verifyBundle(out)).isIntact).toBe(true);
  });

  it('refuses a case folder altered since it was captured', async () => {
    const file = path.join(
      report.caseDir,
      inBundle(report, 'current', '/var/spool/cron/crontabs/root').slice('case/'.length),
    );
    const original = await readFile(file);
    await writeFile(file, 'cleaned up by someone');
    try {
      const out = path.join(work, 'altered-case.tar.gz');
      await expect(
        writeBundle(new DockerLiveSource(engine), report, {
          outPath: out,
          custody: new CustodyLog(),
        }),
      ).rejects.toThrow(/changed since it was captured/);
      await expect(stat(out)).rejects.toThrow();
    } finally {
      await writeFile(file, original);
    }
  });

  it('refuses a case folder missing a recorded file, holding an added one, or a link, naming it', async () => {
    const stored = inBundle(report, 'current', '/var/spool/cron/crontabs/root').slice(
      'case/'.length,
    );
    const file = path.join(report.caseDir, stored);
    const out = path.join(work, 'not-as-recorded.tar.gz');
    const exportIt = () =>
      writeBundle(new DockerLiveSource(engine), report, {
        outPath: out,
        custody: new CustodyLog(),
      });
    const kept = await readFile(file);
    await rm(file);
    try {
      await expect(exportIt()).rejects.toMatchObject({
        name: 'CaseFileChanged',
        message: expect.stringContaining(`case file ${stored}, captured at `),
      });
      await expect(exportIt()).rejects.toThrow(/is missing from the case folder/);
      await symlink('/etc/hostname', file);
      await expect(exportIt()).rejects.toThrow(/was replaced by a link/);
    } finally {
      await rm(file, { force: true });
      await writeFile(file, kept);
    }
    const planted = path.join(report.caseDir, 'current', 'planted.php');
    await writeFile(planted, '<?php system($_GET[1]);');
    try {
      await expect(exportIt()).rejects.toThrow(
        /the case folder holds 1 file the triage did not record: "current\/planted\.php"/,
      );
    } finally {
      await rm(planted);
    }
    await expect(stat(out)).rejects.toThrow();
    expect((await verifyBundle((await exportIt()).path)).isIntact).toBe(true);
  });

  it('checks an inspect file against its acquisition hash before masking it', async () => {
    const file = path.join(report.caseDir, 'container/inspect.json');
    const kept = await readFile(file);
    await writeFile(file, kept.toString().replace('"Running": true', '"Running": false'));
    try {
      await expect(
        writeBundle(new DockerLiveSource(engine), report, {
          outPath: path.join(work, 'redacted-altered.tar.gz'),
          custody: new CustodyLog(),
          redactEnv: true,
          includeImage: false,
        }),
      ).rejects.toThrow(/case file container\/inspect\.json changed since it was captured/);
    } finally {
      await writeFile(file, kept);
    }
  });

  it('masks environment values with --redact-env and says so in the manifest', async () => {
    const out = path.join(work, 'redacted.tar.gz');
    await writeBundle(new DockerLiveSource(engine), report, {
      outPath: out,
      custody: new CustodyLog(),
      redactEnv: true,
      includeImage: false,
    });
    const inspect = JSON.parse(
      (await readEntry(out, 'case/container/inspect.json'))!.toString(),
    ) as { Config: { Env: string[] } };
    expect(inspect.Config.Env.every((e) => e.endsWith('=<redacted by coroner>'))).toBe(true);
    // The image's own ENV line, in its history and its build command, is masked too.
    expect(gunzipSync(await readFile(out)).includes('tok-4f9c2e-not-for-bundles')).toBe(false);
    expect((await readEntry(out, 'case/image/history.json'))!.toString()).toContain(
      'WORKER_QUEUE_TOKEN=<redacted by coroner>',
    );
    const verdict = await verifyBundle(out);
    expect(verdict.isIntact).toBe(true);
    expect(verdict.manifest!.redaction).toMatchObject({
      isEnvRedacted: true,
      redactedFiles: expect.arrayContaining([
        'case/container/inspect.json',
        'case/image/history.json',
      ]),
    });
    expect(verdict.manifest!.evidence.isIncluded).toBe(false);
    expect((await readEntry(out, 'report.md'))!.toString()).toMatch(/NOT included in this bundle/);
  });

  it('says the disk is full, removes its temporary file and leaves no bundle', async () => {
    const small = path.join(work, 'small-disk');
    await withSmallDisk(small, '256k', async () => {
      const out = path.join(small, 'bundle.tar.gz');
      await expect(
        writeBundle(new DockerLiveSource(engine), report, {
          outPath: out,
          custody: new CustodyLog(),
        }),
      ).rejects.toMatchObject({
        message: expect.stringMatching(/disk holding .* is full; nothing was kept/),
      });
      expect(await readdir(small)).toEqual([]);
    });
  });

  it('restores the evidence image with docker load, its changes matching the report', async () => {
    const out = path.join(work, 'with-image.tar.gz');
    await writeBundle(new DockerLiveSource(engine), report, {
      outPath: out,
      custody: new CustodyLog(),
    });
    const imageTar = path.join(work, 'evidence-image.tar');
    await writeFile(imageTar, (await readEntry(out, 'evidence-image.tar'))!);
    // Test-owned evidence: removed here only to prove the bundle alone restores it.
    await docker('rmi', '-f', evidenceImage(report).id);
    await promisify(execFile)('sh', ['-c', `docker load -q < ${imageTar}`]);
    expect(
      (await docker('image', 'inspect', '-f', '{{.Id}}', evidenceImage(report).id)).trim(),
    ).toBe(evidenceImage(report).id);
    for (const change of [...report.changes].filter((c) => c.current?.content)) {
      expect(await sha256InImage(evidenceImage(report).id, change.path)).toBe(
        change.current!.content!.sha256,
      );
    }
  });
});
