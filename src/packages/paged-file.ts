/**
 * A database file read by fixed-size pages, in blocks of many pages with the last few
 * blocks kept: the databases are walked mostly in file order, and one read per page made
 * a 70 MiB file cost seconds. Memory stays bounded by the blocks kept.
 */
import type { FileHandle } from 'node:fs/promises';

const BLOCK_BYTES = 256 * 1024;
const BLOCKS_KEPT = 4;

export class PagedFile {
  readonly #pagesPerBlock: number;
  readonly #blocks = new Map<number, Buffer>();

  constructor(
    private readonly handle: FileHandle,
    readonly pageSize: number,
  ) {
    this.#pagesPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / pageSize));
  }

  /** Page `index` (0-based), or undefined where the file ends before it does. */
  async page(index: number): Promise<Buffer | undefined> {
    const block = Math.floor(index / this.#pagesPerBlock);
    let bytes = this.#blocks.get(block);
    if (bytes) this.#blocks.delete(block);
    else {
      const buffer = Buffer.alloc(this.#pagesPerBlock * this.pageSize);
      const start = block * buffer.length;
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, start);
      bytes = buffer.subarray(0, bytesRead);
      if (this.#blocks.size >= BLOCKS_KEPT)
        this.#blocks.delete(this.#blocks.keys().next().value as number);
    }
    // Most recently used last: the first key is the one to drop.
    this.#blocks.set(block, bytes);
    const at = (index % this.#pagesPerBlock) * this.pageSize;
    return at + this.pageSize <= bytes.length ? bytes.subarray(at, at + this.pageSize) : undefined;
  }
}

/**
 * Whether any two of the byte ranges `[starts[i], ends[i])` of one page overlap: a database
 * never stores two things in the same bytes, and a forged page whose cells or items all name
 * the same bytes would have them decoded once per name.
 */
export function rangesOverlap(starts: readonly number[], ends: readonly number[]): boolean {
  const order = starts.map((_, i) => i).sort((a, b) => starts[a]! - starts[b]!);
  for (let k = 1; k < order.length; k++) if (starts[order[k]!]! < ends[order[k - 1]!]!) return true;
  return false;
}
