/**
 * The live Docker engine as an evidence source: the freeze (freeze.ts) preserves the
 * container's state, most volatile first, and a paused commit its filesystem; then what
 * changed is read by the best authority this host allows (live-changes.ts), and the
 * original image's side and both versions of each path by the layer store on this host or
 * through reader containers (live-originals.ts). This file joins them.
 */
import type { Readable } from 'node:stream';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import type { ChangeEntry } from '../../report/change.js';
import type { EngineEvent, ProcessRecord } from '../../report/process.js';
import type {
  EngineIdentity,
  EvidenceRecord,
  NotCollected,
  SourceIdentity,
} from '../../report/triage-report.js';
import { runtimeFromDocker, subjectRun } from '../docker-config.js';
import type { Acquisition, AcquireOptions, EvidenceSource } from '../evidence-source.js';
import type { ContainerRef } from '../pick-container.js';
import { connectEngine, type ContainerSummary, type Engine, type RawEvent } from './engine.js';
import { FILESYSTEM_EXPORT, freezeEvidence, MAX_EVENT_BYTES } from './freeze.js';
import { OVER_SSH } from './host-capture.js';
import { findHostLayers, type HostLayers } from './host-layers.js';
import { LiveChanges } from './live-changes.js';
import { liveOriginals } from './live-originals.js';
import { READER_FOR_LABEL } from './stale-readers.js';

export { READER_FOR_LABEL };

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
    const e = await (this.engineIdentity ??= this.engine.identity());
    const over = e.transport === 'ssh' ? ' over ssh' : '';
    return {
      kind: this.kind,
      described: `${e.product ?? 'Docker'} ${e.version} on ${e.hostName}${over} (daemon ${e.daemonId})`,
      engine: e,
    };
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
      ? await withLateExecs(engine, container.id, frozen.events, frozen, { folder, custody })
      : undefined;
    const containers = this.listed ?? [];
    const notCollected: NotCollected[] = [...(frozen.host?.notCollected ?? [])];
    if (!Array.isArray(frozen.events))
      notCollected.push({ item: 'engine events', reason: frozen.events.failure });
    if (frozen.eventsCut)
      notCollected.push({
        item: 'engine events',
        reason: `the engine's events about the container came to more than ${MAX_EVENT_BYTES / 1024 / 1024} MiB (each event carries the container's labels); the later ones were not read`,
      });
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
    const shared = {
      engine,
      container,
      frozen,
      folder,
      custody,
      opts,
      notCollected,
      host,
      hostReason,
    };
    const originals = liveOriginals({ ...shared, containers });
    // The engine's own files in the committed layer are not the container's changes.
    const ownFiles = new Set(engine.traits.ownFiles);
    const dropEngineFiles = (entries: ChangeEntry[]) =>
      ownFiles.size ? entries.filter((e) => !ownFiles.has(e.path)) : entries;

    const changes = new LiveChanges({
      ...shared,
      originalLayers: originals.originalLayers,
      dropEngineFiles,
    });
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
      changeList: () => changes.changeList(),

      ...(changes.isCrossChecked ? { writableLayer: () => changes.writableLayer() } : {}),

      ...originals,
    };
  }
}

/** Per mount, entries compared at most; per triage, bytes hashed at most. */

/**
 * The events are read before the freeze, so an exec the runtime was still setting up when the
 * processes were read (a `runc init`) was created after them: its `exec_create`, which says
 * what it runs (the healthcheck, or not), is read again, kept in the case folder, and added.
 * Read from where the first read ended, its `exec_create` events only: each event carries
 * the container's labels, and labels of megabytes filled a smaller read with one event.
 */
async function withLateExecs(
  engine: Engine,
  containerId: string,
  events: RawEvent[],
  frozen: { eventsUntil?: number; host?: { processes?: ProcessRecord[] } },
  keep: { folder: CaseFolder; custody: CustodyLog },
): Promise<RawEvent[]> {
  const known = new Set(events.map((e) => e.Actor?.Attributes?.['execID']).filter(Boolean));
  const missing = new Set(
    (frozen.host?.processes ?? [])
      .map((p) => p.execId)
      .filter((id): id is string => !!id && !known.has(id)),
  );
  if (missing.size === 0) return events;
  const since = frozen.eventsUntil ?? Math.max(0, ...events.map((e) => e.time ?? 0));
  const late = (
    await keep.custody
      .step(
        "read the engine's events again, for execs started while the processes were read",
        containerId,
        () => engine.events(containerId, since, MAX_EVENT_BYTES, ['exec_create']),
      )
      .then((read) => read.events)
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

/** The live engine named by DOCKER_HOST, as an evidence source. */
export async function connectDockerLive(
  layerReads: LayerReads = layerReadsFromEnv(),
): Promise<DockerLiveSource> {
  return new DockerLiveSource(await connectEngine(), layerReads);
}
