/**
 * RPM databases shaped against coroner's readers (issue 24): each is read to a typed problem
 * within a cost in proportion to the file, never an exception that ends the triage, and a
 * header is read as rpm itself reads it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListedFile } from '../../src/packages/package-db.js';
import { BudgetExhausted, ReadBudget } from '../../src/packages/read-budget.js';
import { readRpmDatabase } from '../../src/packages/rpm-database.js';
import { parseRpmHeader, RpmHeaderError } from '../../src/packages/rpm-header.js';
import {
  berkeleyOfSameItems,
  headerOfOverlappingTags,
  INT16,
  INT32,
  rpmHeader,
  rpmHeaderWithRegion,
  sqliteOfCutOverflowPointer,
  sqliteOfRepeatedChildren,
  sqliteOfSameCells,
  sqliteOfSwappedColumns,
  STRING,
  STRING_ARRAY,
} from '../support/hostile-packages.js';
import { leafPage, sqliteFile } from '../support/sqlite-pages.js';

const SHA256 = 'a'.repeat(64);
const tool = () =>
  rpmHeader([
    [1000, STRING, 'tool'],
    [1001, STRING, '1.0'],
    [1002, STRING, '1'],
    [1030, INT16, [0o100755]],
    [1035, STRING_ARRAY, [SHA256]],
    [1116, INT32, [0]],
    [1117, STRING_ARRAY, ['tool']],
    [1118, STRING_ARRAY, ['/usr/bin/']],
    [5011, INT32, [8]],
  ]);

async function read(bytes: Buffer, kind: 'sqlite' | 'berkeley' = 'sqlite') {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'coroner-hostile-rpm-')), 'db');
  await writeFile(file, bytes);
  const listed: ListedFile[] = [];
  const result = await readRpmDatabase(file, kind, (f) => listed.push(f));
  const budget = ReadBudget.forFile(bytes.length);
  return { ...result, listed, budget, size: bytes.length };
}

describe('a forged RPM database', () => {
  it('is a problem, not an exception, when a row runs its overflow page number off the page (it was a RangeError that failed the live triage)', async () => {
    const { packages, problem } = await read(sqliteOfCutOverflowPointer());
    expect(packages.size).toBe(0);
    expect(problem).toBe('read in part: a row of page 2 is outside it');
  });

  it('stops at the first page whose cell pointers all name the same cell, having decoded none of them', async () => {
    const { problem, cost, listed } = await read(sqliteOfSameCells(tool(), 3));
    expect(problem).toBe('read in part: cells of page 3 share bytes');
    expect(listed).toEqual([]);
    // One leaf's pointers visited (32,000 or so), nothing decoded but the schema's row.
    expect(cost.steps).toBeLessThan(40_000);
    expect(cost.bytes).toBeLessThan(1_000);
  });

  it('stops at the first Berkeley DB page whose items all name the same bytes', async () => {
    const { problem, cost, listed } = await read(berkeleyOfSameItems(tool(), 3), 'berkeley');
    expect(problem).toBe('read in part: items of page 1 share bytes');
    expect(listed).toEqual([]);
    expect(cost.bytes).toBe(0);
  });

  it('refuses a page named twice where it is named, so the walk never queues more pages than the file has', async () => {
    // 50 interior pages, each naming the next 250 times: 12,500 queued before, 250 steps now.
    const { problem, cost } = await read(sqliteOfRepeatedChildren(50));
    expect(problem).toBe('read in part: page 3 is reached twice');
    expect(cost.steps).toBeLessThanOrEqual(260);
  });

  it('rejects, as rpm does, a header whose tags all point at the same data, having decoded no more than the header', () => {
    const header = headerOfOverlappingTags(100_000);
    const budget = ReadBudget.forFile(header.length);
    expect(() => parseRpmHeader(header, budget)).toThrow(RpmHeaderError);
    expect(() => parseRpmHeader(header, budget)).toThrow(/tag 1118 shares bytes/);
    expect(budget.spent.bytes).toBeLessThanOrEqual(2 * header.length);
  });

  it('counts a header rpm would reject in the problem, and lists the good ones', async () => {
    const { packages, problem } = await read(
      sqliteFile('Packages', 2, [
        leafPage([
          [1, [null, headerOfOverlappingTags(10)]],
          [2, [null, tool()]],
        ]),
      ]),
    );
    expect([...packages]).toEqual(['tool 1.0-1']);
    expect(problem).toBe(
      '1 package header rpm would reject skipped (the first: tag 1118 shares bytes with the tag before it)',
    );
  });

  it('stops with a problem when a file costs more than its budget', () => {
    const budget = new ReadBudget({ steps: 10, bytes: 1_000_000 });
    expect(() => parseRpmHeader(tool(), budget)).toThrow(BudgetExhausted);
    expect(() => budget.spend(1)).toThrow(/stopped after 1\d steps/);
  });
});

describe("rpm's Packages table", () => {
  it('is read by its column names, whatever their declared order, as rpm reads it', async () => {
    const { packages, listed, problem } = await read(sqliteOfSwappedColumns(tool()));
    expect(problem).toBeUndefined();
    expect([...packages]).toEqual(['tool 1.0-1']);
    expect(listed.map((f) => f.path)).toEqual(['/usr/bin/tool']);
  });

  it('is a problem, not an empty database, when it has no blob column or a declaration coroner cannot read', async () => {
    const rows = () => [leafPage([[1, [null, tool()]]])];
    const noBlob = await read(
      sqliteFile('Packages', 2, rows(), {
        sql: 'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, data BLOB)',
      }),
    );
    expect(noBlob.problem).toBe(
      'read in part: table Packages has no column blob (it declares hnum, data)',
    );
    const asSelect = await read(
      sqliteFile('Packages', 2, rows(), {
        sql: 'CREATE TABLE Packages AS SELECT 1 AS hnum, x AS blob',
      }),
    );
    expect(asSelect.problem).toBe(
      'read in part: the declaration of table Packages is not one coroner can read',
    );
  });

  it('understands the declaration rpm 4.18 writes, quoted names and all', async () => {
    const { packages } = await read(
      sqliteFile('Packages', 2, [leafPage([[1, [null, tool()]]])], {
        sql: "CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)",
      }),
    );
    expect([...packages]).toEqual(['tool 1.0-1']);
  });
});

describe('an rpm header that repeats a tag', () => {
  const names = (...copies: [number, number, string][]) =>
    parseRpmHeader(rpmHeader(copies.map(([tag, type, value]) => [tag, type, value])));

  // Each expectation is what `rpm -qa` (rpm 4.18, glibc 2.36) printed for the same header.
  it('is read as rpm reads it: the copy its sorted index search finds, not always the first or the last', () => {
    const v = [1001, STRING, '1.0'] as [number, number, string];
    const r = [1002, STRING, '1'] as [number, number, string];
    expect(names([1000, STRING, 'first'], [1000, STRING, 'second'], v, r).name).toBe('second');
    expect(names([1000, STRING, 'a'], [1000, STRING, 'b'], [1000, STRING, 'c'], v, r).name).toBe(
      'c',
    );
    // Three copies and four tags after them: rpm reads the middle one.
    expect(
      names(
        [1000, STRING, 'a'],
        [1000, STRING, 'b'],
        [1000, STRING, 'c'],
        v,
        r,
        [1004, STRING, 's'],
        [1005, STRING, 'd'],
      ).name,
    ).toBe('b');
  });

  it("takes a tag added after the region over the region's own copy, as rpm does", () => {
    const header = parseRpmHeader(
      rpmHeaderWithRegion(
        [
          [1000, STRING, 'demo'],
          [1001, STRING, '1.0'],
          [1002, STRING, '1'],
        ],
        [[1000, STRING, 'evil']],
      ),
    );
    expect(header.name).toBe('evil');
    expect(header.repeatedTags).toEqual([1000]);
  });

  it('is named in the problem of the database that holds it', async () => {
    const repeated = rpmHeader([
      [1000, STRING, 'first'],
      [1000, STRING, 'second'],
      [1001, STRING, '1.0'],
    ]);
    const { packages, problem } = await read(
      sqliteFile('Packages', 2, [leafPage([[1, [null, repeated]]])]),
    );
    expect([...packages]).toEqual(['second 1.0-']);
    expect(problem).toBe(
      '1 package header repeats tag 1000: read as rpm 4.18 reads it, which other rpm versions may not',
    );
  });
});
