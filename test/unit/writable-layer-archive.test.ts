import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { archiveEntries, type FolderEntry } from '../../src/changes/layer-archive.js';
import { walkLayerDir } from '../../src/sources/layer-store/layer-dir.js';
import { readBounded, tarEntries } from '../../src/tar-entries.js';

const run = promisify(execFile);

async function* entriesOf(dir: string): AsyncGenerator<FolderEntry> {
  const root = Buffer.from(dir);
  for await (const e of walkLayerDir(dir))
    yield { rawPath: e.raw.subarray(root.length), hostPath: e.raw, stat: e.stat };
}

async function archive(
  dir: string,
  maxFileBytes?: number,
): Promise<{ tar: Buffer; notes: string[] }> {
  const notes: string[] = [];
  const chunks: Buffer[] = [];
  for await (const chunk of archiveEntries(
    entriesOf(dir),
    (p, n) => notes.push(`${p.toString('latin1')}: ${n}`),
    maxFileBytes,
  ))
    chunks.push(chunk);
  return { tar: Buffer.concat(chunks), notes };
}

describe("the writable layer's archive", () => {
  it('stores a link as a link, never what it points to', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wl-archive-'));
    await mkdir(path.join(dir, 'etc'));
    await writeFile(path.join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    await symlink('/etc/shadow', path.join(dir, 'etc/shadow-link'));
    const { tar } = await archive(dir);
    const seen = new Map<string, { type?: string; linkname?: string | null; data: string }>();
    for await (const entry of tarEntries(Readable.from([tar]))) {
      const { data } = await readBounded(entry, 1 << 20);
      seen.set(entry.header.name, {
        type: entry.header.type,
        linkname: entry.header.linkname,
        data: data.toString('utf8'),
      });
    }
    expect(seen.get('./etc/')?.type).toBe('directory');
    expect(seen.get('./etc/passwd')).toMatchObject({
      type: 'file',
      data: 'root:x:0:0::/root:/bin/sh\n',
    });
    expect(seen.get('./etc/shadow-link')).toMatchObject({
      type: 'symlink',
      linkname: '/etc/shadow',
      data: '',
    });
  });

  it('keeps a name that is not UTF-8 byte for byte, and a deletion as a 0/0 device (GNU tar reads both)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wl-archive-'));
    // 0xff is never UTF-8.
    await writeFile(Buffer.from(`${dir}/bad-\xffname`, 'latin1'), 'payload');
    await run('mknod', [path.join(dir, 'gone'), 'c', '0', '0']);
    const { tar } = await archive(dir);
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'wl-tar-')), 'layer.tar');
    await writeFile(file, tar);
    const { stdout } = await run('tar', ['-tvf', file, '--quoting-style=escape']);
    expect(stdout).toMatch(/-rw.* 7 .*\.\/bad-\\377name/);
    expect(stdout).toMatch(/^c.* 0,0 .*\.\/gone$/m);
  });

  it('names a socket it cannot hold, and leaves it out', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wl-archive-'));
    await run('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind('${dir}/s')`]);
    const { tar, notes } = await archive(dir);
    expect(notes).toEqual(['/s: a socket: tar cannot hold one, so it is left out']);
    const names: string[] = [];
    for await (const entry of tarEntries(Readable.from([tar]))) {
      names.push(entry.header.name);
      entry.resume();
    }
    expect(names).toEqual([]);
  });

  it('keeps the first bytes of a file past the cap, and says how large it was', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wl-archive-'));
    await writeFile(path.join(dir, 'big'), '0123456789');
    const { tar, notes } = await archive(dir, 4);
    expect(notes).toEqual(['/big: 10 bytes: only the first 4 are kept here']);
    for await (const entry of tarEntries(Readable.from([tar]))) {
      const { data } = await readBounded(entry, 1 << 20);
      expect(data.toString()).toBe('0123');
      expect(entry.header.pax).toMatchObject({ 'CORONER.size': '10' });
    }
  });
});
