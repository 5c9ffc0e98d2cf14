/**
 * Docker keeps, beside each image layer's folder, the layer's tar-split record
 * (`layerdb/sha256/<chain id>/tar-split.json.gz`): every raw tar header and
 * padding, and for each file its name, size and CRC-64. The layer's exact tar,
 * the one its diff id is the SHA-256 of, is rebuilt from the record and the
 * folder's files (as `docker save` does); hashing it proves the folder still
 * holds what the image held, and indexing it in the same pass tells which
 * paths the layer holds, whites out and makes opaque, by their names in the tar.
 * https://github.com/vbatts/tar-split (tar/storage/entry.go)
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { indexLayer, layerEntryPath, type LayerIndex } from '../../layers/layer-index.js';
import type { LayerCheck } from '../../report/triage-report.js';
import { Crc64 } from './crc64.js';
import { resolveInLayer } from './layer-dir.js';

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

/** More than this per line is not a tar-split record (a segment is at most 1 MiB of padding). */
const MAX_LINE_CHARS = 4 * 1024 * 1024;

async function* tarSplitEntries(recordFile: string): AsyncGenerator<TarSplitEntry> {
  const lines = createInterface({
    input: createReadStream(recordFile).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line) continue;
    if (line.length > MAX_LINE_CHARS) throw new Error(`line ${number} is too long`);
    const entry = JSON.parse(line) as TarSplitEntry;
    if (entry.type !== 1 && entry.type !== 2)
      throw new Error(`line ${number} has type ${entry.type}`);
    yield entry;
  }
}

export interface LayerRebuild {
  index: LayerIndex;
  check: LayerCheck;
}

const MAX_NAMED_MISMATCHES = 5;
const CHUNK = 1024 * 1024;

/**
 * Rebuilds the tar of the layer at `position` from `recordFile` and `layerDir`, hashes it
 * and indexes it. A file that is missing, of another size or another CRC-64 is named;
 * its declared size is still emitted (as zeros where it is missing) so the rest indexes.
 */
export async function rebuildLayer(
  recordFile: string,
  layerDir: string,
  diffId: string,
  position: number,
  signal?: AbortSignal,
): Promise<LayerRebuild> {
  const mismatches: string[] = [];
  let mismatchCount = 0;
  // A name that climbs out of the layer is the image author's doing, not the host's: such a
  // layer cannot be rebuilt (the engine cannot docker save it either), so it goes unchecked.
  const outside: string[] = [];
  const mismatch = (name: string, why: string) => {
    mismatchCount++;
    if (mismatches.length < MAX_NAMED_MISMATCHES) mismatches.push(`${JSON.stringify(name)} ${why}`);
  };
  const sha = createHash('sha256');

  async function* fileBytes(name: string, size: number, crc: string) {
    const containerPath = layerEntryPath(name);
    const found = containerPath ? await resolveInLayer(layerDir, containerPath) : undefined;
    if (!containerPath) outside.push(JSON.stringify(name));
    else if (!found?.stat.isFile()) mismatch(name, 'is missing from the layer folder');
    if (!found?.stat.isFile()) {
      for (let left = size; left > 0; left -= CHUNK) yield Buffer.alloc(Math.min(CHUNK, left));
      return;
    }
    const handle = await open(found.raw, 'r');
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
      mismatch(name, `is shorter than the ${size} bytes the layer recorded`);
      for (let left = size - read; left > 0; left -= CHUNK)
        yield Buffer.alloc(Math.min(CHUNK, left));
    } else if (found.stat.size !== size)
      mismatch(name, `has ${found.stat.size} bytes, not ${size}`);
    else if (sum.digest().toString('base64') !== crc)
      mismatch(name, 'has other content than the layer recorded');
  }

  async function* rebuilt(): AsyncGenerator<Buffer> {
    for await (const entry of tarSplitEntries(recordFile)) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      if (entry.type === 2) {
        const bytes = Buffer.from(entry.payload ?? '', 'base64');
        sha.update(bytes);
        yield bytes;
      } else if ((entry.size ?? 0) > 0) {
        // A name that is not UTF-8 is recorded as raw bytes; resolved by what they decode to.
        const name = entry.name_raw
          ? Buffer.from(entry.name_raw, 'base64').toString('utf8')
          : (entry.name ?? '');
        for await (const piece of fileBytes(name, entry.size!, entry.payload ?? '')) {
          sha.update(piece);
          yield piece;
        }
      }
    }
  }

  const index = await indexLayer(Readable.from(rebuilt()), diffId);
  const actual = `sha256:${sha.digest('hex')}`;
  const check: LayerCheck =
    outside.length > 0 && mismatchCount === 0
      ? {
          diffId,
          position,
          status: 'not-checked',
          detail: `its tar names paths outside the layer (${outside.slice(0, MAX_NAMED_MISMATCHES).join(', ')}), which no folder can hold: a crafted layer, which cannot be rebuilt to its diff id`,
        }
      : actual === diffId && mismatchCount === 0
        ? {
            diffId,
            position,
            status: 'verified',
            detail: 'the layer folder rebuilds to its diff id',
          }
        : {
            diffId,
            position,
            status: 'tampered',
            detail: `the layer folder rebuilds to ${actual}, not its diff id${mismatchCount ? `: ${mismatches.join('; ')}${mismatchCount > mismatches.length ? ` (and ${mismatchCount - mismatches.length} more files)` : ''}` : ''}`,
          };
  return { index, check };
}
