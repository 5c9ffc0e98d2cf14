/**
 * An image layer's folder held against the layer's own blob, where the image store keeps
 * one (containerd's content store: Docker's containerd image store, Kubernetes nodes).
 * There is no tar-split record there, and none is needed: the blob is the layer's tar,
 * compressed. It is streamed once: its bytes hash to its digest, the tar inside to its diff
 * id, every header is held against the folder's entry (layer-tree.ts) and every file's
 * bytes against the folder's file, in lockstep, never whole in memory. So a change made on
 * the host to a layer's folder (the merged view serves it) or to its blob is named,
 * exactly as a tar-split check names it on overlay2.
 * https://github.com/opencontainers/image-spec/blob/main/layer.md
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { indexLayer, type LayerIndex } from '../../layers/layer-index.js';
import type { TarEntry } from '../../tar-entries.js';
import { entryKey, type LayerFolder } from './layer-tree.js';
import {
  capital,
  LayerDifferences,
  layerVerdict,
  notChecked,
  readLayerFolder,
  type LayerRebuild,
} from './layer-verdict.js';
import { TarHeaderReader, type RecordedEntry } from './tar-headers.js';

export interface LayerBlob {
  /** The blob's file (content store: `blobs/sha256/<hex>`). */
  path: string;
  /** sha256:<hex> of the blob as stored (compressed). */
  digest: string;
  /** The manifest's media type for it: tells the compression. */
  mediaType: string;
}

/** What a blob is compressed with, from its media type; undefined when the type is unknown. */
export function blobCompression(mediaType: string): 'gzip' | 'zstd' | 'none' | undefined {
  if (/(\+gzip|\.tar\.gzip)$/.test(mediaType)) return 'gzip';
  if (/\+zstd$/.test(mediaType)) return 'zstd';
  if (/(layer\.v1\.tar|rootfs\.diff\.tar)$/.test(mediaType)) return 'none';
  return undefined;
}

const CHUNK = 1024 * 1024;
/**
 * Entries a blob's tar may hold beyond its folder's: a real layer's tar names about as many
 * entries as its folder holds (fewer where parents were made by unpacking). A forged blob
 * of millions of tiny entries (a gzip bomb) is stopped before its headers fill memory.
 */
const SPARE_ENTRIES = 100_000;
const MAX_ENTRIES_WITHOUT_FOLDER = 1_000_000;

/**
 * Checks the layer at `position` (its folder `layerDir`) against its blob: the blob's
 * digest, the tar's diff id, and every entry both ways. A blob or folder that is missing or
 * cannot be read leaves the layer not checked, with why (never thrown: the triage goes on).
 */
export async function checkLayerBlob(
  blob: LayerBlob,
  layerDir: string,
  diffId: string,
  position: number,
  opts: { incomplete: string; signal?: AbortSignal },
): Promise<LayerRebuild> {
  const base = { diffId, position };
  const folder = await readLayerFolder(layerDir, opts.signal);
  const disk = 'missing' in folder ? undefined : folder;
  const folderToo = disk ? '' : `; ${(folder as { missing: string }).missing}`;
  const indexedFrom = disk ? 'its folder alone' : 'nothing';
  const unchecked = (why: string) =>
    notChecked(
      base,
      disk,
      undefined,
      `not checked: ${why}${folderToo}. ${capital(opts.incomplete)}; the layer is indexed from ${indexedFrom}`,
    );

  const compression = blobCompression(blob.mediaType);
  const decompress =
    compression === 'gzip'
      ? zlib.createGunzip()
      : compression === 'zstd'
        ? zstdDecompressor()
        : compression === 'none'
          ? undefined
          : null;
  if (decompress === null)
    return unchecked(
      `its blob's media type ${JSON.stringify(blob.mediaType)} is not a layer coroner reads`,
    );
  if (decompress === 'unsupported')
    return unchecked(
      `its blob is zstd-compressed, which this Node.js (${process.version}) cannot decompress (Node.js 22.15 or newer can)`,
    );

  let handle: FileHandle;
  try {
    // Never through a link, never blocking on a named pipe a forged store put there.
    handle = await open(
      blob.path,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return unchecked(
      code === 'ENOENT'
        ? `the content store has no blob ${blob.digest} for it`
        : `its blob ${blob.digest} cannot be opened (${code ?? (e as Error).message})`,
    );
  }
  try {
    if (!(await handle.stat()).isFile())
      return unchecked(`its blob ${blob.digest} is not a regular file`);
    const stored = createHash('sha256');
    const tar = createHash('sha256');
    const headers = new TarHeaderReader();
    const recorded: RecordedEntry[] = [];
    const differences = new LayerDifferences();
    const maxEntries = disk ? 2 * disk.entries.size + SPARE_ENTRIES : MAX_ENTRIES_WITHOUT_FOLDER;
    // The tar's bytes pass here first: hashed, and their headers read raw (names as bytes,
    // PAX attributes), before tar-stream hands the same entries over in the same order.
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        tar.update(chunk);
        for (const entry of headers.push(chunk)) recorded.push(entry);
        if (recorded.length > maxEntries)
          done(
            new Error(
              `its tar names more than ${maxEntries} entries, far more than its folder holds`,
            ),
          );
        else done(null, chunk);
      },
    });
    const source = handle.createReadStream({ autoClose: false, highWaterMark: CHUNK });
    const hashed = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        stored.update(chunk);
        done(null, chunk);
      },
    });
    const aborts = opts.signal ? { signal: opts.signal } : {};
    const flowing = decompress
      ? pipeline(source, hashed, decompress, tap, aborts)
      : pipeline(source, hashed, tap, aborts);
    // Handled here and awaited below: a damaged blob fails it while the tar is still read.
    flowing.catch(() => undefined);
    let taken = 0;
    let index: LayerIndex;
    try {
      index = await indexLayer(tap as unknown as Readable, diffId, async (entry) => {
        const record = recorded[taken++];
        if (!record) throw new Error('the tar and its headers went out of step');
        await compareContent(entry, record, disk, differences);
      });
      await flowing;
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      return unchecked(
        code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR'
          ? `its blob ${blob.digest} is not whole ${compression} data (cut short or damaged)`
          : code
            ? `its blob or a file of its folder cannot be read (${code})`
            : `its blob ${blob.digest} is not a readable layer (${(e as Error).message.slice(0, 200)})`,
      );
    }
    if (!disk)
      return notChecked(
        base,
        undefined,
        index,
        `not checked: ${(folder as { missing: string }).missing}. ${capital(opts.incomplete)}; the layer is indexed from its blob alone`,
      );
    const digest = `sha256:${stored.digest('hex')}`;
    const actual = `sha256:${tar.digest('hex')}`;
    const verdict = await layerVerdict(
      base,
      { index, folder: disk, recorded, differences, actual },
      {
        verified:
          'the layer’s blob hashes to its digest and diff id, and the layer folder holds every entry and byte of it',
        unexplainedHash: (a) =>
          `the layer's blob holds a tar that hashes to ${a}, not its diff id: the blob was altered in the content store`,
      },
    );
    if (digest === blob.digest) return verdict;
    // The blob itself changed: its tar is not the image's, whatever the folder holds.
    return {
      index: verdict.index,
      check: {
        ...verdict.check,
        status: 'tampered',
        detail: `the layer's blob ${blob.digest} in the content store hashes to ${digest}: it was changed on the host${verdict.check.status === 'tampered' ? `; ${verdict.check.detail}` : ''}`,
      },
    };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Node.js 22.15+ decompresses zstd; older ones cannot. */
function zstdDecompressor(): NodeJS.ReadWriteStream | 'unsupported' {
  const make = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream })
    .createZstdDecompress;
  return make ? make() : 'unsupported';
}

/**
 * A regular file's bytes in the tar against the folder's file of the same name, read side
 * by side. Other entry kinds carry no bytes (the tree comparison holds their headers).
 */
async function compareContent(
  entry: TarEntry,
  record: RecordedEntry,
  disk: LayerFolder | undefined,
  differences: LayerDifferences,
): Promise<void> {
  const key = entryKey(record.name);
  if (key === undefined) {
    differences.outside.push(JSON.stringify(record.name.toString('utf8')));
    return;
  }
  if (record.type !== 'file' || !disk) return;
  const found = disk.entries.get(key);
  if (!found) {
    if (record.sizeBytes > 0) differences.add(key, 'is missing from the layer folder');
    return;
  }
  // Present as something else than a file: the tree comparison names its type.
  if (found.format !== constants.S_IFREG) return;
  const file = await open(found.raw, constants.O_RDONLY | constants.O_NOFOLLOW);
  let at = 0;
  let isSame = true;
  try {
    const buffer = Buffer.alloc(CHUNK);
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      if (!isSame) continue;
      for (let offset = 0; offset < chunk.length && isSame;) {
        const want = Math.min(buffer.length, chunk.length - offset);
        const { bytesRead } = await file.read(buffer, 0, want, at);
        if (
          bytesRead === 0 ||
          !buffer.subarray(0, bytesRead).equals(chunk.subarray(offset, offset + bytesRead))
        )
          isSame = false;
        offset += bytesRead;
        at += bytesRead;
      }
    }
  } finally {
    await file.close();
  }
  if (found.sizeBytes !== record.sizeBytes)
    differences.add(key, `has ${found.sizeBytes} bytes, not ${record.sizeBytes}`);
  else if (!isSame) differences.add(key, 'has other content than the layer recorded');
}
