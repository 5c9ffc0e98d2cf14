/**
 * What tar itself would make of a bundle's archive, checked header by header before
 * tar-stream reads it. tar-stream and GNU tar (or bsdtar) read some headers differently:
 * GNU tar expands a sparse entry (pax `GNU.sparse.*` keys, formats 0.0, 0.1 and 1.0; the
 * old-GNU type 'S') into other bytes than the ones stored, which tar-stream hands over
 * as they are; it applies pax keys and global headers tar-stream ignores; it stops at
 * the end-of-archive marker where tar-stream reads on; it skips a folder entry's data
 * where tar-stream reads that data as headers. A verify that hashed tar-stream's view
 * would vouch for bytes nobody extracts (issue 24).
 *
 * So an allow-list, not a list of known tricks: the headers coroner's writer makes
 * (ustar regular files, a pax header holding only `path` for a long or non-ASCII name)
 * and those of a person's re-pack of an extracted bundle (GNU or ustar folders, one GNU
 * 'L' long name, pax time and owner keys); link, device and contiguous-file entries
 * with no data pass too, for verify to name them forged. Anything else refuses the whole
 * bundle, naming the entry: past a header tar reads another way, nothing can be read
 * the way tar would.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { BundleForged } from './bundle-errors.js';

const BLOCK = 512;
/** An extended header's data (a pax header, a GNU long name): a name is at most a few KiB. */
const MAX_EXTENDED_BYTES = 64 * 1024;

/** One entry as tar would extract it: the name (after any pax or long-name header), its type flag, its size. */
export interface TarHeaderView {
  name: string;
  /** The type flag as a character: '0' for a regular file ('\0' is read as '0'), '5' a folder… */
  typeflag: string;
  sizeBytes: number;
}

/**
 * Pax keys that change neither which bytes an entry holds nor where they go, each with the
 * values tar reads without complaint (a malformed one makes GNU tar warn and may skip the entry).
 */
const PAX_KEYS: Record<string, RegExp> = {
  path: /^/,
  mtime: /^-?\d{1,20}(\.\d{1,9})?$/,
  atime: /^-?\d{1,20}(\.\d{1,9})?$/,
  ctime: /^-?\d{1,20}(\.\d{1,9})?$/,
  uid: /^\d{1,20}$/,
  gid: /^\d{1,20}$/,
  uname: /^/,
  gname: /^/,
};

/** Entry types verify names forged itself (tar-stream and tar agree on them) when they hold no data. */
const DATALESS_TYPES = new Set(['1', '2', '3', '4', '6']);

const REFUSED_TYPES: Record<string, string> = {
  S: 'an old-GNU sparse entry (type S): GNU tar expands it into other bytes than the ones stored, which are the ones verified',
  g: 'a pax global header: it changes how tar reads every entry after it, and tar-stream ignores it',
  K: 'a GNU long link name (type K): coroner never writes links',
  D: 'a GNU folder dump (type D): GNU tar reads its data as a file list',
  M: 'a GNU multi-volume continuation (type M)',
  N: 'an old GNU long-name entry (type N)',
  V: 'a GNU volume label (type V)',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function refuse(name: string, why: string): BundleForged {
  return new BundleForged(
    `the bundle's entry ${JSON.stringify(name)} is ${why}`,
    'Do not extract it: tar would write other bytes than the ones verified. Nothing in it can be trusted as evidence; ask its sender for the bundle again.',
  );
}

/** Text up to the first NUL of a field, as tar and tar-stream both read it; undefined if not UTF-8. */
function fieldText(block: Buffer, offset: number, length: number): string | undefined {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  try {
    return utf8.decode(end < 0 ? field : field.subarray(0, end));
  } catch {
    return undefined;
  }
}

/**
 * A numeric field as every reader reads it alike: octal digits (leading spaces, then NULs
 * or spaces after), or base-256 with the high bit set (GNU, for sizes past 8 GiB).
 */
function numericField(block: Buffer, offset: number, length: number): number | undefined {
  const field = block.subarray(offset, offset + length);
  if (field[0] === 0x80) {
    let value = 0;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const text = field.toString('latin1');
  const match = /^ *([0-7]+)[ \0]*$/.exec(text);
  return match ? parseInt(match[1]!, 8) : undefined;
}

function checksumOf(block: Buffer): number {
  let sum = 8 * 0x20; // the checksum field itself counts as spaces
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  return sum;
}

type Header =
  { kind: 'end' } | { kind: 'entry'; rawName: string; typeflag: string; sizeBytes: number };

/** One 512-byte header block, read strictly: a zero block ends the archive. */
export function readHeaderBlock(block: Buffer): Header {
  if (block.every((b) => b === 0)) return { kind: 'end' };
  const shownName = fieldText(block, 0, 100) ?? block.subarray(0, 100).toString('latin1');
  const magic = block.subarray(257, 265).toString('latin1');
  const isUstar = magic === 'ustar\u000000';
  if (!isUstar && magic !== 'ustar  \u0000')
    throw refuse(shownName, 'not a ustar or GNU tar header');
  if (numericField(block, 148, 8) !== checksumOf(block))
    throw refuse(shownName, 'a header whose checksum is wrong');
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  const base = fieldText(block, 0, 100);
  // tar-stream and tar both join the ustar prefix only under the POSIX magic.
  const prefix = isUstar && block[345] ? fieldText(block, 345, 155) : '';
  if (base === undefined || prefix === undefined)
    throw refuse(shownName, 'named in bytes that are not UTF-8');
  const sizeBytes = numericField(block, 124, 12);
  if (sizeBytes === undefined) throw refuse(shownName, 'a header whose size is not a number');
  const rawName = prefix ? `${prefix}/${base}` : base;
  return { kind: 'entry', rawName, typeflag, sizeBytes };
}

/**
 * A pax header's records, strictly (`<length> <key>=<value>\n`, each key once, only keys
 * that change neither the bytes nor where they go), or why not: said of the entry it
 * precedes, once that entry is read.
 */
export function readPaxRecords(data: Buffer): Map<string, string> | { problem: string } {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const digits = space < 0 ? '' : data.subarray(at, space).toString('latin1');
    const length = /^[1-9][0-9]{0,6}$/.test(digits) ? Number(digits) : 0;
    if (!length || at + length > data.length || data[at + length - 1] !== 0x0a)
      return { problem: 'behind a malformed pax header' };
    let record: string;
    try {
      record = utf8.decode(data.subarray(space + 1, at + length - 1));
    } catch {
      return { problem: 'behind a pax header that is not UTF-8' };
    }
    const eq = record.indexOf('=');
    const key = eq > 0 ? record.slice(0, eq) : '';
    if (!key) return { problem: 'behind a malformed pax header' };
    if (records.has(key)) return { problem: `behind a pax header that gives ${key} twice` };
    records.set(key, record.slice(eq + 1));
    at += length;
  }
  for (const key of records.keys()) {
    if (key.startsWith('GNU.sparse.'))
      return {
        problem: `a sparse file (pax ${key}): GNU tar expands it into other bytes than the ones stored, which are the ones verified`,
      };
    if (!Object.hasOwn(PAX_KEYS, key))
      return {
        problem: `behind a pax header with ${JSON.stringify(key)}, which coroner never writes and tar-stream reads otherwise than tar, or not at all`,
      };
    if (!PAX_KEYS[key]!.test(records.get(key)!))
      return { problem: `behind a pax header whose ${key} is malformed` };
  }
  const path = records.get('path');
  if (path !== undefined && (path === '' || path.includes('\u0000')))
    return { problem: 'named by a pax path that is empty or holds a NUL' };
  return records;
}

/** The name a GNU 'L' entry gives the next one: its data up to a NUL, nothing after it. */
function readLongName(data: Buffer, entryName: string): string {
  const end = data.indexOf(0);
  const tail = end < 0 ? Buffer.alloc(0) : data.subarray(end);
  if (end <= 0 || tail.some((b) => b !== 0))
    throw refuse(entryName, 'behind a malformed GNU long name');
  try {
    return utf8.decode(data.subarray(0, end));
  } catch {
    throw refuse(entryName, 'named in bytes that are not UTF-8');
  }
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/** tar-stream's name for each type flag this check lets through. */
const TAR_STREAM_TYPES: Record<string, string> = {
  '0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
};

/**
 * Refuses an entry tar-stream read otherwise than this check (a second reading of every
 * header: what the two parsers agree on is what tar extracts).
 */
export function checkReadAlike(
  view: TarHeaderView | undefined,
  header: { name: string; type?: string | null; size?: number },
): void {
  if (
    !view ||
    view.name !== header.name ||
    TAR_STREAM_TYPES[view.typeflag] !== header.type ||
    view.sizeBytes !== header.size
  )
    throw refuse(header.name, 'read one way by tar and another by tar-stream');
}

/**
 * A pass-through stream that checks every header of the tar archive flowing through it
 * and refuses the first one tar would read another way (a `BundleForged` error). What it
 * read, entry by entry, is in `entries` for the reader to compare with tar-stream's.
 */
export class TarStructureCheck extends Transform {
  /** Each entry as tar would extract it, in order; the consumer shifts them off. */
  readonly entries: TarHeaderView[] = [];
  private pending = Buffer.alloc(0);
  /** Data bytes (with padding) still to pass before the next header. */
  private skip = 0;
  /** An extended header whose data is being collected. */
  private extended: { typeflag: 'x' | 'L'; sizeBytes: number; entryName: string } | undefined;
  /** The name the next entry gets from its extended header, or why that header is refused. */
  private longName: { name: string; problem?: string } | undefined;
  private isEnded = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.check(chunk);
    } catch (e) {
      return done(e as Error);
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.extended || this.longName)
      return done(
        refuse(this.longName?.name ?? 'PaxHeader', 'an extended header with no entry after it'),
      );
    done();
  }

  private check(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.isEnded) {
        // GNU tar stops at the end-of-archive marker; tar-stream would read what follows.
        if (chunk.subarray(at).some((b) => b !== 0))
          throw refuse(
            '(after the end)',
            'data after the end-of-archive marker, which tar never reads',
          );
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const want = this.extended ? padded(this.extended.sizeBytes) : BLOCK;
      const n = Math.min(want - this.pending.length, chunk.length - at);
      this.pending = Buffer.concat([this.pending, chunk.subarray(at, at + n)]);
      at += n;
      if (this.pending.length < want) continue;
      const whole = this.pending;
      this.pending = Buffer.alloc(0);
      if (this.extended) this.endExtended(whole);
      else this.header(whole);
    }
  }

  private endExtended(data: Buffer): void {
    const { typeflag, sizeBytes, entryName } = this.extended!;
    this.extended = undefined;
    const body = data.subarray(0, sizeBytes);
    if (typeflag === 'L') {
      this.longName = { name: readLongName(body, entryName) };
      return;
    }
    const records = readPaxRecords(body);
    // A pax header with no path leaves the entry its own name ('').
    this.longName =
      records instanceof Map ? { name: records.get('path') ?? '' } : { name: '', ...records };
  }

  private header(block: Buffer): void {
    const header = readHeaderBlock(block);
    if (header.kind === 'end') {
      if (this.longName)
        throw refuse(this.longName.name, 'an extended header with no entry after it');
      this.isEnded = true;
      return;
    }
    const { rawName, typeflag, sizeBytes } = header;
    if (typeflag === 'x' || typeflag === 'L') {
      if (this.longName)
        throw refuse(
          this.longName.name || rawName,
          'behind two extended headers (pax or GNU long name), which tar and tar-stream apply differently',
        );
      if (sizeBytes > MAX_EXTENDED_BYTES)
        throw refuse(rawName, `an extended header of ${sizeBytes} bytes, past any name's length`);
      this.extended = { typeflag, sizeBytes, entryName: rawName };
      if (sizeBytes === 0) this.endExtended(Buffer.alloc(0));
      return;
    }
    const name = this.longName?.name || rawName;
    const problem = this.longName?.problem;
    this.longName = undefined;
    if (problem) throw refuse(name, problem);
    const refused = REFUSED_TYPES[typeflag];
    if (refused) throw refuse(name, refused);
    if (typeflag === '0' || typeflag === '7') {
      // tar-stream decides "folder" from the ustar name alone, tar from the final one.
      if (rawName.endsWith('/') || name.endsWith('/'))
        throw refuse(
          name,
          'a file entry named like a folder, which tar and tar-stream read differently',
        );
    } else if (typeflag === '5' || DATALESS_TYPES.has(typeflag)) {
      // tar skips a folder's data; tar-stream reads it as the next headers.
      if (sizeBytes !== 0)
        throw refuse(name, `a type ${typeflag} entry that carries ${sizeBytes} bytes of data`);
    } else {
      throw refuse(
        name,
        `a tar entry of type ${JSON.stringify(typeflag)}, which coroner never writes and tar may extract as something else`,
      );
    }
    this.entries.push({ name, typeflag, sizeBytes });
    this.skip = typeflag === '5' ? 0 : padded(sizeBytes);
  }
}
