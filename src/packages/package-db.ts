/**
 * The files of a package manager's database that list installed files with their
 * checksums, and their line formats: Debian's `/var/lib/dpkg/info/<pkg>.md5sums` (files)
 * and `/var/lib/dpkg/status` (conffiles, installed versions), Alpine's
 * `/lib/apk/db/installed`, and where RPM keeps its database (SQLite or Berkeley DB, read
 * by ./rpm-database.ts). Pure: lines in, listed files out. Every line is
 * attacker-controlled when it comes from the container; a line that does not parse is
 * skipped, never trusted in part.
 */
import type { DigestAlgorithm, PackageManager } from '../report/package.js';

export type DatabaseFile =
  | { manager: 'dpkg'; kind: 'md5sums'; package: string }
  /** A package's file list (`<pkg>.list`): every path it installed, links and folders too, no checksum. */
  | { manager: 'dpkg'; kind: 'list'; package: string }
  | { manager: 'dpkg'; kind: 'status' }
  | { manager: 'apk'; kind: 'installed' }
  | { manager: 'rpm'; kind: 'sqlite' | 'berkeley' };

const DPKG_INFO = '/var/lib/dpkg/info/';
const DPKG_STATUS = '/var/lib/dpkg/status';
const APK_INSTALLED = '/lib/apk/db/installed';
// rpm 4.16 and later (SQLite); Fedora 36 and later keep it under /usr, /var/lib/rpm a link to
// it. Before (RHEL 8, CentOS 7, Amazon Linux 2): a Berkeley DB hash file.
const RPM_SQLITE = ['/var/lib/rpm/rpmdb.sqlite', '/usr/lib/sysimage/rpm/rpmdb.sqlite'];
const RPM_BERKELEY = '/var/lib/rpm/Packages';

/** What database file is at `path`, if any. */
export function databaseFileAt(path: string): DatabaseFile | undefined {
  if (path === DPKG_STATUS) return { manager: 'dpkg', kind: 'status' };
  if (path === APK_INSTALLED) return { manager: 'apk', kind: 'installed' };
  if (RPM_SQLITE.includes(path)) return { manager: 'rpm', kind: 'sqlite' };
  if (path === RPM_BERKELEY) return { manager: 'rpm', kind: 'berkeley' };
  for (const kind of ['md5sums', 'list'] as const) {
    if (!path.startsWith(DPKG_INFO) || !path.endsWith(`.${kind}`)) continue;
    const name = path.slice(DPKG_INFO.length, -`.${kind}`.length);
    // "<package>" or "<package>:<arch>" (multi-arch), never a folder.
    if (/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(name))
      return { manager: 'dpkg', kind, package: name.replace(/:.*/, '') };
  }
  return undefined;
}

/** A file a package database lists. */
export interface ListedFile {
  /** Absolute path, as the database writes it (before any /usr merge). */
  path: string;
  manager: PackageManager;
  package: string;
  algorithm: DigestAlgorithm;
  /** Hex; empty for a conffile dpkg has not configured yet (no checksum recorded). */
  digest: string;
  isConffile?: boolean;
  /**
   * Named by the package's file list only (dpkg's `.list`), with no checksum: dpkg lists its
   * links and folders there and nowhere else. `digest` is empty and means nothing.
   */
  isNamedOnly?: boolean;
}

const MD5 = /^[0-9a-f]{32}$/;
export const MAX_PACKAGES = 100_000;

/** `<md5>  <path without leading slash>` (md5sums files). */
export function parseMd5sumsLine(line: string, pkg: string): ListedFile | undefined {
  const m = /^([0-9a-f]{32}) {2}(.+)$/.exec(line);
  if (!m) return undefined;
  const path = absolute(m[2]!);
  return path
    ? { path, manager: 'dpkg', package: pkg, algorithm: 'md5', digest: m[1]! }
    : undefined;
}

/** `/path` (a dpkg `.list` line): named by the package, with no checksum. */
export function parseListLine(line: string, pkg: string): ListedFile | undefined {
  const path = line.startsWith('/') ? absolute(line) : undefined;
  return path
    ? { path, manager: 'dpkg', package: pkg, algorithm: 'md5', digest: '', isNamedOnly: true }
    : undefined;
}

/** An absolute, normalised path, or undefined for one that climbs or is empty. */
export function absolute(raw: string): string | undefined {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return undefined;
  return '/' + parts.join('/');
}

/** The databases written as text lines (all but RPM's). */
export type LineDatabaseFile = Exclude<DatabaseFile, { manager: 'rpm' }>;

/**
 * Reads a database file line by line: the files it lists with checksums, and (for status
 * and apk databases) the packages it has installed, as `name version`.
 */
export class DatabaseReader {
  readonly #file: LineDatabaseFile;
  #package = '';
  #version = '';
  #isInstalled = true;
  #inConffiles = false;
  #apkDir = '';
  #apkFile = '';
  readonly packages = new Set<string>();

  constructor(file: LineDatabaseFile) {
    this.#file = file;
  }

  line(line: string): ListedFile | undefined {
    const file = this.#file;
    if (file.kind === 'md5sums') return parseMd5sumsLine(line, file.package);
    if (file.kind === 'list') return parseListLine(line, file.package);
    return file.kind === 'status' ? this.#statusLine(line) : this.#apkLine(line);
  }

  /** The end of the file: the last paragraph's package counts too. */
  end(): void {
    this.#endParagraph();
  }

  #endParagraph(): void {
    // Bounded: a forged status file with millions of paragraphs costs no more than this.
    if (this.#package && this.#isInstalled && this.packages.size < MAX_PACKAGES)
      this.packages.add(`${this.#package} ${this.#version}`);
    this.#package = '';
    this.#version = '';
    this.#isInstalled = true;
    this.#inConffiles = false;
    this.#apkDir = '';
    this.#apkFile = '';
  }

  // dpkg status: RFC 822 paragraphs; "Conffiles:" continues with " /path md5 [obsolete]".
  #statusLine(line: string): ListedFile | undefined {
    if (line === '') {
      this.#endParagraph();
      return undefined;
    }
    if (line.startsWith(' ') && this.#inConffiles) {
      const [path, digest] = line.trim().split(/\s+/);
      const abs = path?.startsWith('/') ? absolute(path) : undefined;
      // "newconffile": unpacked, not configured yet; dpkg has no checksum for it.
      const isKnown = digest !== undefined && (MD5.test(digest) || digest === 'newconffile');
      if (!abs || !isKnown || !this.#package) return undefined;
      return {
        path: abs,
        manager: 'dpkg',
        package: this.#package,
        algorithm: 'md5',
        digest: digest === 'newconffile' ? '' : digest,
        isConffile: true,
      };
    }
    this.#inConffiles = false;
    const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!field) return undefined;
    const [, name, value] = field;
    if (name === 'Package') this.#package = value!;
    else if (name === 'Version') this.#version = value!;
    else if (name === 'Status')
      this.#isInstalled = !/\bnot-installed$|\bconfig-files$/.test(value!);
    else if (name === 'Conffiles') this.#inConffiles = true;
    return undefined;
  }

  // apk installed: paragraphs of "X:value"; F: a folder, R: a file in it, Z: its checksum
  // ("Q1" + base64 of the SHA-1).
  #apkLine(line: string): ListedFile | undefined {
    if (line === '') {
      this.#endParagraph();
      return undefined;
    }
    const key = line.slice(0, 2);
    const value = line.slice(2);
    if (key === 'P:') this.#package = value;
    else if (key === 'V:') this.#version = value;
    else if (key === 'F:') this.#apkDir = value;
    else if (key === 'R:') this.#apkFile = value;
    else if (key === 'Z:' && this.#apkFile) {
      // "Q1" and the SHA-1 in base64 (apk's own); packages of old kept an MD5 in hex.
      const sha1 = value.startsWith('Q1') ? Buffer.from(value.slice(2), 'base64') : undefined;
      const isMd5 = MD5.test(value);
      const path = absolute(`${this.#apkDir}/${this.#apkFile}`);
      this.#apkFile = '';
      if ((sha1?.length !== 20 && !isMd5) || !path || !this.#package) return undefined;
      return {
        path,
        manager: 'apk',
        package: this.#package,
        algorithm: isMd5 ? 'md5' : 'sha1',
        digest: isMd5 ? value : sha1!.toString('hex'),
      };
    }
    return undefined;
  }
}

/** The package whose dpkg record (`/var/lib/dpkg/info/<pkg>.postinst`, `.list`…) `path` is. */
export function dpkgRecordOf(path: string): string | undefined {
  const m = /^\/var\/lib\/dpkg\/info\/([a-z0-9][a-z0-9+.-]*?)(?::[a-z0-9-]+)?\.[a-z0-9_-]+$/.exec(
    path,
  );
  return m?.[1];
}

// dpkg and ucf leave a conffile's new version beside it under these names.
const CONFFILE_SIDE = /\.(?:dpkg-new|dpkg-dist|dpkg-tmp|ucf-dist|ucf-new)$/;

/** The conffile a side copy (`/etc/cron.d/x.dpkg-new`) is the new version of. */
export function conffileOfSideCopy(path: string): string | undefined {
  return CONFFILE_SIDE.test(path) ? path.replace(CONFFILE_SIDE, '') : undefined;
}

/** Where a merged-/usr system (Debian 12) really keeps what its database lists at /bin, /sbin, /lib*. */
export function usrMergedPath(path: string): string {
  return /^\/(bin|sbin|lib|lib32|lib64|libx32)(\/|$)/.test(path) ? `/usr${path}` : path;
}
