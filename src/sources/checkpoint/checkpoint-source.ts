/**
 * A container checkpoint archive as an evidence source (issue 26, item 5): what the
 * kubelet's checkpoint API (/var/lib/kubelet/checkpoints/checkpoint-<pod>_<ns>-<container>-
 * <time>.tar) and `podman container checkpoint --export` write. No engine is contacted and
 * nothing runs: the archive is hashed at acquisition and stays with the responder as the
 * evidence; its rootfs diff and deleted.files say what changed; originals come from the
 * image when it is given as an archive (`--image`: docker save or OCI layout); the CRIU
 * images are listed, hashed, and kept, not analysed.
 */
import path from 'node:path';
import type { CaseFolder } from '../../case/case-folder.js';
import { storedName } from '../../case/container-path.js';
import type { CustodyLog } from '../../case/custody.js';
import { changesFromLayer } from '../../changes/changes-from-layer.js';
import { Cancelled } from '../../errors.js';
import { unavailableLayers, type ImageLayers } from '../../layers/image-layers.js';
import { layerEntryPath, type LayerIndex } from '../../layers/layer-index.js';
import type { ChangeEntry, StoredVersion, VersionPair } from '../../report/change.js';
import type { NotCollected, SourceIdentity } from '../../report/triage-report.js';
import { storeEntry } from '../docker-live/archive-reader.js';
import type {
  Acquisition,
  AcquireOptions,
  ContainerSummary,
  ContainersPlace,
  EvidenceSource,
} from '../evidence-source.js';
import { pickContainer, type ContainerRef } from '../pick-container.js';
import {
  MEMBER,
  openCheckpointArchive,
  walkRootfsDiff,
  type CheckpointArchive,
} from './checkpoint-archive.js';
import {
  readCheckpointConfig,
  runtimeFromSpec,
  type CheckpointConfig,
} from './checkpoint-records.js';
import { criuNotCollected, keepRecords, mountsNotCollected } from './checkpoint-evidence.js';
import { imageLayersOf, readOriginals } from './checkpoint-originals.js';
import { readRecordsOnly, scanCheckpoint } from './checkpoint-scan.js';
import {
  imageArchiveFile,
  indexImageArchive,
  type ImageArchiveSource,
  type ImageStore,
  type WantedImage,
} from './image-archive.js';

/** Where the checkpointed container's image is to be found, if anywhere. */
export interface CheckpointImage {
  /** `--image FILE`: a docker save or OCI layout archive. */
  archive?: string;
  /** Looked in when no archive is given (the local Docker engine's image store). */
  store?: ImageStore;
}

/** Stored versions written at once while the rootfs diff streams by. */
const MAX_PENDING_WRITES = 32;

export class CheckpointSource implements EvidenceSource {
  readonly kind = 'checkpoint' as const;

  readonly containersPlace: ContainersPlace;

  /** Where the originals came from, once acquired (the image archive, or the local store). */
  private imageFrom: string | undefined;

  private constructor(
    readonly archive: CheckpointArchive,
    private readonly config: CheckpointConfig,
    private readonly image: CheckpointImage,
  ) {
    this.containersPlace = {
      name: `the checkpoint archive ${archive.path} (it holds one container)`,
      listCommand: `coroner list --checkpoint ${archive.path}`,
    };
    this.imageFrom = image.archive;
  }

  static async open(file: string, image: CheckpointImage = {}): Promise<CheckpointSource> {
    // Absolute: the report and custody name the evidence wherever they are read.
    const archive = await openCheckpointArchive(path.resolve(file));
    return new CheckpointSource(archive, await readRecordsOnly(archive), {
      ...image,
      ...(image.archive !== undefined ? { archive: path.resolve(image.archive) } : {}),
    });
  }

  async identity(): Promise<SourceIdentity> {
    const { path, compression, sizeBytes } = this.archive;
    const { archive: imageArchive } = this.image;
    const imageWords = this.imageFrom
      ? `, with the image from ${this.imageFrom}`
      : ', without its image';
    return {
      kind: this.kind,
      described: `a container checkpoint archive, ${path} (${compression === 'gzip' ? 'gzipped tar' : 'tar'}, ${sizeBytes} bytes)${imageWords}, read only; ${this.imageFrom && !imageArchive ? 'the image saved from that engine, nothing else asked of it' : 'no engine contacted'}`,
      checkpoint: { path, ...(imageArchive ? { imageArchive } : {}) },
    };
  }

  async listContainers(): Promise<ContainerSummary[]> {
    const c = this.config;
    return [
      {
        id: c.id,
        names: [c.name],
        image: c.imageName || c.imageRef || c.imageId,
        imageId: c.imageId,
        state: 'checkpointed',
        status: c.checkpointedAt ? `checkpointed ${c.checkpointedAt}` : 'checkpointed',
        createdAt: c.createdAt,
        labels: c.labels,
      },
    ];
  }

  /** The archive holds one container: an empty name is that one; any other is checked. */
  pick(ref: string, containers: readonly ContainerSummary[]): ContainerRef {
    const [only] = containers;
    if (ref.trim() === '' && only) return { id: only.id, name: only.names[0] ?? only.id };
    return pickContainer(ref, containers, this.containersPlace);
  }

  async acquire(
    container: ContainerRef,
    folder: CaseFolder,
    custody: CustodyLog,
    opts: AcquireOptions,
  ): Promise<Acquisition> {
    const { archive } = this;
    const signal = opts.signal;
    const cancelled = () => {
      if (signal?.aborted) throw new Cancelled('reading the checkpoint archive');
    };
    opts.onStep?.('inspect');
    const scan = await custody.step(
      'hash and read the checkpoint archive, read only (every member listed and hashed, the rootfs diff indexed, nothing extracted)',
      archive.path,
      () => scanCheckpoint(archive, signal),
      (s) => `sha256:${s.sha256}, ${s.sizeBytes} bytes, ${s.memberCount} members`,
    );
    const readAt = new Date().toISOString();
    const config = readCheckpointConfig(scan.config, scan.spec);
    const notCollected: NotCollected[] = [];
    for (const problem of [...config.problems, ...scan.problems])
      notCollected.push({ item: 'part of the checkpoint archive', reason: problem });
    await keepRecords(scan, folder);
    notCollected.push(...criuNotCollected(scan));
    cancelled();

    const wanted = { id: config.imageId, ref: config.imageRef, name: config.imageName };
    const imageSource = await this.imageSource(wanted, custody, signal);
    const image = imageSource.found
      ? await custody.step(
          'index the image archive (each layer hashed to its diff id, the image config to its id)',
          imageSource.found.name,
          () =>
            indexImageArchive(
              imageSource.found!,
              { ...wanted, id: wanted.id || (imageSource.found!.resolvedId ?? '') },
              signal,
            ),
          (i) => `${i.imageId}, ${i.diffIds.length} layers`,
        )
      : undefined;
    this.imageFrom = image?.path;
    if (image)
      await folder.writeBuffer('image/config.json', image.configBytes, {
        description: `the original image's config, from ${image.path} (hashes to ${image.imageId})`,
        environment: {
          envLists: ['config.Env', 'container_config.Env'],
          instructions: ['history.*.created_by', 'container_config.Cmd', 'config.Cmd'],
        },
      });
    else
      notCollected.push({
        item: 'the originals of changed files (and whether each path was added or changed in place)',
        reason: `${imageSource.why ?? 'no image archive was given'} (--image FILE: \`docker save\` or an OCI layout of the image the checkpoint names): every path of the rootfs diff is listed as added and ranked on its own content`,
      });
    opts.onStep?.('logs');
    notCollected.push(
      {
        item: 'logs',
        reason:
          'a checkpoint archive holds no container log: read it on the node (/var/log/pods/<namespace>_<pod>_<uid>/<container>/)',
      },
      { item: 'engine events', reason: 'a checkpoint archive holds none' },
      ...mountsNotCollected(runtimeFromSpec(scan.spec)),
    );
    if (scan.rootfs?.isCut)
      notCollected.push({
        item: 'part of the change list',
        reason: `the rootfs diff holds ${scan.rootfs.entryCount} entries: only the first ${scan.rootfs.index.entries.size + scan.rootfs.index.whiteouts.size} are listed (coroner's bound)`,
      });
    if (!scan.rootfs)
      notCollected.push({
        item: 'added and changed files',
        reason:
          'the archive holds no rootfs-diff.tar (checkpointed with --ignore-rootfs, or altered)',
      });
    for (const why of scan.rootfs?.refused ?? [])
      opts.onProblem({ path: '/', action: 'read the rootfs diff', cause: why });
    if (scan.rootfs && scan.rootfs.refusedCount > scan.rootfs.refused.length)
      opts.onProblem({
        path: '/',
        action: 'read the rootfs diff',
        cause: `${scan.rootfs.refusedCount - scan.rootfs.refused.length} more entries refused (climbing names or second entries), not named one by one`,
      });
    if (scan.deletedFiles?.list.problem)
      notCollected.push({ item: 'deleted files', reason: scan.deletedFiles.list.problem });

    const originalLayers = async (): Promise<ImageLayers> =>
      image ? imageLayersOf(image) : unavailableLayers(config.imageId);

    const writtenLayer = (): LayerIndex => {
      const index = scan.rootfs?.index ?? {
        diffId: MEMBER.rootfsDiff,
        entries: new Map(),
        whiteouts: new Set<string>(),
        opaqueDirs: new Set<string>(),
        anomalies: [],
      };
      for (const raw of scan.deletedFiles?.list.paths ?? []) {
        const path = layerEntryPath(raw);
        if (path === undefined || path === '/' || !raw.startsWith('/'))
          opts.onProblem({
            path: '/',
            action: 'read deleted.files',
            cause: `refused a path that is not absolute or climbs: ${JSON.stringify(raw)}`,
          });
        else index.whiteouts.add(path);
      }
      return index;
    };

    return {
      subject: {
        id: container.id,
        name: container.name,
        imageRef: config.imageName || config.imageRef || config.imageId,
        imageId: image?.imageId ?? config.imageId,
        createdAt: config.createdAt,
        stateAtStart: {
          status: `checkpointed${config.checkpointedAt ? ` ${config.checkpointedAt}` : ''} (the archive holds its state at that moment)`,
          isRunning: false,
          isPaused: false,
        },
        ...(config.command.length ? { command: config.command } : {}),
      },
      runtime: runtimeFromSpec(scan.spec),
      evidence: {
        kind: 'layer-folder',
        dataRoot: archive.path,
        layerDir: MEMBER.rootfsDiff,
        readAt,
        whereKept: `the checkpoint archive itself (${archive.path}, sha256:${scan.sha256}, ${scan.sizeBytes} bytes when read), which stays with the responder; every changed file is in case/ with the hash taken when it was read`,
        described: `the rootfs diff (rootfs-diff.tar) and deleted.files of the checkpoint archive ${archive.path}, sha256:${scan.sha256} (read ${readAt})`,
      },
      notCollected,

      changeList: async () => {
        const written = writtenLayer();
        const entries: ChangeEntry[] = image
          ? changesFromLayer(written, image.indexes)
          : // Without the image, added and changed cannot be told apart; an entry the diff
            // holds wins over a deletion of the same path, as in changesFromLayer.
            [
              ...[...written.whiteouts]
                .filter((path) => !written.entries.has(path))
                .map((path): ChangeEntry => ({ path, kind: 'D' })),
              ...[...written.entries.keys()].map((path): ChangeEntry => ({ path, kind: 'A' })),
            ];
        await folder.writeJson(
          'changes/changes-from-checkpoint.json',
          entries,
          "change list read from the checkpoint's rootfs diff and deleted.files",
        );
        return entries;
      },

      originalLayers,

      readVersions: async (entries, onPair) => {
        const originals = image
          ? await readOriginals(image, entries, folder, opts)
          : new Map<string, StoredVersion>();
        cancelled();
        let done = 0;
        let bytes = 0;
        const hand = async (entry: ChangeEntry, current?: StoredVersion) => {
          const pair: VersionPair = {};
          const original = originals.get(entry.path);
          if (original) pair.original = original;
          else if (entry.kind !== 'A' && image)
            opts.onProblem({
              path: entry.path,
              action: 'read original version',
              cause: 'not found in the image layers',
            });
          if (current) pair.current = current;
          bytes += current?.content?.sizeBytes ?? 0;
          opts.onProgress?.('extract', ++done, bytes);
          await onPair(entry, pair);
        };
        const wanted = new Map(entries.filter((e) => e.kind !== 'D').map((e) => [e.path, e]));
        const pending = new Set<Promise<void>>();
        await walkRootfsDiff(
          archive,
          async (tarEntry) => {
            const path = layerEntryPath(tarEntry.header.name);
            const entry = path === undefined ? undefined : wanted.get(path);
            if (!entry) {
              tarEntry.resume();
              return;
            }
            wanted.delete(entry.path); // a second entry for the path: the first is kept
            const { written } = await storeEntry(
              tarEntry,
              folder,
              `current/${storedName(entry.path)}`,
              `current version of ${JSON.stringify(entry.path)}, from the checkpoint's rootfs diff`,
              { maxContentBytes: opts.maxContentBytes, ...(signal ? { signal } : {}) },
            );
            const handed: Promise<void> = written
              .then((v) => hand(entry, v))
              .finally(() => pending.delete(handed));
            pending.add(handed);
            if (pending.size >= MAX_PENDING_WRITES) await Promise.race(pending);
          },
          signal,
        );
        await Promise.all(pending);
        for (const entry of wanted.values()) {
          opts.onProblem({
            path: entry.path,
            action: 'read current version',
            cause: 'not found in the rootfs diff',
          });
          await hand(entry);
        }
        for (const entry of entries) if (entry.kind === 'D') await hand(entry);
        custody.record(
          image
            ? "read current versions from the checkpoint's rootfs diff and originals from the image's layers"
            : "read current versions from the checkpoint's rootfs diff",
          `${entries.length} paths`,
          'ok',
          `${bytes} bytes`,
        );
      },

      mountChanges: async () => ({ changes: [], read: [] }),
    };
  }

  /** The image archive given, else the image from the store when it has it (and why not). */
  private async imageSource(
    wanted: WantedImage,
    custody: CustodyLog,
    signal?: AbortSignal,
  ): Promise<{ found?: ImageArchiveSource; why?: string }> {
    const { archive, store } = this.image;
    if (archive !== undefined) return { found: imageArchiveFile(archive) };
    if (!store) return {};
    return custody.step(
      `look for the image the checkpoint names in ${store.name}`,
      wanted.id || wanted.name || '(none named)',
      () => store.find(wanted, signal),
      (r) => (r.found ? r.found.name : (r.why ?? 'not found')),
    );
  }
}
