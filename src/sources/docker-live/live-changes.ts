/**
 * What changed in a live container, by the best authority this host allows: its writable
 * layer read in the freeze's pause (as root on the engine's host); else, with --deep, its
 * whole filesystem compared with the image's by content; else the engine's change list
 * (`docker diff`, which compares sizes and times); else, when that failed, the evidence
 * image's own layer. Where an authority other than the engine's list was read, the list is
 * checked against it and each disagreement named; what was not seen is said in "not
 * collected".
 */
import { storedName } from '../../case/container-path.js';
import { changesFromLayer } from '../../changes/changes-from-layer.js';
import { crossCheck } from '../../changes/cross-check.js';
import { Cancelled } from '../../errors.js';
import type { ImageLayers } from '../../layers/image-layers.js';
import type { LayerIndex } from '../../layers/layer-index.js';
import type { ArtifactRecord } from '../../report/artifact.js';
import type { ChangeEntry } from '../../report/change.js';
import { MAX_CROSS_CHECK, type WritableLayerRecord } from '../../report/triage-report.js';
import { indexLayerDir } from '../layer-store/layer-dir.js';
import { deepCompare, type DeepRead } from './deep-compare.js';
import { changesFromEngine } from './engine-changes.js';
import { loadImageLayers } from './image-save-index.js';
import type { LiveAcquisition } from './live-acquisition.js';
import { READER_FOR_LABEL, readerOwnerLabels } from './stale-readers.js';
import type { WritableLayerRead } from './writable-layer.js';

export interface LiveChangeSources extends LiveAcquisition {
  originalLayers: () => Promise<ImageLayers>;
  /** Leaves out the files the engine itself writes into every container. */
  dropEngineFiles: (entries: ChangeEntry[]) => ChangeEntry[];
}

export class LiveChanges {
  private record: WritableLayerRecord | undefined;
  private readonly layer: WritableLayerRead | undefined;
  private readonly whyNoLayer: string;

  constructor(private readonly s: LiveChangeSources) {
    const read = s.frozen.writableLayer;
    this.layer = read && 'index' in read ? read : undefined;
    this.whyNoLayer = read && 'reason' in read ? read.reason : s.hostReason;
    if (!this.layer && !s.opts.deep)
      this.invisible(
        `${this.whyNoLayer}; triage with --deep to compare the whole filesystem with the image's by content, at a cost that grows with the image`,
      );
  }

  /** Whether an authority beyond the engine's list is (or, with --deep, may be) read. */
  get isCrossChecked(): boolean {
    return this.layer !== undefined || this.s.opts.deep === true;
  }

  /** The writable layer as the report records it, once changeList() has returned. */
  writableLayer(): WritableLayerRecord | undefined {
    return this.record;
  }

  async changeList(): Promise<ChangeEntry[]> {
    const { frozen, folder, opts } = this.s;
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
      fromEngine = this.s.dropEngineFiles(entries);
    }
    const failure = () => (listed as { failure: string }).failure;
    if (this.layer) {
      const read = await this.fromWritableLayer(this.layer, fromEngine);
      if (!fromEngine)
        opts.onProblem({
          path: '/',
          action: 'list changes (docker diff)',
          cause: `${failure()}; the change list was read from the container's writable layer`,
        });
      return read;
    }
    if (opts.deep) {
      const deep = await this.fromDeepExport(fromEngine).catch((e: unknown) => {
        if (e instanceof Cancelled) throw e;
        this.invisible(`${this.whyNoLayer}; --deep failed: ${(e as Error).message.slice(0, 300)}`);
        return undefined;
      });
      if (deep) return deep;
    }
    if (fromEngine) return fromEngine;
    const entries = await this.fromEvidenceLayer();
    await folder.writeJson(
      'changes/changes-from-evidence-layer.json',
      entries,
      "change list read from the evidence image's committed layer (docker diff failed)",
    );
    opts.onProblem({
      path: '/',
      action: 'list changes (docker diff)',
      cause: `${failure()}; the change list was read from the evidence image's own layer instead`,
    });
    return this.s.dropEngineFiles(entries);
  }

  private invisible(why: string): void {
    this.s.notCollected.push({
      item: 'changes that keep size and modification time',
      reason: `a same-size edit with its modification time put back, or a change of capabilities alone, is invisible: the engine's change list compares sizes and times, and the container's writable layer, which holds every write, is read only as root on the engine's host (${why})`,
    });
  }

  private async fromWritableLayer(
    read: WritableLayerRead,
    fromEngine: readonly ChangeEntry[] | undefined,
  ): Promise<ChangeEntry[]> {
    const { folder, custody, host } = this.s;
    const images = await this.s.originalLayers();
    const found = this.s.dropEngineFiles(
      changesFromLayer(read.index, [...images.indexes, read.init]),
    );
    await folder.writeJson(
      'changes/changes-from-writable-layer.json',
      found,
      "change list read from the container's writable layer (its upper dir on the engine's host), in the freeze's pause",
    );
    const notInEvidenceImage = host
      ? await custody.step(
          "check the evidence image's committed layer holds every changed path of the writable layer",
          host.committed.dir,
          async () =>
            missingFromEvidence(read.index, await indexLayerDir(host.committed.dir, 'evidence')),
          (missing) => `${missing.length} missing`,
        )
      : undefined;
    return this.authority(found, fromEngine, (p) => read.index.entries.get(p) === 'directory', {
      dir: read.dir,
      readAt: read.readAt,
      entryCount: read.index.entries.size + read.index.whiteouts.size,
      archive: read.archive,
      notes: read.notes,
      ...(notInEvidenceImage
        ? { notInEvidenceImage: notInEvidenceImage.slice(0, MAX_CROSS_CHECK) }
        : {}),
    });
  }

  /** --deep: the whole filesystem against the image's, where the layer could not be read. */
  private async fromDeepExport(
    fromEngine: readonly ChangeEntry[] | undefined,
  ): Promise<ChangeEntry[]> {
    const { engine, container, frozen, folder, custody, opts } = this.s;
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
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } finally {
      if (isPausedHere) await engine.unpauseContainer(container.id).catch(() => undefined);
    }
    const found = this.s.dropEngineFiles(deep.changes);
    await folder.writeJson(
      'changes/changes-from-deep-export.json',
      found,
      "change list from comparing the container's exported filesystem with the image's by content (--deep)",
    );
    for (const [path, version] of deep.current) frozen.readFromSuspect.set(path, version);
    return this.authority(found, fromEngine, (p) => deep.folders.has(p), {
      readBy: 'deep-export',
      dir: '',
      readAt: deep.readAt,
      entryCount: deep.entryCount,
      archive: deep.archive,
      notes: deep.notes,
    });
  }

  /**
   * The authority's changes, with the engine's list checked against them and the record
   * kept. What only the engine listed is still read and shown: nothing it saw is dropped. A
   * path the engine saw in the image is changed, not added, though coroner's index of the
   * image lacks it (layers it could not read, a name it refused): then the original is sought.
   */
  private authority(
    found: ChangeEntry[],
    fromEngine: readonly ChangeEntry[] | undefined,
    isFolder: (path: string) => boolean,
    read: Omit<
      WritableLayerRecord,
      'archive' | 'engineList' | 'notInEngineList' | 'notInWritableLayer'
    > & { archive: ArtifactRecord },
  ): ChangeEntry[] {
    const check = fromEngine ? crossCheck(found, fromEngine, isFolder) : undefined;
    const { archive, ...rest } = read;
    this.record = {
      ...rest,
      archive: { path: archive.path, sha256: archive.sha256, sizeBytes: archive.sizeBytes },
      engineList: check ? 'compared' : 'unavailable',
      notInEngineList: (check?.notInEngineList ?? []).slice(0, MAX_CROSS_CHECK),
      notInWritableLayer: (check?.notInWritableLayer ?? []).slice(0, MAX_CROSS_CHECK),
    };
    const engineKinds = new Map(fromEngine?.map((e) => [e.path, e.kind]));
    const kinded = found.map((e) =>
      e.kind === 'A' && engineKinds.get(e.path) === 'C' ? { ...e, kind: 'C' as const } : e,
    );
    return [...kinded, ...(check?.notInWritableLayer ?? [])];
  }

  /**
   * The change list when `docker diff` failed: the evidence image is the original's layers
   * plus the one its commit wrote, and that layer is exactly what the container changed.
   */
  private fromEvidenceLayer(): Promise<ChangeEntry[]> {
    const { engine, frozen, custody, opts } = this.s;
    return custody.step(
      "read the change list from the evidence image's own layer (docker diff failed)",
      frozen.evidence.id,
      async () => {
        const { indexes } = await loadImageLayers(engine, frozen.evidenceInspect, {
          cacheDir: opts.cacheDir,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        return changesFromLayer(indexes.at(-1)!, indexes.slice(0, -1));
      },
      (list) => `${list.length} paths`,
    );
  }
}

/** The writable layer's changed paths (not folders) that the evidence image's layer lacks. */
function missingFromEvidence(written: LayerIndex, evidence: LayerIndex): string[] {
  const missing: string[] = [];
  for (const [path, type] of written.entries)
    if (type !== 'directory' && !evidence.entries.has(path)) missing.push(path);
  for (const path of written.whiteouts) if (!evidence.whiteouts.has(path)) missing.push(path);
  return missing.sort();
}
