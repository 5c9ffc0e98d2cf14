/**
 * Layer folders as overlay2 keeps them: opaque folders read from their extended
 * attributes, deletions as 0/0 devices, and a layer's tar rebuilt from its folder
 * and tar-split record, checked against its diff id.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  chown,
  lchown,
  link,
  mkdir,
  mkdtemp,
  rm,
  rmdir,
  symlink,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
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
import { TarHeaderReader, tarNumber } from '../../src/sources/layer-store/tar-headers.js';

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

/** One entry of a test layer, as its tar records it. */
interface Spec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  content?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  /** Recorded as PAX `SCHILY.xattr.<name>` (text values: tar-stream writes them as UTF-8). */
  xattrs?: Record<string, string>;
}

const modeOf = (f: Spec) => f.mode ?? (f.type === 'directory' ? 0o755 : 0o644);

/** One entry's bytes as tar-stream writes them (header blocks, content, padding). */
async function entryBytes(f: Spec): Promise<{ header: Buffer; body: Buffer }> {
  const p = pack();
  const content = f.type === undefined || f.type === 'file' ? (f.content ?? '') : '';
  p.entry(
    {
      name: f.name,
      type: f.type ?? 'file',
      mode: modeOf(f),
      uid: f.uid ?? 0,
      gid: f.gid ?? 0,
      mtime: new Date(0),
      ...(f.linkname ? { linkname: f.linkname } : {}),
      ...(f.type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}),
      ...(f.xattrs
        ? {
            pax: Object.fromEntries(
              Object.entries(f.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]),
            ),
          }
        : {}),
    },
    content,
  );
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const all = Buffer.concat(chunks).subarray(0, -1024);
  const padded = Math.ceil(Buffer.byteLength(content) / 512) * 512;
  return { header: all.subarray(0, all.length - padded), body: all.subarray(all.length - padded) };
}

/** A layer tar, its diff id, and the tar-split record Docker would keep for it. */
async function layerWithRecord(files: Spec[]) {
  const lines: string[] = [];
  const tar: Buffer[] = [];
  const segment = (b: Buffer) => {
    tar.push(b);
    if (b.length) lines.push(JSON.stringify({ type: 2, payload: b.toString('base64') }));
  };
  for (const f of files) {
    const { header, body } = await entryBytes(f);
    segment(header);
    const size = f.type === undefined || f.type === 'file' ? Buffer.byteLength(f.content ?? '') : 0;
    const crc = size
      ? new Crc64().update(Buffer.from(f.content!)).digest().toString('base64')
      : null;
    lines.push(JSON.stringify({ type: 1, name: f.name, size, payload: crc }));
    tar.push(body.subarray(0, size));
    segment(body.subarray(size));
  }
  segment(Buffer.alloc(1024));
  const dir = await temp('split-');
  const record = path.join(dir, 'tar-split.json.gz');
  await writeFile(record, gzipSync(lines.join('\n') + '\n'));
  const bytes = Buffer.concat(tar);
  return { record, diffId: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** The folder Docker's overlay2 driver unpacks the same entries into (moby pkg/archive). */
async function unpacked(files: Spec[]) {
  const dir = await temp('diff-');
  for (const f of files) {
    const at = path.join(dir, f.name);
    const base = path.basename(f.name);
    await mkdir(path.dirname(at), { recursive: true });
    if (base === '.wh..wh..opq') {
      execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.dirname(at)]);
      continue;
    }
    if (base.startsWith('.wh.')) {
      const gone = path.join(path.dirname(at), base.slice(4));
      execFileSync('mknod', [gone, 'c', '0', '0']);
      await chmod(gone, 0);
      continue;
    }
    if (f.type === 'directory') await mkdir(at, { recursive: true });
    else if (f.type === 'symlink') await symlink(f.linkname!, at);
    else if (f.type === 'link') await link(path.join(dir, f.linkname!), at);
    else if (f.type === 'character-device') execFileSync('mknod', [at, 'c', '1', '3']);
    else await writeFile(at, f.content ?? '');
    if (f.type === 'link') continue;
    await lchown(at, f.uid ?? 0, f.gid ?? 0);
    if (f.type !== 'symlink') await chmod(at, modeOf(f));
    for (const [k, v] of Object.entries(f.xattrs ?? {}))
      execFileSync('setfattr', ['-h', '-n', k, '-v', v, at]);
  }
  return dir;
}

describe('reading the headers of a layer tar', () => {
  /** A PAX extended header holding `records`, then a ustar header for `name`. */
  function paxEntry(name: string, records: Buffer, extra: Buffer = Buffer.alloc(0)) {
    const header = (n: string, flag: string, size: number) => {
      const b = Buffer.alloc(512);
      b.write(n, 0);
      b.write('0000644\0', 100);
      b.write('0000000\0', 108);
      b.write('0000000\0', 116);
      b.write(size.toString(8).padStart(11, '0') + '\0', 124);
      b.write(flag, 156);
      b.write('ustar\0', 257);
      return Buffer.concat([b, extra]);
    };
    const pad = (n: number) => Buffer.alloc(Math.ceil(n / 512) * 512 - n);
    return Buffer.concat([
      header('PaxHeaders/x', 'x', records.length),
      records,
      pad(records.length),
      header(name, '0', 0),
    ]);
  }
  const record = (key: string, value: Buffer) => {
    const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length++;
    return Buffer.concat([Buffer.from(String(length)), body]);
  };

  it('keeps the exact bytes of a binary extended attribute, however the tar is cut', () => {
    const capability = Buffer.from('01000002c00000000000000000000000', 'hex');
    const tar = Buffer.concat([
      paxEntry('usr/bin/ping', record('SCHILY.xattr.security.capability', capability)),
      Buffer.alloc(1024),
    ]);
    for (const size of [tar.length, 7, 511, 513]) {
      const reader = new TarHeaderReader();
      const entries = [];
      for (let at = 0; at < tar.length; at += size)
        entries.push(...reader.push(tar.subarray(at, at + size)));
      expect(entries).toHaveLength(1);
      expect(entries[0]!.name.toString()).toBe('usr/bin/ping');
      expect(entries[0]!.xattrs.get('security.capability')).toEqual(capability);
    }
  });

  it('reads base-256 numbers and PAX paths', () => {
    expect(tarNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0x01, 0x00]))).toBe(256);
    expect(tarNumber(Buffer.from('0004755\0'))).toBe(0o4755);
    const reader = new TarHeaderReader();
    const long = 'a/'.repeat(80) + 'file';
    const [entry] = reader.push(paxEntry('short', record('path', Buffer.from(long))));
    expect(entry!.name.toString()).toBe(long);
  });
});

describe('rebuilding a layer from its folder and tar-split record', () => {
  const files: Spec[] = [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', content: 'ELF-busybox', mode: 0o755 },
    { name: 'bin/sh', type: 'link', linkname: 'bin/busybox' },
    { name: 'bin/ls', type: 'symlink', linkname: '/bin/busybox' },
    { name: 'bin/su', content: 'ELF-su', mode: 0o755 },
    { name: 'dev/', type: 'directory' },
    { name: 'dev/null', type: 'character-device', mode: 0o666 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
    { name: 'etc/.wh.shadow' },
    { name: 'run/', type: 'directory', mode: 0o700 },
    { name: 'srv/', type: 'directory', uid: 33, gid: 33, xattrs: { 'user.origin': 'image' } },
    { name: 'var/', type: 'directory' },
    { name: 'var/www/', type: 'directory' },
    { name: 'var/www/.wh..wh..opq' },
  ];

  async function intact(extra: Spec[] = []) {
    const layer = await layerWithRecord([...files, ...extra]);
    return { ...layer, dir: await unpacked([...files, ...extra]) };
  }

  it('verifies a folder unpacked as Docker does and indexes the names the tar held', async () => {
    const { record, diffId, dir } = await intact();
    const { index, check } = await rebuildLayer(record, dir, diffId, 2);
    expect(check).toMatchObject({ status: 'verified', position: 2, diffId });
    expect(index.entries.get('/bin/sh')).toBe('hardlink');
    expect([...index.whiteouts]).toEqual(['/etc/shadow']);
    expect([...index.opaqueDirs]).toEqual(['/var/www']);
  });

  it('names a file changed in place, one missing, and one of another size', async () => {
    const { record, diffId, dir } = await intact([
      { name: 'usr/', type: 'directory' },
      { name: 'usr/lib', content: 'lib' },
    ]);
    await writeFile(path.join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sH\n');
    await unlink(path.join(dir, 'usr/lib'));
    await writeFile(path.join(dir, 'bin/su'), 'ELF-su-longer');
    const { index, check } = await rebuildLayer(record, dir, diffId, 0);
    expect(check.status).toBe('tampered');
    expect(check.detail).toMatch(/"\/etc\/passwd" has other content than the layer recorded/);
    expect(check.detail).toMatch(/"\/usr\/lib" is missing from the layer folder/);
    expect(check.detail).toMatch(/"\/bin\/su" has 13 bytes, not 6/);
    // The rest still indexes: the rebuilt tar stays aligned.
    expect(index.entries.has('/usr/lib')).toBe(true);
  });

  const tamperings: [string, (dir: string) => Promise<void>, string, RegExp][] = [
    [
      'a file added to the folder',
      (d) => writeFile(path.join(d, 'bin/backdoor'), 'x'),
      '/bin/backdoor',
      /is in the layer folder \(a file\) but not in the layer's record/,
    ],
    [
      'setuid added',
      (d) => chmod(path.join(d, 'bin/su'), 0o4755),
      '/bin/su',
      /mode 4755, recorded 0755/,
    ],
    [
      'an owner changed',
      (d) => chown(path.join(d, 'etc/passwd'), 33, 33),
      '/etc/passwd',
      /owned by 33:33, recorded 0:0/,
    ],
    [
      'a file capability set',
      async (d) => {
        execFileSync('setfattr', [
          '-n',
          'security.capability',
          '-v',
          '0x0100000200100000000000000000000000000000',
          path.join(d, 'bin/busybox'),
        ]);
      },
      '/bin/busybox',
      /attribute security\.capability \(0x01000002/,
    ],
    [
      'a recorded attribute changed',
      async (d) => {
        execFileSync('setfattr', ['-n', 'user.origin', '-v', 'host', path.join(d, 'srv')]);
      },
      '/srv',
      /attribute user\.origin "host", recorded "image"/,
    ],
    [
      'a symlink pointed elsewhere',
      async (d) => {
        await unlink(path.join(d, 'bin/ls'));
        await symlink('/tmp/evil', path.join(d, 'bin/ls'));
      },
      '/bin/ls',
      /points to "\/tmp\/evil", recorded "\/bin\/busybox"/,
    ],
    [
      'a symlink deleted',
      (d) => unlink(path.join(d, 'bin/ls')),
      '/bin/ls',
      /is missing from the layer folder/,
    ],
    [
      'a hard link replaced by a script',
      async (d) => {
        await unlink(path.join(d, 'bin/sh'));
        await writeFile(path.join(d, 'bin/sh'), '#!/bin/busybox sh\n');
      },
      '/bin/sh',
      /is no longer a hard link of "\/bin\/busybox"/,
    ],
    [
      'an empty folder deleted',
      (d) => rmdir(path.join(d, 'run')),
      '/run',
      /is missing from the layer folder/,
    ],
    [
      'an opaque folder made transparent',
      async (d) => {
        execFileSync('setfattr', ['-x', 'trusted.overlay.opaque', path.join(d, 'var/www')]);
      },
      '/var/www',
      /is no longer opaque/,
    ],
    [
      'a deletion undone',
      (d) => rm(path.join(d, 'etc/shadow')),
      '/etc/shadow',
      /is no longer deleted/,
    ],
    [
      'a deletion added',
      async (d) => {
        execFileSync('mknod', [path.join(d, 'etc/hosts'), 'c', '0', '0']);
      },
      '/etc/hosts',
      /is deleted \(a whiteout device\) in the folder, which the layer did not record/,
    ],
    [
      'a device renumbered',
      async (d) => {
        await unlink(path.join(d, 'dev/null'));
        execFileSync('mknod', ['-m', '666', path.join(d, 'dev/null'), 'c', '1', '5']);
      },
      '/dev/null',
      /is device 1:5, recorded 1:3/,
    ],
    [
      'a file turned into a symlink',
      async (d) => {
        await unlink(path.join(d, 'etc/passwd'));
        await symlink('/host/etc/passwd', path.join(d, 'etc/passwd'));
      },
      '/etc/passwd',
      /is a symlink, recorded a file/,
    ],
  ];

  it.each(tamperings)(
    'calls the layer tampered for %s, naming the path and what differs',
    async (_, tamper, where, what) => {
      const { record, diffId, dir } = await intact();
      await tamper(dir);
      const { check } = await rebuildLayer(record, dir, diffId, 1);
      expect(check.status).toBe('tampered');
      expect(check.differences).toContainEqual({
        path: where,
        what: [expect.stringMatching(what)],
      });
      expect(check.detail).toContain(JSON.stringify(where));
    },
  );

  it('says a hard link a copy split into two equal files is not tampering', async () => {
    const { record, diffId, dir } = await intact();
    await unlink(path.join(dir, 'bin/sh'));
    await writeFile(path.join(dir, 'bin/sh'), 'ELF-busybox');
    await chmod(path.join(dir, 'bin/sh'), 0o755);
    const { check } = await rebuildLayer(record, dir, diffId, 1);
    expect(check.detail).toMatch(/every entry matches/);
    expect(check.status).toBe('verified');
    expect(check.notes?.[0]).toMatch(/"\/bin\/sh" is a copy of "\/bin\/busybox", not a hard link/);
  });

  it('leaves a layer whose record or folder is missing or cut short not checked, saying the copy may be incomplete', async () => {
    const { record, diffId, dir } = await intact();
    const gone = await rebuildLayer(record + '.absent', dir, diffId, 0);
    expect(gone.check.status).toBe('not-checked');
    expect(gone.check.detail).toMatch(
      /tar-split record .* cannot be read: it is missing.*incomplete/,
    );
    // Indexed from the folder alone: deletions and opaque folders still hide the layers below.
    expect([...gone.index.whiteouts]).toEqual(['/etc/shadow']);
    expect([...gone.index.opaqueDirs]).toEqual(['/var/www']);

    await truncate(record, 100);
    const cut = await rebuildLayer(record, dir, diffId, 0);
    expect(cut.check.status).toBe('not-checked');
    expect(cut.check.detail).toMatch(/cut short \(unexpected end of file\).*incomplete/);

    const fresh = await layerWithRecord(files);
    const noFolder = await rebuildLayer(fresh.record, dir + '.absent', fresh.diffId, 0);
    expect(noFolder.check.status).toBe('not-checked');
    expect(noFolder.check.detail).toMatch(/its folder .* is missing.*incomplete/);
    expect(noFolder.index.entries.has('/etc/passwd')).toBe(true);
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
