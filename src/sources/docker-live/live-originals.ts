/**
 * The original image's side of a live triage, and both versions of each changed path: the
 * image's layers indexed from the engine's layer store on this host (overlay2's folders or
 * containerd's snapshots, each checked against its record) or from `docker save`; originals
 * and current versions read from those folders, and what they cannot answer through
 * never-started reader containers (the original image, the evidence image; never the live
 * container); volumes, binds and executables compared with the image on this host.
 */
import { lstat } from 'node:fs/promises';
import { isoTime } from '../../iso-time.js';
import { readLayerCache, unavailableLayers, type ImageLayers } from '../../layers/image-layers.js';
import type { ChangeEntry, VersionPair } from '../../report/change.js';
import type { Acquisition, ContainerSummary, MountsRead } from '../evidence-source.js';
import { compareMounts } from '../layer-store/compare-mount.js';
import { compareExecutables } from '../layer-store/executables.js';
import { readCapabilities, type Capabilities } from '../layer-store/overlay-xattrs.js';
import { extractVersions } from './archive-versions.js';
import { throwIfAborted } from './engine.js';
import type { FrozenEvidence } from './freeze.js';
import {
  changedSinceChecked,
  indexHostLayers,
  readHostVersions,
  type HostLayers,
  type Partial,
} from './host-layers.js';
import { isLayerIndexProblem, loadImageLayers } from './image-save-index.js';
import type { LiveAcquisition } from './live-acquisition.js';
import { READER_FOR_LABEL, readerOwnerLabels, removeStaleReaders } from './stale-readers.js';

export interface LiveOriginalSources extends LiveAcquisition {
  /** The engine's containers as listed last: a dead run's readers are among them. */
  containers: readonly ContainerSummary[];
}

export type LiveOriginals = Pick<
  Acquisition,
  'originalLayers' | 'mountChanges' | 'processes' | 'readVersions'
>;

const CAPABILITIES_ITEM = 'file capabilities (security.capability) of files read on this host';

export function liveOriginals(s: LiveOriginalSources): LiveOriginals {
  const { engine, container, frozen, folder, custody, opts, notCollected, host, hostReason } = s;
  const { containers } = s;
  const signal = opts.signal;
  const layerOpts = { cacheDir: opts.cacheDir, ...(signal ? { signal } : {}) };
  const indexOriginal = async (): Promise<ImageLayers> => {
    const cached = host
      ? await readLayerCache(opts.cacheDir, frozen.image.Id, frozen.image.RootFS?.Layers ?? [])
      : undefined;
    // A cached index is trusted only while every layer folder is as it was when checked: a
    // change made on the host since then is checked again, and named.
    const changed =
      cached && host
        ? await custody.step(
            "check that the image's layer folders are as they were when checked (entries, modes, owners, sizes, change times)",
            frozen.image.Id,
            () => changedSinceChecked(host, cached.folderPrints, signal),
            (why) => why ?? 'as they were',
          )
        : undefined;
    if (cached && !changed) {
      const { folderPrints: _, ...layers } = cached;
      custody.record('index original image layers', frozen.image.Id, 'ok', 'from cache');
      return { ...layers, source: 'cache' as const, savedBytes: 0 };
    }
    if (host) {
      const indexed = await indexHostLayers(host, frozen.image, custody, {
        ...layerOpts,
        onLayer: (done) => opts.onProgress?.('layers', done, 0),
      });
      custody.record(
        'index original image layers',
        frozen.image.Id,
        'ok',
        `from the engine's layer store on this host${indexed.cacheProblem ? `; ${indexed.cacheProblem}` : ''}`,
      );
      return indexed;
    }
    return custody
      .step(
        'index original image layers',
        frozen.image.Id,
        () =>
          loadImageLayers(engine, frozen.image, {
            ...layerOpts,
            onBytes: (bytes) => opts.onProgress?.('layers', 0, bytes),
          }),
        (l) =>
          l.source === 'cache'
            ? 'from cache'
            : `streamed docker save, ${l.savedBytes} bytes${l.cacheProblem ? `; ${l.cacheProblem}` : ''}`,
      )
      .catch((e: unknown): ImageLayers => {
        if (!isLayerIndexProblem(e)) throw e;
        opts.onProblem({
          path: '/',
          action: 'index original image layers',
          cause: `${e.message}; originals are still read from the image, without their layer`,
        });
        return unavailableLayers(frozen.image.Id);
      });
  };
  let original: Promise<ImageLayers> | undefined;
  const originalLayers = () => (original ??= indexOriginal());
  // readVersions is called more than once (the package databases first): what does not
  // depend on the entries is done once.
  let tidied: Promise<unknown> | undefined;
  let capabilities: Promise<Capabilities> | undefined;
  // The container's own layer, all at once: usually no capabilities, never many.
  const committedCapabilities = (at: HostLayers) =>
    (capabilities ??= readCapabilities(at.committed.dir).then((caps) => {
      if (caps.problem) notCollected.push({ item: CAPABILITIES_ITEM, reason: caps.problem });
      return caps;
    }));

  // The writable layer, where it was read in the pause: its entries' change times.
  const layer =
    frozen.writableLayer && 'index' in frozen.writableLayer ? frozen.writableLayer : undefined;
  // The current version's change time, as the writable layer had it in the pause.
  const withLayerTimes = (entry: ChangeEntry, pair: VersionPair): VersionPair => {
    const times = layer?.times.get(entry.path);
    if (!times || !pair.current) return pair;
    return {
      ...pair,
      current: { ...pair.current, meta: { ...pair.current.meta, ctime: isoTime(times.ctimeMs) } },
    };
  };
  return {
    originalLayers,

    mountChanges: async () => {
      const changes = [...(frozen.host?.memoryMounts ?? [])];
      const read: MountsRead['read'] = (frozen.host?.memoryMountsRead ?? []).map((destination) => ({
        type: 'tmpfs',
        destination,
      }));
      const candidates = (frozen.inspect.Mounts ?? []).filter(
        (m) => m.Type === 'volume' || m.Type === 'bind',
      );
      if (candidates.length === 0) return { changes, read };
      const images = host ? await originalLayers() : undefined;
      if (!host || !images?.indexes.length) {
        notCollected.push({
          item: 'volumes and bind mounts',
          reason: host
            ? "the original image's layers could not be indexed, so there is nothing to compare them with"
            : `they are compared with the image on the engine's host, as root (${hostReason})`,
        });
        return { changes, read };
      }
      // Folders only: a bound file or socket (the engine's socket, say) stays uncovered.
      const mounts = [];
      for (const m of candidates)
        if ((await lstat(m.Source).catch(() => undefined))?.isDirectory()) mounts.push(m);
      const image = { indexes: images.indexes, dirs: host.original.map((l) => l.dir) };
      const compared = await compareMounts(
        mounts.map((m) => ({
          dir: m.Source,
          place: {
            type: m.Type,
            destination: m.Destination,
            ...(m.Type === 'volume' && m.Name ? { name: m.Name } : {}),
          },
          step: `compare the ${m.Type} at ${m.Destination} with the image's content there (read only, on the engine's host)`,
          unreadable: (e) => ({ item: `the ${m.Type} at ${m.Destination}`, reason: e.message }),
        })),
        image,
        folder,
        custody,
        { maxContentBytes: opts.maxContentBytes, ...(signal ? { signal } : {}) },
        notCollected,
      );
      return { changes: [...changes, ...compared.changes], read: [...read, ...compared.read] };
    },

    ...(frozen.host?.processes
      ? {
          processes: async () => {
            const records = frozen.host!.processes!;
            const images = host ? await originalLayers() : undefined;
            if (host && images?.indexes.length)
              await compareExecutables(records, {
                indexes: images.indexes,
                dirs: host.original.map((l) => l.dir),
              });
            return records;
          },
        }
      : {}),

    readVersions: async (entries, handOver) => {
      const onPair = (entry: ChangeEntry, pair: VersionPair) =>
        handOver(entry, withLayerTimes(entry, pair));
      throwIfAborted(signal, 'triage');
      // After the freeze, never before it: tidying up must not delay the evidence.
      await (tidied ??= removeStaleReaders(engine, containers, custody));
      let rest: readonly ChangeEntry[] = entries;
      let partial: Map<string, Partial> | undefined;
      if (host) {
        const layers = (await originalLayers()).indexes;
        const capabilities = await committedCapabilities(host);
        const read = await custody.step(
          "read original and current versions from the engine's layer store on this host (read only)",
          `${entries.length} paths`,
          () =>
            readHostVersions(host, layers, entries, folder, {
              maxContentBytes: opts.maxContentBytes,
              acquired: frozen.readFromSuspect,
              capabilities,
              ...(signal ? { signal } : {}),
              onProgress: (done, bytes) => opts.onProgress?.('extract', done, bytes),
              onPair,
            }),
          (r) =>
            `${entries.length - r.unanswered.length} read whole; ${r.unanswered.length} left (in part) to the reader containers`,
        );
        partial = read.partial;
        rest = read.unanswered;
        if (rest.length === 0) return;
      }
      const evidenceLayerDir = upperDirOf(frozen.evidenceInspect);
      const fromArchive = await extractVersions(
        engine,
        frozen.image.Id,
        frozen.evidence.id,
        rest,
        folder,
        custody,
        {
          maxContentBytes: opts.maxContentBytes,
          readersPerImage: opts.readersPerImage,
          readerLabels: { [READER_FOR_LABEL]: container.id, ...readerOwnerLabels() },
          liveContainerId: container.id,
          acquired: frozen.readFromSuspect,
          ...(evidenceLayerDir ? { evidenceLayerDir } : {}),
          ...(signal ? { signal } : {}),
          onProgress: (filesDone, bytes) =>
            opts.onProgress?.('extract', entries.length - rest.length + filesDone, bytes),
          onProblem: opts.onProblem,
        },
      );
      // The archive answers the sides the layer folders lacked; the entry is the listed one.
      const listed = partial ?? new Map(entries.map((entry) => [entry.path, { entry, pair: {} }]));
      for (const [path, pair] of fromArchive) {
        const known = listed.get(path);
        if (!known) continue;
        await onPair(known.entry, {
          ...known.pair,
          ...(pair.original ? { original: pair.original } : {}),
          ...(pair.current ? { current: pair.current } : {}),
        });
      }
    },
  };
}

/** The image's top layer as a folder on the engine's host (overlay2), when the engine says. */
function upperDirOf(image: FrozenEvidence['evidenceInspect']): string | undefined {
  const dir = (image.GraphDriver?.Data as Record<string, unknown> | undefined)?.['UpperDir'];
  return typeof dir === 'string' && dir.startsWith('/') ? dir : undefined;
}
