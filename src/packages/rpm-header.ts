/**
 * An installed package's header as RPM keeps it in its database (a `Packages` row): the
 * package's name and version, and each file with its digest, mode and flags. The layout
 * (index count, data length, 16-byte index entries, then the data) is rpm's
 * `headerImport` format; the tags are from rpmtag.h. A forged header is rejected whole
 * where rpm rejects it (lib/header.c `hdrblobVerifyInfo`: each entry's data in bounds,
 * aligned, and after the one before it, so no two tags share bytes and decoding costs at
 * most the header's size, counted against the file's budget). A tag the header holds more
 * than once is read as rpm 4.18 reads it, and named (`repeatedTags`).
 */
import type { DigestAlgorithm } from '../report/package.js';
import { ReadBudget } from './read-budget.js';

export class RpmHeaderError extends Error {}

const TAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  fileModes: 1030,
  fileDigests: 1035,
  fileFlags: 1037,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
  fileDigestAlgo: 5011,
} as const;

const TYPE = { int16: 3, int32: 4, string: 6, stringArray: 8, i18nString: 9 } as const;
// Bytes of each of rpm's types (rpm_tagtype_e), 0 for NULL, -1 for the string types; the
// alignment rpm requires of each (typeAlign in lib/header.c).
const TYPE_BYTES = [0, 1, 1, 2, 4, 8, -1, 1, -1, -1];
const TYPE_ALIGN = [1, 1, 1, 2, 4, 8, 1, 1, 1, 1];
// HEADERIMAGE, HEADERSIGNATURES, HEADERIMMUTABLE: an entry that marks out a region.
const REGION_TAGS = new Set([61, 62, 63]);
const READ_TAGS = new Set<number>(Object.values(TAG));

/** rpm's PGPHASHALGO numbers, for the file digests; MD5 when a header names none. */
const DIGEST_ALGORITHMS: Record<number, DigestAlgorithm> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

const RPMFILE_CONFIG = 1 << 0;
const REGULAR_FILE = 0o100000;
// rpm's own bounds on a header it imports (header_internal.h).
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 256 * 1024 * 1024;

export interface RpmFile {
  path: string;
  digest: string;
  isConfig: boolean;
}

export interface RpmHeader {
  name: string;
  /** `[epoch:]version-release`. */
  version: string;
  algorithm: DigestAlgorithm;
  /** Tags coroner reads that the header holds more than once, in tag order. */
  repeatedTags: number[];
  /**
   * The regular files with a digest, decoded one at a time (links, folders and ghosts have
   * none to check); each call decodes them again.
   */
  files(): Generator<RpmFile>;
}

interface Entry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

/**
 * How many data bytes an entry's value takes, as rpm's `dataLength` counts them; throws
 * where rpm would reject the header.
 */
function dataLength(e: Entry, data: Buffer, budget: ReadBudget): number {
  if (e.type === TYPE.string || e.type === TYPE.stringArray || e.type === TYPE.i18nString) {
    const count = e.type === TYPE.string ? 1 : e.count;
    if (e.type === TYPE.string && e.count !== 1)
      throw new RpmHeaderError(`tag ${e.tag} is one string said to be ${e.count}`);
    // Each string takes at least its NUL: more than the bytes left cannot fit.
    if (count > data.length - e.offset)
      throw new RpmHeaderError(`tag ${e.tag} runs off the header`);
    budget.spend(count);
    let at = e.offset;
    for (let i = 0; i < count; i++) {
      const end = data.indexOf(0, at);
      if (end < 0) throw new RpmHeaderError(`tag ${e.tag} runs off the header`);
      at = end + 1;
    }
    budget.spend(0, at - e.offset);
    return at - e.offset;
  }
  const length = TYPE_BYTES[e.type]! * e.count;
  if (e.offset + length > data.length) throw new RpmHeaderError(`tag ${e.tag} runs off the header`);
  return length;
}

/**
 * The entry rpm 4.18 reads for each tag, as its `headerImport` and `findEntry` choose
 * among copies: entries after a region (added at install) replace the region's own of the
 * same tag; then the index is sorted by tag (stably, as glibc's qsort sorts a small array)
 * and searched by glibc's bsearch, a header with no region being given one first. Which
 * copy that is depends on the whole index, as rpm's own answer does.
 */
function chosenEntries(entries: Entry[], regionEntries: number | undefined): Map<number, Entry> {
  const region =
    regionEntries === undefined
      ? [{ tag: 61, type: 7, offset: 0, count: 16 }, ...entries]
      : entries.slice(0, regionEntries);
  const added = entries.slice(regionEntries ?? entries.length);
  const addedTags = new Set(added.map((e) => e.tag));
  const sorted = [...region.filter((e) => !addedTags.has(e.tag)), ...added].sort(
    (a, b) => a.tag - b.tag,
  );
  const chosen = new Map<number, Entry>();
  for (const tag of READ_TAGS) {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const at = sorted[middle]!.tag;
      if (tag < at) high = middle;
      else if (tag > at) low = middle + 1;
      else {
        chosen.set(tag, sorted[middle]!);
        break;
      }
    }
  }
  return chosen;
}

/** How many index entries the region that the first entry marks out holds (rpm's `ril`). */
function regionSize(first: Entry, entries: number, data: Buffer): number {
  if (first.type !== 7 || first.count !== 16 || first.offset + 16 > data.length)
    throw new RpmHeaderError('a header region that does not hold together');
  const trailer = data.readInt32BE(first.offset + 8);
  const size = -trailer / 16;
  if (!Number.isInteger(size) || size < 1 || size > entries)
    throw new RpmHeaderError('a header region that does not hold together');
  return size;
}

export function parseRpmHeader(blob: Buffer, budget = ReadBudget.forFile(blob.length)): RpmHeader {
  if (blob.length < 8) throw new RpmHeaderError('a header shorter than its counts');
  const count = blob.readUInt32BE(0);
  const dataBytes = blob.readUInt32BE(4);
  if (count > MAX_INDEX_ENTRIES || dataBytes > MAX_DATA_BYTES)
    throw new RpmHeaderError('a header larger than rpm allows');
  const dataStart = 8 + count * 16;
  if (dataStart + dataBytes > blob.length) throw new RpmHeaderError('a header longer than its row');
  const data = blob.subarray(dataStart, dataStart + dataBytes);
  budget.spend(count);
  const entries: Entry[] = Array.from({ length: count }, (_, i) => ({
    tag: blob.readUInt32BE(8 + i * 16),
    type: blob.readUInt32BE(12 + i * 16),
    offset: blob.readUInt32BE(16 + i * 16),
    count: blob.readUInt32BE(20 + i * 16),
  }));
  const hasRegion = entries[0] !== undefined && REGION_TAGS.has(entries[0].tag);
  const regionEntries = hasRegion ? regionSize(entries[0]!, count, data) : undefined;
  // rpm's hdrblobVerifyInfo: each entry (but a region's own) in bounds, aligned, after the last.
  let end = 0;
  for (const e of entries.slice(hasRegion ? 1 : 0)) {
    if (e.type < 1 || e.type > 9) throw new RpmHeaderError(`tag ${e.tag} has no type rpm knows`);
    if (e.tag < 100) throw new RpmHeaderError(`tag ${e.tag} is not one rpm allows`);
    if (e.offset < end)
      throw new RpmHeaderError(`tag ${e.tag} shares bytes with the tag before it`);
    if (e.offset > data.length || e.offset % TYPE_ALIGN[e.type]! !== 0)
      throw new RpmHeaderError(`tag ${e.tag} is outside the header or misaligned`);
    end = e.offset + dataLength(e, data, budget);
  }
  const tagCounts = new Map<number, number>();
  for (const e of entries)
    if (READ_TAGS.has(e.tag)) tagCounts.set(e.tag, (tagCounts.get(e.tag) ?? 0) + 1);
  const repeatedTags = [...tagCounts]
    .filter(([, n]) => n > 1)
    .map(([tag]) => tag)
    .sort((a, b) => a - b);
  // Each tag once (every real header): its one copy is the one rpm reads.
  const index =
    repeatedTags.length > 0
      ? chosenEntries(entries, regionEntries)
      : new Map(entries.filter((e) => READ_TAGS.has(e.tag)).map((e) => [e.tag, e]));

  /** The strings of a text tag, one at a time: their bytes were checked to lie in the data. */
  const strings = function* (tag: number): Generator<string> {
    const e = index.get(tag);
    if (!e) return;
    if (e.type !== TYPE.stringArray && e.type !== TYPE.string && e.type !== TYPE.i18nString)
      throw new RpmHeaderError(`tag ${tag} is not text`);
    let at = e.offset;
    for (let i = 0; i < (e.type === TYPE.stringArray ? e.count : 1); i++) {
      const stop = data.indexOf(0, at);
      budget.spend(1, stop + 1 - at);
      yield data.toString('utf8', at, stop);
      at = stop + 1;
    }
  };
  const first = (tag: number) => strings(tag).next().value as string | undefined;
  /** Number `i` of a number tag, undefined past its count. */
  const numbers = (tag: number): ((i: number) => number | undefined) => {
    const e = index.get(tag);
    if (!e) return () => undefined;
    const width = e.type === TYPE.int32 ? 4 : e.type === TYPE.int16 ? 2 : 0;
    if (!width) throw new RpmHeaderError(`tag ${tag} is not a number`);
    return (i) =>
      i >= e.count
        ? undefined
        : width === 4
          ? data.readUInt32BE(e.offset + i * 4)
          : data.readUInt16BE(e.offset + i * 2);
  };

  const name = first(TAG.name);
  if (!name) throw new RpmHeaderError('a header without a package name');
  const epoch = numbers(TAG.epoch)(0);
  const version = `${epoch ? `${epoch}:` : ''}${first(TAG.version) ?? ''}-${first(TAG.release) ?? ''}`;
  const algorithmNumber = numbers(TAG.fileDigestAlgo)(0) ?? 1;
  const algorithm = DIGEST_ALGORITHMS[algorithmNumber];
  if (!algorithm) throw new RpmHeaderError(`digest algorithm ${algorithmNumber} is unknown`);
  const dirIndexes = numbers(TAG.dirIndexes);
  const modes = numbers(TAG.fileModes);
  const flags = numbers(TAG.fileFlags);

  function* files(): Generator<RpmFile> {
    // Folders are looked up by index; names and digests are read alongside, one at a time.
    const dirNames = [...strings(TAG.dirNames)];
    const digests = strings(TAG.fileDigests);
    let i = 0;
    for (const base of strings(TAG.baseNames)) {
      const digest = (digests.next().value as string | undefined) ?? '';
      const dir = dirNames[dirIndexes(i) ?? -1];
      const mode = modes(i) ?? 0;
      const flag = flags(i) ?? 0;
      i++;
      if (dir === undefined || !digest || (mode & 0o170000) !== REGULAR_FILE) continue;
      yield { path: dir + base, digest, isConfig: (flag & RPMFILE_CONFIG) !== 0 };
    }
  }
  return { name, version, algorithm, repeatedTags, files };
}
