/**
 * Builds small bbolt files for the reader's tests: two meta pages, a freelist page, then
 * one leaf page per bucket (keys sorted), or a branch page over several leaves where a
 * bucket asks for it. Returns where each bucket's pages are, so a test can forge them.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type BoltTree = { [key: string]: Buffer | string | BoltTree };

export interface BuiltBolt {
  bytes: Buffer;
  pageSize: number;
  /** Page id of each bucket's root page, by its path ('' for the root, 'v1/moby'…). */
  pages: Map<string, number>;
  /** Byte offset of a meta page's txid, checksum… (for forging the meta). */
  metaOffset(page: 0 | 1): number;
}

const PAGE_HEADER = 16;
const ELEMENT = 16;

export function buildBolt(
  tree: BoltTree,
  opts: { pageSize?: number; txid?: bigint } = {},
): BuiltBolt {
  const pageSize = opts.pageSize ?? 4096;
  const pages: Buffer[] = [
    Buffer.alloc(pageSize),
    Buffer.alloc(pageSize),
    freelistPage(pageSize, 2),
  ];
  const where = new Map<string, number>();

  const writeBucket = (bucket: BoltTree, path: string): number => {
    const keys = Object.keys(bucket).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // Children first, so each nested bucket's page id is known when its parent is written.
    const children = new Map<string, number>();
    for (const key of keys) {
      const value = bucket[key]!;
      if (!Buffer.isBuffer(value) && typeof value !== 'string')
        children.set(key, writeBucket(value, path ? `${path}/${key}` : key));
    }
    const id = pages.length;
    const page = Buffer.alloc(pageSize);
    page.writeBigUInt64LE(BigInt(id), 0);
    page.writeUInt16LE(0x02, 8);
    page.writeUInt16LE(keys.length, 10);
    let data = PAGE_HEADER + keys.length * ELEMENT;
    keys.forEach((key, i) => {
      const at = PAGE_HEADER + i * ELEMENT;
      const k = Buffer.from(key);
      const child = children.get(key);
      const raw = bucket[key]!;
      const v =
        child !== undefined
          ? bucketHeader(child)
          : Buffer.isBuffer(raw)
            ? raw
            : Buffer.from(raw as string);
      page.writeUInt32LE(child !== undefined ? 1 : 0, at);
      page.writeUInt32LE(data - at, at + 4);
      page.writeUInt32LE(k.length, at + 8);
      page.writeUInt32LE(v.length, at + 12);
      k.copy(page, data);
      v.copy(page, data + k.length);
      data += k.length + v.length;
      if (data > pageSize) throw new Error('buildBolt: a bucket does not fit one page');
    });
    pages.push(page);
    where.set(path, id);
    return id;
  };
  const root = writeBucket(tree, '');
  const txid = opts.txid ?? 7n;
  writeMeta(pages[0]!, 0, pageSize, root, pages.length, txid - 1n);
  writeMeta(pages[1]!, 1, pageSize, root, pages.length, txid);
  return {
    bytes: Buffer.concat(pages),
    pageSize,
    pages: where,
    metaOffset: (page) => page * pageSize + PAGE_HEADER,
  };
}

function bucketHeader(root: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(root), 0);
  return b;
}

function freelistPage(pageSize: number, id: number): Buffer {
  const page = Buffer.alloc(pageSize);
  page.writeBigUInt64LE(BigInt(id), 0);
  page.writeUInt16LE(0x10, 8);
  return page;
}

function writeMeta(
  page: Buffer,
  id: number,
  pageSize: number,
  root: number,
  highWater: number,
  txid: bigint,
): void {
  page.writeBigUInt64LE(BigInt(id), 0);
  page.writeUInt16LE(0x04, 8);
  const m = page.subarray(PAGE_HEADER);
  m.writeUInt32LE(0xed0cdaed, 0);
  m.writeUInt32LE(2, 4);
  m.writeUInt32LE(pageSize, 8);
  m.writeBigUInt64LE(BigInt(root), 16);
  m.writeBigUInt64LE(2n, 32);
  m.writeBigUInt64LE(BigInt(highWater), 40);
  m.writeBigUInt64LE(txid, 48);
  m.writeBigUInt64LE(fnv1a64(m.subarray(0, 56)), 56);
}

/** Rewrites a meta page's checksum after a test changed its fields. */
export function resealMeta(bytes: Buffer, offset: number): void {
  const m = bytes.subarray(offset);
  m.writeBigUInt64LE(fnv1a64(m.subarray(0, 56)), 56);
}

function fnv1a64(bytes: Buffer): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return hash;
}

/** A containerd meta.db's snapshot keys for one container (`abc`, over `abc-init`). */
export const CONTAINER_SNAPSHOTS: BoltTree = {
  v1: {
    moby: {
      snapshots: {
        overlayfs: {
          'abc-init': { name: 'moby/4/abc-init', parent: 'sha256:aa' },
          abc: { name: 'moby/5/abc', parent: 'abc-init' },
        },
      },
    },
  },
  version: Buffer.from([6]),
};

/** Writes `bytes` as `meta.db` in a fresh temporary folder; returns its path. */
export async function boltFileOf(bytes: Buffer): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'bolt-')), 'meta.db');
  await writeFile(file, bytes);
  return file;
}
