/**
 * An image layer's folder and the record that proves it, whatever the store: overlay2's
 * tar-split record beside its folder (tar-split.ts), or the layer's blob in containerd's
 * content store (layer-blob.ts). Live and dead-box sources, on either store, check a layer
 * the same way through here.
 */
import { checkLayerBlob, type LayerBlob } from './layer-blob.js';
import type { LayerRebuild } from './layer-verdict.js';
import { rebuildLayer } from './tar-split.js';

export interface ProvedLayer {
  diffId: string;
  /** The layer's folder as the store unpacked it. */
  dir: string;
  proof: { tarSplit: string } | { blob: LayerBlob };
}

/** How the layer is proved, in custody's words. */
export function provedBy(layer: ProvedLayer): string {
  return 'tarSplit' in layer.proof
    ? 'rebuilt from its folder and tar-split record, and checked against its diff id'
    : "checked against its blob in containerd's content store (digest and diff id)";
}

/**
 * Checks the layer at `position` entry by entry against its record; never throws for what
 * is missing or damaged (`incomplete` says what that may mean where the layer was read).
 */
export function checkProvedLayer(
  layer: ProvedLayer,
  position: number,
  opts: { incomplete: string; signal?: AbortSignal },
): Promise<LayerRebuild> {
  const { proof } = layer;
  return 'tarSplit' in proof
    ? rebuildLayer(proof.tarSplit, layer.dir, layer.diffId, position, opts.signal)
    : checkLayerBlob(proof.blob, layer.dir, layer.diffId, position, opts);
}
