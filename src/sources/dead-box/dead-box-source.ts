/**
 * A copied Docker data root as an evidence source: no engine is contacted and
 * nothing is written into the copy. The container's own records say how it ran;
 * its writable layer folder is the evidence and says what changed; each image
 * layer is checked entry by entry against its record (overlay2's tar-split, or
 * its blob in containerd's content store for a container of Docker's containerd
 * image store: store-layout.ts); originals are read from the image layer
 * folders, current versions from the writable layer.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { Cancelled } from '../../errors.js';
import type { NotCollected, SourceIdentity } from '../../report/triage-report.js';
import { runtimeFromDocker } from '../docker-config.js';
import type {
  Acquisition,
  AcquireOptions,
  ContainersPlace,
  EvidenceSource,
} from '../evidence-source.js';
import { compareMounts, type MountToCompare } from '../layer-store/compare-mount.js';
import { readLayerFolders } from '../layer-store/folder-acquisition.js';
import type { ProvedLayer } from '../layer-store/proved-layer.js';
import type { ContainerRef } from '../pick-container.js';
import { DataRootRefused, openDataRoot, type DataRoot } from './data-root.js';
import {
  DataRootDamaged,
  DataRootLink,
  ImageConfigAltered,
  listDataRootContainers,
  mountsOf,
  readContainer,
  refuseLinks,
} from '../docker-store/image-store.js';
import {
  containerdLayout,
  overlay2Layout,
  StoreRecordAltered,
  type StoreLayout,
} from './store-layout.js';
import type { EnvironmentHeld } from '../../report/artifact.js';
import { readJsonFileLogTail } from '../log-files/json-file-log.js';
import path from 'node:path';

/** What a layer that cannot be checked may mean in a copy. */
const INCOMPLETE_COPY =
  'the copy is incomplete or damaged (copy all of it again, keeping owners, links and extended attributes), or this piece was removed on the host';
/**
 * Where an image config holds environment values: the image's ENV (and, in images built by
 * the classic builder, the last build step's), and the ENV and build-argument values its
 * history and build commands record.
 */
const IMAGE_CONFIG_ENVIRONMENT: EnvironmentHeld = {
  envLists: ['config.Env', 'container_config.Env'],
  instructions: ['history.*.created_by', 'container_config.Cmd', 'config.Cmd'],
};

export class DeadBoxSource implements EvidenceSource {
  readonly kind = 'dead-box' as const;

  readonly containersPlace: ContainersPlace;

  constructor(readonly root: DataRoot) {
    this.containersPlace = {
      name: `the data root copy ${root.path}`,
      listCommand: `coroner list --docker-root ${root.path}${root.containerdRoot ? ` --containerd-root ${root.containerdRoot}` : ''}`,
    };
  }

  static async open(dir: string, containerdRoot?: string): Promise<DeadBoxSource> {
    return new DeadBoxSource(
      await openDataRoot(dir, containerdRoot === undefined ? {} : { containerdRoot }),
    );
  }

  async identity(): Promise<SourceIdentity> {
    const { path: at, storageDriver, containerdRoot } = this.root;
    return {
      kind: this.kind,
      described: `a copied Docker data root, ${at} (${storageDriver})${containerdRoot ? `, with the copy of containerd's root ${containerdRoot}` : ''}, read only; no engine contacted`,
      dataRoot: {
        path: this.root.path,
        storageDriver: this.root.storageDriver,
        ...(this.root.containerdRoot ? { containerdRoot: this.root.containerdRoot } : {}),
      },
    };
  }

  listContainers() {
    return listDataRootContainers(this.root);
  }

  async acquire(
    container: ContainerRef,
    folder: CaseFolder,
    custody: CustodyLog,
    opts: AcquireOptions,
  ): Promise<Acquisition> {
    const { root } = this;
    const cancelled = () => {
      if (opts.signal?.aborted) throw new Cancelled('reading the data root');
    };
    custody.record(
      'open a copied Docker data root, read only (no engine contacted)',
      root.path,
      'ok',
      root.storageDriver,
    );

    opts.onStep?.('inspect');
    const record = await custody.step(
      'read the container record (config.v2.json, hostconfig.json)',
      container.id,
      () => readContainer(root, container.id),
    );
    await folder.writeBuffer('container/config.v2.json', record.configBytes, {
      description: "the container's config.v2.json, as the engine left it in the data root",
      environment: { envLists: ['Config.Env'] },
    });
    if (record.hostConfigBytes)
      await folder.writeBuffer(
        'container/hostconfig.json',
        record.hostConfigBytes,
        "the container's hostconfig.json, as the engine left it in the data root",
      );
    const { config } = record;
    // An upgraded host keeps overlay2 containers and containerd-store ones side by side.
    const onContainerdStore = ranOnContainerdStore(record.configBytes);
    if (onContainerdStore && !root.containerdRoot)
      throw new DataRootRefused(
        `the container ${container.id.slice(0, 12)} ran on Docker's containerd image store (its record names the overlayfs snapshotter): its image and files are in containerd's root (/var/lib/containerd on the host), not in this data root`,
        "Name a copy of the host's containerd root as well: --containerd-root DIR (found by itself when it sits beside the data root, named containerd). This data root's overlay2 containers can be triaged from it alone.",
      );
    const layout: StoreLayout = onContainerdStore
      ? await custody.step(
          "open containerd's root, read only (its bbolt databases, every page checked)",
          root.containerdRoot!,
          () => containerdLayout(root.containerdRoot!, record),
          (l) => l.name,
        )
      : overlay2Layout(root, record);
    // The records say what they can; what is damaged is a note, and the rest is still read.
    const notCollected: NotCollected[] = [];
    const hostTampering: string[] = [];
    if (record.hostConfigProblem)
      notCollected.push({
        item: 'how the container ran (hostconfig.json: privileges, capabilities, devices, log driver)',
        reason: record.hostConfigProblem,
      });
    const image = await custody
      .step(
        `read the image config from ${layout.name} (checked against the image id or its digest)`,
        config.Image,
        () => layout.imageConfig(),
      )
      .catch((e: unknown) => {
        if (e instanceof ImageConfigAltered) {
          hostTampering.push(e.message);
          return { ...e.record, isAltered: true };
        }
        if (e instanceof StoreRecordAltered) hostTampering.push(e.message);
        if (!(e instanceof DataRootDamaged)) throw e;
        notCollected.push({
          item: 'the original image (its config, layers and the originals of changed files)',
          reason: e.message,
        });
        return undefined;
      });
    if (image)
      await folder.writeBuffer('image/config.json', image.bytes, {
        description:
          'isAltered' in image
            ? "the image's config as the data root holds it, which does NOT hash to the image id: altered on the host"
            : "the original image's config, from the data root's image database, by image id",
        environment: IMAGE_CONFIG_ENVIRONMENT,
      });
    cancelled();

    opts.onStep?.('logs');
    notCollected.push(
      {
        item: 'processes, memory, open files and network connections',
        reason: 'a dead box runs nothing: only what was on disk when the host stopped is there',
      },
      {
        item: '/dev/shm and tmpfs mounts',
        reason: 'they lived in memory and were gone when the host stopped',
      },
      { item: 'engine events', reason: 'no engine was contacted' },
    );
    const logDriver =
      (record.hostConfig as { LogConfig?: { Type?: string } } | null | undefined)?.LogConfig
        ?.Type ?? 'json-file';
    if (logDriver === 'json-file') {
      const logFile = path.join(root.path, 'containers', container.id, `${container.id}-json.log`);
      const tail = await custody
        .step(
          `read the last ${opts.logTailLines} lines of the json-file log`,
          logFile,
          async () => {
            await refuseLinks(root, logFile);
            return readJsonFileLogTail(logFile, opts.logTailLines, opts.logMaxBytes);
          },
          (t) =>
            `${t.stdout.length + t.stderr.length} bytes${t.unreadable ? `, ${t.unreadable} lines unreadable` : ''}`,
        )
        .catch((e: unknown) => {
          notCollected.push({
            item: 'logs',
            reason: `the json-file log could not be read (${(e as Error).message})`,
          });
          return undefined;
        });
      if (tail) {
        const what = `last ${opts.logTailLines} lines, at most ${opts.logMaxBytes} bytes read`;
        await folder.writeBuffer(
          'container/logs/stdout.log',
          tail.stdout,
          `container stdout (json-file log), ${what}`,
        );
        await folder.writeBuffer(
          'container/logs/stderr.log',
          tail.stderr,
          `container stderr (json-file log), ${what}`,
        );
      }
    } else
      notCollected.push({
        item: 'logs',
        reason: `the container used the ${logDriver} log driver; coroner reads json-file logs from a data root`,
      });

    // Without its writable layer there is no change list; the rest is still worth reading.
    const layerDirs = await custody
      .step(
        `locate the container's writable and init layers in ${layout.name}`,
        container.id,
        () => layout.containerLayers(),
        (d) => d.writable,
      )
      .catch((e: unknown) => {
        if (!(e instanceof DataRootDamaged)) throw e;
        notCollected.push({
          item: "the change list (the container's writable layer)",
          reason: e.message,
        });
        return undefined;
      });
    const diffIds = image?.config.rootfs?.diff_ids ?? [];
    const layerRecords: ProvedLayer[] = await layout
      .imageLayers(diffIds)
      .catch((e: unknown) => {
        if (!(e instanceof DataRootDamaged)) throw e;
        notCollected.push({
          item: "the original image's layers (and the originals of changed files)",
          reason: e.message,
        });
        return [];
      })
      .finally(() => layout.close());
    const readAt = new Date().toISOString();
    const reads = readLayerFolders(
      {
        ...(layerDirs ? { container: layerDirs } : {}),
        layers: layerRecords,
        imageId: config.Image,
        ...(image ? { imageConfig: image.config } : {}),
        incomplete: INCOMPLETE_COPY,
      },
      folder,
      custody,
      opts,
      notCollected,
    );

    return {
      subject: {
        id: container.id,
        name: container.name,
        imageRef: config.Config?.Image ?? config.Image,
        imageId: config.Image,
        createdAt: config.Created ?? '',
        stateAtStart: {
          status: `stopped with the host (the engine recorded it ${config.State?.Running ? 'running' : 'not running'})`,
          isRunning: false,
          isPaused: false,
        },
      },
      runtime: runtimeFromDocker({
        Config: config.Config ?? null,
        HostConfig: record.hostConfig ?? null,
        Mounts: mountsOf(config),
      }),
      evidence: {
        kind: 'layer-folder',
        dataRoot: root.path,
        layerDir: layerDirs?.writable ?? '',
        readAt,
        whereKept: `the copied Docker data root itself (${root.path}), which stays with the responder; every changed file is in case/ with the hash taken when it was read`,
        described: `the container's writable layer ${layerDirs?.writable ?? '(missing)'}, read from ${layout.name} (read ${readAt})`,
      },
      notCollected,
      hostTampering,

      ...reads,

      mountChanges: async () => {
        const images = await reads.originalLayers();
        const image = { indexes: images.indexes, dirs: layerRecords.map((l) => l.dir) };
        const mounts: MountToCompare[] = [];
        for (const m of mountsOf(config)) {
          if (m.Type !== 'volume' || !m.Name) {
            if (m.Type === 'bind')
              notCollected.push({
                item: `the bind mount at ${m.Destination}`,
                reason: `it is a folder of the host (${m.Source}), not of the data root: examine it there`,
              });
            continue;
          }
          if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(m.Name)) continue; // not a name the engine allows
          const name = m.Name;
          const place = { type: 'volume', destination: m.Destination ?? '/', name };
          const dir = path.join(root.path, 'volumes', name, '_data');
          const link = await refuseLinks(root, dir).then(
            () => undefined,
            (e: unknown) => {
              if (e instanceof DataRootLink) return e;
              throw e;
            },
          );
          if (link) {
            notCollected.push({ item: `the volume ${name}`, reason: link.message });
            continue;
          }
          mounts.push({
            dir,
            place,
            step: `compare the volume ${name} at ${place.destination} with the image's content there`,
            unreadable: (e) => ({
              item: `the volume ${name}`,
              reason: `not in the data root copy (${e.message})`,
            }),
          });
        }
        return compareMounts(mounts, image, folder, custody, opts, notCollected);
      },
    };
  }
}

/** Whether a container record names the containerd store's snapshotter as its driver. */
function ranOnContainerdStore(configBytes: Buffer): boolean {
  try {
    return (
      (JSON.parse(configBytes.toString('utf8')) as { Driver?: unknown }).Driver === 'overlayfs'
    );
  } catch {
    return false;
  }
}
