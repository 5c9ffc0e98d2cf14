/**
 * An image's layers as indexes, for telling which layer (and which history
 * line) each original file came from. However a source reads the layers the
 * first time, every layer's index is cached by diff id, so later triages (and
 * other images sharing the layer) read no layer at all.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LayerInfo } from '../report/change.js';
import type { LayerCheck, LayersSummary } from '../report/triage-report.js';
import {
  deserialiseLayerIndex,
  serialiseLayerIndex,
  type LayerIndex,
  type SerialisedLayerIndex,
} from './layer-index.js';

export interface ImageLayers {
  imageId: string;
  layers: LayerInfo[];
  indexes: LayerIndex[];
  /** Where the indexes came from this time. */
  source: LayersSummary['source'];
  /** Bytes of `docker save` read (0 otherwise). */
  savedBytes: number;
  /** Why the index could not be cached (a full or read-only cache disk): the next triage indexes again. */
  cacheProblem?: string;
  /** Per layer, when the source checked the layers against their diff ids. */
  checks?: LayerCheck[];
}

/** Layers that could not be read: originals are still recovered, without their layer. */
export function unavailableLayers(imageId: string): ImageLayers {
  return { imageId, layers: [], indexes: [], source: 'unavailable', savedBytes: 0 };
}

/** The history lines of an image config, as the engine stores and saves it. */
export interface ImageConfigHistory {
  rootfs?: { diff_ids?: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
}

export type LayerHistory = { createdBy?: string; created?: string }[];

interface CachedImage {
  version: 1;
  imageId: string;
  layerHistory: LayerHistory;
  /**
   * Each layer folder's fingerprint when it was checked on the engine's host, bottom first:
   * a later triage from this cache walks the folders again and trusts the cache only if
   * every one still matches (absent when the layers were indexed from `docker save`).
   */
  folderPrints?: string[];
}

export function defaultCacheDir(): string {
  const explicit = process.env['CORONER_CACHE_DIR'];
  if (explicit) return explicit;
  const xdg = process.env['XDG_CACHE_HOME'];
  return path.join(xdg || path.join(os.homedir(), '.cache'), 'coroner');
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/** History lines that made a layer (not the empty ones: ENV, LABEL…), bottom first. */
export function historyPerLayer(
  config: ImageConfigHistory | undefined,
  layerCount: number,
): LayerHistory {
  const made = (config?.history ?? []).filter((h) => !h.empty_layer);
  if (made.length !== layerCount) return [];
  return made.map((h) => ({
    ...(h.created_by !== undefined ? { createdBy: h.created_by } : {}),
    ...(h.created !== undefined ? { created: h.created } : {}),
  }));
}

export function describeLayers(diffIds: readonly string[], history: LayerHistory): LayerInfo[] {
  return diffIds.map((diffId, position) => ({ position, diffId, ...(history[position] ?? {}) }));
}

/** The cached indexes of an image, or undefined on any miss. */
export async function readLayerCache(
  cacheDir: string,
  imageId: string,
  diffIds: readonly string[],
): Promise<(Omit<ImageLayers, 'source' | 'savedBytes'> & { folderPrints?: string[] }) | undefined> {
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
    const prints = Array.isArray(image.folderPrints)
      ? image.folderPrints.filter((p): p is string => typeof p === 'string')
      : undefined;
    return {
      imageId,
      layers: describeLayers(diffIds, image.layerHistory),
      indexes,
      ...(prints ? { folderPrints: prints } : {}),
    };
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

/**
 * Caches an image's indexes. The cache only saves time: a full or read-only cache disk
 * must not fail the triage, so this returns why it could not cache instead of throwing.
 */
export async function writeLayerCache(
  cacheDir: string,
  imageId: string,
  layerHistory: LayerHistory,
  indexes: readonly LayerIndex[],
  folderPrints?: readonly string[],
): Promise<string | undefined> {
  try {
    for (const index of indexes) {
      await writeAtomically(
        path.join(cacheDir, 'layers', `${hex(index.diffId)}.json`),
        JSON.stringify(serialiseLayerIndex(index)),
      );
    }
    const image: CachedImage = {
      version: 1,
      imageId,
      layerHistory,
      ...(folderPrints ? { folderPrints: [...folderPrints] } : {}),
    };
    await writeAtomically(
      path.join(cacheDir, 'images', `${hex(imageId)}.json`),
      JSON.stringify(image),
    );
    return undefined;
  } catch (e) {
    return `not cached in ${cacheDir}: ${(e as Error).message}`;
  }
}
