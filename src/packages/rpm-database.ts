/**
 * RPM's database: each installed package's header, one a row of the `Packages` table of
 * `rpmdb.sqlite` (rpm 4.16 and later) or one value of the Berkeley DB hash file `Packages`
 * (before), read without either library (./sqlite-table.ts, ./berkeley-hash.ts) and
 * parsed by ./rpm-header.ts. The file is the container's and may be forged: one budget
 * (./read-budget.ts) bounds what all three readers may spend on it, and whatever stops the
 * read (a fault in its pages, the budget, any error its bytes cause) stops only this file:
 * what was read before stands, and `problem` says why the rest was not read. A header rpm
 * would reject is skipped whole, and counted in `problem`, as are headers that repeat a tag.
 */
import { stat } from 'node:fs/promises';
import { BerkeleyFormatError, berkeleyHashValues } from './berkeley-hash.js';
import { absolute, MAX_PACKAGES, type ListedFile } from './package-db.js';
import { BudgetExhausted, ReadBudget, type ReadCost } from './read-budget.js';
import { parseRpmHeader, RpmHeaderError } from './rpm-header.js';
import { SqliteFormatError, sqliteTableRows } from './sqlite-table.js';

// A header is kilobytes, a large package's some megabytes: more is not a real one.
const MAX_HEADER_BYTES = 32 * 1024 * 1024;
const DIGEST_LENGTH = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/** The header blobs of either kind of file. */
async function* headersIn(
  path: string,
  kind: 'sqlite' | 'berkeley',
  budget: ReadBudget,
): AsyncGenerator<Buffer> {
  if (kind === 'berkeley') {
    // Key 0 holds rpm's last instance number, 4 bytes: not a header, and never reported as one.
    for await (const value of berkeleyHashValues(path, MAX_HEADER_BYTES, budget))
      if (value.length !== 4) yield value;
  } else {
    // As rpm's own `SELECT hnum, blob FROM Packages`: the column by its name.
    const rows = sqliteTableRows(path, 'Packages', ['blob'], {
      maxRowBytes: MAX_HEADER_BYTES,
      budget,
    });
    for await (const { values } of rows) {
      const blob = values[0];
      if (Buffer.isBuffer(blob)) yield blob;
      // rpm reads a text value as its bytes; SQLite stores it as UTF-8.
      else if (typeof blob === 'string') yield Buffer.from(blob);
    }
  }
}

/** Why the read stopped, for the report. */
function stopReason(e: unknown): string {
  if (
    e instanceof SqliteFormatError ||
    e instanceof BerkeleyFormatError ||
    e instanceof BudgetExhausted
  )
    return e.message;
  // Anything else its bytes caused (a RangeError from a reader, say) ends this file's read,
  // never the triage: the file is evidence either way, and kept in the case folder.
  const name = e instanceof Error ? e.name : 'error';
  const message = e instanceof Error ? e.message : String(e);
  return `its bytes broke the reader (${name}: ${message})`;
}

export interface RpmDatabaseRead {
  /** The packages it has installed, as `name version`. */
  packages: Set<string>;
  /** Why it was read only in part, or headers in it were skipped. */
  problem?: string;
  /** What reading it cost, against its budget. */
  cost: ReadCost;
}

/**
 * Every file the database lists with a digest, to `onListed`; the packages it has
 * installed, as `name version`.
 */
export async function readRpmDatabase(
  path: string,
  kind: 'sqlite' | 'berkeley',
  onListed: (listed: ListedFile) => void,
): Promise<RpmDatabaseRead> {
  const packages = new Set<string>();
  const budget = ReadBudget.forFile((await stat(path)).size);
  const skipped = { count: 0, first: '' };
  const repeating = { count: 0, tags: new Set<number>() };
  let stoppedBy: string | undefined;
  try {
    for await (const blob of headersIn(path, kind, budget)) {
      let header;
      try {
        header = parseRpmHeader(blob, budget);
      } catch (e) {
        if (!(e instanceof RpmHeaderError)) throw e;
        if (skipped.count++ === 0) skipped.first = e.message;
        continue;
      }
      if (header.repeatedTags.length > 0) {
        repeating.count++;
        header.repeatedTags.forEach((t) => repeating.tags.add(t));
      }
      if (packages.size < MAX_PACKAGES) packages.add(`${header.name} ${header.version}`);
      const hex = new RegExp(`^[0-9a-f]{${DIGEST_LENGTH[header.algorithm]}}$`);
      try {
        for (const file of header.files()) {
          const at = file.path.startsWith('/') ? absolute(file.path) : undefined;
          if (!at || !hex.test(file.digest)) continue;
          onListed({
            path: at,
            manager: 'rpm',
            package: header.name,
            algorithm: header.algorithm,
            digest: file.digest,
            ...(file.isConfig ? { isConffile: true } : {}),
          });
        }
      } catch (e) {
        if (!(e instanceof RpmHeaderError)) throw e;
        if (skipped.count++ === 0) skipped.first = e.message;
      }
    }
  } catch (e) {
    stoppedBy = stopReason(e);
  }
  const problems = [
    ...(stoppedBy ? [`read in part: ${stoppedBy}`] : []),
    ...(skipped.count > 0
      ? [
          `${skipped.count} package header${skipped.count === 1 ? '' : 's'} rpm would reject skipped (the first: ${skipped.first})`,
        ]
      : []),
    ...(repeating.count > 0
      ? [
          `${repeating.count} package header${repeating.count === 1 ? ' repeats' : 's repeat'} tag ${[...repeating.tags].sort((a, b) => a - b).join(', ')}: read as rpm 4.18 reads it, which other rpm versions may not`,
        ]
      : []),
  ];
  return {
    packages,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    cost: budget.spent,
  };
}
