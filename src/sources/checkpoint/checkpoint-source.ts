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
import {
  describeLayers,
  historyPerLayer,
  unavailableLayers,
  type ImageLayers,
} from '../../layers/image-layers.js';
import { findOriginLayer, layerEntryPath, type LayerIndex } from '../../layers/layer-index.js';
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
import type { ContainerRef } from '../pick-container.js';
import {
  MEMBER,
  memberName,
  openCheckpointArchive,
  rawArchiveStream,
  tarStreamOf,
  walkRootfsDiff,
  type CheckpointArchive,
} from './checkpoint-archive.js';
import {
  readCheckpointConfig,
  runtimeFromSpec,
  type CheckpointConfig,
} from './checkpoint-records.js';
import { MAX_RECORD_BYTES, scanCheckpoint, type CheckpointScan } from './checkpoint-scan.js';
import { indexImageArchive, walkImageLayers, type ImageArchive } from './image-archive.js';
import { readBounded, tarEntries } from '../../tar-entries.js';

/** Stored versions written at once while the rootfs diff streams by. */
const MAX_PENDING_WRITES = 32;

export class CheckpointSource implements EvidenceSource {
  readonly kind = 'checkpoint' as const;

  readonly containersPlace: ContainersPlace;

  private constructor(
    readonly archive: CheckpointArchive,
    private readonly config: CheckpointConfig,
    readonly imageArchive?: string,
  ) {
    this.containersPlace = {
      name: `the checkpoint archive ${archive.path} (it holds one container)`,
      listCommand: `coroner list --checkpoint ${archive.path}`,
    };
  }

  static async open(file: string, imageArchive?: string): Promise<CheckpointSource> {
    // Absolute: the report and custody name the evidence wherever they are read.
    const archive = await openCheckpointArchive(path.resolve(file));
    return new CheckpointSource(
      archive,
      await readRecordsOnly(archive),
      imageArchive === undefined ? undefined : path.resolve(imageArchive),
    );
  }

  async identity(): Promise<SourceIdentity> {
    const { path, compression, sizeBytes } = this.archive;
    return {
      kind: this.kind,
      described: `a container checkpoint archive, ${path} (${compression === 'gzip' ? 'gzipped tar' : 'tar'}, ${sizeBytes} bytes)${this.imageArchive ? `, with the image archive ${this.imageArchive}` : ', without its image'}, read only; no engine contacted`,
      checkpoint: { path, ...(this.imageArchive ? { imageArchive: this.imageArchive } : {}) },
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

    const image = this.imageArchive
      ? await custody.step(
          'index the image archive (each layer hashed to its diff id, the image config to its id)',
          this.imageArchive,
          () =>
            indexImageArchive(
              this.imageArchive!,
              { id: config.imageId, ref: config.imageRef, name: config.imageName },
              signal,
            ),
          (i) => `${i.imageId}, ${i.diffIds.length} layers`,
        )
      : undefined;
    if (image)
      await folder.writeBuffer('image/config.json', image.configBytes, {
        description: `the original image's config, from the image archive ${image.path} (hashes to ${image.imageId})`,
        environment: {
          envLists: ['config.Env', 'container_config.Env'],
          instructions: ['history.*.created_by', 'container_config.Cmd', 'config.Cmd'],
        },
      });
    else
      notCollected.push({
        item: 'the originals of changed files (and whether each path was added or changed in place)',
        reason:
          'no image archive was given (--image FILE: `docker save` or an OCI layout of the image the checkpoint names): every path of the rootfs diff is listed as added and ranked on its own content',
      });
    opts.onStep?.('logs');
    notCollected.push(
      {
        item: 'logs',
        reason:
          'a checkpoint archive holds no container log: read it on the node (/var/log/pods/<namespace>_<pod>_<uid>/<container>/)',
      },
      { item: 'engine events', reason: 'no engine was contacted' },
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
    if (scan.deletedFiles?.list.problem)
      notCollected.push({ item: 'deleted files', reason: scan.deletedFiles.list.problem });

    const originalLayers = async (): Promise<ImageLayers> =>
      image
        ? {
            imageId: image.imageId,
            layers: describeLayers(
              image.diffIds,
              historyPerLayer(image.config, image.diffIds.length),
            ),
            indexes: image.indexes,
            source: 'image-save',
            savedBytes: 0,
            checks: image.diffIds.map((diffId, position) => ({
              diffId,
              position,
              status: 'verified' as const,
              detail: `its tar in ${image.path} hashes to its diff id`,
            })),
          }
        : unavailableLayers(config.imageId);

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
          : [
              ...[...written.whiteouts].map((path): ChangeEntry => ({ path, kind: 'D' })),
              ...[...written.entries.keys()]
                .filter((path) => !written.whiteouts.has(path))
                .map((path): ChangeEntry => ({ path, kind: 'A' })),
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
          "read current versions from the checkpoint's rootfs diff and originals from the image archive",
          `${entries.length} paths`,
          'ok',
          `${bytes} bytes`,
        );
      },

      mountChanges: async () => ({ changes: [], read: [] }),
    };
  }
}

/** config.dump and spec.dump alone, for listing: the walk stops once both are read. */
async function readRecordsOnly(archive: CheckpointArchive): Promise<CheckpointConfig> {
  let config: Buffer | undefined;
  let spec: Buffer | undefined;
  for await (const member of tarEntries(tarStreamOf(rawArchiveStream(archive), archive))) {
    const name = memberName(member);
    const isRecord = name === MEMBER.config || name === MEMBER.spec;
    if (!isRecord || (member.header.size ?? 0) > MAX_RECORD_BYTES) {
      member.resume();
      continue;
    }
    const { data } = await readBounded(member, MAX_RECORD_BYTES);
    if (name === MEMBER.config) config ??= data;
    else spec ??= data;
    if (config && spec) break;
  }
  const read = readCheckpointConfig(config, spec);
  if (!config || !read.id)
    return { ...read, id: read.id || 'checkpoint', name: read.name || 'checkpoint' };
  return read;
}

/** The engine's records, kept in the case as they are, and the list of every member. */
async function keepRecords(scan: CheckpointScan, folder: CaseFolder): Promise<void> {
  if (scan.config)
    await folder.writeBuffer('container/config.dump', scan.config, {
      description: "the checkpoint's config.dump (the engine's record of the container)",
      environment: { envLists: ['spec.process.env'] },
    });
  if (scan.spec)
    await folder.writeBuffer('container/spec.dump', scan.spec, {
      description: "the checkpoint's spec.dump (the OCI runtime spec the container ran with)",
      environment: { envLists: ['process.env'] },
    });
  if (scan.deletedFiles)
    await folder.writeBuffer(
      'container/deleted.files',
      scan.deletedFiles.bytes,
      "the checkpoint's deleted.files (paths the container deleted)",
    );
  for (const small of scan.smallFiles)
    await folder.writeBuffer(
      `container/${small.name}`,
      small.data,
      `the checkpoint's ${small.name}${small.isCut ? ' (its first 1 MiB)' : ''}`,
    );
  await folder.writeJson(
    'checkpoint/members.json',
    {
      archiveSha256: scan.sha256,
      archiveSizeBytes: scan.sizeBytes,
      memberCount: scan.memberCount,
      members: scan.members,
    },
    'every member of the checkpoint archive, with its size and SHA-256 (the CRIU images among them are kept in the archive, not analysed)',
  );
}

function criuNotCollected(scan: CheckpointScan): NotCollected[] {
  const criu = scan.members.filter(
    (m) => m.name.startsWith(`${MEMBER.criuImages}/`) && m.type === 'file',
  );
  const bytes = criu.reduce((sum, m) => sum + m.sizeBytes, 0);
  const shm = scan.members.find((m) => m.name === 'devshm-checkpoint.tar');
  return [
    {
      item: `processes, memory, open files and connections (the CRIU images: ${criu.length} files, ${bytes} bytes under checkpoint/)`,
      reason:
        'kept in the archive and listed with their sizes and hashes in checkpoint/members.json, not analysed: coroner reads no CRIU images (checkpointctl inspect shows them)',
    },
    ...(shm
      ? [
          {
            item: `/dev/shm (devshm-checkpoint.tar, ${shm.sizeBytes} bytes)`,
            reason: 'kept in the archive and listed in checkpoint/members.json, not analysed',
          },
        ]
      : []),
  ];
}

function mountsNotCollected(runtime: ReturnType<typeof runtimeFromSpec>): NotCollected[] {
  return [
    ...runtime.mounts.map((m) => ({
      item: `the ${m.type} mount at ${m.destination}`,
      reason: `its files are not in a checkpoint archive (the node's ${m.source || 'volume'}): examine it on the node`,
    })),
    ...runtime.tmpfs.map((t) => ({
      item: `the tmpfs at ${t}`,
      reason: 'it lived in memory; only CRIU images (not analysed) may hold it',
    })),
  ];
}

/** Originals of the changed and deleted paths, each from the layer that provides it. */
async function readOriginals(
  image: ImageArchive,
  entries: readonly ChangeEntry[],
  folder: CaseFolder,
  opts: AcquireOptions,
): Promise<Map<string, StoredVersion>> {
  const wantedAt = new Map<number, Set<string>>();
  for (const entry of entries) {
    if (entry.kind === 'A') continue;
    const position = findOriginLayer(image.indexes, entry.path);
    if (position === undefined) continue;
    if (!wantedAt.has(position)) wantedAt.set(position, new Set());
    wantedAt.get(position)!.add(entry.path);
  }
  const found = new Map<string, StoredVersion>();
  if (wantedAt.size === 0) return found;
  await walkImageLayers(
    image,
    new Set(wantedAt.keys()),
    async (position, path, tarEntry) => {
      const wanted = wantedAt.get(position)!;
      if (!wanted.delete(path)) {
        tarEntry.resume();
        return;
      }
      const { written } = await storeEntry(
        tarEntry,
        folder,
        `original/${storedName(path)}`,
        `original version of ${JSON.stringify(path)}, from layer ${position} of the image archive`,
        { maxContentBytes: opts.maxContentBytes, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      found.set(path, await written);
    },
    opts.signal,
  );
  return found;
}
