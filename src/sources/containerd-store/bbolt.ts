/**
 * A reader of bbolt files (https://github.com/etcd-io/bbolt), the key/value store in which
 * containerd keeps its metadata (`io.containerd.metadata.v1.bolt/meta.db`) and its
 * overlayfs snapshotter its snapshots (`metadata.db`). Node has no bbolt, and coroner only
 * reads: buckets are walked from the newest valid meta page.
 *
 * The file comes from a host that may be compromised: every page number is checked against
 * the file's size, every element against its page, a page is visited once per walk (a
 * forged loop is an error, not a hang), no two pages of the tree share bytes (overflow
 * pages claimed twice), buckets nest at most MAX_DEPTH deep, one page spans at most
 * MAX_PAGE_BYTES, and a file's reads are bounded by a budget of steps (page reads and
 * elements) and bytes in proportion to its size. A fault is a BoltFormatError saying what
 * was wrong and where; what was read before it stays read.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

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
// What reading one file may cost over the life of its BoltFile. A walk of a real file takes
// a step per element (16 bytes at least) and page, and reads each page once (they are kept,
// up to CACHE_BYTES); a lookup takes a few steps per level (binary search). The spare covers
// many lookups in a small file; past either bound a forged file names the same pages or
// elements over and over (a bucket whose keys all name it again: 100^32 buckets).
const SPARE_STEPS = 1_000_000;
const STEPS_PER_BYTE = 1;
const SPARE_BYTES = 64 * 1024 * 1024;
const BYTES_PER_BYTE = 4;
const CACHE_BYTES = 32 * 1024 * 1024;
/** A file a live containerd writes is copied whole first, up to this size. */
const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
/** The meta pages of a live file fit in this (two pages of at most 64 KiB). */
const META_SPAN = 2 * 64 * 1024;
const SNAPSHOT_TRIES = 5;
/** Waited before the second copy, doubled before each next one: a commit comes in bursts. */
const SNAPSHOT_RETRY_MS = 20;

/** Where a file's pages are read from: the file itself, or a copy of it in memory. */
export interface PageSource {
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** A copy in memory, read as the file is. */
function memorySource(bytes: Buffer): PageSource {
  return {
    read: async (buffer, offset, length, position) => {
      const bytesRead = Math.max(0, Math.min(length, bytes.length - position));
      if (bytesRead > 0) bytes.copy(buffer, offset, position, position + bytesRead);
      return { bytesRead };
    },
    close: async () => undefined,
  };
}

/**
 * The file whole, as of one committed transaction, while its owner may be writing it: bbolt
 * writes a transaction's pages into pages no committed meta page reaches, then its meta page;
 * so when the meta pages read the same before and after the copy, every page they reach was
 * copied as they had it. Otherwise a commit landed meanwhile: copied again, after a pause
 * (containerd commits in bursts: a container stopping is several transactions).
 *
 * Read to the file's end, not to `size` (its size when opened): a database grows, and a
 * commit that lands while it grows names pages past the old end. Issue 25: a CI run once
 * found no snapshot for a stopped container; either could explain it.
 */
export async function consistentCopy(
  source: PageSource,
  size: number,
  path: string,
): Promise<Buffer> {
  const tooBig = () =>
    new BoltFormatError(
      `${path} is more than the ${MAX_SNAPSHOT_BYTES} bytes coroner copies from a live database`,
    );
  if (size > MAX_SNAPSHOT_BYTES) throw tooBig();
  const metaBytes = Math.min(META_SPAN, size);
  for (let attempt = 0; attempt < SNAPSHOT_TRIES; attempt++) {
    if (attempt > 0) await delay(SNAPSHOT_RETRY_MS * 2 ** (attempt - 1));
    const before = Buffer.alloc(metaBytes);
    await source.read(before, 0, metaBytes, 0);
    // Room for the file as opened; grown (doubled, up to the cap) only if it has grown.
    let copy = Buffer.alloc(Math.max(size, 64 * 1024));
    let at = 0;
    for (;;) {
      if (at === copy.length) {
        if (copy.length >= MAX_SNAPSHOT_BYTES) throw tooBig();
        const bigger = Buffer.alloc(Math.min(MAX_SNAPSHOT_BYTES, copy.length * 2));
        copy.copy(bigger);
        copy = bigger;
      }
      const { bytesRead } = await source.read(
        copy,
        at,
        Math.min(4 * 1024 * 1024, copy.length - at),
        at,
      );
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    copy = copy.subarray(0, at);
    const after = Buffer.alloc(metaBytes);
    await source.read(after, 0, metaBytes, 0);
    if (before.equals(after) && before.equals(copy.subarray(0, metaBytes))) return copy;
  }
  throw new BoltFormatError(
    `${path} changed under every one of ${SNAPSHOT_TRIES} copies: its owner is writing it without pause`,
  );
}

/** Characters of a key shown in a message: enough to recognise it, never a page of bytes. */
const SHOWN_KEY = 80;

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

export interface BoltCost {
  /** Pages read (from the file or kept) and elements examined. */
  steps: number;
  /** Bytes read from the file. */
  bytes: number;
}

export class BoltFile {
  #steps = 0;
  #bytes = 0;
  /** Pages read, by id, while they fit CACHE_BYTES: a lookup re-reads the top of the tree. */
  readonly #pages = new Map<bigint, Page>();
  #cachedBytes = 0;
  /** Which page's span each page of the file belongs to, for every page read. */
  readonly #owner = new Map<number, bigint>();
  readonly budget: BoltCost;

  private constructor(
    private readonly handle: PageSource,
    readonly path: string,
    readonly pageSize: number,
    private readonly sizeBytes: number,
    private readonly rootPage: bigint,
    readonly txid: bigint,
    stepBudget: number | undefined,
  ) {
    this.budget = {
      steps: stepBudget ?? SPARE_STEPS + STEPS_PER_BYTE * sizeBytes,
      bytes: SPARE_BYTES + BYTES_PER_BYTE * sizeBytes,
    };
  }

  /**
   * Opens `path` at its newest valid meta page; a file with none is a BoltFormatError.
   * `isLive`: a running containerd may be writing it; it is copied whole first, as of one
   * committed transaction, and read from the copy.
   */
  static async open(
    path: string,
    opts: { stepBudget?: number; isLive?: boolean } = {},
  ): Promise<BoltFile> {
    // Non-blocking: a named pipe in a forged copy would otherwise hang the open forever.
    const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    let handle: PageSource = file;
    try {
      const stat = await file.stat();
      if (!stat.isFile())
        throw new BoltFormatError(
          `${path} is not a regular file (a named pipe, a device or a folder): refused`,
        );
      let size = stat.size;
      if (opts.isLive) {
        const copy = await consistentCopy(file, size, path);
        handle = memorySource(copy);
        size = copy.length;
        await file.close();
      }
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
        opts.stepBudget,
      );
    } catch (e) {
      await file.close().catch(() => undefined);
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

  /** What reading this file has cost so far (see `budget`). */
  get cost(): BoltCost {
    return { steps: this.#steps, bytes: this.#bytes };
  }

  /** @internal Counts steps and bytes read; a BoltFormatError past the file's budget. */
  spend(steps: number, bytes: number, where: string): void {
    this.#steps += steps;
    this.#bytes += bytes;
    if (this.#steps > this.budget.steps)
      throw new BoltFormatError(
        `${this.path}: more than ${this.budget.steps} page reads and elements for a file of ${this.sizeBytes} bytes ` +
          `(a forged structure naming the same pages over and over?); stopped at ${where}`,
      );
    if (this.#bytes > this.budget.bytes)
      throw new BoltFormatError(
        `${this.path}: more than ${this.budget.bytes} bytes read from a file of ${this.sizeBytes} bytes ` +
          `(a forged structure naming the same pages over and over?); stopped at ${where}`,
      );
  }

  /** @internal Page `id` with its overflow pages, checked. */
  async page(id: bigint, where: string): Promise<Page> {
    this.spend(1, 0, where);
    const kept = this.#pages.get(id);
    if (kept) return kept;
    const pages = BigInt(Math.floor(this.sizeBytes / this.pageSize));
    if (id < 2n) throw new BoltFormatError(`${this.path}: ${where} names page ${id}, a meta page`);
    if (id >= pages)
      throw new BoltFormatError(`${this.path}: ${where} names page ${id}, outside the file`);
    const at = Number(id) * this.pageSize;
    const head = Buffer.alloc(PAGE_HEADER);
    this.spend(0, PAGE_HEADER, where);
    await this.handle.read(head, 0, PAGE_HEADER, at);
    const overflow = head.readUInt32LE(12);
    const spanBytes = (overflow + 1) * this.pageSize;
    if (spanBytes > MAX_PAGE_BYTES || at + spanBytes > this.sizeBytes)
      throw new BoltFormatError(
        `${this.path}: page ${id} (${where}) claims ${overflow} overflow pages, past the file or the limit`,
      );
    this.claim(id, overflow, where);
    this.spend(0, spanBytes, where);
    const bytes = Buffer.alloc(spanBytes);
    await this.handle.read(bytes, 0, spanBytes, at);
    const page = checkedPage(bytes, `${this.path}: page ${id} (${where})`, id);
    if (this.#cachedBytes + spanBytes <= CACHE_BYTES) {
      this.#pages.set(id, page);
      this.#cachedBytes += spanBytes;
    }
    return page;
  }

  /**
   * Page `id` and its overflow pages become its own. In a real file the pages reached from
   * one meta page never share bytes; a forged one whose overflow counts run over other pages
   * could make every read cost the rest of the file.
   */
  private claim(id: bigint, overflow: number, where: string): void {
    const first = Number(id);
    if (this.#owner.get(first) === id) return;
    for (let p = first; p <= first + overflow; p++) {
      const owner = this.#owner.get(p);
      if (owner !== undefined)
        throw new BoltFormatError(
          `${this.path}: page ${id} (${where}) with its ${overflow} overflow pages overlaps page ${owner}: ` +
            'two pages of the tree share bytes (a forged or torn file)',
        );
    }
    for (let p = first; p <= first + overflow; p++) this.#owner.set(p, id);
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

  #where: string | undefined;

  /** Where this bucket is, for messages: its names from the root, printable. */
  get where(): string {
    return (this.#where ??= whereOf(this.names));
  }

  /** Every key of the bucket in key order; a nested bucket comes as `bucket`. */
  async *entries(): AsyncGenerator<BoltEntry> {
    const visited = new Set<bigint>();
    // Depth-first, children in key order: a stack of pages (or their ids, read when their turn
    // comes), each branch's children pushed reversed.
    const stack: (Page | bigint)[] = [this.inline ?? this.rootPage];
    if (!this.inline) visited.add(this.rootPage);
    while (stack.length) {
      const next = stack.pop()!;
      const page = typeof next === 'bigint' ? await this.file.page(next, this.where) : next;
      if (page.flags & BRANCH) {
        const children: bigint[] = [];
        for (let i = 0; i < page.count; i++) {
          this.file.spend(1, 0, this.where);
          const child = page.bytes.readBigUInt64LE(PAGE_HEADER + i * ELEMENT + 8);
          if (visited.has(child))
            throw new BoltFormatError(
              `${this.file.path}: bucket ${this.where} reaches page ${child} twice (a loop)`,
            );
          visited.add(child);
          children.push(child);
        }
        stack.push(...children.reverse());
        continue;
      }
      for (let i = 0; i < page.count; i++) {
        this.file.spend(1, 0, this.where);
        yield this.leafEntry(page, i);
      }
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

  /**
   * One key, found by descending the branches, a binary search in each page as bbolt's own
   * (keys are sorted; in a forged page that is not, a key may be missed, never looped on).
   */
  private async find(key: string | Buffer): Promise<BoltEntry | undefined> {
    const wanted = typeof key === 'string' ? Buffer.from(key) : key;
    const visited = new Set<bigint>();
    let page = this.inline ?? (await this.file.page(this.rootPage, this.where));
    for (;;) {
      const isLeaf = (page.flags & LEAF) !== 0;
      // The first element whose key is at or above the wanted key.
      let low = 0;
      let high = page.count;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (Buffer.compare(this.keyOf(page, middle, isLeaf), wanted) < 0) low = middle + 1;
        else high = middle;
      }
      const isExact = low < page.count && this.keyOf(page, low, isLeaf).equals(wanted);
      if (isLeaf) return isExact ? this.leafEntry(page, low) : undefined;
      // A branch: the child whose first key is the wanted one, else the one before it.
      const index = isExact || low === 0 ? low : low - 1;
      const child = page.bytes.readBigUInt64LE(PAGE_HEADER + index * ELEMENT + 8);
      if (visited.has(child))
        throw new BoltFormatError(
          `${this.file.path}: bucket ${this.where} reaches page ${child} twice (a loop)`,
        );
      visited.add(child);
      page = await this.file.page(child, this.where);
    }
  }

  /** The key of element `i` of a leaf or branch page, checked against the page. */
  private keyOf(page: Page, i: number, isLeaf: boolean): Buffer {
    this.file.spend(1, 0, this.where);
    const at = PAGE_HEADER + i * ELEMENT;
    const pos = page.bytes.readUInt32LE(isLeaf ? at + 4 : at);
    const size = page.bytes.readUInt32LE(isLeaf ? at + 8 : at + 4);
    return slice(page, at + pos, size, this.file.path, this.where);
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
    const names = [...this.names, key.subarray(0, SHOWN_KEY).toString('utf8')];
    let inline: Page | undefined;
    if (root === 0n) {
      const where = `${this.file.path}: inline bucket ${whereOf(names)}`;
      // Copied: the inline page must not keep its parent's whole page alive.
      inline = checkedPage(Buffer.from(value.subarray(BUCKET_HEADER)), where, 0n);
      // bbolt writes a bucket inline only when it is one small leaf; a branch here would lead
      // the walk to pages no inline bucket can own.
      if (inline.flags & BRANCH)
        throw new BoltFormatError(`${where} is a branch page: an inline bucket is one leaf`);
    }
    return { key, bucket: new BoltBucket(this.file, root, inline, this.depth + 1, names) };
  }
}

/** A bucket's names from the root, for messages: each quoted, the longest cut. */
function whereOf(names: readonly string[]): string {
  return '/' + names.map((n) => JSON.stringify(n)).join('/');
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
  handle: PageSource,
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
