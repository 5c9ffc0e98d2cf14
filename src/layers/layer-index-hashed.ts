/**
 * A layer index for a layer tar whose diff id is not known yet (an image archive's member):
 * the id is the sha256 of the tar as read, taken in the same pass. Kept apart from
 * layer-index.ts, which the package readers use and which hashes nothing.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createHashTap } from '../case/hash-tap.js';
import { indexLayer, type LayerIndex } from './layer-index.js';

export async function indexLayerHashed(layerTar: Readable): Promise<LayerIndex> {
  const { tap, result } = createHashTap();
  layerTar.on('error', (e) => tap.destroy(e));
  const index = await indexLayer(layerTar.pipe(tap), 'pending');
  // The extractor consumes its input to the end (padding too), so the hash is of the whole tar.
  await finished(tap);
  index.diffId = `sha256:${result().sha256}`;
  return index;
}
