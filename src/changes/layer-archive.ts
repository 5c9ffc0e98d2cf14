/**
 * A layer folder (a container's writable layer on the engine's host) as a POSIX tar,
 * produced as it is read: every entry as it is on disk, never followed (a link is stored as
 * a link, a deletion as overlayfs's 0/0 character device, an opaque folder and a file's
 * capabilities as their extended attributes), names and link targets as their raw bytes.
 * tar-stream's packer writes names and PAX values as UTF-8 text, which would change a name
 * that is not UTF-8 and a binary capability; so each entry's header is written here, from
 * pax(5): https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html
 */
import { constants, type Stats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';

const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK);

/** One entry of the folder, as walked (lstat, never followed). */
export interface FolderEntry {
  /** The container path's raw bytes, `/` first. */
  rawPath: Buffer;
  /** Its place on the host. */
  hostPath: Buffer;
  stat: Stats;
  /** Extended attributes to keep (`trusted.overlay.opaque`, `security.capability`). */
  xattrs?: ReadonlyMap<string, Buffer>;
}

/** An entry that could not be archived as it was (a socket; a file that changed meanwhile). */
export type ArchiveNote = (rawPath: Buffer, note: string) => void;

function octal(value: number, width: number): Buffer {
  const field = Buffer.alloc(width);
  field.write(value.toString(8).padStart(width - 1, '0'), 0, 'ascii');
  return field;
}

/** Numbers too large for their octal field are given in PAX records; the field holds 0. */
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/** A PAX record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length)
    length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

function nanoTime(ms: number, ns: bigint | undefined): string {
  if (ns !== undefined) {
    const s = ns / 1_000_000_000n;
    const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
    return `${s}.${frac}`;
  }
  return (ms / 1000).toFixed(3);
}

function typeFlag(stat: Stats): string | undefined {
  if (stat.isFile()) return '0';
  if (stat.isSymbolicLink()) return '2';
  if (stat.isCharacterDevice()) return '3';
  if (stat.isBlockDevice()) return '4';
  if (stat.isDirectory()) return '5';
  if (stat.isFIFO()) return '6';
  return undefined; // a socket: tar has no type for it
}

function header(fields: {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkName?: Buffer;
  devMajor?: number;
  devMinor?: number;
}): Buffer {
  const h = Buffer.alloc(BLOCK);
  fields.name.copy(h, 0, 0, Math.min(100, fields.name.length));
  octal(fields.mode, 8).copy(h, 100);
  octal(fields.uid <= MAX_OCTAL_7 ? fields.uid : 0, 8).copy(h, 108);
  octal(fields.gid <= MAX_OCTAL_7 ? fields.gid : 0, 8).copy(h, 116);
  octal(fields.size <= MAX_OCTAL_11 ? fields.size : 0, 12).copy(h, 124);
  octal(Math.max(0, Math.min(fields.mtime, MAX_OCTAL_11)), 12).copy(h, 136);
  h.write(fields.type, 156, 'ascii');
  fields.linkName?.copy(h, 157, 0, Math.min(100, fields.linkName.length));
  h.write('ustar\u000000', 257, 'latin1');
  octal(fields.devMajor ?? 0, 8).copy(h, 329);
  octal(fields.devMinor ?? 0, 8).copy(h, 337);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : ZEROS.subarray(0, BLOCK - rest);
}

/** The tar of `entries` (parents before children), streamed: one file's bytes at a time. */
export async function* archiveEntries(
  entries: AsyncIterable<FolderEntry>,
  note: ArchiveNote,
  /** A file past this keeps its first bytes only (its PAX `CORONER.size` says how large it was). */
  maxFileBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<Buffer> {
  for await (const { entry, small } of readingAhead(entries, maxFileBytes, note)) {
    const { stat } = entry;
    const type = typeFlag(stat);
    if (!type) {
      note(entry.rawPath, 'a socket: tar cannot hold one, so it is left out');
      continue;
    }
    // Relative names, `./etc/passwd`, as Docker's own layer tars have them.
    const name = Buffer.concat([
      Buffer.from('.'),
      entry.rawPath,
      type === '5' ? Buffer.from('/') : Buffer.alloc(0),
    ]);
    const linkName = stat.isSymbolicLink()
      ? await readlink(entry.hostPath, { encoding: 'buffer' })
      : undefined;
    const wholeSize = stat.isFile() ? stat.size : 0;
    const size = Math.min(wholeSize, maxFileBytes);
    const records: Buffer[] = [];
    if (size < wholeSize) {
      records.push(paxRecord('CORONER.size', Buffer.from(String(wholeSize))));
      note(entry.rawPath, `${wholeSize} bytes: only the first ${size} are kept here`);
    }
    if (!isUtf8(name) || (linkName && !isUtf8(linkName)))
      records.push(paxRecord('hdrcharset', Buffer.from('BINARY')));
    records.push(paxRecord('path', name));
    if (linkName) records.push(paxRecord('linkpath', linkName));
    if (size > MAX_OCTAL_11) records.push(paxRecord('size', Buffer.from(String(size))));
    if (stat.uid > MAX_OCTAL_7) records.push(paxRecord('uid', Buffer.from(String(stat.uid))));
    if (stat.gid > MAX_OCTAL_7) records.push(paxRecord('gid', Buffer.from(String(stat.gid))));
    const big = stat as Stats & { mtimeNs?: bigint; ctimeNs?: bigint };
    records.push(paxRecord('mtime', Buffer.from(nanoTime(stat.mtimeMs, big.mtimeNs))));
    records.push(paxRecord('ctime', Buffer.from(nanoTime(stat.ctimeMs, big.ctimeNs))));
    for (const [key, value] of entry.xattrs ?? [])
      records.push(paxRecord(`SCHILY.xattr.${key}`, value));
    const pax = Buffer.concat(records);
    yield header({
      name: Buffer.from('././@PaxHeader'),
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: pax.length,
      mtime: Math.floor(stat.mtimeMs / 1000),
      type: 'x',
    });
    yield pax;
    yield padding(pax.length);
    yield header({
      name,
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
      size,
      mtime: Math.floor(stat.mtimeMs / 1000),
      type,
      ...(linkName ? { linkName } : {}),
      ...(stat.isCharacterDevice() || stat.isBlockDevice()
        ? {
            devMajor: Math.floor(stat.rdev / 256) & 0xfff,
            devMinor: (stat.rdev & 0xff) | ((stat.rdev >> 12) & 0xfff00),
          }
        : {}),
    });
    if (size > 0) {
      if (small) yield await small;
      else yield* fileBytes(entry, size, wholeSize, note);
      yield padding(size);
    }
  }
  yield ZEROS;
  yield ZEROS;
}

/** Files up to this size are read whole, a few ahead of the one being written. */
const SMALL_FILE_BYTES = 1024 * 1024;
const READ_AHEAD = 8;

/**
 * The entries in order, each small file's bytes already being read: opening and reading
 * thousands of small files one after the other is most of an archive's time.
 */
async function* readingAhead(
  entries: AsyncIterable<FolderEntry>,
  maxFileBytes: number,
  note: ArchiveNote,
): AsyncGenerator<{ entry: FolderEntry; small?: Promise<Buffer> }> {
  const queue: { entry: FolderEntry; small?: Promise<Buffer> }[] = [];
  for await (const entry of entries) {
    const size = entry.stat.isFile() ? Math.min(entry.stat.size, maxFileBytes) : 0;
    if (size > 0 && size <= SMALL_FILE_BYTES) {
      const small = smallFile(entry, size, entry.stat.size, note);
      small.catch(() => undefined); // awaited in its turn; until then, not unhandled
      queue.push({ entry, small });
    } else queue.push({ entry });
    if (queue.length > READ_AHEAD) yield queue.shift()!;
  }
  yield* queue;
}

/** A small file's `size` bytes, read at once (see fileBytes). */
async function smallFile(
  entry: FolderEntry,
  size: number,
  wholeSize: number,
  note: ArchiveNote,
): Promise<Buffer> {
  const handle = await open(entry.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    // One byte more than expected: a file that grew says so without another stat.
    const data = Buffer.alloc(size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(data, got, data.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === data.length) break;
    }
    if (got < size)
      note(entry.rawPath, `shrank from ${size} to ${got} bytes while archived; filled with zeros`);
    else if (got > size && size === wholeSize)
      note(entry.rawPath, `changed size while archived; its first ${size} bytes are kept`);
    return data.subarray(0, size);
  } finally {
    await handle.close();
  }
}

/**
 * The same bytes in pieces of about `bytes` (a layer of many small files makes many small
 * headers): fewer, larger writes down the pipeline.
 */
export async function* inPieces(
  source: AsyncIterable<Buffer>,
  bytes = 256 * 1024,
): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const chunk of source) {
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes >= bytes) {
      yield Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
    }
  }
  if (heldBytes > 0) yield Buffer.concat(held, heldBytes);
}

/**
 * Exactly `size` bytes of the file (its size when walked, up to the cap): never through a link; a file that
 * shrank meanwhile is filled with zeros, one that grew is cut, and either is noted.
 */
async function* fileBytes(
  entry: FolderEntry,
  size: number,
  wholeSize: number,
  note: ArchiveNote,
): AsyncGenerator<Buffer> {
  const handle = await open(entry.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  let sent = 0;
  try {
    const chunk = Buffer.alloc(Math.min(size, 256 * 1024));
    while (sent < size) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - sent), sent);
      if (bytesRead === 0) break;
      sent += bytesRead;
      yield Buffer.from(chunk.subarray(0, bytesRead));
    }
    if (sent < size) {
      note(entry.rawPath, `shrank from ${size} to ${sent} bytes while archived; filled with zeros`);
      for (let left = size - sent; left > 0; left -= Math.min(left, chunk.length))
        yield Buffer.alloc(Math.min(left, chunk.length));
    } else if ((await handle.stat()).size !== wholeSize)
      note(entry.rawPath, `changed size while archived; its first ${size} bytes are kept`);
  } finally {
    await handle.close();
  }
}
