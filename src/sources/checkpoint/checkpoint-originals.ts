/**
 * The originals of a checkpoint's changes, from the image archive given with it: the
 * image's layers as the pipeline sees them (each checked against its diff id while it was
 * indexed), and each changed or deleted path's original read from the layer that provides
 * it, in one more pass over the layers that hold any.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import { storedName } from '../../case/container-path.js';
import { describeLayers, historyPerLayer, type ImageLayers } from '../../layers/image-layers.js';
import { findOriginLayer } from '../../layers/layer-index.js';
import type { ChangeEntry, StoredVersion } from '../../report/change.js';
import { storeEntry } from '../docker-live/archive-reader.js';
import type { AcquireOptions } from '../evidence-source.js';
import { walkImageLayers, type ImageArchive } from './image-archive.js';

/** The image's layers, each verified: its tar hashed to its diff id when it was indexed. */
export function imageLayersOf(image: ImageArchive): ImageLayers {
  return {
    imageId: image.imageId,
    layers: describeLayers(image.diffIds, historyPerLayer(image.config, image.diffIds.length)),
    indexes: image.indexes,
    source: 'image-save',
    savedBytes: 0,
    checks: image.diffIds.map((diffId, position) => ({
      diffId,
      position,
      status: 'verified' as const,
      detail: `its tar in ${image.path} hashes to its diff id`,
    })),
  };
}

/** Originals of the changed and deleted paths, each from the layer that provides it. */
export async function readOriginals(
  image: ImageArchive,
  entries: readonly ChangeEntry[],
  folder: CaseFolder,
  opts: AcquireOptions,
): Promise<Map<string, StoredVersion>> {
  const wantedAt = new Map<number, Set<string>>();
  for (const entry of entries) {
    if (entry.kind === 'A') continue;
    const position = findOriginLayer(image.indexes, entry.path);
    if (position === undefined) continue;
    if (!wantedAt.has(position)) wantedAt.set(position, new Set());
    wantedAt.get(position)!.add(entry.path);
  }
  const found = new Map<string, StoredVersion>();
  if (wantedAt.size === 0) return found;
  await walkImageLayers(
    image,
    new Set(wantedAt.keys()),
    async (position, path, tarEntry) => {
      const wanted = wantedAt.get(position)!;
      if (!wanted.delete(path)) {
        tarEntry.resume();
        return;
      }
      const { written } = await storeEntry(
        tarEntry,
        folder,
        `original/${storedName(path)}`,
        `original version of ${JSON.stringify(path)}, from layer ${position} of the image archive`,
        { maxContentBytes: opts.maxContentBytes, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      found.set(path, await written);
    },
    opts.signal,
  );
  return found;
}
