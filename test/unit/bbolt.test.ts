import { describe, expect, it } from 'vitest';
import {
  BoltFile,
  BoltFormatError,
  type BoltBucket,
} from '../../src/sources/containerd-store/bbolt.js';
import { boltFileOf, buildBolt, CONTAINER_SNAPSHOTS, resealMeta } from '../support/bolt-pages.js';

async function walk(bucket: BoltBucket): Promise<string[]> {
  const out: string[] = [];
  for await (const e of bucket.entries()) {
    const key = e.key.toString();
    if (e.bucket) out.push(`${key}/`, ...(await walk(e.bucket)).map((k) => `${key}/${k}`));
    else out.push(`${key}=${e.value!.toString('hex')}`);
  }
  return out;
}

async function failure(bytes: Buffer): Promise<BoltFormatError> {
  const file = await boltFileOf(bytes);
  let db: BoltFile | undefined;
  try {
    db = await BoltFile.open(file);
    await walk(db.root());
  } catch (e) {
    await db?.close();
    expect(e).toBeInstanceOf(BoltFormatError);
    return e as BoltFormatError;
  }
  throw new Error('the forged file was read without complaint');
}

describe('the bbolt reader', () => {
  it('reads nested buckets and values in key order, and finds a bucket by its path', async () => {
    const db = await BoltFile.open(await boltFileOf(buildBolt(CONTAINER_SNAPSHOTS).bytes));
    expect(await walk(db.root())).toContain(
      'v1/moby/snapshots/overlayfs/abc/parent=6162632d696e6974',
    );
    const overlay = await db.bucketAt(['v1', 'moby', 'snapshots', 'overlayfs']);
    const abc = await overlay!.bucket('abc');
    expect((await abc!.get('name'))!.toString()).toBe('moby/5/abc');
    expect(await db.bucketAt(['v1', 'nope'])).toBeUndefined();
    expect(db.txid).toBe(7n);
    await db.close();
  });

  it('falls back to the older meta page when the newer one fails its checksum', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    built.bytes.writeUInt8(built.bytes[built.metaOffset(1) + 48]! ^ 0xff, built.metaOffset(1) + 48); // txid changed, checksum not
    const db = await BoltFile.open(await boltFileOf(built.bytes));
    expect(db.txid).toBe(6n);
    await db.close();
  });

  it('refuses a file with no valid meta page, by name', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    built.bytes.fill(0, 0, 2 * built.pageSize);
    const file = await boltFileOf(built.bytes);
    await expect(BoltFile.open(file)).rejects.toThrow(/not a bbolt database/);
  });

  it('names a page number outside the file', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    const m = built.metaOffset(1);
    built.bytes.writeBigUInt64LE(1_000_000n, m + 16);
    resealMeta(built.bytes, m);
    built.bytes.fill(0, built.metaOffset(0), built.metaOffset(0) + 64);
    expect((await failure(built.bytes)).message).toMatch(/page 1000000, outside the file/);
  });

  it('stops at a branch page that leads back to itself (a loop), instead of hanging', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    const id = built.pages.get('v1/moby')!;
    const at = id * built.pageSize;
    built.bytes.writeUInt16LE(0x01, at + 8); // now a branch…
    built.bytes.writeUInt16LE(1, at + 10);
    built.bytes.writeUInt32LE(16, at + 16); // …whose one child, with an empty key, is itself
    built.bytes.writeUInt32LE(0, at + 20);
    built.bytes.writeBigUInt64LE(BigInt(id), at + 24);
    expect((await failure(built.bytes)).message).toMatch(/twice \(a loop\)/);
  });

  it('stops buckets nested into themselves at a bounded depth', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    // The "moby" bucket's header in v1's page now names v1's own page: v1/moby/moby/moby…
    const v1 = built.pages.get('v1')!;
    const at = v1 * built.pageSize;
    const pos = built.bytes.readUInt32LE(at + 16 + 4);
    const keySize = built.bytes.readUInt32LE(at + 16 + 8);
    built.bytes.writeBigUInt64LE(BigInt(v1), at + 16 + pos + keySize);
    expect((await failure(built.bytes)).message).toMatch(/nested deeper than 32/);
  });

  it('refuses a page that claims more overflow pages than the file holds', async () => {
    const built = buildBolt(CONTAINER_SNAPSHOTS);
    const at = built.pages.get('v1')! * built.pageSize;
    built.bytes.writeUInt32LE(0xffffffff, at + 12);
    expect((await failure(built.bytes)).message).toMatch(/overflow pages, past the file/);
  });

  it('refuses an element that runs past its page, and a count larger than the page', async () => {
    const long = buildBolt(CONTAINER_SNAPSHOTS);
    const at = long.pages.get('v1/moby/snapshots/overlayfs/abc')! * long.pageSize;
    long.bytes.writeUInt32LE(0x7fffffff, at + 16 + 12); // the first value's size
    expect((await failure(long.bytes)).message).toMatch(/runs past its page/);
    const many = buildBolt(CONTAINER_SNAPSHOTS);
    many.bytes.writeUInt16LE(0xffff, many.pages.get('v1')! * many.pageSize + 10);
    expect((await failure(many.bytes)).message).toMatch(/claims 65535 elements/);
  });

  it('stops when a file needs more page reads than its budget', async () => {
    const file = await boltFileOf(buildBolt(CONTAINER_SNAPSHOTS).bytes);
    const db = await BoltFile.open(file, { stepBudget: 3 });
    await expect(walk(db.root())).rejects.toThrow(/more than 3 page reads/);
    await db.close();
  });
});
