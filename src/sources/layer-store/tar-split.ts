/**
 * Docker keeps, beside each image layer's folder, the layer's tar-split record
 * (`layerdb/sha256/<chain id>/tar-split.json.gz`): every raw tar header and
 * padding, and for each file its name, size and CRC-64. The layer's exact tar,
 * the one its diff id is the SHA-256 of, is rebuilt from the record and the
 * folder's files (as `docker save` does); hashing it proves the folder still
 * holds what the image held, and indexing it in the same pass tells which
 * paths the layer holds, whites out and makes opaque, by their names in the tar. The
 * same pass reads the tar's headers and holds every entry of the folder against them
 * (layer-tree.ts): contents alone would let a setuid bit, an owner, a link, a capability
 * or an added file pass. A copy that lacks the record or the folder is not checked, and
 * says so: an incomplete copy is not a tampered host.
 * https://github.com/vbatts/tar-split (tar/storage/entry.go)
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { indexLayer, type LayerIndex } from '../../layers/layer-index.js';
import { Crc64 } from './crc64.js';
import { entryKey } from './layer-tree.js';
import {
  capital,
  LayerDifferences,
  layerVerdict,
  notChecked,
  readLayerFolder,
  type LayerRebuild,
} from './layer-verdict.js';
import { TarHeaderReader, type RecordedEntry } from './tar-headers.js';

export type { LayerRebuild };

/** One line of a tar-split record: a file (type 1) or raw bytes of the tar (type 2). */
interface TarSplitEntry {
  type: 1 | 2;
  name?: string;
  /** The name's bytes (base64) when it is not UTF-8. */
  name_raw?: string;
  size?: number;
  /** Segment: the raw bytes; file: its CRC-64 (both base64). */
  payload?: string | null;
}

/** The record could not be read to its end: missing, cut short, not gzip, not its lines. */
class RecordUnreadable extends Error {}

/** More than this per line is not a tar-split record (a segment is at most 1 MiB of padding). */
const MAX_LINE_CHARS = 4 * 1024 * 1024;

async function* tarSplitEntries(recordFile: string): AsyncGenerator<TarSplitEntry> {
  const handle = await open(recordFile, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
    (e: NodeJS.ErrnoException) => {
      throw new RecordUnreadable(
        e.code === 'ENOENT' ? 'it is missing' : `it cannot be opened (${e.code ?? e.message})`,
      );
    },
  );
  const file = handle.createReadStream();
  const gunzip = createGunzip();
  // pipe() forwards no error: the file's goes to gunzip, and from there to the lines.
  file.on('error', (e) => gunzip.destroy(e));
  const lines = createInterface({ input: file.pipe(gunzip), crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const line of lines) {
      number++;
      if (!line) continue;
      if (line.length > MAX_LINE_CHARS) throw new RecordUnreadable(`line ${number} is too long`);
      let entry: TarSplitEntry;
      try {
        entry = JSON.parse(line) as TarSplitEntry;
      } catch {
        throw new RecordUnreadable(`line ${number} is not JSON`);
      }
      if (entry?.type !== 1 && entry?.type !== 2)
        throw new RecordUnreadable(`line ${number} has type ${JSON.stringify(entry?.type)}`);
      yield entry;
    }
  } catch (e) {
    if (e instanceof RecordUnreadable) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new RecordUnreadable(
      code === 'Z_BUF_ERROR'
        ? 'it is cut short (unexpected end of file)'
        : code === 'Z_DATA_ERROR'
          ? 'it is not gzip data, or damaged'
          : `it cannot be read (${code ?? (e as Error).message})`,
    );
  } finally {
    lines.close();
    file.destroy();
    gunzip.destroy();
    await handle.close().catch(() => undefined);
  }
}

const CHUNK = 1024 * 1024;
const INCOMPLETE =
  'the data root is incomplete or damaged (a copy: copy all of it again, keeping owners, links and extended attributes), or this piece was removed on the host';

const WORDS = {
  verified: 'the layer folder rebuilds to its diff id, and every entry matches the layer’s record',
  unexplainedHash: (actual: string) =>
    `the layer folder rebuilds to ${actual}, not its diff id: its tar-split record, or a file's content, was altered so that the record's checksums still match`,
};

/**
 * Rebuilds the tar of the layer at `position` from `recordFile` and `layerDir`, hashes it,
 * indexes it, and holds every entry of the folder against the tar's headers. Each path
 * that differs is named with what differs; a missing file's declared size is still
 * emitted (as zeros) so the rest indexes. A record or folder that is missing or cannot be
 * read leaves the layer not checked, with why (never thrown: the triage goes on).
 */
export async function rebuildLayer(
  recordFile: string,
  layerDir: string,
  diffId: string,
  position: number,
  signal?: AbortSignal,
): Promise<LayerRebuild> {
  const folder = await readLayerFolder(layerDir, signal);
  const disk = 'missing' in folder ? undefined : folder;
  // A name that climbs out of the layer is the image author's doing, not the host's: such a
  // layer cannot be rebuilt (the engine cannot docker save it either), so it goes unchecked.
  const differences = new LayerDifferences();
  const differ = (key: string, what: string) => differences.add(key, what);
  const sha = createHash('sha256');
  const headers = new TarHeaderReader();
  const recorded: RecordedEntry[] = [];

  async function* fileBytes(name: Buffer, size: number, crc: string) {
    const key = entryKey(name);
    const found = key === undefined ? undefined : disk?.entries.get(key);
    if (key === undefined) differences.outside.push(JSON.stringify(name.toString('utf8')));
    else if (disk && !found) differ(key, 'is missing from the layer folder');
    // Present as something else than a file: the tree comparison names its type.
    if (!found || found.format !== constants.S_IFREG) {
      for (let left = size; left > 0; left -= CHUNK) yield Buffer.alloc(Math.min(CHUNK, left));
      return;
    }
    const handle = await open(found.raw, constants.O_RDONLY | constants.O_NOFOLLOW);
    const sum = new Crc64();
    let read = 0;
    try {
      const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
      while (read < size) {
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(buffer.length, size - read),
          read,
        );
        if (bytesRead === 0) break;
        const piece = Buffer.from(buffer.subarray(0, bytesRead));
        sum.update(piece);
        read += bytesRead;
        yield piece;
      }
    } finally {
      await handle.close();
    }
    if (read < size) {
      differ(key!, `is shorter than the ${size} bytes the layer recorded`);
      for (let left = size - read; left > 0; left -= CHUNK)
        yield Buffer.alloc(Math.min(CHUNK, left));
    } else if (found.sizeBytes !== size) differ(key!, `has ${found.sizeBytes} bytes, not ${size}`);
    else if (sum.digest().toString('base64') !== crc)
      differ(key!, 'has other content than the layer recorded');
  }

  const emit = (bytes: Buffer) => {
    sha.update(bytes);
    for (const entry of headers.push(bytes)) recorded.push(entry);
    return bytes;
  };

  async function* rebuilt(): AsyncGenerator<Buffer> {
    for await (const entry of tarSplitEntries(recordFile)) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      if (entry.type === 2) yield emit(Buffer.from(entry.payload ?? '', 'base64'));
      else if ((entry.size ?? 0) > 0) {
        // A name that is not UTF-8 is recorded as raw bytes.
        const name = entry.name_raw
          ? Buffer.from(entry.name_raw, 'base64')
          : Buffer.from(entry.name ?? '', 'utf8');
        for await (const piece of fileBytes(name, entry.size!, entry.payload ?? ''))
          yield emit(piece);
      }
    }
  }

  const base = { diffId, position };
  let index: LayerIndex;
  try {
    index = await indexLayer(Readable.from(rebuilt()), diffId);
  } catch (e) {
    if (signal?.aborted) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      e instanceof RecordUnreadable
        ? `its tar-split record ${recordFile} cannot be read: ${e.message}`
        : code
          ? `a file of its folder ${layerDir} cannot be read (${code})`
          : `its tar-split record ${recordFile} does not rebuild a readable tar (${(e as Error).message.slice(0, 200)})`;
    const folderToo = 'missing' in folder ? `; ${folder.missing}` : '';
    return notChecked(
      base,
      disk,
      undefined,
      `not checked: ${why}${folderToo}. ${capital(INCOMPLETE)}; the layer is indexed from ${disk ? 'its folder alone' : 'nothing'}`,
    );
  }
  if (!disk)
    return notChecked(
      base,
      undefined,
      index,
      `not checked: ${(folder as { missing: string }).missing}. ${capital(INCOMPLETE)}; the layer is indexed from its tar-split record alone`,
    );
  const actual = `sha256:${sha.digest('hex')}`;
  return layerVerdict(base, { index, folder: disk, recorded, differences, actual }, WORDS);
}
