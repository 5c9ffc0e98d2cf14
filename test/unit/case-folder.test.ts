import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { isPartialFile } from '../../src/case/case-files.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('CaseFolder', () => {
  it('hashes what it writes, and the file holds exactly those bytes', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    const record = await folder.writeStream(
      'a/b.txt',
      Readable.from([Buffer.from('hello '), Buffer.from('world')]),
      { description: 'x' },
    );
    expect(record).toMatchObject({ path: 'a/b.txt', sizeBytes: 11, sha256: sha('hello world') });
    expect(await readFile(folder.locate('a/b.txt'), 'utf8')).toBe('hello world');
    expect(new Date(record.capturedAt).toISOString()).toBe(record.capturedAt);
  });

  it('caps stored bytes but still hashes the whole source', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    const data = Buffer.alloc(10_000, 7);
    const record = await folder.writeStream(
      'big',
      Readable.from([data.subarray(0, 3000), data.subarray(3000)]),
      { description: 'x', maxBytes: 4096 },
    );
    expect(record).toMatchObject({
      sizeBytes: 4096,
      isTruncated: true,
      sha256: sha(data.subarray(0, 4096)),
      source: { sizeBytes: 10_000, sha256: sha(data) },
    });
  });

  it('hashes a capped source alike whatever the size of its pieces, the cut on a boundary or not', async () => {
    const data = Buffer.from(Array.from({ length: 9_001 }, (_, i) => (i * 31 + 7) & 0xff));
    for (const piece of [13, 512, 4096, 4097, 9_001]) {
      for (const maxBytes of [4096, 9_001, 20_000]) {
        const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
        const pieces = [];
        for (let at = 0; at < data.length; at += piece) pieces.push(data.subarray(at, at + piece));
        const record = await folder.writeStream('f', Readable.from(pieces), {
          description: 'x',
          maxBytes,
        });
        const kept = data.subarray(0, maxBytes);
        expect(record.sha256).toBe(sha(kept));
        expect(await readFile(folder.locate('f'))).toEqual(kept);
        if (maxBytes < data.length)
          expect(record).toMatchObject({
            isTruncated: true,
            source: { sizeBytes: data.length, sha256: sha(data) },
          });
        else expect(record).not.toHaveProperty('isTruncated');
      }
    }
  });

  it('ends a write whose source stalls when it is cancelled, and leaves nothing', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'case-'));
    const folder = await CaseFolder.create(root);
    let isDestroyed = false;
    const stalled = new Readable({
      read() {
        this.push(Buffer.from('first'));
        // Then nothing more, ever: an engine that stopped sending.
        this.read = () => undefined;
      },
      destroy(error, done) {
        isDestroyed = true;
        done(error);
      },
    });
    const cancel = new AbortController();
    const write = folder.writeStream('x/y', stalled, { description: 'x', signal: cancel.signal });
    setImmediate(() => cancel.abort());
    await expect(write).rejects.toMatchObject({ name: 'AbortError' });
    expect(isDestroyed).toBe(true);
    expect(await readdir(path.join(root, 'x'))).toEqual([]);
    expect(folder.records).toEqual([]);
  });

  it('copies an open file, however large, hashed as written and capped like a stream', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'case-src-'));
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    // Over the 1 MiB read buffer, reused between reads: each piece must be written before the next.
    const big = Buffer.from(Array.from({ length: 2_500_001 }, (_, i) => (i * 13 + 5) & 0xff));
    for (const [name, data, maxBytes] of [
      ['empty', Buffer.alloc(0), undefined],
      ['small', Buffer.from('x:x:0:0::/root:/bin/sh\n'), undefined],
      ['big', big, undefined],
      ['capped', big, 1_500_000],
    ] as const) {
      await writeFile(path.join(dir, name), data);
      const file = await open(path.join(dir, name), 'r');
      const record = await folder.writeOpenFile(`v/${name}`, file, {
        description: 'x',
        ...(maxBytes ? { maxBytes } : {}),
      });
      const kept = data.subarray(0, maxBytes ?? data.length);
      expect((await readFile(folder.locate(`v/${name}`))).equals(kept)).toBe(true);
      expect(record).toMatchObject({ sizeBytes: kept.length, sha256: sha(kept) });
      if (maxBytes)
        expect(record).toMatchObject({
          isTruncated: true,
          source: { sizeBytes: data.length, sha256: sha(data) },
        });
      // The handle is closed once the copy ends.
      await expect(file.stat()).rejects.toThrow();
    }
  });

  it('leaves no file, partial or complete, when the source fails', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'case-'));
    const folder = await CaseFolder.create(root);
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('engine went away'));
      },
    });
    await expect(folder.writeStream('x/y', failing, { description: 'x' })).rejects.toThrow(
      /engine went away/,
    );
    expect(await readdir(path.join(root, 'x'))).toEqual([]);
    expect(folder.records).toEqual([]);
  });

  it('refuses to write outside its folder', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    await expect(folder.writeJson('../escape', {}, 'x')).rejects.toThrow(/outside/);
  });

  it('names an impossible location instead of failing obscurely or hanging', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'case-'));
    await writeFile(path.join(base, 'a-file'), 'x');
    // Under a file; and under /proc, where Node's own recursive mkdir never returns.
    for (const where of [path.join(base, 'a-file', 'case'), '/proc/coroner-test/case']) {
      await expect(CaseFolder.create(where)).rejects.toMatchObject({
        name: 'CaseFolderError',
        message: expect.stringContaining(`cannot create the case folder ${where}`),
      });
    }
    // Nested folders that do not exist yet are made, each private to the responder.
    const deep = await CaseFolder.create(path.join(base, 'x', 'y', 'z'));
    expect((await stat(deep.root)).mode & 0o777).toBe(0o700);
  });

  it('never replaces a stored file: a second write to one name fails and keeps the first', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    await folder.writeBuffer('current/ab/x', Buffer.from('the web shell'), 'first');
    await expect(
      folder.writeStream('current/ab/x', Readable.from([Buffer.from('the decoy')]), {
        description: 'second',
      }),
    ).rejects.toMatchObject({ name: 'CaseFolderError', message: /already exists/ });
    await expect(folder.writeBuffer('current/ab/x', Buffer.from('decoy'), 'third')).rejects.toThrow(
      /already exists/,
    );
    expect(await readFile(folder.locate('current/ab/x'), 'utf8')).toBe('the web shell');
    expect(await readdir(folder.locate('current/ab'))).toEqual(['x']);
  });

  it('writes nothing through a link planted where a folder or a file was expected', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'case-'));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'elsewhere-'));
    const folder = await CaseFolder.create(root);
    await symlink(elsewhere, path.join(root, 'original'));
    await expect(
      folder.writeBuffer('original/ab/y', Buffer.from('x'), 'through a link'),
    ).rejects.toThrow();
    await symlink(path.join(elsewhere, 'target'), path.join(root, 'z'));
    await expect(folder.writeBuffer('z', Buffer.from('x'), 'onto a link')).rejects.toThrow();
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('names its temporary files so that no stored name can look like one', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'case-'));
    const folder = await CaseFolder.create(root);
    let seen: string[] = [];
    const slow = new Readable({
      read() {
        void readdir(root).then((names) => {
          seen = names;
          this.push(null);
        });
      },
    });
    await folder.writeStream('report.json.partial-00ff', slow, { description: 'x' });
    expect(seen).toEqual([
      expect.stringMatching(/^\.partial-[0-9a-f]+-report\.json\.partial-00ff$/),
    ]);
    expect(isPartialFile('report.json.partial-00ff')).toBe(false);
    expect(isPartialFile(seen[0]!)).toBe(true);
  });

  it('refuses a case folder that is a link, and names it', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'case-'));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'elsewhere-'));
    await symlink(elsewhere, path.join(base, 'case'));
    await expect(CaseFolder.create(path.join(base, 'case'))).rejects.toMatchObject({
      name: 'CaseFolderError',
      message: expect.stringMatching(/exists and is not a folder/),
    });
  });
});
