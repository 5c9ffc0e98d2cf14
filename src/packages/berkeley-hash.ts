/**
 * The values of a Berkeley DB hash database, read straight from its pages, for the RPM
 * database of RHEL 8 and before, CentOS 7 and Amazon Linux 2 (`/var/lib/rpm/Packages`).
 * Layout from Berkeley DB's db_page.h: a metadata page, then pages of key/data item pairs;
 * a value too large for its page is a chain of overflow pages. The byte order is the
 * writer's, told by the magic number. Pages are read in blocks, a value at a time held; the
 * file may be forged in the container, so every page number, offset and length is checked,
 * an overflow page belongs to one chain only, a value over `maxValueBytes` is skipped, and
 * every page, item and byte handed out is counted against the file's budget
 * (./read-budget.ts).
 */
import { open } from 'node:fs/promises';
import { PagedFile, rangesOverlap } from './paged-file.js';
import type { ReadBudget } from './read-budget.js';

export class BerkeleyFormatError extends Error {}

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

/** Every value (the data of each key/data pair) in the hash database at `path`, in page order. */
export async function* berkeleyHashValues(
  path: string,
  maxValueBytes: number,
  budget: ReadBudget,
): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const meta = Buffer.alloc(512);
    const { bytesRead } = await handle.read(meta, 0, meta.length, 0);
    if (bytesRead < 64) throw new BerkeleyFormatError('not a Berkeley DB file');
    const isLittle = meta.readUInt32LE(12) === HASH_MAGIC;
    if (!isLittle && meta.readUInt32BE(12) !== HASH_MAGIC)
      throw new BerkeleyFormatError('not a Berkeley DB hash database');
    const u16 = (b: Buffer, at: number) => (isLittle ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number) => (isLittle ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const pageSize = u32(meta, 20);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
      throw new BerkeleyFormatError(`page size ${pageSize} is not one Berkeley DB writes`);
    if (meta[25] !== P_HASHMETA)
      throw new BerkeleyFormatError('the first page is not hash metadata');
    const pages = Math.floor((await handle.stat()).size / pageSize);
    const last = Math.min(u32(meta, 32), pages - 1);

    const file = new PagedFile(handle, pageSize);
    const readPage = async (n: number) => {
      budget.spend(1);
      await budget.turn();
      const page = await file.page(n);
      if (!page) throw new BerkeleyFormatError(`page ${n} is cut short`);
      return page;
    };
    // 1 for each overflow page read: Berkeley DB gives each page to one value, so a page
    // reached again is a loop, or two items naming one value.
    const inChain = new Uint8Array(last + 1);
    const overflow = async (first: number, length: number): Promise<Buffer> => {
      const value = Buffer.alloc(length);
      let at = 0;
      for (let n = first; at < length;) {
        if (n < 1 || n > last || inChain[n])
          throw new BerkeleyFormatError(`an overflow chain reaches page ${n}`);
        inChain[n] = 1;
        const page = await readPage(n);
        const size = u16(page, 22);
        if (page[25] !== P_OVERFLOW || PAGE_HEADER + size > pageSize)
          throw new BerkeleyFormatError(`page ${n} is not the overflow page its chain says`);
        at += page.copy(value, at, PAGE_HEADER, PAGE_HEADER + Math.min(size, length - at));
        n = u32(page, 16);
      }
      return value;
    };

    for (let n = 1; n <= last; n++) {
      const page = await readPage(n);
      if (page[25] !== P_HASH && page[25] !== P_HASH_UNSORTED) continue;
      const entries = u16(page, 20);
      if (PAGE_HEADER + entries * 2 > pageSize)
        throw new BerkeleyFormatError(`page ${n} lists more items than fit`);
      const offset = (i: number) => u16(page, PAGE_HEADER + i * 2);
      budget.spend(entries);
      // Items are laid down from the page's end: a pair's data ends where its key starts.
      const starts: number[] = [];
      const ends: number[] = [];
      for (let i = 1; i < entries; i += 2) {
        const at = offset(i);
        const end = offset(i - 1);
        if (at < PAGE_HEADER + entries * 2 || at >= end || end > pageSize)
          throw new BerkeleyFormatError(`an item of page ${n} is outside it`);
        starts.push(at);
        ends.push(end);
      }
      if (rangesOverlap(starts, ends))
        throw new BerkeleyFormatError(`items of page ${n} share bytes`);
      for (let i = 1; i < entries; i += 2) {
        const at = offset(i);
        const end = offset(i - 1);
        if (page[at] === H_KEYDATA) {
          if (end - at - 1 > maxValueBytes) continue;
          budget.spend(0, end - at - 1);
          await budget.turn();
          // A view, not a copy: the file's blocks are never reused (./paged-file.ts).
          yield page.subarray(at + 1, end);
        } else if (page[at] === H_OFFPAGE) {
          if (at + 12 > end) throw new BerkeleyFormatError(`an item of page ${n} is cut short`);
          const length = u32(page, at + 8);
          if (length > maxValueBytes) continue;
          // Checked before its buffer is made: a value longer than the file is forged.
          if (length > (pageSize - PAGE_HEADER) * pages)
            throw new BerkeleyFormatError(`an item of page ${n} is longer than the file`);
          budget.spend(0, length);
          yield await overflow(u32(page, at + 4), length);
        }
      }
    }
  } finally {
    await handle.close();
  }
}
