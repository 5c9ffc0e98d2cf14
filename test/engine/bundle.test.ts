import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write-bundle.js';
import { loadPublicKey } from '../../src/bundle/signing.js';
import { CustodyLog } from '../../src/case/custody.js';
import { connectEngine, type Engine } from '../../src/docker/engine.js';
import { triage, type TriageReport } from '../../src/triage.js';
import { rewriteBundle } from '../support/bundle-tamper.js';
import {
  cleanRun,
  docker,
  newRunId,
  SAMPLES,
  sha256InImage,
  startSample,
  withSmallDisk,
} from '../support/engine.js';

const runId = newRunId();
let engine: Engine;
let work: string;
beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'bundle-test-'));
});
afterAll(() => cleanRun(runId));

async function triaged(sample: string): Promise<TriageReport> {
  const container = await startSample(sample, runId);
  return triage(engine, container, {
    caseDir: path.join(work, `case-${sample}-${Date.now()}`),
    cacheDir: path.join(work, 'cache'),
  });
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
    const result = await writeBundle(engine, report, { outPath: out, custody: new CustodyLog() });
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
    expect(verdict.manifest!.engine.daemonId).toBe(report.engine.daemonId);
  });
});

describe('tampering', () => {
  let bundle: string;
  let report: TriageReport;
  beforeAll(async () => {
    report = await triaged('webshell');
    bundle = path.join(work, 'tamper-source.tar.gz');
    await writeBundle(engine, report, { outPath: bundle, custody: new CustodyLog() });
  });

  it('names a file in which one byte was flipped', async () => {
    const copy = path.join(work, 'flipped.tar.gz');
    await rewriteBundle(bundle, copy, (name, content) => {
      if (name !== 'case/current/var/www/uploads/.cache.php') return undefined;
      const changed = Buffer.from(content);
      changed[10] = changed[10]! ^ 1;
      return changed;
    });
    const verdict = await verifyBundle(copy);
    expect(verdict.isIntact).toBe(false);
    expect(verdict.altered.map((a) => a.path)).toEqual(['case/current/var/www/uploads/.cache.php']);
    expect(verdict.missing).toEqual([]);
  });

  it('names a deleted file and an added one', async () => {
    const copy = path.join(work, 'deleted-added.tar.gz');
    await rewriteBundle(
      bundle,
      copy,
      (name) => (name === 'case/original/var/www/index.html' ? null : undefined),
      {
        'case/current/var/www/innocent.html': 'planted later',
      },
    );
    const verdict = await verifyBundle(copy);
    expect(verdict).toMatchObject({
      isIntact: false,
      missing: ['case/original/var/www/index.html'],
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
    const result = await writeBundle(engine, report, {
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
    await writeBundle(engine, report, {
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
      writeBundle(engine, report, { outPath: out, custody: new CustodyLog() }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/already exists/),
      hint: expect.stringMatching(/--force/),
    });
    expect(await readFile(out, 'utf8')).toBe('earlier evidence');
    await writeBundle(engine, report, { outPath: out, custody: new CustodyLog(), force: true });
    expect((await verifyBundle(out)).isIntact).toBe(true);
  });

  it('refuses a case folder altered since it was captured', async () => {
    const file = path.join(report.caseDir, 'current/var/spool/cron/crontabs/root');
    const original = await readFile(file);
    await writeFile(file, 'cleaned up by someone');
    try {
      const out = path.join(work, 'altered-case.tar.gz');
      await expect(
        writeBundle(engine, report, { outPath: out, custody: new CustodyLog() }),
      ).rejects.toThrow(/changed since it was captured/);
      await expect(stat(out)).rejects.toThrow();
    } finally {
      await writeFile(file, original);
    }
  });

  it('masks environment values with --redact-env and says so in the manifest', async () => {
    const out = path.join(work, 'redacted.tar.gz');
    await writeBundle(engine, report, {
      outPath: out,
      custody: new CustodyLog(),
      redactEnv: true,
      includeImage: false,
    });
    const inspect = JSON.parse(
      (await readEntry(out, 'case/container/inspect.json'))!.toString(),
    ) as { Config: { Env: string[] } };
    expect(inspect.Config.Env.every((e) => e.endsWith('=<redacted by coroner>'))).toBe(true);
    const verdict = await verifyBundle(out);
    expect(verdict.isIntact).toBe(true);
    expect(verdict.manifest!.redaction).toMatchObject({
      isEnvRedacted: true,
      redactedFiles: expect.arrayContaining(['case/container/inspect.json']),
    });
    expect(verdict.manifest!.evidenceImage.isIncluded).toBe(false);
    expect((await readEntry(out, 'report.md'))!.toString()).toMatch(/NOT included in this bundle/);
  });

  it('says the disk is full, removes its temporary file and leaves no bundle', async () => {
    const small = path.join(work, 'small-disk');
    await withSmallDisk(small, '256k', async () => {
      const out = path.join(small, 'bundle.tar.gz');
      await expect(
        writeBundle(engine, report, { outPath: out, custody: new CustodyLog() }),
      ).rejects.toMatchObject({
        message: expect.stringMatching(/disk holding .* is full; nothing was kept/),
      });
      expect(await readdir(small)).toEqual([]);
    });
  });

  it('restores the evidence image with docker load, its changes matching the report', async () => {
    const out = path.join(work, 'with-image.tar.gz');
    await writeBundle(engine, report, { outPath: out, custody: new CustodyLog() });
    const imageTar = path.join(work, 'evidence-image.tar');
    await writeFile(imageTar, (await readEntry(out, 'evidence-image.tar'))!);
    // Test-owned evidence: removed here only to prove the bundle alone restores it.
    await docker('rmi', '-f', report.evidence.id);
    await promisify(execFile)('sh', ['-c', `docker load -q < ${imageTar}`]);
    expect((await docker('image', 'inspect', '-f', '{{.Id}}', report.evidence.id)).trim()).toBe(
      report.evidence.id,
    );
    for (const change of report.changes.filter((c) => c.current?.content)) {
      expect(await sha256InImage(report.evidence.id, change.path)).toBe(
        change.current!.content!.sha256,
      );
    }
  });
});
