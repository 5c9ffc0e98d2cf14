/** Rewrites a bundle (.tar.gz) entry by entry, to simulate tampering in tests. */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack, type Header } from 'tar-stream';

export type Edit = (name: string, content: Buffer) => Buffer | null | undefined;

/** An entry to append: a regular file by default, or any tar type (a link, a contiguous file…). */
export type Appended = Partial<Header> & { name: string; content?: string };

/** Copies `from` to `to`, passing each file through `edit` (null drops it); `add` entries are appended. */
export async function rewriteBundle(
  from: string,
  to: string,
  edit: Edit,
  add: Record<string, string> | Appended[] = {},
): Promise<void> {
  const reader = extract();
  const writer = pack();
  const done = pipeline(writer as unknown as Readable, createGzip(), createWriteStream(to));
  createReadStream(from)
    .pipe(createGunzip())
    .pipe(reader as unknown as NodeJS.WritableStream);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const c of entry as unknown as Readable) chunks.push(c as Buffer);
    const out = edit(entry.header.name, Buffer.concat(chunks));
    if (out === null) continue;
    const body = out ?? Buffer.concat(chunks);
    await new Promise<void>((resolve, reject) =>
      writer.entry({ ...entry.header, size: body.length }, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  const appended: Appended[] = Array.isArray(add)
    ? add
    : Object.entries(add).map(([name, content]) => ({ name, content }));
  for (const { content, ...header } of appended) {
    await new Promise<void>((resolve, reject) =>
      writer.entry(header, content ?? '', (err) => (err ? reject(err) : resolve())),
    );
  }
  writer.finalize();
  await done;
}

/** Fields of a raw tar header block; the rest are zero, the checksum is computed. */
export interface RawHeader {
  name: string;
  size: number;
  /** The type flag character ('0' a file, 'x' a pax header, 'S' old-GNU sparse…). */
  typeflag: string;
  /** 'gnu' writes the old-GNU magic (`ustar  \0`), else POSIX ustar. */
  magic?: 'ustar' | 'gnu';
  /** Raw bytes to place at an offset (old-GNU sparse map, real size…). */
  at?: Record<number, Buffer | string>;
}

/** One 512-byte tar header block, written by hand to make headers tar-stream cannot write. */
export function rawHeader(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(h.size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(h.typeflag, 156, 'latin1');
  block.write(h.magic === 'gnu' ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  for (const [offset, value] of Object.entries(h.at ?? {}))
    (Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1')).copy(block, Number(offset));
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

/** A pax extended header ('x') and its records, padded to blocks. */
export function paxHeader(records: Record<string, string>): Buffer {
  let data = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
    data += `${length}${body}`;
  }
  return Buffer.concat([
    rawHeader({ name: 'PaxHeader', size: Buffer.byteLength(data), typeflag: 'x' }),
    padToBlocks(Buffer.from(data)),
  ]);
}

export function padToBlocks(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** A tar archive's raw entries: each its header block(s) and padded data, by the name tar-stream gives it. */
interface RawEntry {
  name: string;
  bytes: Buffer;
  data: Buffer;
}

function rawEntries(tar: Buffer): RawEntry[] {
  const entries: RawEntry[] = [];
  let at = 0;
  let start = 0;
  let longName: string | undefined;
  while (at + 512 <= tar.length && tar.subarray(at, at + 512).some((b) => b !== 0)) {
    const header = tar.subarray(at, at + 512);
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, ''), 8);
    const type = String.fromCharCode(header[156]!);
    const data = tar.subarray(at + 512, at + 512 + size);
    const next = at + 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      longName = /\d+ path=(.*)\n/.exec(data.toString('utf8'))?.[1];
    } else {
      const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
      const base = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const name = longName ?? (prefix ? `${prefix}/${base}` : base);
      entries.push({ name, bytes: tar.subarray(start, next), data: Buffer.from(data) });
      longName = undefined;
      start = next;
    }
    at = next;
  }
  return entries;
}

/**
 * Rewrites a bundle's raw tar: each entry's header block(s) and data go through `forge`
 * (given its name and data; undefined keeps it as it is); `after` is appended after the
 * end-of-archive marker. For headers tar-stream's writer cannot make (sparse, type S…).
 */
export async function forgeRawBundle(
  from: string,
  to: string,
  forge: (name: string, data: Buffer) => Buffer | undefined,
  opts: { append?: Buffer; after?: Buffer } = {},
): Promise<void> {
  const tar = gunzipSync(await readFile(from));
  const out = rawEntries(tar).map((e) => forge(e.name, e.data) ?? e.bytes);
  if (opts.append) out.push(opts.append);
  out.push(Buffer.alloc(1024));
  if (opts.after) out.push(opts.after);
  await writeFile(to, gzipSync(Buffer.concat(out)));
}
