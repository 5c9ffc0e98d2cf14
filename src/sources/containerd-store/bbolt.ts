/**
 * A reader of bbolt files (https://github.com/etcd-io/bbolt), the key/value store in which
 * containerd keeps its metadata (`io.containerd.metadata.v1.bolt/meta.db`) and its
 * overlayfs snapshotter its snapshots (`metadata.db`). Node has no bbolt, and coroner only
 * reads: buckets are walked from the newest valid meta page.
 *
 * The file comes from a host that may be compromised: every page number is checked against
 * the file's size, every element against its page, a page is visited once per walk (a
 * forged loop is an error, not a hang), buckets nest at most MAX_DEPTH deep, one page spans
 * at most MAX_PAGE_BYTES, and a file's reads are bounded by a step budget. A fault is a
 * BoltFormatError saying what was wrong and where; what was read before it stays read.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class BoltFormatError extends Error {}

const MAGIC = 0xed0cdaed;
const VERSION = 2;
const PAGE_HEADER = 16;
const ELEMENT = 16;
const BUCKET_HEADER = 16;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF_FLAG = 0x01;
const MAX_DEPTH = 32;
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** Page visits per file: far above what containerd's databases need, far below a hang. */
const DEFAULT_STEP_BUDGET = 2_000_000;

export interface BoltEntry {
  key: Buffer;
  /** The value of a plain key. */
  value?: Buffer;
  /** A nested bucket. */
  bucket?: BoltBucket;
}

interface Page {
  id: bigint;
  flags: number;
  count: number;
  bytes: Buffer;
}

export class BoltFile {
  #steps = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly pageSize: number,
    private readonly sizeBytes: number,
    private readonly rootPage: bigint,
    readonly txid: bigint,
    private readonly stepBudget: number,
  ) {}

  /** Opens `path` at its newest valid meta page; a file with none is a BoltFormatError. */
  static async open(path: string, opts: { stepBudget?: number } = {}): Promise<BoltFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const metas: { pageSize: number; root: bigint; txid: bigint }[] = [];
      const first = await readMeta(handle, 0);
      if (first) metas.push(first);
      // The second meta page sits one page in; without a valid first, try the usual sizes.
      const sizes = first ? [first.pageSize] : [4096, 8192, 16384, 65536];
      for (const pageSize of sizes) {
        const second = await readMeta(handle, pageSize);
        if (second && second.pageSize === pageSize) {
          metas.push(second);
          break;
        }
      }
      const newest = metas.sort((a, b) => (a.txid > b.txid ? -1 : 1))[0];
      if (!newest)
        throw new BoltFormatError(
          `${path} is not a bbolt database: neither meta page is valid (magic, version, checksum)`,
        );
      return new BoltFile(
        handle,
        path,
        newest.pageSize,
        size,
        newest.root,
        newest.txid,
        opts.stepBudget ?? DEFAULT_STEP_BUDGET,
      );
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  root(): BoltBucket {
    return new BoltBucket(this, this.rootPage, undefined, 0, []);
  }

  /** The bucket at `names` from the root (e.g. `['v1', 'moby', 'containers']`), if present. */
  async bucketAt(names: readonly string[]): Promise<BoltBucket | undefined> {
    let bucket: BoltBucket | undefined = this.root();
    for (const name of names) {
      bucket = await bucket.bucket(name);
      if (!bucket) return undefined;
    }
    return bucket;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** @internal Page `id` with its overflow pages, checked. */
  async page(id: bigint, where: string): Promise<Page> {
    if (++this.#steps > this.stepBudget)
      throw new BoltFormatError(
        `${this.path}: more than ${this.stepBudget} page reads (a forged structure?); stopped at ${where}`,
      );
    const pages = BigInt(Math.floor(this.sizeBytes / this.pageSize));
    if (id < 2n || id >= pages)
      throw new BoltFormatError(`${this.path}: ${where} names page ${id}, outside the file`);
    const at = Number(id) * this.pageSize;
    const head = Buffer.alloc(PAGE_HEADER);
    await this.handle.read(head, 0, PAGE_HEADER, at);
    const overflow = head.readUInt32LE(12);
    const spanBytes = (overflow + 1) * this.pageSize;
    if (spanBytes > MAX_PAGE_BYTES || at + spanBytes > this.sizeBytes)
      throw new BoltFormatError(
        `${this.path}: page ${id} (${where}) claims ${overflow} overflow pages, past the file or the limit`,
      );
    const bytes = Buffer.alloc(spanBytes);
    await this.handle.read(bytes, 0, spanBytes, at);
    return checkedPage(bytes, `${this.path}: page ${id} (${where})`, id);
  }
}

export class BoltBucket {
  /** @internal */
  constructor(
    private readonly file: BoltFile,
    private readonly rootPage: bigint,
    /** An inline bucket's own page (its root page is 0). */
    private readonly inline: Page | undefined,
    private readonly depth: number,
    private readonly names: readonly string[],
  ) {}

  /** Where this bucket is, for messages: its names from the root, printable. */
  get where(): string {
    return '/' + this.names.map((n) => JSON.stringify(n)).join('/');
  }

  /** Every key of the bucket in key order; a nested bucket comes as `bucket`. */
  async *entries(): AsyncGenerator<BoltEntry> {
    const visited = new Set<bigint>();
    const stack: Page[] = [this.inline ?? (await this.file.page(this.rootPage, this.where))];
    if (!this.inline) visited.add(this.rootPage);
    // Depth-first, children in key order: a stack of pages, each branch's children pushed reversed.
    while (stack.length) {
      const page = stack.pop()!;
      if (page.flags & BRANCH) {
        const children: bigint[] = [];
        for (let i = 0; i < page.count; i++) {
          const at = PAGE_HEADER + i * ELEMENT;
          const child = page.bytes.readBigUInt64LE(at + 8);
          if (visited.has(child))
            throw new BoltFormatError(
              `${this.file.path}: bucket ${this.where} reaches page ${child} twice (a loop)`,
            );
          visited.add(child);
          children.push(child);
        }
        for (const child of children.reverse()) stack.push(await this.file.page(child, this.where));
        continue;
      }
      for (let i = 0; i < page.count; i++) yield this.leafEntry(page, i);
    }
  }

  /** The value of `key`, if it is a plain key here. */
  async get(key: string | Buffer): Promise<Buffer | undefined> {
    return (await this.find(key))?.value;
  }

  /** The nested bucket `name`, if there is one. */
  async bucket(name: string | Buffer): Promise<BoltBucket | undefined> {
    return (await this.find(name))?.bucket;
  }

  /** One key, found by descending the branches (keys are sorted). */
  private async find(key: string | Buffer): Promise<BoltEntry | undefined> {
    const wanted = typeof key === 'string' ? Buffer.from(key) : key;
    const visited = new Set<bigint>();
    let page = this.inline ?? (await this.file.page(this.rootPage, this.where));
    for (;;) {
      if (page.flags & LEAF) {
        for (let i = 0; i < page.count; i++) {
          const entry = this.leafEntry(page, i);
          if (entry.key.equals(wanted)) return entry;
        }
        return undefined;
      }
      // The last child whose first key is at or below the wanted key.
      let child: bigint | undefined;
      for (let i = 0; i < page.count; i++) {
        const at = PAGE_HEADER + i * ELEMENT;
        const pos = page.bytes.readUInt32LE(at);
        const size = page.bytes.readUInt32LE(at + 4);
        const first = slice(page, at + pos, size, this.file.path, this.where);
        if (i > 0 && Buffer.compare(first, wanted) > 0) break;
        child = page.bytes.readBigUInt64LE(at + 8);
      }
      if (child === undefined || visited.has(child)) {
        if (child !== undefined)
          throw new BoltFormatError(
            `${this.file.path}: bucket ${this.where} reaches page ${child} twice (a loop)`,
          );
        return undefined;
      }
      visited.add(child);
      page = await this.file.page(child, this.where);
    }
  }

  private leafEntry(page: Page, i: number): BoltEntry {
    const at = PAGE_HEADER + i * ELEMENT;
    const flags = page.bytes.readUInt32LE(at);
    const pos = page.bytes.readUInt32LE(at + 4);
    const keySize = page.bytes.readUInt32LE(at + 8);
    const valueSize = page.bytes.readUInt32LE(at + 12);
    const key = slice(page, at + pos, keySize, this.file.path, this.where);
    const value = slice(page, at + pos + keySize, valueSize, this.file.path, this.where);
    if (!(flags & BUCKET_LEAF_FLAG)) return { key, value };
    if (this.depth + 1 > MAX_DEPTH)
      throw new BoltFormatError(
        `${this.file.path}: buckets nested deeper than ${MAX_DEPTH} at ${this.where}`,
      );
    if (value.length < BUCKET_HEADER)
      throw new BoltFormatError(
        `${this.file.path}: a bucket header in ${this.where} is ${value.length} bytes`,
      );
    const root = value.readBigUInt64LE(0);
    const names = [...this.names, key.toString('utf8')];
    const inline =
      root === 0n
        ? checkedPage(
            // Copied: the inline page must not keep its parent's whole page alive.
            Buffer.from(value.subarray(BUCKET_HEADER)),
            `${this.file.path}: inline bucket ${'/' + names.join('/')}`,
            0n,
          )
        : undefined;
    return { key, bucket: new BoltBucket(this.file, root, inline, this.depth + 1, names) };
  }
}

/** A page's header checked against its bytes: a known kind, elements that fit. */
function checkedPage(bytes: Buffer, where: string, id: bigint): Page {
  if (bytes.length < PAGE_HEADER)
    throw new BoltFormatError(`${where} is shorter than a page header`);
  const flags = bytes.readUInt16LE(8);
  const count = bytes.readUInt16LE(10);
  if (!(flags & (BRANCH | LEAF)) || (flags & BRANCH && flags & LEAF))
    throw new BoltFormatError(`${where} is neither a branch nor a leaf page (flags ${flags})`);
  if (PAGE_HEADER + count * ELEMENT > bytes.length)
    throw new BoltFormatError(`${where} claims ${count} elements, more than it holds`);
  if (flags & BRANCH && count === 0) throw new BoltFormatError(`${where} is an empty branch page`);
  return { id, flags, count, bytes };
}

function slice(page: Page, at: number, size: number, file: string, where: string): Buffer {
  if (at + size > page.bytes.length)
    throw new BoltFormatError(`${file}: an element of bucket ${where} runs past its page`);
  return page.bytes.subarray(at, at + size);
}

/** The meta page at `offset`, if its magic, version and checksum are right. */
async function readMeta(
  handle: FileHandle,
  offset: number,
): Promise<{ pageSize: number; root: bigint; txid: bigint } | undefined> {
  const bytes = Buffer.alloc(PAGE_HEADER + 64);
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, offset);
  if (bytesRead < bytes.length || !(bytes.readUInt16LE(8) & META)) return undefined;
  const meta = bytes.subarray(PAGE_HEADER);
  if (meta.readUInt32LE(0) !== MAGIC || meta.readUInt32LE(4) !== VERSION) return undefined;
  if (fnv1a64(meta.subarray(0, 56)) !== meta.readBigUInt64LE(56)) return undefined;
  const pageSize = meta.readUInt32LE(8);
  if (pageSize < 1024 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  return { pageSize, root: meta.readBigUInt64LE(16), txid: meta.readBigUInt64LE(48) };
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

function fnv1a64(bytes: Buffer): bigint {
  let hash = FNV_OFFSET;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & U64;
  return hash;
}
