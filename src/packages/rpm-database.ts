/**
 * RPM's database (rpm 4.16 and later: `rpmdb.sqlite`): each installed package's header,
 * one a row of its `Packages` table, read without SQLite (./sqlite-table.ts) and parsed by
 * ./rpm-header.ts. A header that does not parse is skipped whole, as a bad line is in the
 * text databases; a file whose pages do not hold together is not read at all.
 */
import { absolute, MAX_PACKAGES, type ListedFile } from './package-db.js';
import { parseRpmHeader, RpmHeaderError } from './rpm-header.js';
import { sqliteTableRows } from './sqlite-table.js';

// A header is kilobytes, a large package's some megabytes: more is not a real one.
const MAX_HEADER_BYTES = 32 * 1024 * 1024;
const DIGEST_LENGTH = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/**
 * Every file the database lists with a digest, to `onListed`; the packages it has
 * installed, as `name version`, into `packages` (filled as it goes: a fault part way
 * leaves what was read before it).
 */
export async function readRpmDatabase(
  path: string,
  onListed: (listed: ListedFile) => void,
  packages: Set<string>,
): Promise<void> {
  for await (const row of sqliteTableRows(path, 'Packages', MAX_HEADER_BYTES)) {
    const blob = row.values[1];
    if (!Buffer.isBuffer(blob)) continue;
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
}
