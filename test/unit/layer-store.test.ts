/**
 * Layer folders as overlay2 keeps them: opaque folders read from their extended
 * attributes, deletions as 0/0 devices, and a layer's tar rebuilt from its folder
 * and tar-split record, checked against its diff id.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../src/sources/layer-store/crc64.js';
import { indexLayerDir, resolveInLayer } from '../../src/sources/layer-store/layer-dir.js';
import {
  parseOpaqueDump,
  readOpaqueDirs,
  unquoteGetfattrName,
} from '../../src/sources/layer-store/overlay-xattrs.js';
import { rebuildLayer } from '../../src/sources/layer-store/tar-split.js';

const temp = (prefix: string) => mkdtemp(path.join(os.tmpdir(), prefix));

describe('CRC-64/ISO as Go computes it', () => {
  it('gives the standard check value', () => {
    expect(new Crc64().update(Buffer.from('123456789')).digest().toString('hex')).toBe(
      'b90956c775a41001',
    );
  });
});

describe('opaque folders', () => {
  it("reads getfattr's escaped names and keeps only opaque ones under the layer", () => {
    expect(unquoteGetfattrName('/l/a\\\\b\\012c').toString()).toBe('/l/a\\b\nc');
    const dump = Buffer.from(
      '# file: /l/var/www\ntrusted.overlay.opaque="y"\n\n# file: /l/x\\040y\nuser.overlay.opaque="y"\n\n# file: /other/z\ntrusted.overlay.opaque="y"\n',
    );
    expect([...parseOpaqueDump(dump, '/l')]).toEqual(['/var/www', '/x y']);
  });

  it('lists the folders overlayfs would treat as opaque, and deletions from 0/0 devices', async () => {
    const layer = await temp('layer-');
    await mkdir(path.join(layer, 'var/www'), { recursive: true });
    await writeFile(path.join(layer, 'var/www/index.html'), 'new');
    execFileSync('setfattr', [
      '-n',
      'trusted.overlay.opaque',
      '-v',
      'y',
      path.join(layer, 'var/www'),
    ]);
    execFileSync('mknod', [path.join(layer, 'var/gone'), 'c', '0', '0']);
    const opaque = await readOpaqueDirs(layer);
    expect(opaque).toEqual({ dirs: new Set(['/var/www']) });
    const index = await indexLayerDir(layer, 'w', opaque.dirs);
    expect([...index.opaqueDirs]).toEqual(['/var/www']);
    expect([...index.whiteouts]).toEqual(['/var/gone']);
    expect([...index.entries.keys()]).toEqual(['/var', '/var/www', '/var/www/index.html']);
  });

  it('never resolves through a link planted in the layer', async () => {
    const layer = await temp('layer-');
    const outside = await temp('outside-');
    await writeFile(path.join(outside, 'secret'), 'x');
    await symlink(outside, path.join(layer, 'etc'));
    expect(await resolveInLayer(layer, '/etc/secret')).toBeUndefined();
    expect((await resolveInLayer(layer, '/etc'))?.stat.isSymbolicLink()).toBe(true);
  });
});

/** A layer tar, its diff id, and the tar-split record Docker would keep for it (plain ustar). */
async function layerWithRecord(files: { name: string; content?: string; type?: 'directory' }[]) {
  const p = pack();
  for (const f of files)
    p.entry(
      { name: f.name, type: f.type ?? 'file', mode: f.type ? 0o755 : 0o644, mtime: new Date(0) },
      f.content ?? '',
    );
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const lines: string[] = [];
  const segment = (b: Buffer) =>
    lines.push(JSON.stringify({ type: 2, payload: b.toString('base64') }));
  let at = 0;
  for (const f of files) {
    segment(tar.subarray(at, at + 512));
    at += 512;
    const size = Buffer.byteLength(f.content ?? '');
    const crc = size
      ? new Crc64().update(Buffer.from(f.content!)).digest().toString('base64')
      : null;
    lines.push(JSON.stringify({ type: 1, name: f.name, size, payload: crc }));
    at += size;
    const padded = Math.ceil(at / 512) * 512;
    if (padded > at) segment(tar.subarray(at, padded));
    at = padded;
  }
  segment(tar.subarray(at));
  const dir = await temp('split-');
  const record = path.join(dir, 'tar-split.json.gz');
  await writeFile(record, gzipSync(lines.join('\n') + '\n'));
  return { record, diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}` };
}

async function folderOf(files: Record<string, string>) {
  const dir = await temp('diff-');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

describe('rebuilding a layer from its folder and tar-split record', () => {
  const files = [
    { name: 'etc/', type: 'directory' as const },
    { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
    { name: 'etc/.wh.shadow' },
    { name: 'var/www/.wh..wh..opq' },
  ];

  it('verifies an intact folder and indexes the names the tar held', async () => {
    const { record, diffId } = await layerWithRecord(files);
    const dir = await folderOf({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    const { index, check } = await rebuildLayer(record, dir, diffId, 2);
    expect(check).toMatchObject({ status: 'verified', position: 2, diffId });
    expect([...index.entries.keys()]).toEqual(['/etc', '/etc/passwd']);
    expect([...index.whiteouts]).toEqual(['/etc/shadow']);
    expect([...index.opaqueDirs]).toEqual(['/var/www']);
  });

  it('names a file changed in place, one missing, and one of another size', async () => {
    const { record, diffId } = await layerWithRecord([
      ...files,
      { name: 'bin/ls', content: 'ELF-ls' },
      { name: 'bin/sh', content: 'ELF-sh' },
    ]);
    const dir = await folderOf({
      'etc/passwd': 'root:x:0:0::/root:/bin/sH\n',
      'bin/sh': 'ELF-sh-longer',
    });
    const { index, check } = await rebuildLayer(record, dir, diffId, 0);
    expect(check.status).toBe('tampered');
    expect(check.detail).toMatch(/"etc\/passwd" has other content than the layer recorded/);
    expect(check.detail).toMatch(/"bin\/ls" is missing from the layer folder/);
    expect(check.detail).toMatch(/"bin\/sh" has 13 bytes, not 6/);
    // The rest still indexes: the rebuilt tar stays aligned.
    expect(index.entries.has('/bin/sh')).toBe(true);
  });

  it('reads nothing for a recorded name that climbs out of the layer, and calls the layer crafted, not tampered', async () => {
    const outside = await temp('outside-');
    const dir = path.join(outside, 'diff');
    await mkdir(dir);
    await writeFile(path.join(outside, 'escape'), 'x');
    const { record, diffId } = await layerWithRecord([{ name: '../escape', content: 'x' }]);
    const { check } = await rebuildLayer(record, dir, diffId, 0);
    expect(check.status).toBe('not-checked');
    expect(check.detail).toMatch(/names paths outside the layer \("\.\.\/escape"\).*crafted layer/);
  });
});
