/**
 * The rows of one table of an SQLite database file, read straight from its B-tree pages
 * (https://www.sqlite.org/fileformat2.html), for RPM's `rpmdb.sqlite`. Node 20 has no
 * SQLite, and a reader of our own never runs the file's own schema or triggers. Pages are
 * read in blocks (./paged-file.ts); a row at a time is held. The file may be forged in the
 * container: every page number, offset and length is checked, a page is named once (a page
 * named twice stops the walk where it is named, so the queue never outgrows the file), a
 * row over `maxRowBytes` is skipped, and every page, cell and byte handed out is counted
 * against the file's budget (./read-budget.ts). Columns are found by the names the table's
 * `CREATE TABLE` gives them (./table-columns.ts), as rpm's `SELECT` finds them. A
 * write-ahead log beside the file is not read.
 */
import { open } from 'node:fs/promises';
import { PagedFile, rangesOverlap } from './paged-file.js';
import type { ReadBudget } from './read-budget.js';
import { tableColumns } from './table-columns.js';

export type SqliteValue = null | number | string | Buffer;

export class SqliteFormatError extends Error {}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const TABLE_INTERIOR = 0x05;
const TABLE_LEAF = 0x0d;

interface Layout {
  pageSize: number;
  /** Bytes of a page the B-tree may use (page size less the reserved tail). */
  usable: number;
  pageCount: number;
}

/** A varint at `at`: its value (as a number; a forged 64-bit one loses precision) and length. */
export function readVarint(page: Buffer, at: number): { value: number; length: number } {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (at + i >= page.length) throw new SqliteFormatError('a number runs off its page');
    const byte = page[at + i]!;
    if (i === 8) return { value: value * 256 + byte, length: 9 };
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return { value, length: i + 1 };
  }
  throw new SqliteFormatError('unreachable');
}

/**
 * The first `most` values of a record (a row's payload), by its header of serial types: a
 * forged record may declare millions of columns, and only the first few are asked for.
 */
export function decodeRecord(payload: Buffer, most = Infinity): SqliteValue[] {
  const { value: headerSize, length } = readVarint(payload, 0);
  if (headerSize > payload.length || headerSize < length)
    throw new SqliteFormatError('a record header is longer than its record');
  const types: number[] = [];
  for (let at = length; at < headerSize && types.length < most;) {
    const t = readVarint(payload, at);
    types.push(t.value);
    at += t.length;
  }
  const values: SqliteValue[] = [];
  let at = headerSize;
  for (const type of types) {
    const size =
      type >= 12 ? Math.floor((type - 12) / 2) : ([0, 1, 2, 3, 4, 6, 8, 8, 0, 0][type] ?? -1);
    if (size < 0 || at + size > payload.length)
      throw new SqliteFormatError('a value runs past the end of its record');
    const bytes = payload.subarray(at, at + size);
    at += size;
    if (type === 0) values.push(null);
    else if (type === 7) values.push(bytes.readDoubleBE(0));
    else if (type === 8 || type === 9) values.push(type - 8);
    else if (type < 12)
      values.push(Number(bytes.length === 8 ? bytes.readBigInt64BE(0) : bytes.readIntBE(0, size)));
    // A view, not a copy: the file's blocks are never reused (./paged-file.ts).
    else if (type % 2 === 0) values.push(bytes);
    else values.push(bytes.toString('utf8'));
  }
  return values;
}

class PageReader {
  /** 1 for each page named so far in this walk: a page named twice is a loop in a forged file. */
  readonly #named: Uint8Array;

  constructor(
    private readonly file: PagedFile,
    readonly layout: Layout,
    readonly budget: ReadBudget,
  ) {
    this.#named = new Uint8Array(layout.pageCount + 1);
  }

  /** Marks page `n` (1-based) as named in this walk; throws if it is outside the file or was named before. */
  name(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > this.layout.pageCount)
      throw new SqliteFormatError(`page ${n} is outside the file`);
    if (this.#named[n]) throw new SqliteFormatError(`page ${n} is reached twice`);
    this.#named[n] = 1;
    return n;
  }

  /** Page `n`, named before. */
  async page(n: number): Promise<Buffer> {
    this.budget.spend(1);
    await this.budget.turn();
    const page = await this.file.page(n - 1);
    if (!page) throw new SqliteFormatError(`page ${n} is cut short`);
    return page;
  }
}

/**
 * Every row of the table B-tree rooted at `root`, in rowid order, with its rowid and its
 * first `columnCount` values. Rows whose payload is over `maxRowBytes` are skipped (their
 * overflow pages unread).
 */
async function* tableRows(
  pages: PageReader,
  root: number,
  maxRowBytes: number,
  columnCount: number,
): AsyncGenerator<{ rowid: number; values: SqliteValue[] }> {
  const { usable } = pages.layout;
  const { budget } = pages;
  // Each page is named once before it is queued, so the queue never holds more than the file's pages.
  const stack = [pages.name(root)];
  while (stack.length > 0) {
    const n = stack.pop()!;
    const page = await pages.page(n);
    const start = n === 1 ? 100 : 0;
    const kind = page[start];
    const cells = page.readUInt16BE(start + 3);
    const header = kind === TABLE_INTERIOR ? 12 : 8;
    if (kind !== TABLE_INTERIOR && kind !== TABLE_LEAF)
      throw new SqliteFormatError(`page ${n} is not a table page`);
    if (start + header + cells * 2 > usable)
      throw new SqliteFormatError(`page ${n} lists more cells than fit`);
    const offsets = Array.from({ length: cells }, (_, i) =>
      page.readUInt16BE(start + header + i * 2),
    );
    budget.spend(cells);
    if (kind === TABLE_INTERIOR) {
      // Children left to right: pushed right to left, so popped in rowid order.
      stack.push(pages.name(page.readUInt32BE(start + 8)));
      for (const at of offsets.reverse()) {
        if (at + 4 > usable) throw new SqliteFormatError(`a cell of page ${n} is outside it`);
        stack.push(pages.name(page.readUInt32BE(at)));
      }
      continue;
    }
    const cellsOfPage = offsets.map((at) => {
      if (at >= usable) throw new SqliteFormatError(`a cell of page ${n} is outside it`);
      const size = readVarint(page, at);
      const rowid = readVarint(page, at + size.length);
      const body = at + size.length + rowid.length;
      const local = localBytes(size.value, usable);
      // The number of the first overflow page follows what the page keeps.
      const end = body + local + (local < size.value ? 4 : 0);
      if (end > usable) throw new SqliteFormatError(`a row of page ${n} is outside it`);
      return { at, end, size: size.value, rowid: rowid.value, body, local };
    });
    if (
      rangesOverlap(
        cellsOfPage.map((c) => c.at),
        cellsOfPage.map((c) => c.end),
      )
    )
      throw new SqliteFormatError(`cells of page ${n} share bytes`);
    for (const { size, rowid, body, local } of cellsOfPage) {
      if (size > maxRowBytes) continue;
      // Checked before its buffer is made: a row longer than the file's pages could hold is forged.
      if (size - local > (usable - 4) * pages.layout.pageCount)
        throw new SqliteFormatError(`a row of page ${n} is longer than the file`);
      budget.spend(0, size);
      await budget.turn();
      let payload = page.subarray(body, body + local);
      if (local < size) {
        payload = Buffer.alloc(size);
        page.copy(payload, 0, body, body + local);
        await readOverflow(pages, page.readUInt32BE(body + local), payload, local);
      }
      yield { rowid, values: decodeRecord(payload, columnCount) };
    }
  }
}

/** How much of a payload of `size` bytes a table leaf keeps on its own page. */
function localBytes(size: number, usable: number): number {
  const most = usable - 35;
  if (size <= most) return size;
  const least = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = least + ((size - least) % (usable - 4));
  return k <= most ? k : least;
}

async function readOverflow(pages: PageReader, first: number, into: Buffer, from: number) {
  const { usable } = pages.layout;
  let next = first;
  let at = from;
  while (at < into.length) {
    const page = await pages.page(pages.name(next));
    const take = Math.min(usable - 4, into.length - at);
    page.copy(into, at, 4, 4 + take);
    at += take;
    next = page.readUInt32BE(0);
  }
}

export interface TableRead {
  /** Rows over this many bytes are skipped. */
  maxRowBytes: number;
  budget: ReadBudget;
}

/**
 * The rows of table `name` in the SQLite file at `path`, each as the values of `columns`
 * (found by the names its `CREATE TABLE` declares, as `SELECT` finds them; an INTEGER
 * PRIMARY KEY column's value is the rowid). A table whose declaration cannot be understood,
 * or lacks a column asked for, is a SqliteFormatError, never an empty table.
 */
export async function* sqliteTableRows(
  path: string,
  name: string,
  columns: readonly string[],
  { maxRowBytes, budget }: TableRead,
): AsyncGenerator<{ rowid: number; values: SqliteValue[] }> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(100);
    const { bytesRead } = await handle.read(head, 0, 100, 0);
    if (bytesRead < 100 || !head.subarray(0, 16).equals(MAGIC))
      throw new SqliteFormatError('not an SQLite 3 database');
    const raw = head.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0)
      throw new SqliteFormatError(`page size ${pageSize} is not one SQLite writes`);
    const usable = pageSize - head[20]!;
    if (usable < 480) throw new SqliteFormatError('too little of each page is usable');
    const pageCount = Math.floor((await handle.stat()).size / pageSize);
    const layout = { pageSize, usable, pageCount };
    const file = new PagedFile(handle, pageSize);
    // The schema table (sqlite_master) is rooted at page 1: type, name, tbl_name, rootpage, sql.
    // Names are matched as SQLite matches them, without regard to ASCII case.
    let table: { root: number; sql: unknown } | undefined;
    const schema = new PageReader(file, layout, budget);
    for await (const row of tableRows(schema, 1, 1024 * 1024, 5)) {
      const [type, rowName, , rootPage, sql] = row.values;
      if (
        type === 'table' &&
        typeof rowName === 'string' &&
        rowName.toLowerCase() === name.toLowerCase() &&
        typeof rootPage === 'number'
      )
        table = { root: rootPage, sql };
    }
    if (table === undefined) throw new SqliteFormatError(`the database has no table ${name}`);
    const declared = typeof table.sql === 'string' ? tableColumns(table.sql) : undefined;
    if (!declared)
      throw new SqliteFormatError(`the declaration of table ${name} is not one coroner can read`);
    const wanted = columns.map((column) => {
      const at = declared.names.findIndex((n) => n.toLowerCase() === column.toLowerCase());
      if (at < 0)
        throw new SqliteFormatError(
          // The names are the container's: a few, each cut short.
          `table ${name} has no column ${column} (it declares ${declared.names
            .slice(0, 8)
            .map((n) => n.slice(0, 40))
            .join(', ')}${declared.names.length > 8 ? '…' : ''})`,
        );
      return at;
    });
    const columnCount = Math.max(...wanted) + 1;
    const pages = new PageReader(file, layout, budget);
    for await (const row of tableRows(pages, table.root, maxRowBytes, columnCount))
      yield {
        rowid: row.rowid,
        // A row written before a column was added lacks it: its value is NULL.
        values: wanted.map((at) =>
          at === declared.rowidAlias ? row.rowid : (row.values[at] ?? null),
        ),
      };
  } finally {
    await handle.close();
  }
}
