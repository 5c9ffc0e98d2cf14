/**
 * Forged bbolt files (issue 25): a copied containerd root comes from a host that may be
 * compromised, so its `meta.db` and the snapshotter's `metadata.db` may be written to hurt
 * the reader. Each forgery must end in a typed error naming what was wrong (never a
 * RangeError, a TypeError or a hang), and every read stays within a budget in proportion to
 * the file. Files come from the test builder (test/support/bolt-pages.ts), then are forged
 * byte by byte.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BoltFile,
  BoltFormatError,
  consistentCopy,
  type BoltBucket,
  type PageSource,
} from '../../src/sources/containerd-store/bbolt.js';
import {
  ContainerdRoot,
  ContainerdRootError,
} from '../../src/sources/containerd-store/containerd-root.js';
import {
  boltFileOf,
  buildBolt,
  CONTAINER_SNAPSHOTS,
  resealMeta,
  type BoltTree,
  type BuiltBolt,
} from '../support/bolt-pages.js';

const run = promisify(execFile);

async function walk(bucket: BoltBucket): Promise<number> {
  let keys = 0;
  for await (const e of bucket.entries()) keys += 1 + (e.bucket ? await walk(e.bucket) : 0);
  return keys;
}

/** Opens the forged file and reads it whole, then by lookups; the error it ends in. */
async function failure(
  bytes: Buffer,
  read: (db: BoltFile) => Promise<unknown> = (db) => walk(db.root()),
): Promise<string> {
  const file = await boltFileOf(bytes);
  let db: BoltFile | undefined;
  try {
    db = await BoltFile.open(file);
    await read(db);
  } catch (e) {
    expect(e).toBeInstanceOf(BoltFormatError);
    return (e as Error).message;
  } finally {
    await db?.close();
  }
  throw new Error('the forged file was read without complaint');
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('the forged file was read without complaint');
}

const at = (built: BuiltBolt, bucket: string) => built.pages.get(bucket)! * built.pageSize;

/** Rewrites page `id` as a branch page whose children are `children` (empty keys). */
function forgeBranch(built: BuiltBolt, id: number, children: number[]): void {
  const page = id * built.pageSize;
  built.bytes.fill(0, page + 8, page + built.pageSize);
  built.bytes.writeUInt16LE(0x01, page + 8);
  built.bytes.writeUInt16LE(children.length, page + 10);
  children.forEach((child, i) => {
    const e = page + 16 + i * 16;
    built.bytes.writeUInt32LE(16 * (children.length - i), e); // the key: empty, past the elements
    built.bytes.writeBigUInt64LE(BigInt(child), e + 8);
  });
}

/** The offset of the value of the first element of the leaf page of `bucket`. */
function firstValue(built: BuiltBolt, bucket: string): number {
  const e = at(built, bucket) + 16;
  return e + built.bytes.readUInt32LE(e + 4) + built.bytes.readUInt32LE(e + 8);
}

describe('a forged bbolt file', () => {
  it('names a bucket or a branch child that points past the end of the file', async () => {
    const bucket = buildBolt(CONTAINER_SNAPSHOTS);
    bucket.bytes.writeBigUInt64LE(0xffffffffffffffffn, firstValue(bucket, 'v1/moby'));
    expect(await failure(bucket.bytes)).toMatch(
      /"v1"\/"moby"\/"snapshots" names page 18446744073709551615, outside the file/,
    );
    const child = buildBolt(CONTAINER_SNAPSHOTS);
    forgeBranch(child, child.pages.get('v1/moby')!, [child.pages.get('v1/moby/snapshots')!, 9999]);
    expect(await failure(child.bytes)).toMatch(/names page 9999, outside the file/);
  });

  it('stops a branch page that leads back to an ancestor, walking and looking up', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    const moby = built.pages.get('v1/moby')!;
    const snapshots = built.pages.get('v1/moby/snapshots')!;
    forgeBranch(built, moby, [snapshots]);
    forgeBranch(built, snapshots, [moby]);
    expect(await failure(built.bytes)).toMatch(/reaches page \d+ twice \(a loop\)/);
    expect(await failure(built.bytes, (db) => db.bucketAt(['v1', 'moby', 'x']))).toMatch(
      /reaches page \d+ twice \(a loop\)/,
    );
  });

  it('refuses overflow pages that overlap another page of the tree', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    // abc-init's page now claims the next page, abc's own, as its overflow.
    built.bytes.writeUInt32LE(1, at(built, 'v1/moby/snapshots/overlayfs/abc-init') + 12);
    expect(await failure(built.bytes)).toMatch(/page \d+ .* overlaps page \d+/);
  });

  it('reads overlapping overflow claims at most once per byte of the file, not once per claim', async () => {
    // 200 pages, each a leaf claiming every later page as its overflow, all children of one
    // branch: read one by one, they would cost the square of the file.
    const built = buildBolt({ v1: {} });
    const first = built.bytes.length / built.pageSize;
    const pages = Array.from({ length: 200 }, (_, i) => {
      const page = Buffer.alloc(built.pageSize);
      page.writeUInt16LE(0x02, 8);
      page.writeUInt32LE(199 - i, 12);
      return page;
    });
    built.bytes = Buffer.concat([built.bytes, ...pages]);
    forgeBranch(
      built,
      built.pages.get('v1')!,
      pages.map((_, i) => first + i),
    );
    const file = await boltFileOf(built.bytes);
    const db = await BoltFile.open(file);
    await expect(walk(db.root())).rejects.toThrow(/overlaps page/);
    expect(db.cost.bytes).toBeLessThanOrEqual(built.bytes.length);
    await db.close();
  });

  it('refuses an element count the page cannot hold, and keys or values outside their page', async () => {
    const count = buildBolt(CONTAINER_SNAPSHOTS);
    count.bytes.writeUInt16LE(0xffff, at(count, 'v1/moby') + 10);
    expect(await failure(count.bytes)).toMatch(/claims 65535 elements, more than it holds/);
    const key = buildBolt(CONTAINER_SNAPSHOTS);
    key.bytes.writeUInt32LE(0xffffffff, at(key, 'v1/moby') + 16 + 4); // the first key's offset
    expect(await failure(key.bytes)).toMatch(
      /an element of bucket \/"v1"\/"moby" runs past its page/,
    );
    const size = buildBolt(CONTAINER_SNAPSHOTS);
    size.bytes.writeUInt32LE(0xfffffff0, at(size, 'v1/moby') + 16 + 8); // the first key's size
    expect(await failure(size.bytes)).toMatch(/runs past its page/);
    const branchKey = buildBolt(CONTAINER_SNAPSHOTS);
    const moby = branchKey.pages.get('v1/moby')!;
    forgeBranch(branchKey, moby, [branchKey.pages.get('v1/moby/snapshots')!, moby - 1]);
    branchKey.bytes.writeUInt32LE(0x7fffffff, moby * branchKey.pageSize + 32); // second key's offset
    expect(await failure(branchKey.bytes, (db) => db.bucketAt(['v1', 'moby', 'x']))).toMatch(
      /runs past its page/,
    );
  });

  it('refuses a bucket whose root is a meta page, a freelist page or a short inline page', async () => {
    for (const page of [0n, 1n]) {
      const meta = buildBolt(CONTAINER_SNAPSHOTS);
      const value = firstValue(meta, 'v1/moby');
      meta.bytes.writeBigUInt64LE(page, value);
      if (page === 1n) expect(await failure(meta.bytes)).toMatch(/names page 1, a meta page/);
      // Root 0 is an inline bucket: its page follows the header, and here there is none.
      else expect(await failure(meta.bytes)).toMatch(/inline bucket .* shorter than a page header/);
    }
    const freelist = buildBolt(CONTAINER_SNAPSHOTS);
    freelist.bytes.writeBigUInt64LE(2n, firstValue(freelist, 'v1/moby'));
    expect(await failure(freelist.bytes)).toMatch(/page 2 .* neither a branch nor a leaf page/);
  });

  it('refuses an inline bucket whose page claims to be a branch or more elements than it holds', async () => {
    // The builder writes buckets as pages; an inline one is forged as a plain value here.
    const inline = (flags: number, count: number) => {
      const value = Buffer.alloc(16 + 16 + 16 + 4);
      value.writeUInt16LE(flags, 16 + 8);
      value.writeUInt16LE(count, 16 + 10);
      value.writeUInt32LE(16, 32 + 4); // one element whose key "k" and value "vvv" follow it
      value.writeUInt32LE(1, 32 + 8);
      value.writeUInt32LE(3, 32 + 12);
      value.write('kvvv', 48);
      return value;
    };
    const forged = (value: Buffer) => {
      const built = buildBolt({ v1: { inline: value } });
      const e = at(built, 'v1') + 16;
      built.bytes.writeUInt32LE(1, e); // the value is now a bucket
      return built.bytes;
    };
    const db = await BoltFile.open(await boltFileOf(forged(inline(0x02, 1))));
    const ok = await db.bucketAt(['v1', 'inline']);
    expect((await ok!.get('k'))!.toString()).toBe('vvv');
    await db.close();
    expect(await failure(forged(inline(0x01, 1)))).toMatch(
      /inline bucket \/"v1"\/"inline" is a branch page: an inline bucket is one leaf/,
    );
    expect(await failure(forged(inline(0x02, 9)))).toMatch(/claims 9 elements/);
  });

  it('refuses a file whose two meta pages both fail their checksum', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    for (const page of [0, 1] as const) {
      const root = built.metaOffset(page) + 16;
      built.bytes.writeUInt8(built.bytes.readUInt8(root) ^ 0x01, root); // the checksum now lies
    }
    const e = await rejection(BoltFile.open(await boltFileOf(built.bytes)));
    expect(e).toBeInstanceOf(BoltFormatError);
    expect(e.message).toMatch(/neither meta page is valid \(magic, version, checksum\)/);
  });

  it('takes the other meta page when one names a page size of 0, not a power of two, or huge', async () => {
    for (const pageSize of [0, 4097, 3 * 4096, 0x80000000, 0xffffffff]) {
      const built = buildBolt(CONTAINER_SNAPSHOTS);
      const m = built.metaOffset(1);
      built.bytes.writeUInt32LE(pageSize, m + 8);
      resealMeta(built.bytes, m);
      const db = await BoltFile.open(await boltFileOf(built.bytes));
      expect([db.pageSize, db.txid]).toEqual([4096, 6n]);
      await db.close();
      const both = Buffer.from(built.bytes);
      both.writeUInt32LE(pageSize, built.metaOffset(0) + 8);
      resealMeta(both, built.metaOffset(0));
      await expect(BoltFile.open(await boltFileOf(both))).rejects.toThrow(
        /neither meta page is valid/,
      );
    }
  });

  it('stops buckets nested 1000 deep at 32', async () => {
    let tree: BoltTree = { leaf: 'x' };
    for (let i = 0; i < 1000; i++) tree = { [`b${i}`]: tree };
    expect(await failure(buildBolt(tree).bytes)).toMatch(/buckets nested deeper than 32/);
  });

  it('stops buckets whose keys all name the same bucket below, within its budget of steps', async () => {
    // 12 levels of 12 keys, every key of a level naming the same bucket of the next: 12^12
    // buckets to walk, from 144 pages. Each level's first key leads on; the others are forged.
    const keys = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    let tree: BoltTree = { value: 'x' };
    for (let level = 0; level < 12; level++)
      tree = Object.fromEntries(keys.map((k, i) => [k, i === 0 ? tree : {}]));
    const built = buildBolt(tree);
    for (let level = 0; level < 12; level++) {
      const bucket = keys
        .slice(0, level)
        .map(() => 'k00')
        .join('/');
      const next = built.pages.get(bucket ? `${bucket}/k00` : 'k00')!;
      for (let i = 1; i < 12; i++) {
        const e = built.pages.get(bucket)! * built.pageSize + 16 + i * 16;
        const value = e + built.bytes.readUInt32LE(e + 4) + built.bytes.readUInt32LE(e + 8);
        built.bytes.writeBigUInt64LE(BigInt(next), value);
      }
    }
    const db = await BoltFile.open(await boltFileOf(built.bytes));
    const e = await rejection(walk(db.root()));
    expect(e).toBeInstanceOf(BoltFormatError);
    expect(e.message).toMatch(/more than \d+ page reads and elements/);
    expect(db.cost.steps).toBeLessThanOrEqual(db.budget.steps + 1);
    // Each page was read from the file once: the rest came from what was already read.
    expect(db.cost.bytes).toBeLessThanOrEqual(built.bytes.length);
    await db.close();
  });

  it("counts the keys of a huge page against the file's budget", async () => {
    // One leaf of 60,000 keys, spread over overflow pages: a walk spends a step per key.
    const built = buildBolt({ v1: {} }, { pageSize: 4096 });
    const count = 60_000;
    const span = Math.ceil((16 + count * 17) / built.pageSize);
    const leaf = Buffer.alloc(span * built.pageSize);
    leaf.writeUInt16LE(0x02, 8);
    leaf.writeUInt16LE(count, 10);
    leaf.writeUInt32LE(span - 1, 12);
    for (let i = 0; i < count; i++) {
      const e = 16 + i * 16;
      leaf.writeUInt32LE(16 * count - i * 16 + i, e + 4);
      leaf.writeUInt32LE(1, e + 8);
    }
    const first = built.bytes.length / built.pageSize;
    built.bytes = Buffer.concat([built.bytes, leaf]);
    built.bytes.writeBigUInt64LE(BigInt(first), firstValue(built, ''));
    const file = await boltFileOf(built.bytes);
    const db = await BoltFile.open(file);
    expect(await walk(db.root())).toBe(1 + count);
    expect(db.cost.steps).toBeGreaterThan(count);
    await db.close();
    const tight = await BoltFile.open(file, { stepBudget: 10_000 });
    await expect(walk(tight.root())).rejects.toThrow(/more than 10000 page reads and elements/);
    await tight.close();
  });

  it('refuses a database that is a named pipe instead of hanging on it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bolt-fifo-'));
    await run('mkfifo', [path.join(dir, 'meta.db')]);
    const e = await rejection(BoltFile.open(path.join(dir, 'meta.db')));
    expect(e).toBeInstanceOf(BoltFormatError);
    expect(e.message).toMatch(/meta.db is not a regular file/);
  });
});

const OVERLAYFS = 'io.containerd.snapshotter.v1.overlayfs';
const sha = (b: string | Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A containerd root whose overlayfs bucket and snapshotter's records are given whole. */
async function makeRoot(
  snapshots: BoltTree,
  backend: BoltTree,
  opts: { blobs?: Buffer[]; pageSize?: number } = {},
): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'containerd-hostile-'));
  await mkdir(path.join(root, 'io.containerd.metadata.v1.bolt'), { recursive: true });
  await mkdir(path.join(root, OVERLAYFS, 'snapshots'), { recursive: true });
  await mkdir(path.join(root, 'io.containerd.content.v1.content/blobs/sha256'), {
    recursive: true,
  });
  const pageSize = opts.pageSize ?? 4096;
  await writeFile(
    path.join(root, 'io.containerd.metadata.v1.bolt/meta.db'),
    buildBolt({ v1: { moby: { snapshots: { overlayfs: snapshots } } } }, { pageSize }).bytes,
  );
  await writeFile(
    path.join(root, OVERLAYFS, 'metadata.db'),
    buildBolt({ v1: { snapshots: backend } }, { pageSize }).bytes,
  );
  for (const blob of opts.blobs ?? [])
    await writeFile(
      path.join(root, 'io.containerd.content.v1.content/blobs/sha256', sha(blob).slice(7)),
      blob,
    );
  return root;
}

async function rootFailure(root: string, read: (r: ContainerdRoot) => Promise<unknown>) {
  const r = await ContainerdRoot.open(root);
  try {
    await read(r);
  } catch (e) {
    expect(e).toBeInstanceOf(ContainerdRootError);
    return (e as Error).message;
  } finally {
    await r.close();
  }
  throw new Error('the forged root was read without complaint');
}

describe("a forged containerd root's snapshots and images", () => {
  it('refuses a snapshot id that is huge, overlong past 64 bits, or empty', async () => {
    for (const id of [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 2^64 - 1
      Buffer.alloc(11, 0x80),
      Buffer.alloc(0),
    ]) {
      const root = await makeRoot({ a: { name: 'moby/1/a' } }, { 'moby/1/a': { id } });
      expect(await rootFailure(root, (r) => r.snapshotChain('moby', 'a'))).toMatch(
        /the overlayfs snapshot "moby\/1\/a" has no valid id/,
      );
    }
  });

  it("keeps every snapshot folder below the snapshotter's, whatever its key and name say", async () => {
    const key = '../../../../etc';
    const name = '../../../../root/.ssh/..';
    const root = await makeRoot(
      { [key]: { name, parent: '/etc/passwd' }, '/etc/passwd': { name: '/' } },
      {
        [name]: { id: Buffer.from([0x81, 0x80, 0x00]), kind: Buffer.from([2]) }, // 1, overlong
        '/': { id: Buffer.from([2]), kind: Buffer.from([3]) },
      },
    );
    const r = await ContainerdRoot.open(root);
    const chain = await r.snapshotChain('moby', key);
    await r.close();
    const snapshots = path.join(root, OVERLAYFS, 'snapshots');
    expect(chain.map((s) => path.relative(snapshots, s.dir))).toEqual(['1/fs', '2/fs']);
  });

  it('stops a snapshot that is its own parent, and a chain longer than 512', async () => {
    const self = await makeRoot({ a: { name: 'n', parent: 'a' } }, { n: { id: Buffer.from([1]) } });
    expect(await rootFailure(self, (r) => r.snapshotChain('moby', 'a'))).toMatch(
      /snapshot "a" is its own ancestor/,
    );
    const snapshots: BoltTree = {};
    for (let i = 0; i < 520; i++) snapshots[`s${i}`] = { name: 'n', parent: `s${i + 1}` };
    const long = await makeRoot(snapshots, { n: { id: Buffer.from([1]) } }, { pageSize: 32768 });
    expect(await rootFailure(long, (r) => r.snapshotChain('moby', 's0'))).toMatch(
      /snapshot "s0" has more than 512 parents/,
    );
  });

  it('refuses an index or a manifest holding nulls where entries belong, by name', async () => {
    const index = Buffer.from(JSON.stringify({ manifests: [null, 7, 'x'] }));
    const config = Buffer.from(JSON.stringify({ rootfs: { diff_ids: [sha('d')] } }));
    const root = await makeRoot({}, {}, { blobs: [index] });
    expect(await rootFailure(root, (r) => r.imageLayers('moby', sha(index)))).toMatch(
      /the image index sha256:[0-9a-f]{64} has no manifest for linux\/amd64/,
    );
    const configFor = Buffer.from(
      JSON.stringify({ config: { digest: sha(config) }, layers: [null] }),
    );
    const root2 = await makeRoot({}, {}, { blobs: [configFor, config] });
    expect(await rootFailure(root2, (r) => r.imageLayers('moby', sha(configFor)))).toMatch(
      /layer 0 of the manifest sha256:[0-9a-f]{64} has no digest/,
    );
  });

  it('refuses a config whose bytes no longer match the digest its manifest names', async () => {
    const config = Buffer.from(JSON.stringify({ rootfs: { diff_ids: [] } }));
    const manifest = Buffer.from(JSON.stringify({ config: { digest: sha(config) }, layers: [] }));
    const root = await makeRoot({}, {}, { blobs: [manifest] });
    await writeFile(
      path.join(root, 'io.containerd.content.v1.content/blobs/sha256', sha(config).slice(7)),
      Buffer.concat([config, Buffer.from('\n')]),
    );
    expect(await rootFailure(root, (r) => r.imageLayers('moby', sha(manifest)))).toMatch(
      /does not match its digest: it was changed on the host/,
    );
  });

  it('refuses a content blob that is a named pipe instead of hanging on it', async () => {
    const root = await makeRoot({}, {});
    const digest = sha('never written');
    await run('mkfifo', [
      path.join(root, 'io.containerd.content.v1.content/blobs/sha256', digest.slice(7)),
    ]);
    expect(await rootFailure(root, (r) => r.imageLayers('moby', digest))).toMatch(
      /is not a regular file/,
    );
  });
});

describe('a database a running containerd is writing', () => {
  /** A file of 64 KiB whose meta pages change on the reads `changesOn` names. */
  const changingFile = (changesOn: (read: number) => boolean): PageSource => {
    let reads = 0;
    let generation = 0;
    return {
      read: async (buffer, offset, length, position) => {
        if (changesOn(reads++)) generation++;
        const bytes = Buffer.alloc(64 * 1024, generation);
        const n = Math.min(length, bytes.length - position);
        bytes.copy(buffer, offset, position, position + n);
        return { bytesRead: Math.max(0, n) };
      },
      close: async () => undefined,
    };
  };

  it('is copied again when a commit lands during the copy, and read as of one transaction', async () => {
    // The third read (the meta pages after the first copy) sees a new transaction.
    const copy = await consistentCopy(
      changingFile((read) => read === 2),
      64 * 1024,
      'meta.db',
    );
    expect(copy.every((b) => b === 1)).toBe(true);
  });

  it('copies to the file’s end, past its size when opened: a database grows', async () => {
    // Opened at 64 KiB; by the copy, a commit has grown it to 128 KiB and names pages there.
    const grown = changingFile(() => false);
    const bigger: PageSource = {
      read: async (buffer, offset, length, position) => {
        if (position >= 128 * 1024) return { bytesRead: 0 };
        const n = Math.min(length, 128 * 1024 - position);
        buffer.fill(7, offset, offset + n);
        if (position < 64 * 1024)
          await grown.read(buffer, offset, Math.min(n, 64 * 1024 - position), position);
        return { bytesRead: n };
      },
      close: async () => undefined,
    };
    const copy = await consistentCopy(bigger, 64 * 1024, 'meta.db');
    expect(copy.length).toBe(128 * 1024);
    expect(copy.subarray(64 * 1024).every((b) => b === 7)).toBe(true);
  });

  it('gives up, by name, on a file that changes under every copy', async () => {
    await expect(
      consistentCopy(
        changingFile(() => true),
        64 * 1024,
        'meta.db',
      ),
    ).rejects.toThrow(/meta\.db changed under every one of 5 copies/);
  });
});
