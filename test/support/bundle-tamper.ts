/** Rewrites a bundle (.tar.gz) entry by entry, to simulate tampering in tests. */
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
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
