/**
 * What a source reading layer folders on this host (a dead box's copy, a node's containerd)
 * does once it has found them: each image layer checked against what proves it, the change
 * list from the container's writable layer, and both versions of each changed path read
 * from the folders into the case. The source says where the folders are; this reads them.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { changesFromLayer } from '../../changes/changes-from-layer.js';
import { Cancelled } from '../../errors.js';
import {
  describeLayers,
  historyPerLayer,
  type ImageConfigHistory,
  type ImageLayers,
} from '../../layers/image-layers.js';
import { emptyLayerIndex, findOriginLayer, type LayerIndex } from '../../layers/layer-index.js';
import type { ChangeEntry, StoredVersion, VersionPair } from '../../report/change.js';
import type { NotCollected } from '../../report/triage-report.js';
import type { Acquisition, AcquireOptions } from '../evidence-source.js';
import { indexLayerDir, readLayerVersion } from './layer-dir.js';
import { readCapabilities, readOpaqueDirs, type Capabilities } from './overlay-xattrs.js';
import { checkProvedLayer, provedBy, type ProvedLayer } from './proved-layer.js';

/** Layer folders are read this many paths at a time. */
const READS_AT_ONCE = 8;

export interface LayerFolders {
  /** The container's writable layer folder, and the engine's init layer under it; absent when not found. */
  container?: { writable: string; init?: string };
  /** The image's layers, bottom first, each with what proves it. */
  layers: ProvedLayer[];
  imageId: string;
  /** The image config, for each layer's history. */
  imageConfig?: ImageConfigHistory;
  /** What a layer that cannot be checked may mean here, in words. */
  incomplete: string;
  /**
   * The writable layer as it was read in the freeze, its index and the current version of
   * each path in it: then the folder itself is not read again (the container runs on).
   */
  frozen?: FrozenLayer;
}

export interface FrozenLayer {
  index: LayerIndex;
  /** By path; a path missing here could not be read in the freeze (a problem said why). */
  currents: ReadonlyMap<string, StoredVersion>;
}

type FolderReads = Pick<Acquisition, 'changeList' | 'originalLayers' | 'readVersions'>;

export function readLayerFolders(
  folders: LayerFolders,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: AcquireOptions,
  notCollected: NotCollected[],
): FolderReads {
  const { container, layers, frozen } = folders;
  const cancelled = () => {
    if (opts.signal?.aborted) throw new Cancelled('reading the layer folders');
  };
  const readOpts = {
    maxContentBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };

  let capabilities: Promise<Capabilities> | undefined;
  const writableCapabilities = () =>
    (capabilities ??= (
      container && !frozen
        ? readCapabilities(container.writable)
        : Promise.resolve({ byPath: new Map() })
    ).then((caps: Capabilities) => {
      if (caps.problem)
        notCollected.push({
          item: 'file capabilities (security.capability)',
          reason: caps.problem,
        });
      return caps;
    }));

  let original: Promise<ImageLayers> | undefined;
  const originalLayers = () =>
    (original ??= (async () => {
      const indexes: LayerIndex[] = [];
      const checks = [];
      for (const [position, layer] of layers.entries()) {
        cancelled();
        const { index, check } = await custody.step(
          `image layer ${position}, ${provedBy(layer)}`,
          layer.diffId,
          () =>
            checkProvedLayer(layer, position, {
              incomplete: folders.incomplete,
              ...(opts.signal ? { signal: opts.signal } : {}),
            }),
          (r) => `${r.check.status}: ${r.check.detail}`,
        );
        indexes.push(index);
        checks.push(check);
        opts.onProgress?.('layers', position + 1, 0);
      }
      return {
        imageId: folders.imageId,
        layers: describeLayers(
          layers.map((l) => l.diffId),
          historyPerLayer(folders.imageConfig, layers.length),
        ),
        indexes,
        source: 'layer-store' as const,
        savedBytes: 0,
        checks,
      };
    })());

  const writableIndex = async (writable: string): Promise<LayerIndex> => {
    if (frozen) return frozen.index;
    const opaque = await custody.step(
      'list the opaque folders of the writable layer (extended attributes, getfattr)',
      writable,
      () => readOpaqueDirs(writable),
      (o) => `${o.dirs.size} opaque${o.problem ? `; ${o.problem}` : ''}`,
    );
    if (opaque.problem)
      opts.onProblem({
        path: '/',
        action: 'read opaque folders of the writable layer',
        cause: opaque.problem,
      });
    return custody.step(
      'index the writable layer folder',
      writable,
      () => indexLayerDir(writable, 'writable', opaque.dirs),
      (i) => `${i.entries.size} entries, ${i.whiteouts.size} deletions`,
    );
  };

  return {
    originalLayers,

    async changeList() {
      const images = await originalLayers();
      if (!container) return [];
      const writable = await writableIndex(container.writable);
      // The init layer (hosts, hostname, resolv.conf, .dockerenv) is the engine's, not the attacker's.
      const init = container.init
        ? await indexLayerDir(container.init, 'init').catch(() => emptyLayerIndex('init'))
        : emptyLayerIndex('init');
      const entries = changesFromLayer(writable, [...images.indexes, init]);
      await folder.writeJson(
        'changes/changes-from-writable-layer.json',
        entries,
        "change list read from the container's writable layer folder",
      );
      return entries;
    },

    async readVersions(entries, onPair) {
      const images = await originalLayers();
      let done = 0;
      let bytes = 0;
      const caps = await writableCapabilities();
      const read = async (
        side: 'original' | 'current',
        dir: string,
        entry: ChangeEntry,
      ): Promise<StoredVersion | undefined> => {
        // The original's capabilities matter only where the current file has some.
        const capability =
          side === 'current'
            ? caps.byPath.get(entry.path)
            : (frozen?.currents.get(entry.path)?.meta.capabilities ?? caps.byPath.has(entry.path))
              ? 'look'
              : undefined;
        const version = await readLayerVersion(side, dir, entry.path, folder, readOpts, capability);
        bytes += version?.content?.sizeBytes ?? 0;
        return version;
      };
      const readOne = async (entry: ChangeEntry) => {
        const pair: VersionPair = {};
        if (entry.kind !== 'A') {
          const position = findOriginLayer(images.indexes, entry.path);
          const version =
            position === undefined
              ? undefined
              : await read('original', layers[position]!.dir, entry);
          if (version) pair.original = version;
          else
            opts.onProblem({
              path: entry.path,
              action: 'read original version',
              cause: 'not found in the image layers',
            });
        }
        if (entry.kind !== 'D' && container) {
          const version = frozen
            ? frozen.currents.get(entry.path)
            : await read('current', container.writable, entry);
          if (version) {
            pair.current = version;
            bytes += frozen ? (version.content?.sizeBytes ?? 0) : 0;
          } else if (!frozen)
            opts.onProblem({
              path: entry.path,
              action: 'read current version',
              cause: 'not found in the writable layer',
            });
        }
        opts.onProgress?.('extract', ++done, bytes);
        await onPair(entry, pair);
      };
      await eachAtOnce(entries, READS_AT_ONCE, cancelled, (entry) =>
        readOne(entry).catch((e: unknown) => {
          if (e instanceof Cancelled) throw e;
          opts.onProblem({
            path: entry.path,
            action: 'read versions',
            cause: (e as Error).message,
          });
        }),
      );
      custody.record(
        'read original and current versions from the layer folders',
        `${entries.length} paths`,
        'ok',
        `${bytes} bytes`,
      );
    },
  };
}

/**
 * Reads the writable layer `dir` whole, as the freeze does while the container is paused:
 * its index, and the current version of every path in it stored in the case. Afterwards
 * nothing of the folder is read again, whatever the container does once it runs on.
 */
export async function freezeWritableLayer(
  dir: string,
  folder: CaseFolder,
  opts: Pick<AcquireOptions, 'maxContentBytes' | 'signal' | 'onProblem'>,
): Promise<FrozenLayer & { bytes: number }> {
  const opaque = await readOpaqueDirs(dir);
  if (opaque.problem)
    opts.onProblem({
      path: '/',
      action: 'read opaque folders of the writable layer',
      cause: opaque.problem,
    });
  const index = await indexLayerDir(dir, 'writable', opaque.dirs);
  const caps = await readCapabilities(dir);
  if (caps.problem)
    opts.onProblem({ path: '/', action: 'read file capabilities', cause: caps.problem });
  const currents = new Map<string, StoredVersion>();
  const readOpts = {
    maxContentBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  let bytes = 0;
  const cancelled = () => {
    if (opts.signal?.aborted) throw new Cancelled('reading the writable layer');
  };
  await eachAtOnce([...index.entries.keys()], READS_AT_ONCE, cancelled, async (path) => {
    const version = await readLayerVersion(
      'current',
      dir,
      path,
      folder,
      readOpts,
      caps.byPath.get(path),
    ).catch((e: unknown) => {
      opts.onProblem({ path, action: 'read current version', cause: (e as Error).message });
      return undefined;
    });
    if (version) {
      currents.set(path, version);
      bytes += version.content?.sizeBytes ?? 0;
    } else
      opts.onProblem({
        path,
        action: 'read current version',
        cause: 'gone from the writable layer while it was read',
      });
  });
  return { index, currents, bytes };
}

/** `work` on each item, `width` at a time, checking `cancelled` before each. */
async function eachAtOnce<T>(
  items: readonly T[],
  width: number,
  cancelled: () => void,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      cancelled();
      await work(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}
