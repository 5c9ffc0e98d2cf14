/**
 * RPM headers and database files shaped against coroner's package readers (issue 24):
 * structures that all name the same bytes, a record SQLite reserves, a table with its
 * columns in another order, a header that repeats a tag. Shared by the unit tests (small)
 * and bench/fuzz-packages.ts (large), so the bench measures what the tests check.
 */
import { berkeley, interiorPage, leafPage, record, sqliteFile, varint } from './sqlite-pages.js';

export const INT16 = 3;
export const INT32 = 4;
export const STRING = 6;
export const BIN = 7;
export const STRING_ARRAY = 8;

type TagValue = string | string[] | number[] | Buffer;

/** An rpm header as its database row holds it: counts, 16-byte index entries, data. */
export function rpmHeader(tags: [number, number, TagValue][]): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let size = 0;
  for (const [tag, type, value] of tags) {
    const width = type === INT32 ? 4 : type === INT16 ? 2 : 1;
    const pad = (width - (size % width)) % width;
    data.push(Buffer.alloc(pad));
    size += pad;
    const values = Buffer.isBuffer(value) ? [value] : Array.isArray(value) ? value : [value];
    const bytes = Buffer.isBuffer(value)
      ? value
      : type === INT32 || type === INT16
        ? Buffer.concat(
            (values as number[]).map((n) => {
              const b = Buffer.alloc(width);
              if (width === 4) b.writeUInt32BE(n);
              else b.writeUInt16BE(n);
              return b;
            }),
          )
        : Buffer.concat((values as string[]).map((s) => Buffer.from(`${s}\0`)));
    const entry = Buffer.alloc(16);
    entry.writeUInt32BE(tag, 0);
    entry.writeUInt32BE(type, 4);
    entry.writeUInt32BE(size, 8);
    entry.writeUInt32BE(Buffer.isBuffer(value) ? value.length : values.length, 12);
    index.push(entry);
    data.push(bytes);
    size += bytes.length;
  }
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(index.length, 0);
  counts.writeUInt32BE(size, 4);
  return Buffer.concat([counts, ...index, ...data]);
}

/**
 * One header whose file tags all point at the same `count` zero bytes: `count` files of
 * empty names, each tag's copy decoded again (issue 24: +3.3 GiB and 278 s at 32 MiB).
 */
export function headerOfOverlappingTags(count: number): Buffer {
  const name = Buffer.from('bomb\0\0\0\0');
  const entries: [number, number, number][] = [
    [1000, STRING, 0],
    [1117, STRING_ARRAY, 8], // base names
    [1118, STRING_ARRAY, 8], // dir names
    [1035, STRING_ARRAY, 8], // digests
    [1116, INT32, 8], // dir indexes
    [1030, INT16, 8], // modes
    [1037, INT32, 8], // flags
  ];
  const head = Buffer.alloc(8 + entries.length * 16);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(name.length + count * 4, 4);
  entries.forEach(([tag, type, offset], i) => {
    head.writeUInt32BE(tag, 8 + i * 16);
    head.writeUInt32BE(type, 12 + i * 16);
    head.writeUInt32BE(offset, 16 + i * 16);
    head.writeUInt32BE(tag === 1000 ? 1 : count, 20 + i * 16);
  });
  return Buffer.concat([head, name, Buffer.alloc(count * 4)]);
}

/**
 * An SQLite file whose table's leaves each hold as many cell pointers as fit, all naming
 * one cell that carries `payload`: one page's cell decoded thousands of times.
 */
export function sqliteOfSameCells(header: Buffer, leaves: number, size = 65536): Buffer {
  const payload = record([null, header]);
  const leaf = () => {
    const page = Buffer.alloc(size);
    const cell = Buffer.concat([varint(payload.length), varint(1), payload]);
    const at = size - cell.length;
    cell.copy(page, at);
    const count = Math.min(0xffff, Math.floor((at - 8) / 2));
    page[0] = 0x0d;
    page.writeUInt16BE(count, 3);
    page.writeUInt16BE(at, 5);
    for (let i = 0; i < count; i++) page.writeUInt16BE(at, 8 + i * 2);
    return page;
  };
  const children = Array.from({ length: leaves - 1 }, (_, i) => [3 + i, i + 1] as [number, number]);
  const root = interiorPage(children, 2 + leaves, size);
  return sqliteFile('Packages', 2, [root, ...Array.from({ length: leaves }, leaf)], { size });
}

/**
 * A Berkeley DB hash file whose pages each list as many key/data pairs as fit, all naming
 * the same bytes, `value` (an rpm header) as the data of each.
 */
export function berkeleyOfSameItems(value: Buffer, pages: number, size = 65536): Buffer {
  const page = () => {
    const bytes = Buffer.alloc(size);
    bytes[25] = 13;
    const key = size - 5;
    const data = key - 1 - value.length;
    bytes[key] = 1;
    bytes[data] = 1;
    value.copy(bytes, data + 1);
    const entries = Math.min(0xfffe, Math.floor((data - 26) / 2)) & ~1;
    bytes.writeUInt16LE(entries, 20);
    for (let i = 0; i < entries; i += 2) {
      bytes.writeUInt16LE(key, 26 + i * 2);
      bytes.writeUInt16LE(data, 28 + i * 2);
    }
    return bytes;
  };
  return Buffer.concat([berkeley.meta(pages, size), ...Array.from({ length: pages }, page)]);
}

/**
 * An SQLite `Packages` table of one row too long for its page, laid at the page's very end so
 * that the number of its first overflow page would lie past the page's last byte.
 */
export function sqliteOfCutOverflowPointer(): Buffer {
  // 600 bytes on a 512-byte page: 92 kept on the page (SQLite's rule), then a 4-byte page number.
  const cell = Buffer.concat([varint(600), varint(1), Buffer.alloc(92)]);
  const page = Buffer.alloc(512);
  page[0] = 0x0d;
  page.writeUInt16BE(1, 3);
  const at = 512 - cell.length - 2;
  cell.copy(page, at);
  page.writeUInt16BE(at, 5);
  page.writeUInt16BE(at, 8);
  return sqliteFile('Packages', 2, [page]);
}

/** rpm's `Packages` table declared with its columns in another order, `blob` first. */
export function sqliteOfSwappedColumns(header: Buffer): Buffer {
  return sqliteFile('Packages', 2, [leafPage([[1, [header, null]]])], {
    sql: "CREATE TABLE IF NOT EXISTS 'Packages' (blob BLOB NOT NULL, hnum INTEGER PRIMARY KEY)",
  });
}

/**
 * An SQLite table whose interior pages form a chain, each naming the next as its child in
 * every cell pointer it has room for: a walk that queues before it checks holds 250 page
 * numbers for each 512-byte page.
 */
export function sqliteOfRepeatedChildren(pages: number): Buffer {
  const chain = Array.from({ length: pages }, (_, i) => {
    const page = Buffer.alloc(512);
    const next = i === pages - 1 ? 2 : 3 + i;
    page[0] = 0x05;
    page.writeUInt32BE(next, 8);
    const cell = 512 - 5;
    page.writeUInt32BE(next, cell);
    page[cell + 4] = 1;
    const count = Math.floor((cell - 12) / 2);
    page.writeUInt16BE(count, 3);
    page.writeUInt16BE(cell, 5);
    for (let c = 0; c < count; c++) page.writeUInt16BE(cell, 12 + c * 2);
    return page;
  });
  return sqliteFile('Packages', 2, chain);
}

/**
 * A header as rpm stores it in its database: a region (HEADERIMMUTABLE, tag 63) around
 * `region`'s tags, the package's own, then `added` after it, as rpm adds tags at install.
 */
export function rpmHeaderWithRegion(
  region: [number, number, TagValue][],
  added: [number, number, TagValue][] = [],
): Buffer {
  const trailer = Buffer.alloc(16);
  trailer.writeInt32BE(63, 0);
  trailer.writeInt32BE(BIN, 4);
  trailer.writeInt32BE(-(region.length + 1) * 16, 8);
  trailer.writeInt32BE(16, 12);
  const laid = rpmHeader([...region, [63, BIN, trailer], ...added]);
  // The region's entry comes first in the index; its data (the trailer) stays after the region's.
  const entry = (i: number) => laid.subarray(8 + i * 16, 24 + i * 16);
  const moved = Buffer.from(laid);
  entry(region.length).copy(moved, 8);
  for (let i = 0; i < region.length; i++) entry(i).copy(moved, 24 + i * 16);
  return moved;
}
