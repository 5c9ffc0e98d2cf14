/**
 * The first sight of an image through the engine: `docker save` streamed once,
 * every layer tar (legacy `<id>/layer.tar` or OCI `blobs/sha256/…`, gzip or not)
 * indexed while its diff id is hashed, the image config picked out for its
 * history. Nothing is held whole; the indexes are then cached by diff id.
 */
import { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CoronerError, EngineRequestFailed } from '../../errors.js';
import {
  describeLayers,
  historyPerLayer,
  readLayerCache,
  writeLayerCache,
  type ImageConfigHistory,
  type ImageLayers,
} from '../../layers/image-layers.js';
import { indexLayerHashed } from '../../layers/layer-index-hashed.js';
import type { LayerIndex } from '../../layers/layer-index.js';
import { readBounded, tarEntries } from '../../tar-entries.js';
import type { Engine, ImageInspect } from './engine.js';
import { isGzip, isLayerMember, peekStream } from './stream-peek.js';

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
  const cached = await readLayerCache(opts.cacheDir, image.Id, diffIds);
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
  const ordered = diffIds.map((d) => indexes.get(d)!);
  const cacheProblem = await writeLayerCache(opts.cacheDir, image.Id, layerHistory, ordered);
  return {
    imageId: image.Id,
    layers: describeLayers(diffIds, layerHistory),
    indexes: ordered,
    source: 'image-save',
    savedBytes,
    ...(cacheProblem ? { cacheProblem } : {}),
  };
}

const MAX_JSON_BYTES = 4 * 1024 * 1024;

async function indexFromSave(
  engine: Engine,
  imageId: string,
  wanted: Set<string>,
  opts: LoadLayersOptions,
): Promise<{
  indexes: Map<string, LayerIndex>;
  config: ImageConfigHistory | undefined;
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
  save.on('error', (e) => counter.destroy(e));
  save.pipe(counter);

  const indexes = new Map<string, LayerIndex>();
  let config: ImageConfigHistory | undefined;
  try {
    for await (const entry of tarEntries(counter, opts.signal)) {
      const { name, type, size = 0 } = entry.header;
      if (type !== 'file') {
        entry.resume();
        continue;
      }
      const { head, stream } = await peekStream(entry, 512);
      if (isLayerMember(head, name, size)) {
        const index = await indexLayerHashed(isGzip(head) ? stream.pipe(createGunzip()) : stream);
        if (wanted.has(index.diffId)) indexes.set(index.diffId, index);
      } else if (size <= MAX_JSON_BYTES && (name.endsWith('.json') || name.startsWith('blobs/'))) {
        const { data } = await readBounded(stream, MAX_JSON_BYTES);
        const parsed = tryParse(data.toString('utf8')) as ImageConfigHistory | undefined;
        if (parsed?.rootfs?.diff_ids) config = parsed;
      } else {
        stream.resume();
        await finished(stream);
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

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
