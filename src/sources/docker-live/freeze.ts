/**
 * Freeze first, most volatile first: events, inspect, process list, logs (asked for
 * together), then, in one pause, what runs, the change list, the commit to an evidence image
 * and the writable layer (all at once). Nothing runs inside the suspect and nothing is
 * written into it.
 */
import { randomBytes } from 'node:crypto';
import type { CaseFolder } from '../../case/case-folder.js';
import type { ArtifactRecord, EnvironmentHeld } from '../../report/artifact.js';
import type { StoredVersion } from '../../report/change.js';
import type { EvidenceImage } from '../../report/triage-report.js';
import type { CustodyLog } from '../../case/custody.js';
import type { ContainerRef } from '../pick-container.js';
import {
  throwIfAborted,
  type ContainerInspect,
  type Engine,
  type ImageInspect,
  type RawChange,
  type RawEvent,
} from './engine.js';
import { engineStatus } from './engine-errors.js';
import { CoronerError, EngineRequestFailed } from '../../errors.js';
import { captureOnHost, PROCESSES_ITEM, type HostCapture } from './host-capture.js';
import { CORONER_VERSION } from '../../version.js';
import { demuxLogStream } from './log-demux.js';
import { storedName } from '../../case/container-path.js';
import { readVersion } from './archive-reader.js';
import { nameSlug } from '../../case/container-path.js';
import { utcStamp } from '../../iso-time.js';
import { readWritableLayer, type NotRead, type WritableLayerRead } from './writable-layer.js';

export interface FreezeOptions {
  /** How many of the most recent log lines to keep (per the engine's tail). */
  logTailLines: number;
  /** Byte cap per log stream, so a log flood cannot fill the disk. */
  logMaxBytes: number;
  /** The change list's JSON past this size is not read: the evidence image's own layer is. */
  maxChangeListBytes?: number;
  /** Read processes and tmpfs on the engine's host, in the pause (a live triage does). */
  captureHost?: { maxContentBytes: number };
  signal?: AbortSignal;
  onStep?: (step: FreezeStep) => void;
}

/** The engine's events about one container: far more than it keeps (a few hundred). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Where an image inspect holds environment values: its ENV, and the last build step's. */
const IMAGE_INSPECT_ENVIRONMENT: EnvironmentHeld = {
  envLists: ['Config.Env', 'ContainerConfig.Env'],
  instructions: ['Config.Cmd', 'ContainerConfig.Cmd'],
};

/** 64 MiB of change list: half a million changed paths of a typical length. */
export const MAX_CHANGE_LIST_BYTES = 64 * 1024 * 1024;

export type FreezeStep = 'events' | 'inspect' | 'processes' | 'logs' | 'commit';

export interface FrozenEvidence {
  container: ContainerRef;
  inspect: ContainerInspect;
  image: ImageInspect;
  /** State as found, before coroner touched anything. */
  stateAtStart: { status: string; isRunning: boolean; isPaused: boolean };
  evidence: EvidenceImage;
  /** The evidence image as the engine describes it (its layers: the original's, then one more). */
  evidenceInspect: ImageInspect;
  /**
   * The change list, taken in the same pause as the commit; or why the engine could not list
   * it (an attacker can blind `docker diff`, e.g. with paths too long for the host): the
   * commit is still made, and the list is then read from the evidence image's own layer.
   */
  changes: RawChange[] | { failure: string };
  /**
   * Current versions read from the suspect itself, in the pause: files named like layer
   * whiteouts (`.wh.*`), which the commit turns into deletions, so the evidence image lacks them.
   */
  readFromSuspect: Map<string, StoredVersion>;
  /** The engine's events about the container, read first; or why they could not be. */
  events: RawEvent[] | { failure: string };
  /** Until when the events were read, on the engine's clock: where a later read starts. */
  eventsUntil?: number;
  /** The events filled their byte limit: the later ones were not read. */
  eventsCut?: boolean;
  /** What was read on the engine's host in the pause (processes, tmpfs). */
  host?: HostCapture;
  /**
   * The container's writable layer, read and archived in the same pause (the authority on what
   * changed); or why it could not be read here. Absent when the freeze did not read the host.
   */
  writableLayer?: WritableLayerRead | NotRead;
  artifacts: ArtifactRecord[];
}

/** Where the container's filesystem goes when the evidence image cannot be saved. */
export const FILESYSTEM_EXPORT = 'container/filesystem.tar';

/** At most this many whiteout-named files are read from the suspect. */
const MAX_SUSPECT_READS = 1000;

export const EVIDENCE_LABELS = {
  isEvidence: 'coroner.evidence',
  sourceId: 'coroner.source.id',
  sourceName: 'coroner.source.name',
  capturedAt: 'coroner.captured-at',
  version: 'coroner.version',
} as const;

/** A repository name Docker accepts, derived from a container name of any shape. */
export function evidenceRepo(containerName: string): string {
  return `coroner-evidence/${nameSlug(containerName)}`;
}

export async function freezeEvidence(
  engine: Engine,
  container: ContainerRef,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: FreezeOptions,
): Promise<FrozenEvidence> {
  const artifacts: ArtifactRecord[] = [];
  const cancelled = () => throwIfAborted(opts.signal, 'freezing the evidence');

  // Before the pause: reads that change nothing in the container, asked for together where
  // nothing orders them, each kept in the case as soon as it is read. The events come first
  // (the engine keeps only its recent ones, and coroner's own pause and commit add some) and
  // run alongside the rest; the image's records wait only for the inspect that names the
  // image, and the process list, then the logs, for the inspect that says whether the
  // container runs and has a terminal.
  opts.onStep?.('events');
  const eventsRead = custody
    .step(
      "read the engine's events about the container",
      container.id,
      () => engine.events(container.id, 0, MAX_EVENT_BYTES),
      (read) =>
        `${read.events.length} events${read.isCut ? ` (cut at ${MAX_EVENT_BYTES / 1024 / 1024} MiB)` : ''}`,
    )
    .catch((e: unknown) => {
      if (!(e instanceof EngineRequestFailed)) throw e;
      return { failure: e.message };
    })
    .then(async (read) => ({
      events: 'failure' in read ? read : read.events,
      untilSeconds: 'failure' in read ? undefined : read.untilSeconds,
      isCut: !('failure' in read) && read.isCut,
      record: !('failure' in read)
        ? await folder.writeJson(
            'container/events.json',
            read.events,
            "the engine's events about the container, as it sent them",
          )
        : undefined,
    }));
  opts.onStep?.('inspect');
  const described = (async () => {
    const inspect = await custody.step('inspect container', container.id, () =>
      engine.inspectContainer(container.id),
    );
    const inspectRecord = await folder.writeJson('container/inspect.json', inspect, {
      description: 'container inspect, as the engine sent it',
      environment: { envLists: ['Config.Env'] },
    });
    // By ID: a tag may have been re-pointed since the container started.
    const image = custody
      .step('inspect image', inspect.Image, () => engine.inspectImage(inspect.Image))
      .then(async (image) => ({
        image,
        record: await folder.writeJson('image/inspect.json', image, {
          description: 'original image inspect, by image id',
          environment: IMAGE_INSPECT_ENVIRONMENT,
        }),
      }));
    const history = custody
      .step('read image history', inspect.Image, () => engine.imageHistory(inspect.Image))
      .then((history) =>
        folder.writeJson('image/history.json', history, {
          description: 'original image history',
          environment: { envLists: [], instructions: ['*.CreatedBy'] },
        }),
      );
    const processesAndLogs = (async () => {
      opts.onStep?.('processes');
      const records: ArtifactRecord[] = [];
      if (inspect.State.Running) {
        const top = await custody.step('list processes (top)', container.id, () =>
          engine.top(container.id),
        );
        records.push(
          await folder.writeJson('container/processes.json', top, 'process list (docker top -ef)'),
        );
      } else {
        custody.record(
          'list processes (top)',
          container.id,
          'skipped',
          `container is ${inspect.State.Status}`,
        );
      }
      cancelled();
      opts.onStep?.('logs');
      records.push(...(await captureLogs(engine, container, inspect, folder, custody, opts)));
      return records;
    })();
    const [imageRead, historyRecord, processRecords] = await settled(
      [image, history, processesAndLogs] as const,
      opts.signal,
    );
    return {
      inspect,
      image: imageRead.image,
      records: [inspectRecord, imageRead.record, historyRecord, ...processRecords],
    };
  })();
  const [eventsKept, { inspect, image, records }] = await settled(
    [eventsRead, described] as const,
    opts.signal,
  );
  const events = eventsKept.events;
  const eventsUntil = eventsKept.untilSeconds;
  const eventsCut = eventsKept.isCut;
  if (eventsKept.record) artifacts.push(eventsKept.record);
  artifacts.push(...records);
  const stateAtStart = {
    status: inspect.State.Status,
    isRunning: inspect.State.Running && !inspect.State.Paused,
    isPaused: inspect.State.Paused,
  };
  cancelled();

  opts.onStep?.('commit');
  const committedAt = new Date();
  const repo = evidenceRepo(container.name);
  // Two responders may freeze the same container in the same second: each keeps its own tag.
  const tag = `${utcStamp(committedAt)}-${randomBytes(2).toString('hex')}`;
  // A running container is paused so the snapshot is consistent; a paused one stays paused.
  const shouldPause = inspect.State.Running && !inspect.State.Paused;
  // One frozen instant for both the change list and the evidence image: paused by coroner
  // around the two calls (and always unpaused), so every listed change is in the image.
  // Paused by someone else meanwhile (another responder's run): leave their pause alone.
  let ownsPause = false;
  if (shouldPause) {
    try {
      await custody.step(
        'pause container (change list and commit at one instant)',
        container.id,
        () => engine.pauseContainer(container.id),
      );
      ownsPause = true;
    } catch (e) {
      // Paused by another run (409), or exiting under our hands: the commit comes first either
      // way (it pauses by itself what still runs). A 404 means the container is gone.
      if (!(e instanceof EngineRequestFailed) || engineStatus(e) === 404) throw e;
    }
  }
  const unpause = () =>
    custody.step('unpause container', container.id, () =>
      engine.unpauseContainer(container.id).catch(async (e: unknown) => {
        // It died (or was stopped) while paused: nothing is left to unpause.
        const now = await engine.inspectContainer(container.id).catch(() => undefined);
        if (now && !now.State.Paused) return;
        throw e;
      }),
    );
  let changes: FrozenEvidence['changes'];
  let evidenceId: string;
  let readFromSuspect = new Map<string, StoredVersion>();
  let host: HostCapture | undefined;
  let writableLayer: WritableLayerRead | NotRead | undefined;
  // In the pause, everything at once: the container cannot change, so what runs, what lives
  // in memory, the change list, the commit and the writable layer are each read at the same
  // frozen instant whatever their order, and the pause lasts as long as the longest of them.
  // The first failure stops the others (the engine's commit runs to its end) before the unpause.
  const failed = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const stopOthers = (e: unknown) => {
    failed.abort(e);
    throw e;
  };
  try {
    [host, changes, evidenceId, writableLayer] = await settled(
      [
        // Most volatile first, in the pause: what runs, and what lives in memory.
        opts.captureHost
          ? captureOnHost(inspect, folder, custody, {
              maxContentBytes: opts.captureHost.maxContentBytes,
              isRemote: engine.traits.transport === 'ssh',
              signal,
            })
              .catch((e: unknown) => {
                // A file-system error reading /proc is a gap to name; anything else ends the freeze.
                if (!isFileSystemGap(e, signal)) throw e;
                return {
                  memoryMounts: [],
                  notCollected: [
                    { item: PROCESSES_ITEM, reason: `reading /proc failed (${e.message})` },
                  ],
                };
              })
              .catch(stopOthers)
          : undefined,
        custody
          .step('list changes (docker diff)', container.id, () =>
            engine.changes(container.id, opts.maxChangeListBytes ?? MAX_CHANGE_LIST_BYTES),
          )
          .catch((e: unknown): { failure: string } => {
            // The engine answered but could not list them: the commit still captures them all.
            if (!(e instanceof EngineRequestFailed) || engineStatus(e) === 404) throw e;
            return { failure: e.message };
          })
          .then(async (listed) => {
            // Still in the pause: what the commit could not hold is read from the suspect as it is.
            if (Array.isArray(listed))
              readFromSuspect = await readWhiteoutNamed(
                engine,
                container,
                listed,
                folder,
                custody,
                {
                  ...opts,
                  signal,
                },
              );
            return listed;
          })
          .catch(stopOthers),
        custody
          .step(
            'commit evidence image',
            container.id,
            () =>
              engine.commit(container.id, {
                repo,
                tag,
                // Without our own pause the engine pauses for the commit (and leaves a pause it did not make).
                pause: shouldPause && !ownsPause,
                comment: `coroner evidence of ${container.name} (${container.id}) at ${committedAt.toISOString()}`,
                labels: {
                  [EVIDENCE_LABELS.isEvidence]: 'true',
                  [EVIDENCE_LABELS.sourceId]: container.id,
                  [EVIDENCE_LABELS.sourceName]: container.name,
                  [EVIDENCE_LABELS.capturedAt]: committedAt.toISOString(),
                  [EVIDENCE_LABELS.version]: CORONER_VERSION,
                },
              }),
            (id) => `${repo}:${tag} ${id}`,
          )
          .catch(stopOthers),
        // The layer itself, what the engine's list and commit may miss.
        opts.captureHost
          ? readWritableLayer(inspect, folder, custody, {
              isRemote: engine.traits.transport === 'ssh',
              // As for every stored file: a 4 GiB sparse file is not written out whole.
              maxFileBytes: opts.captureHost.maxContentBytes,
              signal,
            })
              .catch((e: unknown): NotRead => {
                // A file-system error reading the layer is a gap to name; anything else ends the freeze.
                if (!isFileSystemGap(e, signal)) throw e;
                return { reason: `reading it failed (${e.message})` };
              })
              .catch(stopOthers)
          : undefined,
      ] as const,
      opts.signal,
      () => failed.signal.reason,
    );
  } catch (e) {
    if (ownsPause) {
      const isUnpaused = await unpause().then(
        () => true,
        () => false,
      );
      // The failure that matters comes first; that the suspect stays paused comes with it.
      if (!isUnpaused && e instanceof CoronerError) throw new LeftPaused(e, container.id);
    }
    throw e;
  }
  // The evidence image is described while the suspect is let go.
  const [, evidenceInspect] = await settled([
    ownsPause ? unpause() : undefined,
    engine.inspectImage(evidenceId),
  ] as const);
  artifacts.push(
    await folder.writeJson('evidence-image/inspect.json', evidenceInspect, {
      description: 'evidence image inspect',
      environment: IMAGE_INSPECT_ENVIRONMENT,
    }),
  );

  return {
    container,
    inspect,
    image,
    stateAtStart,
    evidenceInspect,
    changes,
    readFromSuspect,
    events,
    ...(eventsUntil !== undefined ? { eventsUntil } : {}),
    ...(eventsCut ? { eventsCut } : {}),
    ...(host ? { host } : {}),
    ...(writableLayer ? { writableLayer } : {}),
    evidence: {
      kind: 'image',
      id: evidenceId,
      repo,
      tag,
      committedAt: committedAt.toISOString(),
      wasPaused: shouldPause,
    },
    artifacts,
  };
}

/**
 * Every task's value, once all have ended: nothing started here is still writing into the
 * case when the freeze goes on or fails. A cancel is the failure when it came; otherwise the
 * failure that came first (`cause()`, when the caller knows it), or the first in order.
 */
async function settled<T extends readonly unknown[]>(
  tasks: T,
  signal?: AbortSignal,
  cause?: () => unknown,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(tasks);
  throwIfAborted(signal, 'freezing the evidence');
  const first = cause?.();
  if (first !== undefined) throw first;
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/**
 * Files the attacker named like layer whiteouts: each is read from the suspect itself (the
 * archive endpoint; nothing runs in it), and the whole filesystem is exported as the engine
 * sees it, since the engine cannot `docker save` an image whose commit holds such names.
 */
async function readWhiteoutNamed(
  engine: Engine,
  container: ContainerRef,
  changes: RawChange[],
  folder: CaseFolder,
  custody: CustodyLog,
  opts: FreezeOptions,
): Promise<Map<string, StoredVersion>> {
  const found = new Map<string, StoredVersion>();
  const named = changes
    .filter((c) => c.Kind !== 2 && c.Path.slice(c.Path.lastIndexOf('/') + 1).startsWith('.wh.'))
    .slice(0, MAX_SUSPECT_READS);
  if (named.length === 0) return found;
  for (const { Path: path } of named) {
    const what = `current version of ${JSON.stringify(path)}, read from the suspect itself (named like a layer whiteout: the evidence image cannot hold it)`;
    const version = await custody.step(
      `read ${JSON.stringify(path)} from the suspect itself (a layer-whiteout name)`,
      container.id,
      () =>
        readVersion(engine, container.id, path, folder, `current/${storedName(path)}`, what, {
          maxContentBytes: 256 * 1024 * 1024,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
    );
    if (version) found.set(path, version);
  }
  await custody.step(
    'export the container filesystem (docker export) while frozen: the evidence image cannot be saved',
    container.id,
    async () =>
      folder.writeStream(
        FILESYSTEM_EXPORT,
        await engine.exportContainer(container.id, opts.signal),
        {
          description:
            "the container's filesystem as the engine exported it while frozen (its evidence image cannot be saved)",
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      ),
    (r) => `${r.sizeBytes} bytes, sha256 ${r.sha256}`,
  );
  return found;
}

async function captureLogs(
  engine: Engine,
  container: ContainerRef,
  inspect: ContainerInspect,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: FreezeOptions,
): Promise<ArtifactRecord[]> {
  const source = await custody.step(`read last ${opts.logTailLines} log lines`, container.id, () =>
    engine.logs(container.id, opts.logTailLines, opts.signal),
  );
  const write = (name: string, stream: NodeJS.ReadableStream, what: string) =>
    folder.writeStream(`container/logs/${name}`, stream as never, {
      description: `${what}, last ${opts.logTailLines} lines, at most ${opts.logMaxBytes} bytes`,
      maxBytes: opts.logMaxBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  if (inspect.Config.Tty) {
    // A TTY container's log is one raw stream: the engine cannot tell stdout from stderr.
    return [await write('tty.log', source, 'container log (TTY: stdout and stderr mixed)')];
  }
  const { stdout, stderr, done } = demuxLogStream(source);
  const records = await Promise.all([
    write('stdout.log', stdout, 'container stdout'),
    write('stderr.log', stderr, 'container stderr'),
    done,
  ]);
  return [records[0], records[1]];
}

/** A freeze failed while coroner held the suspect paused, and unpausing it failed too. */
export class LeftPaused extends CoronerError {
  override readonly exitCode: number;
  constructor(failure: CoronerError, containerId: string) {
    super(
      `${failure.message}; container ${containerId.slice(0, 12)} is left paused (unpausing it failed too)`,
      `${failure.hint} Then unpause it: docker unpause ${containerId.slice(0, 12)}.`,
      { cause: failure },
    );
    this.exitCode = failure.exitCode;
  }
}

/** An error of the file system (it has a code), not coroner's own, and no cancel: a gap to name. */
function isFileSystemGap(e: unknown, signal: AbortSignal | undefined): e is Error {
  return !signal?.aborted && !(e instanceof CoronerError) && e instanceof Error && 'code' in e;
}
