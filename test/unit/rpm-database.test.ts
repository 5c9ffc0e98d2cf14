import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListedFile } from '../../src/packages/package-db.js';
import { readRpmDatabase } from '../../src/packages/rpm-database.js';
import { parseRpmHeader, RpmHeaderError } from '../../src/packages/rpm-header.js';
import { SqliteFormatError, sqliteTableRows } from '../../src/packages/sqlite-table.js';
import { berkeley, interiorPage, leafPage, writeSqlite } from '../support/sqlite-pages.js';
import { BerkeleyFormatError, berkeleyHashValues } from '../../src/packages/berkeley-hash.js';
import { ReadBudget } from '../../src/packages/read-budget.js';
import { writeFile } from 'node:fs/promises';
import { INT16, INT32, rpmHeader, STRING, STRING_ARRAY } from '../support/hostile-packages.js';

const SHA256_A = 'a'.repeat(64);
const SHA256_B = 'b'.repeat(64);

/** A package as rpm records one: a binary, a %config file, a link and a folder. */
const demoTool = () =>
  rpmHeader([
    [1000, STRING, 'demo-tool'],
    [1001, STRING, '1.2'],
    [1002, STRING, '3'],
    [1003, INT32, [2]],
    [1030, INT16, [0o100755, 0o100644, 0o120777, 0o40755]],
    [1035, STRING_ARRAY, [SHA256_A, SHA256_B, '', '']],
    [1037, INT32, [0, 1, 0, 0]],
    [1116, INT32, [0, 1, 0, 1]],
    [1117, STRING_ARRAY, ['demo-tool', 'demo.conf', 'demo-link', 'conf.d']],
    [1118, STRING_ARRAY, ['/usr/bin/', '/etc/demo/']],
    [5011, INT32, [8]],
  ]);

describe('an rpm header', () => {
  it('gives the package, [epoch:]version-release, and each regular file with its digest and %config flag', () => {
    const header = parseRpmHeader(demoTool());
    expect({ ...header, files: [...header.files()] }).toEqual({
      name: 'demo-tool',
      version: '2:1.2-3',
      algorithm: 'sha256',
      repeatedTags: [],
      files: [
        { path: '/usr/bin/demo-tool', digest: SHA256_A, isConfig: false },
        { path: '/etc/demo/demo.conf', digest: SHA256_B, isConfig: true },
      ],
    });
  });

  it('reads digests as MD5 when the header names no algorithm, as rpm does', () => {
    const old = rpmHeader([
      [1000, STRING, 'old'],
      [1030, INT16, [0o100644]],
      [1035, STRING_ARRAY, ['c'.repeat(32)]],
      [1116, INT32, [0]],
      [1117, STRING_ARRAY, ['x']],
      [1118, STRING_ARRAY, ['/opt/']],
    ]);
    const header = parseRpmHeader(old);
    expect(header.algorithm).toBe('md5');
    expect([...header.files()].map((f) => f.path)).toEqual(['/opt/x']);
  });

  it('rejects a forged header whole: counts past its data, too many entries, an unknown algorithm', () => {
    const lying = demoTool();
    lying.writeUInt32BE(lying.readUInt32BE(4) + 1000, 4);
    expect(() => parseRpmHeader(lying)).toThrow(RpmHeaderError);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0x10000000, 0);
    expect(() => parseRpmHeader(huge)).toThrow(RpmHeaderError);
    const runaway = rpmHeader([
      [1000, STRING, 'x'],
      [1117, STRING_ARRAY, ['a']],
    ]);
    runaway.writeUInt32BE(1000, 8 + 16 + 12); // BASENAMES says 1000 names
    expect(() => parseRpmHeader(runaway)).toThrow(/runs off the header/);
    const algo = rpmHeader([
      [1000, STRING, 'x'],
      [5011, INT32, [77]],
    ]);
    expect(() => parseRpmHeader(algo)).toThrow(/algorithm 77/);
  });
});

describe('an SQLite table read from its pages', () => {
  const file = async () =>
    path.join(await mkdtemp(path.join(os.tmpdir(), 'coroner-sqlite-')), 'db.sqlite');
  const rowsOf = async (at: string, max = 1 << 20) => {
    const rows: unknown[] = [];
    const budget = ReadBudget.forFile(1 << 20);
    const read = sqliteTableRows(at, 'Packages', ['hnum', 'blob'], { maxRowBytes: max, budget });
    for await (const r of read) rows.push([r.rowid, r.values]);
    return rows;
  };

  it('gives every row in rowid order, through an interior page', async () => {
    const at = await file();
    await writeSqlite(at, 'Packages', 2, [
      interiorPage([[3, 1]], 4),
      leafPage([[1, [null, Buffer.from('one')]]]),
      leafPage([
        [2, [null, Buffer.from('two')]],
        [3, [null, 'three']],
      ]),
    ]);
    // hnum is the INTEGER PRIMARY KEY: its value is the rowid.
    expect(await rowsOf(at)).toEqual([
      [1, [1, Buffer.from('one')]],
      [2, [2, Buffer.from('two')]],
      [3, [3, 'three']],
    ]);
  });

  it('skips a row over the bound and reads on', async () => {
    const at = await file();
    await writeSqlite(at, 'Packages', 2, [
      leafPage([
        [1, [null, Buffer.alloc(200)]],
        [2, [null, Buffer.from('small')]],
      ]),
    ]);
    expect(await rowsOf(at, 100)).toEqual([[2, [2, Buffer.from('small')]]]);
  });

  it('refuses a forged file: a page that points back at itself, a page past the end, no table, not SQLite', async () => {
    const loop = await file();
    await writeSqlite(loop, 'Packages', 2, [interiorPage([[2, 1]], 3), leafPage([])]);
    await expect(rowsOf(loop)).rejects.toThrow(/page 2 is reached twice/);
    const past = await file();
    await writeSqlite(past, 'Packages', 9, [leafPage([])]);
    await expect(rowsOf(past)).rejects.toThrow(/page 9 is outside the file/);
    const other = await file();
    await writeSqlite(other, 'Other', 2, [leafPage([])]);
    await expect(rowsOf(other)).rejects.toThrow(/no table Packages/);
    const text = await file();
    await writeFile(text, 'not a database'.repeat(20));
    await expect(rowsOf(text)).rejects.toThrow(SqliteFormatError);
  });
});

describe("rpm's database", () => {
  it('lists the files of each header, skips and counts a header that does not parse, and names the packages', async () => {
    const at = path.join(await mkdtemp(path.join(os.tmpdir(), 'coroner-rpmdb-')), 'rpmdb.sqlite');
    await writeSqlite(at, 'Packages', 2, [
      leafPage([
        [1, [null, Buffer.from('garbage, not a header')]],
        [2, [null, demoTool()]],
      ]),
    ]);
    const listed: ListedFile[] = [];
    const { packages, problem } = await readRpmDatabase(at, 'sqlite', (f) => listed.push(f));
    expect([...packages]).toEqual(['demo-tool 2:1.2-3']);
    expect(problem).toBe(
      '1 package header rpm would reject skipped (the first: a header larger than rpm allows)',
    );
    expect(listed).toEqual([
      {
        path: '/usr/bin/demo-tool',
        manager: 'rpm',
        package: 'demo-tool',
        algorithm: 'sha256',
        digest: SHA256_A,
      },
      {
        path: '/etc/demo/demo.conf',
        manager: 'rpm',
        package: 'demo-tool',
        algorithm: 'sha256',
        digest: SHA256_B,
        isConffile: true,
      },
    ]);
  });
});

describe('a Berkeley DB hash file read from its pages', () => {
  const at = async (pages: Buffer[]) => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'coroner-bdb-')), 'Packages');
    await writeFile(file, Buffer.concat(pages));
    return file;
  };
  const valuesOf = async (file: string, max = 1 << 20) => {
    const out: Buffer[] = [];
    for await (const v of berkeleyHashValues(file, max, ReadBudget.forFile(1 << 20)))
      out.push(Buffer.from(v));
    return out;
  };
  const big = Buffer.from('x'.repeat(600) + 'y'.repeat(300));

  it('gives inline values and values spread over a chain of overflow pages', async () => {
    const file = await at([
      berkeley.meta(3),
      berkeley.hash([
        [Buffer.from([0, 0, 0, 0]), Buffer.from([1, 0, 0, 0])],
        [Buffer.from([1, 0, 0, 0]), { page: 2, length: big.length }],
      ]),
      berkeley.overflow(big.subarray(0, 486), 3),
      berkeley.overflow(big.subarray(486), 0),
    ]);
    expect(await valuesOf(file)).toEqual([Buffer.from([1, 0, 0, 0]), big]);
    expect(await valuesOf(file, 100)).toEqual([Buffer.from([1, 0, 0, 0])]);
  });

  it('refuses a forged file: an overflow chain that loops, an item outside its page, not a hash database', async () => {
    const loop = await at([
      berkeley.meta(2),
      berkeley.hash([[Buffer.from('k'), { page: 2, length: 1000 }]]),
      berkeley.overflow(Buffer.alloc(100), 2),
    ]);
    await expect(valuesOf(loop)).rejects.toThrow(/overflow chain reaches page 2/);
    const outside = berkeley.hash([[Buffer.from('k'), Buffer.from('v')]]);
    outside.writeUInt16LE(4, 26 + 2); // the value item said to start inside the page header
    await expect(valuesOf(await at([berkeley.meta(1), outside]))).rejects.toThrow(/outside it/);
    await expect(valuesOf(await at([Buffer.alloc(512)]))).rejects.toThrow(BerkeleyFormatError);
  });

  it("reads rpm's headers from it, and says how far a damaged one was read", async () => {
    const header = demoTool();
    const file = await at([
      berkeley.meta(4),
      // Key 0: rpm's last instance number, not a header.
      berkeley.hash([
        [Buffer.from([0, 0, 0, 0]), Buffer.from([2, 0, 0, 0])],
        [Buffer.from([1, 0, 0, 0]), { page: 3, length: header.length }],
      ]),
      berkeley.hash([[Buffer.from([2, 0, 0, 0]), { page: 9, length: 10 }]]),
      berkeley.overflow(header, 0),
      berkeley.overflow(Buffer.alloc(0), 0),
    ]);
    const listed: ListedFile[] = [];
    const read = await readRpmDatabase(file, 'berkeley', (f) => listed.push(f));
    expect([...read.packages]).toEqual(['demo-tool 2:1.2-3']);
    expect(listed.map((f) => f.path)).toEqual(['/usr/bin/demo-tool', '/etc/demo/demo.conf']);
    expect(read.problem).toBe('read in part: an overflow chain reaches page 9');
  });
});
