/**
 * RPM's database: each installed package's header, one a row of the `Packages` table of
 * `rpmdb.sqlite` (rpm 4.16 and later) or one value of the Berkeley DB hash file `Packages`
 * (before), read without either library (./sqlite-table.ts, ./berkeley-hash.ts) and
 * parsed by ./rpm-header.ts. A header that does not parse is skipped whole, as a bad line
 * is in the text databases; a file whose pages do not hold together is read up to the
 * fault, and the fault is said.
 */
import { BerkeleyFormatError, berkeleyHashValues } from './berkeley-hash.js';
import { absolute, MAX_PACKAGES, type ListedFile } from './package-db.js';
import { parseRpmHeader, RpmHeaderError } from './rpm-header.js';
import { SqliteFormatError, sqliteTableRows } from './sqlite-table.js';

// A header is kilobytes, a large package's some megabytes: more is not a real one.
const MAX_HEADER_BYTES = 32 * 1024 * 1024;
const DIGEST_LENGTH = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/** The header blobs of either kind of file. */
async function* headersIn(path: string, kind: 'sqlite' | 'berkeley'): AsyncGenerator<Buffer> {
  if (kind === 'berkeley') yield* berkeleyHashValues(path, MAX_HEADER_BYTES);
  else
    for await (const row of sqliteTableRows(path, 'Packages', MAX_HEADER_BYTES))
      if (Buffer.isBuffer(row.values[1])) yield row.values[1];
}

/**
 * Every file the database lists with a digest, to `onListed`; the packages it has
 * installed, as `name version`. `problem`: why it was read only up to a point.
 */
export async function readRpmDatabase(
  path: string,
  kind: 'sqlite' | 'berkeley',
  onListed: (listed: ListedFile) => void,
): Promise<{ packages: Set<string>; problem?: string }> {
  const packages = new Set<string>();
  try {
    for await (const blob of headersIn(path, kind)) {
      let header;
      try {
        header = parseRpmHeader(blob);
      } catch (e) {
        if (e instanceof RpmHeaderError) continue;
        throw e;
      }
      if (packages.size < MAX_PACKAGES) packages.add(`${header.name} ${header.version}`);
      const hex = new RegExp(`^[0-9a-f]{${DIGEST_LENGTH[header.algorithm]}}$`);
      for (const file of header.files) {
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
    }
  } catch (e) {
    if (!(e instanceof SqliteFormatError) && !(e instanceof BerkeleyFormatError)) throw e;
    return { packages, problem: `read in part: ${e.message}` };
  }
  return { packages };
}
