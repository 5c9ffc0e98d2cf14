/**
 * An overlay writable layer folder as an OCI layer tar: what `docker commit` or a
 * snapshotter's diff would make of it, made by coroner itself from the folder, so a
 * runtime with no commit (containerd under the kubelet) still leaves an image of the
 * evidence. Overlay's deletions (0/0 character devices) become `.wh.` files and its
 * opaque folders `.wh..wh..opq`, as the OCI image spec says; hard links stay links. The
 * folder is the suspect's: walked without following a link, each file read through a
 * handle opened without following one, and a file that changes size while it is read is
 * cut or padded to the size its header promised, and said so.
 */
import { constants, type Stats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pack as createPack, type Header, type Pack } from 'tar-stream';
import { packEntry } from '../../tar-entries.js';
import { isWhiteoutDevice, walkLayerDir } from './layer-dir.js';

export interface LayerTarNotes {
  /** Entries a tar cannot hold (sockets), or that changed while read, in words. */
  left: string[];
  entries: number;
}

const CHUNK = 1024 * 1024;

/**
 * The tar of `dir` as a stream; `opaqueDirs` are the container paths overlay marked opaque
 * (read beforehand from their extended attributes). `notes` fills in as it streams.
 */
export function layerTar(
  dir: string,
  opaqueDirs: ReadonlySet<string>,
  notes: LayerTarNotes,
): Readable {
  const pack = createPack();
  const write = (header: Partial<Header> & { name: string }, body?: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry(header, body ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve())),
    );
  const firstPathOf = new Map<string, string>();

  const run = async () => {
    for await (const { path, raw, stat } of walkLayerDir(dir)) {
      const name = path.slice(1);
      const base = headerOf(name, stat);
      notes.entries++;
      if (isWhiteoutDevice(stat)) {
        const slash = name.lastIndexOf('/');
        await write({
          ...base,
          type: 'file',
          name: `${name.slice(0, slash + 1)}.wh.${name.slice(slash + 1)}`,
          mode: 0o644,
          size: 0,
        });
      } else if (stat.isDirectory()) {
        await write({ ...base, type: 'directory', name: `${name}/` });
        if (opaqueDirs.has(path))
          await write({
            ...base,
            type: 'file',
            name: `${name}/.wh..wh..opq`,
            mode: 0o644,
            size: 0,
          });
      } else if (stat.isSymbolicLink()) {
        const target = await readlink(raw, { encoding: 'buffer' });
        await write({ ...base, type: 'symlink', linkname: target.toString('utf8') });
      } else if (stat.isFile()) {
        const key = `${stat.dev}:${stat.ino}`;
        const first = stat.nlink > 1 ? firstPathOf.get(key) : undefined;
        if (first !== undefined) {
          await write({ ...base, type: 'link', linkname: first, size: 0 });
          continue;
        }
        if (stat.nlink > 1) firstPathOf.set(key, name);
        await writeFile(pack, raw, name, { ...base, type: 'file', size: stat.size }, notes);
      } else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
        await write({
          ...base,
          type: stat.isCharacterDevice() ? 'character-device' : 'block-device',
          devmajor: (stat.rdev >>> 8) & 0xfff,
          devminor: (stat.rdev & 0xff) | ((stat.rdev >>> 12) & 0xfff00),
        });
      } else if (stat.isFIFO()) {
        await write({ ...base, type: 'fifo' });
      } else notes.left.push(`${JSON.stringify(path)}: a socket, which a tar cannot hold`);
    }
    pack.finalize();
  };
  run().catch((e: unknown) => pack.destroy(e as Error));
  return pack as unknown as Readable;
}

function headerOf(name: string, stat: Stats): Partial<Header> & { name: string } {
  return {
    name,
    mode: stat.mode & 0o7777,
    uid: stat.uid,
    gid: stat.gid,
    mtime: stat.mtime,
    size: 0,
  };
}

/** A regular file's bytes, exactly `header.size` of them, read through a handle that follows no link. */
async function writeFile(
  pack: Pack,
  raw: Buffer,
  name: string,
  header: Partial<Header> & { name: string },
  notes: LayerTarNotes,
): Promise<void> {
  const size = header.size ?? 0;
  const handle = await open(raw, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  async function* bytes(): AsyncGenerator<Buffer> {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
    let position = 0;
    while (position < size) {
      const want = Math.min(buffer.length, size - position);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      yield Buffer.from(buffer.subarray(0, bytesRead));
    }
    if (position < size) {
      notes.left.push(`/${name}: shrank while it was read; padded with zeros to its size`);
      yield Buffer.alloc(size - position);
    }
  }
  try {
    await packEntry(pack, header, Readable.from(bytes()));
  } finally {
    await handle.close();
  }
}
