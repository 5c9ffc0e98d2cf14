/**
 * The change list read from the evidence image instead of `docker diff`: the
 * committed layer is exactly what the container wrote (new and changed entries,
 * whiteouts for deletions, opaque markers for replaced folders). Used when the
 * engine cannot list the changes, which an attacker can cause on purpose.
 */
import type { RawChange } from '../sources/docker-live/types.js';
import { findOriginLayer, type LayerIndex } from '../layers/layer-index.js';

const KIND = { changed: 0, added: 1, deleted: 2 } as const;

/** `committed` is the evidence image's top layer; `original`, the original image's layers. */
export function changesFromLayer(
  committed: LayerIndex,
  original: readonly LayerIndex[],
): RawChange[] {
  const wasThere = (path: string) => findOriginLayer(original, path) !== undefined;
  const kinds = new Map<string, RawChange['Kind']>();
  for (const path of committed.whiteouts) if (wasThere(path)) kinds.set(path, KIND.deleted);
  // An opaque folder hides everything the image had under it: each of those is gone.
  for (const dir of committed.opaqueDirs) {
    for (const layer of original) {
      for (const path of layer.entries.keys()) {
        if (path.startsWith(dir + '/') && !committed.entries.has(path) && wasThere(path))
          kinds.set(path, KIND.deleted);
      }
    }
  }
  for (const path of committed.entries.keys())
    kinds.set(path, wasThere(path) ? KIND.changed : KIND.added);
  return [...kinds].map(([Path, Kind]) => ({ Path, Kind }));
}
