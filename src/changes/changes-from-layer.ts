/**
 * The change list read from a container's own layer instead of `docker diff`:
 * a committed (or writable) layer is exactly what the container wrote (new and
 * changed entries, whiteouts for deletions, opaque markers for replaced
 * folders). Used when the engine cannot list the changes (an attacker can
 * cause that on purpose), and by sources that have no engine at all.
 */
import type { ChangeEntry, ChangeKind } from '../report/change.js';
import { findOriginLayer, type LayerIndex } from '../layers/layer-index.js';

/** `written` is the container's layer; `below`, the layers under it (the image's, bottom first). */
export function changesFromLayer(written: LayerIndex, below: readonly LayerIndex[]): ChangeEntry[] {
  const wasThere = (path: string) => findOriginLayer(below, path) !== undefined;
  const kinds = new Map<string, ChangeKind>();
  for (const path of written.whiteouts) if (wasThere(path)) kinds.set(path, 'D');
  // An opaque folder hides everything the image had under it: each of those is gone.
  for (const dir of written.opaqueDirs) {
    for (const layer of below) {
      for (const path of layer.entries.keys()) {
        if (path.startsWith(dir + '/') && !written.entries.has(path) && wasThere(path))
          kinds.set(path, 'D');
      }
    }
  }
  for (const path of written.entries.keys()) kinds.set(path, wasThere(path) ? 'C' : 'A');
  return [...kinds].map(([path, kind]) => ({ path, kind }));
}
