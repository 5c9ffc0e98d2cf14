/**
 * A per-layer index: which paths a layer holds, which it whites out and which
 * directories it makes opaque. Built once by streaming the layer's tar (never
 * held whole), cached by the layer's diff id, and enough to say which layer an
 * original came from without reading any layer again.
 */
import type { Readable } from 'node:stream';
import { metaFromHeader, type FileType } from '../report/file-meta.js';
import { tarEntries, type TarEntry } from '../tar-entries.js';
import { isOpaqueMarker, isWhiteout, opaqueDirectory, whitedOutPath } from './whiteout.js';

export interface LayerIndex {
  /** sha256:<hex> of the uncompressed layer tar. */
  diffId: string;
  /** Path -> entry type, for every real entry in the layer. */
  entries: Map<string, FileType>;
  whiteouts: Set<string>;
  opaqueDirs: Set<string>;
  /** Entries refused while indexing (e.g. names with ".."), with why. */
  anomalies: string[];
}

export function emptyLayerIndex(diffId: string): LayerIndex {
  return { diffId, entries: new Map(), whiteouts: new Set(), opaqueDirs: new Set(), anomalies: [] };
}

/** Normalises a tar entry name ("./etc/", "etc/passwd") to an absolute path, or undefined if it climbs. */
export function layerEntryPath(name: string): string | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return '/' + parts.join('/');
}

/**
 * Streams one uncompressed layer tar into an index. `onEntry` may read each entry's bytes
 * (a layer check compares them with a folder) before the next is taken.
 */
export async function indexLayer(
  tar: Readable,
  diffId: string,
  onEntry?: (entry: TarEntry) => Promise<void>,
): Promise<LayerIndex> {
  const index = emptyLayerIndex(diffId);
  for await (const entry of tarEntries(tar)) {
    if (onEntry) await onEntry(entry);
    const path = layerEntryPath(entry.header.name);
    if (path === undefined) {
      index.anomalies.push(
        `entry name climbs out of the layer: ${JSON.stringify(entry.header.name)}`,
      );
    } else if (isOpaqueMarker(path)) {
      index.opaqueDirs.add(opaqueDirectory(path));
    } else if (isWhiteout(path)) {
      index.whiteouts.add(whitedOutPath(path));
    } else if (path !== '/') {
      index.entries.set(path, metaFromHeader(entry.header).type);
    }
    entry.resume();
  }
  return index;
}

/** True when `layer` hides whatever the layers below it had at `path`. */
export function hidesBelow(layer: LayerIndex, path: string): boolean {
  if (layer.whiteouts.has(path)) return true;
  // Each ancestor, nearest first (a loop, not a generator: this runs for every changed path).
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const dir = path.slice(0, i);
    if (layer.whiteouts.has(dir) || layer.opaqueDirs.has(dir)) return true;
    const type = layer.entries.get(dir);
    if (type !== undefined && type !== 'directory') return true; // a directory replaced by a file
  }
  return false;
}

/**
 * The position (0 = bottom) of the layer that provides `path` in the merged
 * image, or undefined when no layer does (never there, or deleted by a whiteout
 * or an opaque directory above the last layer that had it).
 */
export function findOriginLayer(
  layersBottomUp: readonly LayerIndex[],
  path: string,
): number | undefined {
  for (let i = layersBottomUp.length - 1; i >= 0; i--) {
    const layer = layersBottomUp[i]!;
    if (layer.entries.has(path)) return i;
    if (hidesBelow(layer, path)) return undefined;
  }
  return undefined;
}

/** JSON form for the on-disk cache. */
export interface SerialisedLayerIndex {
  version: 1;
  diffId: string;
  entries: [string, FileType][];
  whiteouts: string[];
  opaqueDirs: string[];
  anomalies: string[];
}

export function serialiseLayerIndex(index: LayerIndex): SerialisedLayerIndex {
  return {
    version: 1,
    diffId: index.diffId,
    entries: [...index.entries],
    whiteouts: [...index.whiteouts],
    opaqueDirs: [...index.opaqueDirs],
    anomalies: index.anomalies,
  };
}

export function deserialiseLayerIndex(data: SerialisedLayerIndex): LayerIndex {
  if (data.version !== 1 || !Array.isArray(data.entries))
    throw new Error('unknown layer index format');
  return {
    diffId: data.diffId,
    entries: new Map(data.entries),
    whiteouts: new Set(data.whiteouts),
    opaqueDirs: new Set(data.opaqueDirs),
    anomalies: data.anomalies ?? [],
  };
}
