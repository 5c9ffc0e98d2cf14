/**
 * A small, seeded run of bench/fuzz-packages.ts on hand-built seeds: every mutation of an
 * RPM database is read to an end (rows, or a typed problem) within its budget, and every
 * mutation of a header is parsed or rejected as rpm would reject it. The bench runs
 * thousands on files rpm, sqlite3 and Berkeley DB wrote.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BudgetExhausted, ReadBudget } from '../../src/packages/read-budget.js';
import { readRpmDatabase } from '../../src/packages/rpm-database.js';
import { parseRpmHeader, RpmHeaderError } from '../../src/packages/rpm-header.js';
import {
  INT16,
  INT32,
  rpmHeaderWithRegion,
  STRING,
  STRING_ARRAY,
} from '../support/hostile-packages.js';
import { mutate, random } from '../support/mutate.js';
import { berkeley, interiorPage, leafPage, sqliteFile } from '../support/sqlite-pages.js';

const MUTATIONS = 150;

const header = (name: string, files: number) =>
  rpmHeaderWithRegion(
    [
      [1000, STRING, name],
      [1001, STRING, '1.0'],
      [1002, STRING, '1'],
      [1030, INT16, Array.from({ length: files }, () => 0o100644)],
      [1035, STRING_ARRAY, Array.from({ length: files }, (_, i) => `${i}`.padStart(64, 'a'))],
      [1037, INT32, Array.from({ length: files }, () => 0)],
      [1116, INT32, Array.from({ length: files }, () => 0)],
      [1117, STRING_ARRAY, Array.from({ length: files }, (_, i) => `f${i}`)],
      [1118, STRING_ARRAY, ['/opt/']],
      [5011, INT32, [8]],
    ],
    [[1008, INT32, [1700000000]]],
  );

function seeds(): { name: string; kind: 'sqlite' | 'berkeley'; bytes: Buffer }[] {
  const small = header('small', 1);
  const big = header('big', 6);
  return [
    {
      name: 'sqlite',
      kind: 'sqlite',
      bytes: sqliteFile('Packages', 2, [
        interiorPage([[3, 1]], 4),
        leafPage([[1, [null, small]]]),
        leafPage([[2, [null, header('other', 1)]]]),
      ]),
    },
    {
      name: 'berkeley',
      kind: 'berkeley',
      bytes: Buffer.concat([
        berkeley.meta(3),
        berkeley.hash([
          [Buffer.from([0, 0, 0, 0]), Buffer.from([2, 0, 0, 0])],
          [Buffer.from([1, 0, 0, 0]), small],
          [Buffer.from([2, 0, 0, 0]), { page: 2, length: big.length }],
        ]),
        berkeley.overflow(big.subarray(0, 486), 3),
        berkeley.overflow(big.subarray(486), 0),
      ]),
    },
  ];
}

describe('mutations of an RPM database', () => {
  it.each(seeds())('end in rows or a typed problem, within the budget ($name)', async (seed) => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'coroner-fuzz-')), 'db');
    const next = random(seed.bytes.length);
    const unexpected: string[] = [];
    for (let m = 0; m < MUTATIONS; m++) {
      const bytes = mutate(seed.bytes, next);
      await writeFile(file, bytes);
      const read = await readRpmDatabase(file, seed.kind, () => {});
      const budget = ReadBudget.forFile(bytes.length);
      if (read.problem?.includes('broke the reader')) unexpected.push(`#${m}: ${read.problem}`);
      expect(read.cost.steps).toBeLessThanOrEqual(budget.maxSteps + 1);
      expect(read.cost.bytes).toBeLessThanOrEqual(budget.maxBytes + 32 * 1024 * 1024);
    }
    expect(unexpected).toEqual([]);
  });

  it('of a header are parsed or rejected as rpm rejects them, never another error', () => {
    const next = random(7);
    const seed = header('seed', 4);
    for (let m = 0; m < MUTATIONS * 4; m++) {
      const bytes = mutate(seed, next);
      const budget = ReadBudget.forFile(bytes.length);
      try {
        const parsed = parseRpmHeader(bytes, budget);
        for (const _ of parsed.files());
      } catch (e) {
        if (!(e instanceof RpmHeaderError || e instanceof BudgetExhausted)) throw e;
      }
      expect(budget.spent.bytes).toBeLessThanOrEqual(3 * bytes.length);
    }
  });
});
