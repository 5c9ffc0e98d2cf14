/**
 * Hand-built SQLite files for the reader's tests: pages of 512 bytes laid out as the file
 * format says, so a test can forge what SQLite itself never writes (a loop, a page past
 * the end). Rows are small enough to need no overflow pages; real overflow is tested on
 * databases rpm wrote.
 */
import { writeFile } from 'node:fs/promises';

export const PAGE = 512;
export type Value = null | number | string | Buffer;

export function varint(n: number): Buffer {
  const groups: number[] = [n & 0x7f];
  for (let rest = Math.floor(n / 128); rest > 0; rest = Math.floor(rest / 128))
    groups.unshift((rest & 0x7f) | 0x80);
  return Buffer.from(groups);
}

export function record(values: Value[]): Buffer {
  const types: Buffer[] = [];
  const bodies: Buffer[] = [];
  for (const v of values) {
    if (v === null) types.push(varint(0));
    else if (typeof v === 'number') {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v);
      types.push(varint(4));
      bodies.push(b);
    } else if (typeof v === 'string') {
      types.push(varint(13 + 2 * Buffer.byteLength(v)));
      bodies.push(Buffer.from(v));
    } else {
      types.push(varint(12 + 2 * v.length));
      bodies.push(v);
    }
  }
  const header = Buffer.concat(types);
  return Buffer.concat([varint(header.length + 1), header, ...bodies]);
}

/**
 * A table leaf page holding `rows` ([rowid, values], or [rowid, payload bytes] for a record
 * SQLite would not write); `isFirst` leaves room for the file header.
 */
export function leafPage(rows: [number, Value[] | Buffer][], isFirst = false, size = PAGE): Buffer {
  const page = Buffer.alloc(size);
  const start = isFirst ? 100 : 0;
  page[start] = 0x0d;
  page.writeUInt16BE(rows.length, start + 3);
  let end = size;
  rows.forEach(([rowid, values], i) => {
    const payload = Buffer.isBuffer(values) ? values : record(values);
    const cell = Buffer.concat([varint(payload.length), varint(rowid), payload]);
    end -= cell.length;
    cell.copy(page, end);
    page.writeUInt16BE(end, start + 8 + i * 2);
  });
  page.writeUInt16BE(end, start + 5);
  return page;
}

/** A table interior page: `children` ([page, largest rowid]) then the right-most child. */
export function interiorPage(children: [number, number][], rightMost: number, size = PAGE): Buffer {
  const page = Buffer.alloc(size);
  page[0] = 0x05;
  page.writeUInt16BE(children.length, 3);
  page.writeUInt32BE(rightMost, 8);
  let end = size;
  children.forEach(([child, rowid], i) => {
    const key = varint(rowid);
    const cell = Buffer.alloc(4 + key.length);
    cell.writeUInt32BE(child);
    key.copy(cell, 4);
    end -= cell.length;
    cell.copy(page, end);
    page.writeUInt16BE(end, 12 + i * 2);
  });
  return page;
}

/**
 * A whole file: page 1 holds the schema with one table, `name`, rooted at `root` and
 * declared by `sql` (rpm's columns by default); then `pages` (2, 3…) of `size` bytes.
 */
export function sqliteFile(
  name: string,
  root: number,
  pages: Buffer[],
  { size = PAGE, sql = `CREATE TABLE ${name} (hnum INTEGER PRIMARY KEY, blob BLOB)` } = {},
): Buffer {
  const first = leafPage([[1, ['table', name, name, root, sql]]], true, size);
  Buffer.from('SQLite format 3\0', 'latin1').copy(first, 0);
  first.writeUInt16BE(size === 65536 ? 1 : size, 16);
  first[18] = 1;
  first[19] = 1;
  return Buffer.concat([first, ...pages]);
}

export async function writeSqlite(
  file: string,
  name: string,
  root: number,
  pages: Buffer[],
  options: { size?: number; sql?: string } = {},
): Promise<void> {
  await writeFile(file, sqliteFile(name, root, pages, options));
}

/** A Berkeley DB hash file (little-endian, 512-byte pages), for the RPM `Packages` reader. */
export const berkeley = {
  meta(lastPage: number, size = PAGE): Buffer {
    const page = Buffer.alloc(size);
    page.writeUInt32LE(0x061561, 12);
    page.writeUInt32LE(9, 16);
    page.writeUInt32LE(size, 20);
    page[25] = 8;
    page.writeUInt32LE(lastPage, 32);
    return page;
  },
  /** A hash page of key/data pairs; a data item is inline bytes or `{ page, length }` of an overflow chain. */
  hash(pairs: [Buffer, Buffer | { page: number; length: number }][], size = PAGE): Buffer {
    const page = Buffer.alloc(size);
    page[25] = 13;
    page.writeUInt16LE(pairs.length * 2, 20);
    let end = size;
    const items = pairs.flatMap(([key, data]) => [
      Buffer.concat([Buffer.from([1]), key]),
      Buffer.isBuffer(data)
        ? Buffer.concat([Buffer.from([1]), data])
        : (() => {
            const item = Buffer.alloc(12);
            item[0] = 3;
            item.writeUInt32LE(data.page, 4);
            item.writeUInt32LE(data.length, 8);
            return item;
          })(),
    ]);
    items.forEach((item, i) => {
      end -= item.length;
      item.copy(page, end);
      page.writeUInt16LE(end, 26 + i * 2);
    });
    return page;
  },
  overflow(data: Buffer, next: number): Buffer {
    const page = Buffer.alloc(PAGE);
    page[25] = 7;
    page.writeUInt32LE(next, 16);
    page.writeUInt16LE(data.length, 22);
    data.copy(page, 26);
    return page;
  },
};
