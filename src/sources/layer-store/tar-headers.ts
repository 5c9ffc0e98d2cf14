/**
 * The headers of a layer tar, read as raw bytes while the tar streams past: what the
 * layer recorded of each entry (name, type, mode, owner, link target, device numbers,
 * size, extended attributes), to hold the layer folder against. tar-stream decodes PAX
 * values as UTF-8, which loses the bytes of a binary attribute (`security.capability`);
 * this reader keeps them. It follows Go's archive/tar, which wrote Docker's layers: PAX
 * (`x`, and `SCHILY.xattr.*` for attributes), GNU long names (`L`, `K`), base-256
 * numbers, and no data after a header-only entry (links, devices, folders, fifos).
 * https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_03
 */

export type TarTypeFlag = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface RecordedEntry {
  /** The entry's name as the tar holds it (raw bytes). */
  name: Buffer;
  type: TarTypeFlag;
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  /** A link's target as the tar holds it (raw bytes); empty otherwise. */
  linkName: Buffer;
  devMajor: number;
  devMinor: number;
  /** Extended attributes (`SCHILY.xattr.<name>`), raw values. */
  xattrs: Map<string, Buffer>;
}

export class TarHeaderDamaged extends Error {}

const BLOCK = 512;
/** A PAX record or a GNU long name beyond this is not from a real layer. */
const MAX_META_BYTES = 1024 * 1024;

const TYPES: Record<string, TarTypeFlag> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};
/** Go's archive/tar reads no data after these, whatever their size field says. */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

function cString(field: Buffer): Buffer {
  const end = field.indexOf(0);
  return end === -1 ? field : field.subarray(0, end);
}

/** An octal number, or base-256 when the first byte's high bit is set (GNU, for big values). */
export function tarNumber(field: Buffer): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f;
    for (const b of field.subarray(1)) value = value * 256 + b;
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarHeaderDamaged(`${JSON.stringify(text)} is not octal`);
  return parseInt(text, 8);
}

/** PAX records: `<length> <key>=<value>\n`, values kept as bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= space - at || at + length > data.length)
      throw new TarHeaderDamaged('a PAX record has a wrong length');
    const record = data.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) throw new TarHeaderDamaged('a PAX record has no "="');
    records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1));
    at += length;
  }
  return records;
}

const XATTR = 'SCHILY.xattr.';

/**
 * Reads headers from a tar given in chunks of any size; `push` returns the entries whose
 * headers completed. Data is skipped, never copied.
 */
export class TarHeaderReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of data (with padding) to pass over before the next header. */
  private skip = 0;
  /** A PAX or long-name block being collected: its kind and size (padding excluded). */
  private meta: { kind: string; size: number } | undefined;
  private pax = new Map<string, Buffer>();
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;
  private isEnded = false;

  push(chunk: Buffer): RecordedEntry[] {
    const found: RecordedEntry[] = [];
    let at = 0;
    while (at < chunk.length && !this.isEnded) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const want = this.meta ? padded(this.meta.size) : BLOCK;
      const n = Math.min(want - this.pendingBytes, chunk.length - at);
      this.pending.push(chunk.subarray(at, at + n));
      this.pendingBytes += n;
      at += n;
      if (this.pendingBytes < want) break;
      const block = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      if (this.meta) this.takeMeta(block.subarray(0, this.meta.size));
      else {
        const entry = this.takeHeader(block);
        if (entry) found.push(entry);
      }
    }
    return found;
  }

  private takeMeta(data: Buffer): void {
    const kind = this.meta!.kind;
    this.meta = undefined;
    if (kind === 'x') for (const [k, v] of parsePax(data)) this.pax.set(k, v);
    else if (kind === 'L') this.longName = cString(data);
    else if (kind === 'K') this.longLink = cString(data);
    // 'g' (global PAX) is not written by Go for layers; read past it.
  }

  private takeHeader(block: Buffer): RecordedEntry | undefined {
    if (block.every((b) => b === 0)) {
      this.isEnded = true;
      return undefined;
    }
    const flag = String.fromCharCode(block[156]!);
    const size = tarNumber(block.subarray(124, 136));
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_META_BYTES)
        throw new TarHeaderDamaged(`a ${flag} header holds ${size} bytes of metadata`);
      this.meta = { kind: flag, size };
      if (size === 0) this.takeMeta(Buffer.alloc(0));
      return undefined;
    }
    const isUstar = block.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = isUstar ? cString(block.subarray(345, 500)) : Buffer.alloc(0);
    let name = cString(block.subarray(0, 100));
    if (prefix.length > 0) name = Buffer.concat([prefix, Buffer.from('/'), name]);
    const pax = this.pax;
    const entry: RecordedEntry = {
      name: pax.get('path') ?? this.longName ?? name,
      type: TYPES[flag] ?? 'file',
      mode: tarNumber(block.subarray(100, 108)) & 0o7777,
      uid: pax.has('uid')
        ? Number(pax.get('uid')!.toString())
        : tarNumber(block.subarray(108, 116)),
      gid: pax.has('gid')
        ? Number(pax.get('gid')!.toString())
        : tarNumber(block.subarray(116, 124)),
      sizeBytes: pax.has('size') ? Number(pax.get('size')!.toString()) : size,
      linkName: pax.get('linkpath') ?? this.longLink ?? cString(block.subarray(157, 257)),
      devMajor: tarNumber(block.subarray(329, 337)),
      devMinor: tarNumber(block.subarray(337, 345)),
      xattrs: new Map(
        [...pax]
          .filter(([k]) => k.startsWith(XATTR))
          .map(([k, v]) => [k.slice(XATTR.length), v] as const),
      ),
    };
    if (!TYPES[flag])
      throw new TarHeaderDamaged(`${JSON.stringify(name.toString())} has tar type ${flag}`);
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    this.skip = HEADER_ONLY.has(flag) ? 0 : padded(entry.sizeBytes);
    return entry;
  }
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;
