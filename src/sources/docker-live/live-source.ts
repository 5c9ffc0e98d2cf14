/**
 * The live Docker engine as an evidence source: a paused commit to an evidence
 * image preserves the filesystem; the engine's change list (taken in the same
 * pause) says what changed; originals are read from the original image and
 * current versions from the evidence image (never from the live container),
 * through never-started reader containers.
 */
import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { changesFromLayer } from '../../changes/changes-from-layer.js';
import { readLayerCache, unavailableLayers, type ImageLayers } from '../../layers/image-layers.js';
import type { ChangeEntry, VersionPair } from '../../report/change.js';
import {
  MAX_CROSS_CHECK,
  type EngineIdentity,
  type EvidenceRecord,
  type NotCollected,
  type SourceIdentity,
  type WritableLayerRecord,
} from '../../report/triage-report.js';
import { crossCheck } from '../../changes/cross-check.js';
import { storedName } from '../../case/container-path.js';
import { Cancelled } from '../../errors.js';
import { isoTime } from '../../iso-time.js';
import type { LayerIndex } from '../../layers/layer-index.js';
import { indexLayerDir } from '../layer-store/layer-dir.js';
import type { WritableLayerRead } from './writable-layer.js';
import { runtimeFromDocker, subjectRun } from '../docker-config.js';
import type {
  Acquisition,
  AcquireOptions,
  EvidenceSource,
  MountsRead,
} from '../evidence-source.js';
import type { ContainerRef } from '../pick-container.js';
import { extractVersions } from './archive-versions.js';
import { changesFromEngine } from './engine-changes.js';
import {
  connectEngine,
  throwIfAborted,
  type ContainerSummary,
  type Engine,
  type RawEvent,
} from './engine.js';
import { OVER_SSH } from './host-capture.js';
import { compareMounts } from '../layer-store/compare-mount.js';
import { compareExecutables } from '../layer-store/executables.js';
import { readCapabilities, type Capabilities } from '../layer-store/overlay-xattrs.js';
import type { EngineEvent, ProcessRecord } from '../../report/process.js';
import { deepCompare, type DeepRead } from './deep-compare.js';
import { FILESYSTEM_EXPORT, freezeEvidence, type FrozenEvidence } from './freeze.js';
import {
  findHostLayers,
  indexHostLayers,
  readHostVersions,
  type HostLayers,
  type Partial,
} from './host-layers.js';
import { isLayerIndexProblem, loadImageLayers } from './image-save-index.js';
import { readerOwnerLabels, removeStaleReaders } from './stale-readers.js';

/** On each reader container: the id of the suspect it was created to read for. */
export const READER_FOR_LABEL = 'coroner.reader.for';

/**
 * How versions are read: from the engine's layer store when coroner can (as root on the
 * engine's host), else through reader containers; `archive` always through readers.
 */
export type LayerReads = 'auto' | 'archive';

/** CORONER_LAYER_READS=archive: never read the layer store directly (for comparison, or doubt). */
export function layerReadsFromEnv(): LayerReads {
  return process.env['CORONER_LAYER_READS'] === 'archive' ? 'archive' : 'auto';
}

export class DockerLiveSource implements EvidenceSource {
  readonly kind = 'docker-live' as const;
  readonly evidenceSubstitute = FILESYSTEM_EXPORT;
  /** The containers as listed last: a dead run's readers are among them. */
  private listed: ContainerSummary[] | undefined;
  private engineIdentity: Promise<EngineIdentity> | undefined;

  constructor(
    readonly engine: Engine,
    private readonly layerReads: LayerReads = layerReadsFromEnv(),
  ) {}

  async identity(): Promise<SourceIdentity> {
    return { kind: this.kind, engine: await (this.engineIdentity ??= this.engine.identity()) };
  }

  async listContainers(): Promise<ContainerSummary[]> {
    this.listed = await this.engine.listContainers();
    return this.listed;
  }

  saveEvidence(evidence: EvidenceRecord, signal?: AbortSignal): Promise<Readable> {
    if (evidence.kind !== 'image') throw new Error('a live case keeps an evidence image');
    return this.engine.saveImage(evidence.id, signal);
  }

  async acquire(
    container: ContainerRef,
    folder: CaseFolder,
    custody: CustodyLog,
    opts: AcquireOptions,
  ): Promise<Acquisition> {
    const { engine } = this;
    const signal = opts.signal;
    // Freeze first: nothing else happens until the evidence image exists.
    const frozen = await freezeEvidence(engine, container, folder, custody, {
      logTailLines: opts.logTailLines,
      logMaxBytes: opts.logMaxBytes,
      ...(opts.maxChangeListBytes ? { maxChangeListBytes: opts.maxChangeListBytes } : {}),
      captureHost: { maxContentBytes: opts.maxContentBytes },
      ...(signal ? { signal } : {}),
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
    const events = Array.isArray(frozen.events)
      ? await withLateExecs(engine, container.id, frozen.events, frozen.host?.processes, {
          folder,
          custody,
        })
      : undefined;
    const containers = this.listed ?? [];
    const notCollected: NotCollected[] = [...(frozen.host?.notCollected ?? [])];
    if (!Array.isArray(frozen.events))
      notCollected.push({ item: 'engine events', reason: frozen.events.failure });
    const layerOpts = { cacheDir: opts.cacheDir, ...(signal ? { signal } : {}) };
    // The layer folders on this host, when coroner may read them; why not, otherwise.
    let hostReason =
      engine.traits.transport === 'ssh' ? OVER_SSH : 'CORONER_LAYER_READS is archive';
    const host: HostLayers | undefined =
      this.layerReads === 'archive' || engine.traits.transport === 'ssh'
        ? undefined
        : await findHostLayers(
            (await this.identity()).engine!,
            frozen.image,
            frozen.evidenceInspect,
            frozen.evidence.committedAt,
            {
              id: container.id,
              ...(frozen.writableLayer && 'dir' in frozen.writableLayer
                ? { upperDir: frozen.writableLayer.dir }
                : {}),
            },
          ).then((found) => {
            if ('reason' in found) {
              hostReason = found.reason;
              custody.record(
                'read the layer store on this host',
                frozen.image.Id,
                'skipped',
                `${found.reason}; reading through reader containers`,
              );
              return undefined;
            }
            return found;
          });
    const indexOriginal = async (): Promise<ImageLayers> => {
      const cached = host
        ? await readLayerCache(opts.cacheDir, frozen.image.Id, frozen.image.RootFS?.Layers ?? [])
        : undefined;
      if (cached) {
        custody.record('index original image layers', frozen.image.Id, 'ok', 'from cache');
        return { ...cached, source: 'cache' as const, savedBytes: 0 };
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

    // The engine's own files in the committed layer are not the container's changes.
    const ownFiles = new Set(engine.traits.ownFiles);
    const dropEngineFiles = (entries: ChangeEntry[]) =>
      ownFiles.size ? entries.filter((e) => !ownFiles.has(e.path)) : entries;

    // The writable layer, where it was read in the pause: the authority on what changed.
    const layer =
      frozen.writableLayer && 'index' in frozen.writableLayer ? frozen.writableLayer : undefined;
    const whyNoLayer =
      frozen.writableLayer && 'reason' in frozen.writableLayer
        ? frozen.writableLayer.reason
        : hostReason;
    const invisible = (why: string) =>
      notCollected.push({
        item: 'changes that keep size and modification time',
        reason: `a same-size edit with its modification time put back, or a change of capabilities alone, is invisible: the engine's change list compares sizes and times, and the container's writable layer, which holds every write, is read only as root on the engine's host (${why})`,
      });
    if (!layer && !opts.deep)
      invisible(
        `${whyNoLayer}; triage with --deep to compare the whole filesystem with the image's by content, at a cost that grows with the image`,
      );
    let layerRecord: WritableLayerRecord | undefined;
    const fromWritableLayer = async (
      read: WritableLayerRead,
      fromEngine: readonly ChangeEntry[] | undefined,
    ): Promise<ChangeEntry[]> => {
      const images = await originalLayers();
      const fromLayer = dropEngineFiles(
        changesFromLayer(read.index, [...images.indexes, read.init]),
      );
      await folder.writeJson(
        'changes/changes-from-writable-layer.json',
        fromLayer,
        "change list read from the container's writable layer (its upper dir on the engine's host), in the freeze's pause",
      );
      const isFolder = (path: string) => read.index.entries.get(path) === 'directory';
      const check = fromEngine ? crossCheck(fromLayer, fromEngine, isFolder) : undefined;
      const notInEvidenceImage = host
        ? await custody.step(
            "check the evidence image's committed layer holds every changed path of the writable layer",
            host.committed.dir,
            async () =>
              missingFromEvidence(read.index, await indexLayerDir(host!.committed.dir, 'evidence')),
            (missing) => `${missing.length} missing`,
          )
        : undefined;
      layerRecord = {
        dir: read.dir,
        readAt: read.readAt,
        entryCount: read.index.entries.size + read.index.whiteouts.size,
        archive: {
          path: read.archive.path,
          sha256: read.archive.sha256,
          sizeBytes: read.archive.sizeBytes,
        },
        engineList: check ? 'compared' : 'unavailable',
        notInEngineList: (check?.notInEngineList ?? []).slice(0, MAX_CROSS_CHECK),
        notInWritableLayer: (check?.notInWritableLayer ?? []).slice(0, MAX_CROSS_CHECK),
        ...(notInEvidenceImage
          ? { notInEvidenceImage: notInEvidenceImage.slice(0, MAX_CROSS_CHECK) }
          : {}),
        notes: read.notes,
      };
      // What only the engine listed is still read and shown: nothing it saw is dropped. A path
      // the engine saw in the image is changed, not added, though coroner's index of the image
      // lacks it (layers it could not read, a name it refused): then the original is sought.
      const engineKinds = new Map(fromEngine?.map((e) => [e.path, e.kind]));
      const kinded = fromLayer.map((e) =>
        e.kind === 'A' && engineKinds.get(e.path) === 'C' ? { ...e, kind: 'C' as const } : e,
      );
      return [...kinded, ...(check?.notInWritableLayer ?? [])];
    };
    // --deep: the whole filesystem against the image's, where the layer could not be read.
    const readDeep = async (fromEngine: ChangeEntry[] | undefined): Promise<ChangeEntry[]> => {
      const { isRunning, isPaused } = frozen.stateAtStart;
      // Paused again for the export, as for the commit; left as it was found.
      const isPausedHere = isRunning && !isPaused;
      if (isPausedHere) await engine.pauseContainer(container.id);
      let deep: DeepRead;
      try {
        deep = await deepCompare(engine, container.id, frozen.image.Id, folder, custody, {
          maxContentBytes: opts.maxContentBytes,
          readerLabels: { [READER_FOR_LABEL]: container.id, ...readerOwnerLabels() },
          storeAs: (path) => `current/${storedName(path)}`,
          ...(signal ? { signal } : {}),
        });
      } finally {
        if (isPausedHere) await engine.unpauseContainer(container.id).catch(() => undefined);
      }
      const found = dropEngineFiles(deep.changes);
      await folder.writeJson(
        'changes/changes-from-deep-export.json',
        found,
        "change list from comparing the container's exported filesystem with the image's by content (--deep)",
      );
      for (const [path, version] of deep.current) frozen.readFromSuspect.set(path, version);
      const folders = new Set(found.filter((e) => deep.folders.has(e.path)).map((e) => e.path));
      const check = fromEngine ? crossCheck(found, fromEngine, (p) => folders.has(p)) : undefined;
      layerRecord = {
        readBy: 'deep-export',
        dir: '',
        readAt: deep.readAt,
        entryCount: deep.entryCount,
        archive: {
          path: deep.archive.path,
          sha256: deep.archive.sha256,
          sizeBytes: deep.archive.sizeBytes,
        },
        engineList: check ? 'compared' : 'unavailable',
        notInEngineList: (check?.notInEngineList ?? []).slice(0, MAX_CROSS_CHECK),
        notInWritableLayer: (check?.notInWritableLayer ?? []).slice(0, MAX_CROSS_CHECK),
        notes: deep.notes,
      };
      const engineKinds = new Map(fromEngine?.map((e) => [e.path, e.kind]));
      const kinded = found.map((e) =>
        e.kind === 'A' && engineKinds.get(e.path) === 'C' ? { ...e, kind: 'C' as const } : e,
      );
      return [...kinded, ...(check?.notInWritableLayer ?? [])];
    };
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
      subject: {
        id: container.id,
        name: container.name,
        imageRef: frozen.inspect.Config.Image,
        imageId: frozen.image.Id,
        createdAt: frozen.inspect.Created,
        stateAtStart: frozen.stateAtStart,
        ...subjectRun(frozen.inspect),
      },
      runtime: runtimeFromDocker(frozen.inspect),
      evidence: frozen.evidence,
      notCollected,
      ...(events ? { events: events.map(engineEvent) } : {}),

      engineFiles: engine.traits.ownFiles,
      changeList: async () => {
        const listed = frozen.changes;
        // Taken in the same pause as the commit: every listed change is in the evidence image.
        let fromEngine: ChangeEntry[] | undefined;
        if (Array.isArray(listed)) {
          await folder.writeJson(
            'changes/engine-changes.json',
            listed,
            'change list, as the engine sent it',
          );
          const { entries, unreadable } = changesFromEngine(listed);
          for (const row of unreadable)
            opts.onProblem({
              path: '/',
              action: 'read change list',
              cause: `the engine sent a row that is not a change (${JSON.stringify(row).slice(0, 200)}); ignored`,
            });
          fromEngine = dropEngineFiles(entries);
        }
        if (layer) {
          const read = await fromWritableLayer(layer, fromEngine);
          if (!fromEngine)
            opts.onProblem({
              path: '/',
              action: 'list changes (docker diff)',
              cause: `${(listed as { failure: string }).failure}; the change list was read from the container's writable layer`,
            });
          return read;
        }
        if (opts.deep) {
          const deep = await readDeep(fromEngine).catch((e: unknown) => {
            if (e instanceof Cancelled) throw e;
            invisible(`${whyNoLayer}; --deep failed: ${(e as Error).message.slice(0, 300)}`);
            return undefined;
          });
          if (deep) return deep;
        }
        if (fromEngine) return fromEngine;
        const entries = await changesFromEvidence(engine, frozen, custody, layerOpts);
        await folder.writeJson(
          'changes/changes-from-evidence-layer.json',
          entries,
          "change list read from the evidence image's committed layer (docker diff failed)",
        );
        opts.onProblem({
          path: '/',
          action: 'list changes (docker diff)',
          cause: `${(listed as { failure: string }).failure}; the change list was read from the evidence image's own layer instead`,
        });
        return dropEngineFiles(entries);
      },

      ...(layer || opts.deep ? { writableLayer: () => layerRecord } : {}),

      originalLayers,

      mountChanges: async () => {
        const changes = [...(frozen.host?.memoryMounts ?? [])];
        const read: MountsRead['read'] = (frozen.host?.memoryMountsRead ?? []).map(
          (destination) => ({ type: 'tmpfs', destination }),
        );
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
        const listed =
          partial ?? new Map(entries.map((entry) => [entry.path, { entry, pair: {} }]));
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
}

/** Per mount, entries compared at most; per triage, bytes hashed at most. */

/**
 * The events are read before the freeze, so an exec the runtime was still setting up when the
 * processes were read (a `runc init`) was created after them: its `exec_create`, which says
 * what it runs (the healthcheck, or not), is read again, kept in the case folder, and added.
 */
async function withLateExecs(
  engine: Engine,
  containerId: string,
  events: RawEvent[],
  processes: readonly ProcessRecord[] | undefined,
  keep: { folder: CaseFolder; custody: CustodyLog },
): Promise<RawEvent[]> {
  const known = new Set(events.map((e) => e.Actor?.Attributes?.['execID']).filter(Boolean));
  const missing = new Set(
    (processes ?? []).map((p) => p.execId).filter((id): id is string => !!id && !known.has(id)),
  );
  if (missing.size === 0) return events;
  const since = Math.max(0, ...events.map((e) => e.time ?? 0));
  const late = (
    await keep.custody
      .step(
        "read the engine's events again, for execs started while the processes were read",
        containerId,
        () => engine.events(containerId, since, 1024 * 1024),
      )
      .catch((): RawEvent[] => [])
  ).filter(
    (e) =>
      String(e.Action ?? '').startsWith('exec_create: ') &&
      missing.has(e.Actor?.Attributes?.['execID'] ?? ''),
  );
  if (late.length === 0) return events;
  await keep.folder.writeJson(
    'container/events-late-execs.json',
    late,
    "the engine's exec_create events of execs started while the processes were read, as it sent them",
  );
  return [...events, ...late];
}

function engineEvent(raw: RawEvent): EngineEvent {
  const nanos = raw.timeNano ?? (raw.time ?? 0) * 1e9;
  return {
    time: new Date(Math.floor(nanos / 1e6)).toISOString(),
    action: String(raw.Action ?? ''),
    attributes: raw.Actor?.Attributes ?? {},
  };
}

const CAPABILITIES_ITEM = 'file capabilities (security.capability) of files read on this host';

/** The live engine named by DOCKER_HOST, as an evidence source. */
export async function connectDockerLive(
  layerReads: LayerReads = layerReadsFromEnv(),
): Promise<DockerLiveSource> {
  return new DockerLiveSource(await connectEngine(), layerReads);
}

/**
 * The change list when `docker diff` failed: the evidence image is the original's layers
 * plus the one its commit wrote, and that layer is exactly what the container changed.
 */
function changesFromEvidence(
  engine: Engine,
  frozen: FrozenEvidence,
  custody: CustodyLog,
  opts: { cacheDir: string; signal?: AbortSignal },
): Promise<ChangeEntry[]> {
  return custody.step(
    "read the change list from the evidence image's own layer (docker diff failed)",
    frozen.evidence.id,
    async () => {
      const { indexes } = await loadImageLayers(engine, frozen.evidenceInspect, opts);
      return changesFromLayer(indexes.at(-1)!, indexes.slice(0, -1));
    },
    (list) => `${list.length} paths`,
  );
}

/** The writable layer's changed paths (not folders) that the evidence image's layer lacks. */
function missingFromEvidence(written: LayerIndex, evidence: LayerIndex): string[] {
  const missing: string[] = [];
  for (const [path, type] of written.entries)
    if (type !== 'directory' && !evidence.entries.has(path)) missing.push(path);
  for (const path of written.whiteouts) if (!evidence.whiteouts.has(path)) missing.push(path);
  return missing.sort();
}

/** The image's top layer as a folder on the engine's host (overlay2), when the engine says. */
function upperDirOf(image: FrozenEvidence['evidenceInspect']): string | undefined {
  const dir = (image.GraphDriver?.Data as Record<string, unknown> | undefined)?.['UpperDir'];
  return typeof dir === 'string' && dir.startsWith('/') ? dir : undefined;
}
