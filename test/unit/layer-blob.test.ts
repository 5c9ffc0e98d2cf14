/**
 * An image layer's folder held against its blob in containerd's content store
 * (layer-blob.ts): a faithful folder verifies; a changed file, an added file, a changed
 * mode and a changed blob are each named; a blob that is cut short, missing, a named pipe
 * or a link, or of a kind coroner cannot decompress leaves the layer not checked, with why.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobCompression, checkLayerBlob } from '../../src/sources/layer-store/layer-blob.js';
import { makeTar } from '../support/tar-fixtures.js';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OPTS = { incomplete: 'the store is incomplete' };

let work: string;
let folder: string;
let tar: Buffer;
let blob: Buffer;

/** The layer's tar, and its folder as an unpacker makes it (owners are root's under test). */
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'layer-blob-'));
  folder = path.join(work, 'fs');
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  tar = await makeTar([
    { name: 'etc/', type: 'directory', mode: 0o755, uid, gid },
    { name: 'etc/passwd', mode: 0o644, uid, gid, content: 'root:x:0:0::/root:/bin/sh\n' },
    { name: 'bin/', type: 'directory', mode: 0o755, uid, gid },
    { name: 'bin/tool', mode: 0o755, uid, gid, content: Buffer.alloc(3 * 1024 * 1024, 7) },
  ]);
  blob = gzipSync(tar);
  await mkdir(path.join(folder, 'etc'), { recursive: true, mode: 0o755 });
  await mkdir(path.join(folder, 'bin'), { mode: 0o755 });
  await chmod(path.join(folder, 'etc'), 0o755);
  await chmod(path.join(folder, 'bin'), 0o755);
  await writeFile(path.join(folder, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n', { mode: 0o644 });
  await writeFile(path.join(folder, 'bin/tool'), Buffer.alloc(3 * 1024 * 1024, 7), {
    mode: 0o755,
  });
  await chmod(path.join(folder, 'bin/tool'), 0o755);
  await chmod(path.join(folder, 'etc/passwd'), 0o644);
  await chmod(folder, 0o755);
});
afterEach(() => rm(work, { recursive: true, force: true }));

async function check(bytes: Buffer = blob, mediaType = GZIP, digest = sha(blob)) {
  const file = path.join(work, 'blob');
  await writeFile(file, bytes);
  return checkLayerBlob({ path: file, digest, mediaType }, folder, sha(tar), 0, OPTS);
}

describe('checkLayerBlob', () => {
  it('verifies a folder that holds every entry and byte of its blob, and indexes it', async () => {
    const { index, check: verdict } = await check();
    expect(verdict.status).toBe('verified');
    expect([...index.entries.keys()].sort()).toEqual(['/bin', '/bin/tool', '/etc', '/etc/passwd']);
  });

  it('reads an uncompressed layer as well', async () => {
    const verdict = await check(tar, 'application/vnd.docker.image.rootfs.diff.tar', sha(tar));
    expect(verdict.check.status).toBe('verified');
  });

  it('names a same-size edit of a file, an added file and a mode changed on the host', async () => {
    await writeFile(path.join(folder, 'etc/passwd'), 'toor:x:0:0::/root:/bin/sh\n');
    const tool = Buffer.alloc(3 * 1024 * 1024, 7);
    tool[2 * 1024 * 1024 + 5] = 8; // past the first chunk: compared in lockstep, not only at the start
    await writeFile(path.join(folder, 'bin/tool'), tool);
    await chmod(path.join(folder, 'bin/tool'), 0o4755);
    await writeFile(path.join(folder, 'etc/added'), 'evil');
    const { check: verdict } = await check();
    expect(verdict.status).toBe('tampered');
    expect(verdict.differences).toEqual([
      {
        path: '/bin/tool',
        what: ['has other content than the layer recorded', 'has mode 4755, recorded 0755'],
      },
      {
        path: '/etc/added',
        what: [
          expect.stringMatching(/in the layer folder \(a file\) but not in the layer's record/),
        ],
      },
      { path: '/etc/passwd', what: ['has other content than the layer recorded'] },
    ]);
  });

  it('says a blob changed in the content store was changed on the host', async () => {
    const forged = gzipSync(tar, { level: 1 });
    const { check: verdict } = await check(forged, GZIP, sha(blob));
    expect(verdict.status).toBe('tampered');
    expect(verdict.detail).toMatch(
      /in the content store hashes to sha256:[0-9a-f]{64}: it was changed on the host/,
    );
  });

  it.each([
    ['cut short', (b: Buffer) => b.subarray(0, b.length - 100), /not whole gzip data/],
    ['not gzip', () => Buffer.from('not a layer at all'), /not whole gzip data/],
  ])('leaves a blob %s not checked, indexed from the folder', async (_, damage, why) => {
    const { index, check: verdict } = await check(damage(blob));
    expect(verdict.status).toBe('not-checked');
    expect(verdict.detail).toMatch(why);
    expect(verdict.detail).toMatch(
      /The store is incomplete; the layer is indexed from its folder alone/,
    );
    expect(index.entries.has('/etc/passwd')).toBe(true);
  });

  it('stops a blob whose tar names far more entries than its folder holds, before they fill memory', async () => {
    const many = Array.from({ length: 2 * 5 + 100_000 + 1 }, (_, i) => ({
      name: `d${i}`,
      type: 'directory' as const,
      mode: 0o755,
    }));
    const bomb = await makeTar(many);
    const { check: verdict } = await check(gzipSync(bomb), GZIP, sha(gzipSync(bomb)));
    expect(verdict.status).toBe('not-checked');
    expect(verdict.detail).toMatch(
      /its tar names more than 100010 entries, far more than its folder holds/,
    );
  });

  it('leaves a missing blob, a link and a named pipe not checked, never following or hanging', async () => {
    const missing = await checkLayerBlob(
      { path: path.join(work, 'none'), digest: sha(blob), mediaType: GZIP },
      folder,
      sha(tar),
      0,
      OPTS,
    );
    expect(missing.check.detail).toMatch(/the content store has no blob/);
    await symlink('/etc/passwd', path.join(work, 'link'));
    const linked = await checkLayerBlob(
      { path: path.join(work, 'link'), digest: sha(blob), mediaType: GZIP },
      folder,
      sha(tar),
      0,
      OPTS,
    );
    expect(linked.check).toMatchObject({
      status: 'not-checked',
      detail: expect.stringMatching(/ELOOP/),
    });
    execFileSync('mkfifo', [path.join(work, 'pipe')]);
    const piped = await checkLayerBlob(
      { path: path.join(work, 'pipe'), digest: sha(blob), mediaType: GZIP },
      folder,
      sha(tar),
      0,
      OPTS,
    );
    expect(piped.check.detail).toMatch(/is not a regular file/);
  });

  it('says which media types it reads', () => {
    expect(blobCompression(GZIP)).toBe('gzip');
    expect(blobCompression('application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe('gzip');
    expect(blobCompression('application/vnd.oci.image.layer.v1.tar+zstd')).toBe('zstd');
    expect(blobCompression('application/vnd.oci.image.layer.v1.tar')).toBe('none');
    expect(blobCompression('text/html')).toBeUndefined();
  });

  it('leaves a layer of an unknown media type not checked, by name', async () => {
    const { check: verdict } = await check(blob, 'application/x-evil');
    expect(verdict.detail).toMatch(/media type "application\/x-evil" is not a layer coroner reads/);
  });
});
