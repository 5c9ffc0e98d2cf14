/**
 * An installed package's header as RPM keeps it in its database (a `Packages` row): the
 * package's name and version, and each file with its digest, mode and flags. The layout
 * (index count, data length, 16-byte index entries, then the data) is rpm's
 * `headerImport` format; the tags are from rpmtag.h. A forged header is rejected whole.
 */
import type { DigestAlgorithm } from '../report/package.js';

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

export interface RpmPackage {
  name: string;
  /** `[epoch:]version-release`. */
  version: string;
  algorithm: DigestAlgorithm;
  /** The regular files with a digest; links, folders and ghosts have none to check. */
  files: RpmFile[];
}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

export function parseRpmHeader(blob: Buffer): RpmPackage {
  if (blob.length < 8) throw new RpmHeaderError('a header shorter than its counts');
  const entries = blob.readUInt32BE(0);
  const dataBytes = blob.readUInt32BE(4);
  if (entries > MAX_INDEX_ENTRIES || dataBytes > MAX_DATA_BYTES)
    throw new RpmHeaderError('a header larger than rpm allows');
  const dataStart = 8 + entries * 16;
  if (dataStart + dataBytes > blob.length) throw new RpmHeaderError('a header longer than its row');
  const data = blob.subarray(dataStart, dataStart + dataBytes);
  const index = new Map<number, Entry>();
  for (let i = 0; i < entries; i++) {
    const at = 8 + i * 16;
    index.set(blob.readUInt32BE(at), {
      type: blob.readUInt32BE(at + 4),
      offset: blob.readUInt32BE(at + 8),
      count: blob.readUInt32BE(at + 12),
    });
  }

  const strings = (tag: number): string[] => {
    const e = index.get(tag);
    if (!e) return [];
    if (e.type !== TYPE.stringArray && e.type !== TYPE.string && e.type !== TYPE.i18nString)
      throw new RpmHeaderError(`tag ${tag} is not text`);
    const out: string[] = [];
    let at = e.offset;
    for (let i = 0; i < (e.type === TYPE.stringArray ? e.count : 1); i++) {
      const end = data.indexOf(0, at);
      if (at >= data.length || end < 0) throw new RpmHeaderError(`tag ${tag} runs off the header`);
      out.push(data.toString('utf8', at, end));
      at = end + 1;
    }
    return out;
  };
  const numbers = (tag: number): number[] => {
    const e = index.get(tag);
    if (!e) return [];
    const width = e.type === TYPE.int32 ? 4 : e.type === TYPE.int16 ? 2 : 0;
    if (!width) throw new RpmHeaderError(`tag ${tag} is not a number`);
    if (e.offset + e.count * width > data.length)
      throw new RpmHeaderError(`tag ${tag} runs off the header`);
    return Array.from({ length: e.count }, (_, i) =>
      width === 4 ? data.readUInt32BE(e.offset + i * 4) : data.readUInt16BE(e.offset + i * 2),
    );
  };

  const name = strings(TAG.name)[0];
  if (!name) throw new RpmHeaderError('a header without a package name');
  const epoch = numbers(TAG.epoch)[0];
  const version = `${epoch ? `${epoch}:` : ''}${strings(TAG.version)[0] ?? ''}-${strings(TAG.release)[0] ?? ''}`;
  const algorithmNumber = numbers(TAG.fileDigestAlgo)[0] ?? 1;
  const algorithm = DIGEST_ALGORITHMS[algorithmNumber];
  if (!algorithm) throw new RpmHeaderError(`digest algorithm ${algorithmNumber} is unknown`);

  const baseNames = strings(TAG.baseNames);
  const dirNames = strings(TAG.dirNames);
  const dirIndexes = numbers(TAG.dirIndexes);
  const digests = strings(TAG.fileDigests);
  const modes = numbers(TAG.fileModes);
  const flags = numbers(TAG.fileFlags);
  const files: RpmFile[] = [];
  for (const [i, base] of baseNames.entries()) {
    const dir = dirNames[dirIndexes[i] ?? -1];
    const digest = digests[i] ?? '';
    if (dir === undefined || !digest || ((modes[i] ?? 0) & 0o170000) !== REGULAR_FILE) continue;
    files.push({ path: dir + base, digest, isConfig: ((flags[i] ?? 0) & RPMFILE_CONFIG) !== 0 });
  }
  return { name, version, algorithm, files };
}
