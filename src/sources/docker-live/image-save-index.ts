/**
 * The original image's layers, as indexes, for telling which layer (and which
 * history line) each original file came from. The first sight of an image
 * streams `docker save` once through the indexer; every layer's index is then
 * cached by diff id, so later triages (and other images sharing the layer)
 * read no layer at all.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { createHashTap } from '../../case/hash-tap.js';
import type { Engine, ImageInspect } from './engine.js';
import { CoronerError, EngineRequestFailed } from '../../errors.js';

/** The image's layers could not be indexed: what each original came from stays unknown. */
export class LayerIndexFailed extends CoronerError {}

/**
 * Failures that leave the triage without layer attribution but otherwise whole: the
 * engine refusing `docker save` (it cannot re-export a layer whose tar climbs out with
 * `..`), or a layer that does not parse. A lost engine or a cancel still ends the triage.
 */
export function isLayerIndexProblem(e: unknown): e is CoronerError {
  return e instanceof LayerIndexFailed || e instanceof EngineRequestFailed;
}
import {
  deserialiseLayerIndex,
  indexLayer,
  serialiseLayerIndex,
  type LayerIndex,
  type SerialisedLayerIndex,
} from '../../layers/layer-index.js';
import { isGzip, isTar, peekStream } from './stream-peek.js';

export interface LayerInfo {
  /** 0 = bottom layer. */
  position: number;
  diffId: string;
  /** The history line that created this layer, when the image has history. */
  createdBy?: string;
  created?: string;
}

export interface ImageLayers {
  imageId: string;
  layers: LayerInfo[];
  indexes: LayerIndex[];
  /** Where the indexes came from this time: all cached, or a `docker save` stream. */
  /** 'unavailable': the engine could not export the image, or its layers did not parse. */
  source: 'cache' | 'image-save' | 'unavailable';
  /** Bytes of `docker save` read (0 from cache). */
  savedBytes: number;
  /** Why the index could not be cached (a full or read-only cache disk): the next triage indexes again. */
  cacheProblem?: string;
}

interface CachedImage {
  version: 1;
  imageId: string;
  layerHistory: { createdBy?: string; created?: string }[];
}

interface ImageConfig {
  rootfs?: { diff_ids?: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
}

export function defaultCacheDir(): string {
  const explicit = process.env['CORONER_CACHE_DIR'];
  if (explicit) return explicit;
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg || path.join(os.homedir(), '.cache'), 'coroner');
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

export interface LoadLayersOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onBytes?: (savedBytes: number) => void;
}

export async function loadImageLayers(
  engine: Engine,
  image: ImageInspect,
  opts: LoadLayersOptions,
): Promise<ImageLayers> {
  const diffIds: string[] = image.RootFS?.Layers ?? [];
  const cached = await readCache(opts.cacheDir, image.Id, diffIds);
  if (cached) return { ...cached, source: 'cache', savedBytes: 0 };

  const { indexes, config, savedBytes } = await indexFromSave(
    engine,
    image.Id,
    new Set(diffIds),
    opts,
  );
  const missing = diffIds.filter((d) => !indexes.has(d));
  if (missing.length > 0) {
    throw new EngineRequestFailed(
      `the engine's docker save of ${image.Id} lacks layer(s) ${missing.join(', ')} that the image lists`,
      'The image store may be damaged: check `docker image inspect` and the engine log; the evidence image is kept.',
    );
  }
  const layerHistory = historyPerLayer(config, diffIds.length);
  // The cache only saves time: a full or read-only cache disk must not fail the triage.
  const cacheProblem = await writeCache(opts.cacheDir, image.Id, layerHistory, [
    ...indexes.values(),
  ]).then(
    () => undefined,
    (e: unknown) => `not cached in ${opts.cacheDir}: ${(e as Error).message}`,
  );
  return {
    imageId: image.Id,
    layers: describeLayers(diffIds, layerHistory),
    indexes: diffIds.map((d) => indexes.get(d)!),
    source: 'image-save',
    savedBytes,
    ...(cacheProblem ? { cacheProblem } : {}),
  };
}

/** History lines that made a layer (not the empty ones: ENV, LABEL…), bottom first. */
function historyPerLayer(
  config: ImageConfig | undefined,
  layerCount: number,
): CachedImage['layerHistory'] {
  const made = (config?.history ?? []).filter((h) => !h.empty_layer);
  if (made.length !== layerCount) return [];
  return made.map((h) => ({
    ...(h.created_by !== undefined ? { createdBy: h.created_by } : {}),
    ...(h.created !== undefined ? { created: h.created } : {}),
  }));
}

function describeLayers(diffIds: string[], history: CachedImage['layerHistory']): LayerInfo[] {
  return diffIds.map((diffId, position) => ({ position, diffId, ...(history[position] ?? {}) }));
}

async function readCache(
  cacheDir: string,
  imageId: string,
  diffIds: string[],
): Promise<Omit<ImageLayers, 'source' | 'savedBytes'> | undefined> {
  try {
    const image = JSON.parse(
      await readFile(path.join(cacheDir, 'images', `${hex(imageId)}.json`), 'utf8'),
    ) as CachedImage;
    const indexes: LayerIndex[] = [];
    for (const diffId of diffIds) {
      const data = JSON.parse(
        await readFile(path.join(cacheDir, 'layers', `${hex(diffId)}.json`), 'utf8'),
      ) as SerialisedLayerIndex;
      indexes.push(deserialiseLayerIndex(data));
    }
    return { imageId, layers: describeLayers(diffIds, image.layerHistory), indexes };
  } catch {
    return undefined; // any miss or unreadable entry: index again from the image
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, content);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

async function writeCache(
  cacheDir: string,
  imageId: string,
  layerHistory: CachedImage['layerHistory'],
  indexes: LayerIndex[],
) {
  for (const index of indexes) {
    await writeAtomically(
      path.join(cacheDir, 'layers', `${hex(index.diffId)}.json`),
      JSON.stringify(serialiseLayerIndex(index)),
    );
  }
  const image: CachedImage = { version: 1, imageId, layerHistory };
  await writeAtomically(
    path.join(cacheDir, 'images', `${hex(imageId)}.json`),
    JSON.stringify(image),
  );
}

const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * Streams `docker save` once: every layer tar (legacy `<id>/layer.tar` or OCI
 * `blobs/sha256/…`, gzip or not) is indexed while its diff id is hashed; the
 * image config is picked out for its history. Nothing is held whole.
 */
async function indexFromSave(
  engine: Engine,
  imageId: string,
  wanted: Set<string>,
  opts: LoadLayersOptions,
): Promise<{
  indexes: Map<string, LayerIndex>;
  config: ImageConfig | undefined;
  savedBytes: number;
}> {
  const save = await engine.saveImage(imageId, opts.signal);
  let savedBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, done) {
      savedBytes += chunk.length;
      opts.onBytes?.(savedBytes);
      done(null, chunk);
    },
  });
  const outer = extract();
  save.on('error', (e) => outer.destroy(e));
  counter.on('error', (e) => outer.destroy(e));
  save.pipe(counter).pipe(outer);

  const indexes = new Map<string, LayerIndex>();
  let config: ImageConfig | undefined;
  try {
    for await (const entry of outer) {
      const { name, type, size = 0 } = entry.header;
      if (type !== 'file') {
        entry.resume();
        continue;
      }
      const { head, stream } = await peekStream(entry as unknown as Readable, 512);
      if (
        isGzip(head) ||
        isTar(head) ||
        name.endsWith('/layer.tar') ||
        (size >= 1024 && head.every((b) => b === 0))
      ) {
        const index = await indexWithDiffId(isGzip(head) ? stream.pipe(createGunzip()) : stream);
        if (wanted.has(index.diffId)) indexes.set(index.diffId, index);
      } else if (size <= MAX_JSON_BYTES && (name.endsWith('.json') || name.startsWith('blobs/'))) {
        const text = await collect(stream);
        const parsed = tryParse(text) as ImageConfig | undefined;
        if (parsed?.rootfs?.diff_ids) config = parsed;
      } else {
        stream.resume();
        await new Promise((resolve) => stream.on('end', resolve));
      }
    }
  } catch (e) {
    if (e instanceof CoronerError || opts.signal?.aborted) throw e;
    // The layer tars are the image author's: a malformed one is a finding about the image.
    throw new LayerIndexFailed(
      `the layers of image ${imageId} could not be read (${e instanceof Error ? e.message : String(e)})`,
      'The rest of the triage does not need them.',
      { cause: e },
    );
  } finally {
    save.destroy();
  }
  return { indexes, config, savedBytes };
}

async function indexWithDiffId(layerTar: Readable): Promise<LayerIndex> {
  const { tap, result } = createHashTap();
  layerTar.on('error', (e) => tap.destroy(e));
  const index = await indexLayer(layerTar.pipe(tap), 'pending');
  // The extractor consumes its input to the end (padding too), so the hash is of the whole tar.
  await finished(tap);
  index.diffId = `sha256:${result().sha256}`;
  return index;
}

async function collect(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
