/**
 * When coroner runs as root on the engine's own host, the engine's layer store
 * is a folder it can read: the original image's layers and the evidence image's
 * committed layer are read there directly (read only, never through a link)
 * instead of through reader containers, one archive request per path. Overlay2
 * keeps them in its own folders, each proved by its tar-split record; Docker's
 * containerd image store keeps them in containerd's overlayfs snapshots, each
 * proved by its blob in the content store. Either way a layer is checked entry
 * by entry the first time an image is seen; the index is then cached. Anything
 * the folders cannot answer goes the archive way, which stays the path for
 * remote engines and the fallback.
 */
import { access } from 'node:fs/promises';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { Cancelled } from '../../errors.js';
import {
  describeLayers,
  historyPerLayer,
  writeLayerCache,
  type ImageLayers,
} from '../../layers/image-layers.js';
import { findOriginLayer, type LayerIndex } from '../../layers/layer-index.js';
import type { ChangeEntry, StoredVersion, VersionPair } from '../../report/change.js';
import type { LayerCheck } from '../../report/triage-report.js';
import { ContainerdRoot } from '../containerd-store/containerd-root.js';
import { snapshotOfContainer } from '../containerd-store/running-roots.js';
import { imageLayers, readImageConfig } from '../docker-store/image-store.js';
import { readLayerVersion } from '../layer-store/layer-dir.js';
import type { Capabilities } from '../layer-store/overlay-xattrs.js';
import { fingerprintFolder } from '../layer-store/layer-tree.js';
import { checkProvedLayer, provedBy, type ProvedLayer } from '../layer-store/proved-layer.js';
import { EVIDENCE_LABELS } from './freeze.js';
import type { EngineIdentity, ImageInspect } from './types.js';

export interface HostLayers {
  /** The original image's layers, bottom first. */
  original: ProvedLayer[];
  /** The evidence image's committed layer: what the container wrote. */
  committed: { dir: string };
  root: { path: string; storageDriver: string };
  /** The original image's config, where the store read it already (its history names each layer). */
  config?: Record<string, unknown>;
}

/** What a layer that cannot be checked may mean, on a live host. */
const INCOMPLETE_LIVE =
  "a piece of the engine's store is missing or unreadable: removed on the host, or damaged";

/**
 * The layer folders of the original and evidence images on this host, or why they cannot
 * be read here (not root, another storage driver, a remote engine). `capturedAt` is the
 * evidence label this triage gave the commit.
 */
export async function findHostLayers(
  engine: EngineIdentity,
  original: ImageInspect,
  evidence: ImageInspect,
  capturedAt: string,
  container: { id: string; upperDir?: string },
): Promise<HostLayers | { reason: string }> {
  if (process.getuid?.() !== 0) return { reason: 'coroner is not root' };
  if (engine.storageDriver === CONTAINERD_SNAPSHOTTER)
    return findContainerdLayers(original, evidence, capturedAt, container);
  if (engine.storageDriver !== 'overlay2' || !engine.rootDir)
    return { reason: `the engine's storage driver is ${engine.storageDriver}, not overlay2` };
  const root = { path: engine.rootDir, storageDriver: 'overlay2' };
  const upper = (evidence.GraphDriver?.Data as Record<string, unknown> | undefined)?.['UpperDir'];
  try {
    const layers = await imageLayers(root, evidence.RootFS?.Layers ?? []);
    const committed = layers.at(-1);
    const originalIds = original.RootFS?.Layers ?? [];
    // The engine must agree: the evidence image is the original's layers plus one, in the folder it names.
    if (
      !committed ||
      committed.dir !== upper ||
      layers.length !== originalIds.length + 1 ||
      originalIds.some((id, i) => layers[i]!.diffId !== id)
    )
      return { reason: "the engine's layer store on this host does not match what it reports" };
    await access(committed.dir);
    // Proof that the engine is this host's (a remote one can name this host's folders): the
    // evidence image it just committed is on this disk, its config hashing to its id and
    // carrying the moment this triage asked for the commit.
    const written = await readImageConfig(root, evidence.Id).catch(() => undefined);
    const labels = (
      written?.config as { config?: { Labels?: Record<string, unknown> } } | undefined
    )?.config?.Labels;
    if (labels?.[EVIDENCE_LABELS.capturedAt] !== capturedAt)
      return {
        reason:
          "nothing proves the engine runs on this host (the evidence image it committed is not in this host's layer store): a remote engine, or one that lies",
      };
    return {
      original: layers
        .slice(0, -1)
        .map((l) => ({ diffId: l.diffId, dir: l.dir, proof: { tarSplit: l.tarSplit } })),
      committed,
      root,
    };
  } catch (e) {
    return {
      reason: `the engine's layer store is not readable here (${(e as Error).message.slice(0, 200)}): a remote engine, or another host`,
    };
  }
}

/** Docker's containerd image store names its storage driver so (`docker info`). */
const CONTAINERD_SNAPSHOTTER = 'overlayfs';
/** A snapshot's folder of containerd's overlayfs snapshotter: its root is what comes before. */
const SNAPSHOT_FOLDER = /^(\/.*)\/io\.containerd\.snapshotter\.v1\.overlayfs\/snapshots\/\d+\/fs$/;

/**
 * The layers on Docker's containerd image store: containerd's overlayfs snapshots, found
 * through its metadata (containerd-root.ts). The container's writable layer, as the kernel
 * mounted it, names containerd's root; that the metadata gives the container this very
 * folder, and holds the evidence image this triage just committed, proves the engine is
 * this host's.
 */
async function findContainerdLayers(
  original: ImageInspect,
  evidence: ImageInspect,
  capturedAt: string,
  container: { id: string; upperDir?: string },
): Promise<HostLayers | { reason: string }> {
  const upper = container.upperDir;
  // Where the writable layer was not read, the running containerd that holds its snapshot.
  const rootPath = upper
    ? SNAPSHOT_FOLDER.exec(upper)?.[1]
    : (await snapshotOfContainer(container.id).catch(() => undefined))?.root;
  if (!rootPath)
    return {
      reason: upper
        ? `the container's writable layer (${upper}) is not a snapshot of containerd's overlayfs snapshotter`
        : 'no running containerd on this host holds a snapshot of the container',
    };
  let store: ContainerdRoot;
  try {
    store = await ContainerdRoot.open(rootPath, { isLive: true });
  } catch (e) {
    return {
      reason: `containerd's root ${rootPath} cannot be read (${(e as Error).message.slice(0, 200)})`,
    };
  }
  try {
    const found = await store.containerSnapshot(container.id);
    if (!found)
      return { reason: `containerd's root ${rootPath} holds no snapshot of the container` };
    const own = found.chain[0]!.dir;
    if (upper && own !== upper)
      return {
        reason: `containerd's metadata gives the container the folder ${own}, but the kernel mounted ${upper} as its writable layer: a forged metadata, or another containerd`,
      };
    const platform = {
      os: original.Os || 'linux',
      architecture: original.Architecture || 'amd64',
    };
    const image = await store.imageLayers(found.namespace, original.Id, platform);
    const diffIds = original.RootFS?.Layers ?? [];
    if (
      image.layers.length !== diffIds.length ||
      image.layers.some((l, i) => l.diffId !== diffIds[i])
    )
      return { reason: "containerd's records of the image do not match what the engine reports" };
    const packed = image.layers.findIndex((l) => !l.snapshot);
    if (packed >= 0)
      return { reason: `layer ${packed} of the image is not unpacked in containerd's snapshotter` };
    const written = await store.imageLayers(found.namespace, evidence.Id, platform);
    const labels = (written.config['config'] as { Labels?: Record<string, unknown> } | undefined)
      ?.Labels;
    const committed = written.layers.at(-1)?.snapshot;
    if (labels?.[EVIDENCE_LABELS.capturedAt] !== capturedAt || !committed)
      return {
        reason:
          "the evidence image the engine committed is not unpacked in containerd's root on this host: a remote engine, or one that lies",
      };
    return {
      original: await Promise.all(
        image.layers.map(async (l) => ({
          diffId: l.diffId,
          dir: l.snapshot!.dir,
          proof: {
            blob: {
              path: await store.layerBlobFile(l.digest),
              digest: l.digest,
              mediaType: l.mediaType,
            },
          },
        })),
      ),
      committed: { dir: committed.dir },
      root: { path: rootPath, storageDriver: "containerd's overlayfs snapshotter" },
      config: image.config,
    };
  } catch (e) {
    return {
      reason: `containerd's root ${rootPath} does not say where the image's layers are (${(e as Error).message.slice(0, 200)})`,
    };
  } finally {
    await store.close();
  }
}

/**
 * Whether every layer folder is still as it was when checked: its fingerprint now against
 * the one cached with the image's indexes. Undefined when it is; else which layer differs
 * or why it could not be told (then the layers are checked again, whole).
 */
export async function changedSinceChecked(
  host: HostLayers,
  prints: readonly string[] | undefined,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (!prints || prints.length !== host.original.length)
    return 'the cache holds no fingerprint of the layer folders';
  for (const [position, layer] of host.original.entries()) {
    if (signal?.aborted) throw new Cancelled('triage');
    let now: string;
    try {
      now = fingerprintFolder(layer.dir);
    } catch (e) {
      now = `unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    if (now !== prints[position])
      return `the folder of layer ${position} (${layer.dir}) is not as it was when it was checked`;
  }
  return undefined;
}

/** The original image's layers indexed from their folders, each checked against its record. */
export async function indexHostLayers(
  host: HostLayers,
  image: ImageInspect,
  custody: CustodyLog,
  opts: { cacheDir: string; signal?: AbortSignal; onLayer?: (done: number) => void },
): Promise<ImageLayers> {
  const indexes: LayerIndex[] = [];
  const checks: LayerCheck[] = [];
  const prints: (string | undefined)[] = [];
  for (const [position, layer] of host.original.entries()) {
    if (opts.signal?.aborted) throw new Cancelled('triage');
    const { index, check, fingerprint } = await custody.step(
      `index original image layer ${position} from the engine's layer store, ${provedBy(layer)}`,
      layer.diffId,
      () =>
        checkProvedLayer(layer, position, {
          incomplete: INCOMPLETE_LIVE,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      (r) => `${r.check.status}: ${r.check.detail}`,
    );
    indexes.push(index);
    checks.push(check);
    prints.push(fingerprint);
    opts.onLayer?.(position + 1);
  }
  const diffIds = host.original.map((l) => l.diffId);
  const config =
    host.config ?? (await readImageConfig(host.root, image.Id).catch(() => undefined))?.config;
  const history = historyPerLayer(config, diffIds.length);
  // Only layers that proved themselves are cached: a tampered one is indexed again next time.
  const cacheProblem = checks.every((c) => c.status === 'verified')
    ? await writeLayerCache(
        opts.cacheDir,
        image.Id,
        history,
        indexes,
        prints.every((p) => p !== undefined) ? prints : undefined,
      )
    : 'not cached: a layer did not match its diff id';
  return {
    imageId: image.Id,
    layers: describeLayers(diffIds, history),
    indexes,
    source: 'layer-store',
    savedBytes: 0,
    checks,
    ...(cacheProblem ? { cacheProblem } : {}),
  };
}

/** An entry the layer folders answered in part, and the side they had. */
export interface Partial {
  entry: ChangeEntry;
  pair: VersionPair;
}

/**
 * Both versions of each entry from the layer folders. A complete pair goes to `onPair` at
 * once. Returns what the folders could not answer, for the archive readers: an entry whose
 * kind asks for just the missing side (`D` the original, `A` the current, `C` both), and
 * the side that was found of it (`partial`).
 */
export async function readHostVersions(
  host: HostLayers,
  indexes: readonly LayerIndex[],
  entries: readonly ChangeEntry[],
  folder: CaseFolder,
  opts: {
    maxContentBytes: number;
    /** Current versions acquired already (read from the suspect in the freeze). */
    acquired: ReadonlyMap<string, StoredVersion>;
    /** The file capabilities in the container's own layer (readCapabilities of its folder). */
    capabilities: Capabilities;
    signal?: AbortSignal;
    onProgress?: (done: number, bytes: number) => void;
    onPair: (entry: ChangeEntry, pair: VersionPair) => Promise<void>;
  },
): Promise<{
  partial: Map<string, Partial>;
  unanswered: ChangeEntry[];
}> {
  const partial = new Map<string, Partial>();
  const unanswered: ChangeEntry[] = [];
  const readOpts = {
    maxContentBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  let done = 0;
  let bytes = 0;
  const caps = opts.capabilities;
  const read = async (
    side: 'original' | 'current',
    dir: string,
    path: string,
    capability?: Buffer | 'look',
  ) => {
    const version = await readLayerVersion(side, dir, path, folder, readOpts, capability);
    bytes += version?.content?.sizeBytes ?? 0;
    return version;
  };
  // One at a time per path, a few paths at once: the disk, not the engine, is the limit here.
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      if (opts.signal?.aborted) throw new Cancelled('triage');
      const entry = entries[next++]!;
      const pair: VersionPair = {};
      if (entry.kind !== 'A') {
        const position = findOriginLayer(indexes, entry.path);
        const layer = position === undefined ? undefined : host.original[position];
        // The original's capabilities matter only where the current file has some.
        const version = layer
          ? await read(
              'original',
              layer.dir,
              entry.path,
              caps.byPath.has(entry.path) ? 'look' : undefined,
            )
          : undefined;
        if (version) pair.original = version;
      }
      if (entry.kind !== 'D') {
        const acquired = opts.acquired.get(entry.path);
        const version =
          acquired ??
          (await read('current', host.committed.dir, entry.path, caps.byPath.get(entry.path)));
        if (version) pair.current = version;
      }
      const needsOriginal = entry.kind !== 'A' && !pair.original;
      const needsCurrent = entry.kind !== 'D' && !pair.current;
      if (needsOriginal || needsCurrent) {
        partial.set(entry.path, { entry, pair });
        unanswered.push({
          path: entry.path,
          kind: needsOriginal && needsCurrent ? 'C' : needsOriginal ? 'D' : 'A',
        });
      } else {
        opts.onProgress?.(++done, bytes);
        await opts.onPair(entry, pair);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { partial, unanswered };
}
