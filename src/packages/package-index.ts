/**
 * What the package databases list of the changed paths, and each changed file judged
 * against it. Only the changed paths are kept, so memory grows with the change, not with
 * the image's package count. The image's database is the baseline; the container's own
 * is consulted for files the image never listed (packages installed in the container),
 * and to tell an upgrade in the container (or a cover-up) from a plain modification.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { CaseFolder } from '../case/case-folder.js';
import type { ChangeKind, StoredVersion } from '../report/change.js';
import type { DigestAlgorithm, PackageEvidence } from '../report/package.js';
import { conffileOfSideCopy, usrMergedPath, type ListedFile } from './package-db.js';

/**
 * A link a package's file list names (dpkg lists links in `<pkg>.list` only, with no target),
 * with the package's folders: the second-level folders its list names (`/usr/share`,
 * `/etc/cacti`), where a link of its own may point without leaving what it installed into.
 */
export interface PackageLink {
  manager: 'dpkg';
  package: string;
  database: 'image' | 'container';
  folders: readonly string[];
}

/** Most second-level folders kept of one package, and most packages whose folders are kept. */
const MAX_FOLDERS_PER_PACKAGE = 64;
const MAX_PACKAGES_WITH_FOLDERS = 100_000;

export class PackageIndex {
  readonly #wanted: ReadonlySet<string>;
  readonly #isUsrMerged: boolean;
  readonly #image = new Map<string, ListedFile>();
  readonly #container = new Map<string, ListedFile>();
  /** Wanted paths a file list names: the package, per database. */
  readonly #named = { image: new Map<string, string>(), container: new Map<string, string>() };
  /** `<database> <package>` to the second-level folders its file list names. */
  readonly #folders = new Map<string, Set<string>>();

  /** `wanted`: the changed paths; `isUsrMerged`: /bin and friends are links into /usr. */
  constructor(wanted: Iterable<string>, isUsrMerged: boolean) {
    this.#isUsrMerged = isUsrMerged;
    this.#wanted = new Set(
      [...wanted].flatMap((p) => [p, conffileOfSideCopy(p) ?? p]).map((p) => this.#key(p)),
    );
  }

  #key(path: string): string {
    return this.#isUsrMerged ? usrMergedPath(path) : path;
  }

  add(database: 'image' | 'container', file: ListedFile): void {
    if (file.isNamedOnly) return this.#addNamed(database, file);
    const key = this.#key(file.path);
    if (!this.#wanted.has(key)) return;
    const into = database === 'image' ? this.#image : this.#container;
    // A path two packages list (a diversion, a conflict): the first listing stands. dpkg's
    // status saying it is a conffile wins over an md5sums file that lists it too.
    const known = into.get(key);
    if (!known || (file.isConffile && !known.isConffile)) into.set(key, file);
  }

  #addNamed(database: 'image' | 'container', file: ListedFile): void {
    const key = this.#key(file.path);
    // `/usr/share/cacti/x` gives `/usr/share`; a path two deep names no folder below `/…`.
    const parts = key.split('/');
    if (parts.length >= 4) {
      const id = `${database} ${file.package}`;
      let folders = this.#folders.get(id);
      if (!folders && this.#folders.size < MAX_PACKAGES_WITH_FOLDERS)
        this.#folders.set(id, (folders = new Set()));
      if (folders && folders.size < MAX_FOLDERS_PER_PACKAGE)
        folders.add(parts.slice(0, 3).join('/'));
    }
    if (this.#wanted.has(key) && !this.#named[database].has(key))
      this.#named[database].set(key, file.package);
  }

  /** The package whose file list names `path` (a link), the image's database first. */
  linkOwner(path: string): PackageLink | undefined {
    const key = this.#key(path);
    for (const database of ['image', 'container'] as const) {
      const pkg = this.#named[database].get(key);
      if (pkg === undefined) continue;
      const folders = [...(this.#folders.get(`${database} ${pkg}`) ?? [])].sort();
      return { manager: 'dpkg', package: pkg, database, folders };
    }
    return undefined;
  }

  get size(): number {
    return this.#image.size + this.#container.size;
  }

  /** What lists `path`; a conffile's side copy (`x.dpkg-new`) is looked up as the conffile. */
  lookup(path: string): { image?: ListedFile; container?: ListedFile } {
    const side = conffileOfSideCopy(path);
    if (side !== undefined) {
      const found = this.lookup(side);
      return found.image?.isConffile || found.container?.isConffile ? found : {};
    }
    const key = this.#key(path);
    const image = this.#image.get(key);
    const container = this.#container.get(key);
    return { ...(image ? { image } : {}), ...(container ? { container } : {}) };
  }
}

/** The hex digest of a stored file's whole content. */
async function digestOf(folder: CaseFolder, relative: string, algorithm: DigestAlgorithm) {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(folder.locate(relative)), hash);
  return hash.digest('hex');
}

/** A changed path judged against the databases: undefined when no database lists it. */
export async function judgePackageFile(
  index: PackageIndex,
  folder: CaseFolder,
  path: string,
  kind: ChangeKind,
  current: StoredVersion | undefined,
): Promise<PackageEvidence | undefined> {
  const { image, container } = index.lookup(path);
  const listed = image ?? container;
  if (!listed) return undefined;
  const evidence: PackageEvidence = {
    manager: listed.manager,
    package: listed.package,
    database: image ? 'image' : 'container',
    ...(listed.isConffile ? { isConffile: true } : {}),
    algorithm: listed.algorithm,
    expected: listed.digest,
    verdict: 'unchecked',
  };
  if (kind === 'D' || !current) return { ...evidence, verdict: 'deleted' };
  // apk lists a package's links too, with the checksum of the link's target text; dpkg and
  // rpm list none, so a file they list that is now a link differs.
  if (current.meta.type === 'symlink' && current.meta.linkTarget !== undefined) {
    const actual = createHash(listed.algorithm).update(current.meta.linkTarget).digest('hex');
    return actual === listed.digest
      ? { ...evidence, actual, verdict: 'matches', note: "a link to the package's own target" }
      : {
          ...evidence,
          actual,
          verdict: 'differs',
          note: 'now a link, not what the package installed',
        };
  }
  if (current.meta.type !== 'file')
    return { ...evidence, verdict: 'differs', note: `now a ${current.meta.type}` };
  if (!current.content)
    return { ...evidence, note: 'its content was not stored (a problem says why)' };
  if (listed.digest === '')
    return { ...evidence, note: 'the package is not configured yet: dpkg recorded no checksum' };
  if (current.content.isTruncated)
    return { ...evidence, note: 'only the start of it was stored (over the content cap)' };
  const actual = await digestOf(folder, current.content.path, listed.algorithm);
  if (actual === listed.digest) return { ...evidence, actual, verdict: 'matches' };
  const rewritten =
    image !== undefined && container?.algorithm === listed.algorithm && container.digest === actual;
  return {
    ...evidence,
    actual,
    verdict: 'differs',
    ...(rewritten ? { isInContainerDatabase: true } : {}),
  };
}
