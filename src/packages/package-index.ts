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

export class PackageIndex {
  readonly #wanted: ReadonlySet<string>;
  readonly #isUsrMerged: boolean;
  readonly #image = new Map<string, ListedFile>();
  readonly #container = new Map<string, ListedFile>();

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
    const key = this.#key(file.path);
    if (!this.#wanted.has(key)) return;
    const into = database === 'image' ? this.#image : this.#container;
    // A path two packages list (a diversion, a conflict): the first listing stands. dpkg's
    // status saying it is a conffile wins over an md5sums file that lists it too.
    const known = into.get(key);
    if (!known || (file.isConffile && !known.isConffile)) into.set(key, file);
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
