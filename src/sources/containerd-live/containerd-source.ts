/**
 * A containerd on this host as an evidence source, through its own gRPC API: what runs a
 * Kubernetes node's pods (no Docker on EKS, GKE or AKS nodes). The freeze pauses the task
 * (the cgroup freezer, as `docker pause`), takes the container's record and spec, its
 * processes from the task's pids read on the host, the kubelet's CRI log file, then its
 * writable layer: an OCI layer tar of the upper dir kept in the case and the current
 * version of every path in it, before the task runs on. The upper dir is the one the
 * snapshotter names, the kernel's root overlay of the task and containerd's own metadata
 * agree on; the image's layers are containerd's snapshot folders, each checked against its
 * blob. An OCI image of the evidence is left in containerd's content store under a lease.
 * Nothing runs inside the container.
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { Cancelled } from '../../errors.js';
import { utcStamp } from '../../iso-time.js';
import type { EvidenceRecord, NotCollected, SourceIdentity } from '../../report/triage-report.js';
import { connectContainerd } from '../containerd-api/containerd-client.js';
import type {
  ContainerdAddress,
  ContainerdApi,
  ContainerRecord,
  Descriptor,
} from '../containerd-api/containerd-types.js';
import {
  BlobAltered,
  ContainerdRoot,
  type ImageLayersFound,
} from '../containerd-store/containerd-root.js';
import { provedContainerdLayers } from '../dead-box/store-layout.js';
import type {
  Acquisition,
  AcquireOptions,
  ContainerSummary,
  EvidenceSource,
  MountsRead,
} from '../evidence-source.js';
import { compareExecutables } from '../layer-store/executables.js';
import { compareMounts, type MountToCompare } from '../layer-store/compare-mount.js';
import { readLayerFolders } from '../layer-store/folder-acquisition.js';
import type { ProvedLayer } from '../layer-store/proved-layer.js';
import { DEFAULT_POD_LOGS } from '../log-files/cri-log.js';
import type { ContainerRef } from '../pick-container.js';
import {
  criName,
  matchSubject,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
} from '../containerd-api/cri-names.js';
import { isSandbox, podContainerName, podLabelsOf, type PodContainer } from './cri-pod.js';
import { ociArchive, writeEvidenceImage } from './evidence-image.js';
import { ContainerdUnusable, freezePod, type PodFreeze } from './pod-freeze.js';

export { ContainerdUnusable };
import { parseOciSpec, runtimeFromOciSpec } from '../oci-runtime.js';

/** Where the kubelet keeps a pod's volumes: `<uid>/volumes/kubernetes.io~<kind>/<name>`. */
const KUBELET_VOLUME = /\/pods\/[0-9a-f-]{36}\/volumes\/kubernetes\.io~([a-z-]+)\/([^/]+)$/;
/** Volume kinds whose files are the cluster's secrets and settings, not the pod's writing. */
const SECRET_VOLUMES = new Set(['secret', 'projected', 'configmap', 'downward-api']);
/** A manifest is small; a larger blob is not one. */
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
const INCOMPLETE =
  'the snapshot folder no longer matches its blob: it was changed on the host after containerd unpacked it';

export interface ContainerdSourceOptions {
  /** The kubelet's pod log folder (`/var/log/pods`). */
  podLogs?: string;
}

export class ContainerdSource implements EvidenceSource {
  readonly kind = 'containerd' as const;
  private readonly podLogs: string;

  constructor(
    readonly api: ContainerdApi,
    opts: ContainerdSourceOptions = {},
  ) {
    this.podLogs = opts.podLogs ?? DEFAULT_POD_LOGS;
  }

  static async connect(
    address: ContainerdAddress,
    opts: ContainerdSourceOptions = {},
  ): Promise<ContainerdSource> {
    return new ContainerdSource(await connectContainerd(address), opts);
  }

  /** The pod relaunch's host (kubernetes-relaunch.ts): twins and the quarantine go through this containerd. */
  containerdApi(): ContainerdApi {
    return this.api;
  }

  /** The node's name as the kubelet registers it by default: the host name. */
  nodeName(): string {
    return os.hostname();
  }

  get containersPlace() {
    const { address, namespace } = this.api.address;
    return {
      name: `containerd at ${address} (namespace ${namespace})`,
      listCommand: `coroner list --containerd ${address}`,
    };
  }

  async identity(): Promise<SourceIdentity> {
    const { version } = await this.api.version();
    const { address, namespace } = this.api.address;
    return {
      kind: this.kind,
      described: `containerd ${version} at ${address}, namespace ${namespace}, on ${os.hostname()}`,
      containerd: { address, namespace, version },
    };
  }

  /** `namespace/pod/container`, `pod/container` or an id; of a restarted container's namesakes, the running one. */
  pick(ref: string, containers: readonly ContainerSummary[]): ContainerRef {
    const running = new Set(containers.filter((c) => c.state === 'running').map((c) => c.id));
    const found = matchSubject(ref, containers, { running });
    return { id: found.id, name: found.names[0] ?? found.id.slice(0, 12) };
  }

  async listContainers(): Promise<ContainerSummary[]> {
    const [containers, images] = await Promise.all([this.api.containers(), this.api.images()]);
    const targets = new Map(images.map((i) => [i.name, i.target.digest]));
    const summaries: ContainerSummary[] = [];
    for (const c of containers) {
      if (isSandbox(c.labels)) continue;
      const task = await this.api.task(c.id).catch(() => undefined);
      const pod = criName(c.labels);
      summaries.push({
        id: c.id,
        names: pod ? [podContainerName(pod)] : [],
        image: c.image,
        imageId: targets.get(c.image) ?? '',
        state: task?.status ?? 'created',
        status: task ? `${task.status}${task.pid ? `, pid ${task.pid}` : ''}` : 'no task',
        createdAt: c.createdAt ?? '',
        labels: c.labels,
      });
    }
    return summaries;
  }

  /**
   * The evidence image as an OCI archive, streamed from the content store: the image the
   * triage recorded, by the digest it recorded (a record retargeted since is refused).
   */
  async saveEvidence(evidence: EvidenceRecord): Promise<Readable> {
    if (evidence.kind !== 'image') throw new Error('this case keeps no evidence image');
    const name = `${evidence.repo}:${evidence.tag}`;
    const image = await this.api.image(name);
    if (image?.target.digest !== evidence.id)
      throw new ContainerdUnusable(
        image
          ? `containerd's record of the evidence image ${name} now names ${image.target.digest}, not the ${evidence.id} the triage made: it was changed on the node`
          : `containerd has no evidence image ${name} any more (its lease was deleted, or the image removed)`,
        'The case folder keeps the writable layer as evidence/writable-layer.tar; export with --no-image to bundle the case alone.',
      );
    const bytes = await readAtMost(this.api.readContent(image.target.digest), MAX_MANIFEST_BYTES);
    if (sha256Digest(bytes) !== evidence.id)
      throw new ContainerdUnusable(
        `the content store's blob ${evidence.id} does not hash to its digest: it was changed on the node`,
        'Treat the node as compromised; the case folder keeps the writable layer as evidence/writable-layer.tar.',
      );
    const manifest = JSON.parse(bytes.toString('utf8')) as {
      config: Descriptor;
      layers: Descriptor[];
    };
    return ociArchive(this.api, { name, manifest: image.target }, manifest);
  }

  async acquire(
    ref: ContainerRef,
    folder: CaseFolder,
    custody: CustodyLog,
    opts: AcquireOptions,
  ): Promise<Acquisition> {
    const { api } = this;
    const namespace = api.address.namespace;
    const notCollected: NotCollected[] = [];
    const hostTampering: string[] = [];

    opts.onStep?.('inspect');
    const record = await custody.step(
      "read the container's record from containerd (labels, runtime spec, snapshot)",
      ref.id,
      async () => {
        const c = await api.container(ref.id);
        if (!c)
          throw new ContainerdUnusable(
            `containerd has no container ${ref.id} in namespace ${namespace}`,
            `List them with \`coroner list --containerd ${api.address.address}\`.`,
          );
        return c;
      },
    );
    const spec = parseOciSpec(record.spec?.value);
    await writeRecord(folder, record, spec);
    // The kubelet restarts a pod's containers as the pod's restartPolicy says; the spec cannot.
    const facts = runtimeFromOciSpec(spec, 'set by the pod (the kubelet restarts it)');
    const pod = criName(record.labels);
    const task = await api.task(record.id);
    const sandboxLabels = pod ? await this.sandboxLabels(pod) : undefined;
    if (pod)
      await folder.writeJson(
        'container/pod.json',
        { ...pod, podLabels: sandboxLabels ?? {} },
        "the pod the container belongs to (its CRI labels), and the pod's labels from its sandbox",
      );

    const frozen = await freezePod(
      this.api,
      this.podLogs,
      { record, task, spec, pod },
      folder,
      custody,
      opts,
    );
    const { wasRunning, processes, memory, upper, root, layer: frozenLayer } = frozen;
    notCollected.push(...frozen.notCollected, {
      item: 'engine events (execs, starts, stops)',
      reason:
        "containerd keeps no history of its events (its events service only streams what happens from now on); an exec's processes, if still running, are among the processes",
    });
    const readAt = new Date().toISOString();

    // The image: containerd's records of it, each layer's folder proved by its blob.
    const image = await api.image(record.image);
    let found: ImageLayersFound | undefined;
    let layers: ProvedLayer[] = [];
    if (!image)
      notCollected.push({
        item: 'the original image (its config, layers and the originals of changed files)',
        reason: `containerd has no image named ${JSON.stringify(record.image)} any more`,
      });
    else {
      const store = await ContainerdRoot.open(root, { isLive: true });
      try {
        found = await custody.step(
          `read the image's manifest and config from containerd's content store (${root})`,
          image.target.digest,
          () => store.imageLayers(namespace, image.target.digest, platform()),
        );
        await folder.writeBuffer('image/config.json', found.configBytes, {
          description: "the original image's config, from containerd's content store, by digest",
          environment: { envLists: ['config.Env'], instructions: ['history.*.created_by'] },
        });
        layers = await provedContainerdLayers(store, found.layers);
      } catch (e) {
        if (e instanceof Cancelled) throw e;
        if (e instanceof BlobAltered)
          hostTampering.push(
            `${(e as Error).message}, so the image it describes is not proven the original`,
          );
        notCollected.push({
          item: "the original image's layers (and the originals of changed files)",
          reason: (e as Error).message,
        });
      } finally {
        await store.close();
      }
    }

    // The evidence image, from the tar in the case: the task runs again by now.
    const evidence = await this.evidenceImage(
      { record, pod, found, frozen, readAt },
      folder,
      custody,
      notCollected,
    );

    const reads = readLayerFolders(
      {
        container: { writable: upper },
        layers,
        imageId: image?.target.digest ?? '',
        ...(found ? { imageConfig: found.config as never } : {}),
        incomplete: INCOMPLETE,
        frozen: { index: frozenLayer.index, currents: frozenLayer.currents },
      },
      folder,
      custody,
      opts,
      notCollected,
    );

    return {
      subject: {
        id: record.id,
        name: pod ? podContainerName(pod) : record.id,
        imageRef: record.image,
        imageId: image?.target.digest ?? '',
        createdAt: record.createdAt ?? '',
        stateAtStart: {
          status: task ? task.status : 'created, no task',
          isRunning: wasRunning,
          isPaused: task?.status === 'paused',
        },
        ...(facts.command.length ? { command: facts.command } : {}),
      },
      runtime: facts.runtime,
      evidence,
      notCollected,
      hostTampering,
      ...reads,
      mountChanges: async () => {
        const images = await reads.originalLayers();
        const read: MountsRead['read'] = memory.read.map((destination: string) => ({
          type: 'tmpfs',
          destination,
        }));
        const volumes = await this.podVolumes(spec, notCollected, read);
        if (!volumes.length || !images.indexes.length) return { changes: memory.changes, read };
        const compared = await compareMounts(
          volumes,
          { indexes: images.indexes, dirs: layers.map((l) => l.dir) },
          folder,
          custody,
          {
            maxContentBytes: opts.maxContentBytes,
            ...(opts.signal ? { signal: opts.signal } : {}),
          },
          notCollected,
        );
        return {
          changes: [...memory.changes, ...compared.changes],
          read: [...read, ...compared.read],
        };
      },
      ...(processes
        ? {
            processes: async () => {
              const images = await reads.originalLayers();
              if (images.indexes.length)
                await compareExecutables(processes!, {
                  indexes: images.indexes,
                  dirs: layers.map((l) => l.dir),
                });
              return processes!;
            },
          }
        : {}),
    };
  }

  /** The pod's labels, from its sandbox: the container of the same pod the CRI plugin marks so. */
  private async sandboxLabels(pod: PodContainer): Promise<Record<string, string> | undefined> {
    const all = await this.api.containers();
    const sandbox = all.find(
      (c) =>
        isSandbox(c.labels) &&
        c.labels[POD_NAMESPACE_LABEL] === pod.namespace &&
        c.labels[POD_NAME_LABEL] === pod.pod &&
        c.labels[POD_UID_LABEL] === pod.uid,
    );
    return sandbox ? podLabelsOf(sandbox.labels) : undefined;
  }

  /** The pod's volumes from the spec: emptyDirs and hostPaths compared with the image, secrets only named. */
  private async podVolumes(
    spec: Record<string, unknown> | undefined,
    notCollected: NotCollected[],
    read: MountsRead['read'],
  ): Promise<MountToCompare[]> {
    const mounts = Array.isArray(spec?.['mounts'])
      ? (spec['mounts'] as Record<string, unknown>[])
      : [];
    const compare: MountToCompare[] = [];
    for (const m of mounts) {
      const source = typeof m?.['source'] === 'string' ? m['source'] : '';
      const destination = typeof m?.['destination'] === 'string' ? m['destination'] : '';
      if (!source.startsWith('/') || !destination.startsWith('/')) continue;
      const options = Array.isArray(m['options']) ? m['options'] : [];
      if (m['type'] !== 'bind' && !options.includes('bind') && !options.includes('rbind')) continue;
      const kubelet = KUBELET_VOLUME.exec(source);
      if (kubelet && SECRET_VOLUMES.has(kubelet[1]!)) {
        read.push({
          type: kubelet[1]!,
          destination,
          name: kubelet[2]!,
          note: 'named only: its values are never read',
        });
        continue;
      }
      // The kubelet's own files (hosts, resolv.conf, termination log) and bound files are not folders of the pod.
      if (!(await lstat(source).catch(() => undefined))?.isDirectory()) continue;
      const type = kubelet ? kubelet[1]! : 'hostPath';
      if (type !== 'empty-dir') {
        notCollected.push({
          item: `the ${type} volume at ${destination}`,
          reason: `it is a folder of the node (${source}), shared beyond this pod: examine it there`,
        });
        continue;
      }
      compare.push({
        dir: source,
        place: { type: 'emptyDir', destination, name: kubelet![2]! },
        step: `compare the emptyDir ${kubelet![2]} at ${destination} with the image's content there`,
        unreadable: (e) => ({ item: `the emptyDir at ${destination}`, reason: e.message }),
      });
    }
    return compare;
  }

  /**
   * The evidence image in containerd's content store, made from the layer tar in the case;
   * where it cannot be made, the tar in the case is the evidence, and says so.
   */
  private async evidenceImage(
    of: {
      record: ContainerRecord;
      pod: PodContainer | undefined;
      found: ImageLayersFound | undefined;
      frozen: PodFreeze;
      readAt: string;
    },
    folder: CaseFolder,
    custody: CustodyLog,
    notCollected: NotCollected[],
  ): Promise<EvidenceRecord> {
    const { record, pod, found, readAt } = of;
    const { upper, root, layerTar: layer, wasRunning: wasPaused } = of.frozen;
    const inCase: EvidenceRecord = {
      kind: 'layer-folder',
      dataRoot: root,
      layerDir: upper,
      readAt,
      whereKept:
        'the case itself: evidence/writable-layer.tar, the OCI layer tar of the writable layer made while the task was paused',
      described: `the container's writable layer ${upper}, kept as evidence/writable-layer.tar in the case (read ${readAt})`,
    };
    if (!found) {
      notCollected.push({
        item: "an evidence image in containerd's content store",
        reason:
          "the original image's manifest could not be read, so no image can be built on it; the layer tar is in the case",
      });
      return inCase;
    }
    const repo = `coroner-evidence/${pod ? podContainerName(pod) : record.id}`;
    const tag = utcStamp(new Date());
    try {
      const originalLayers: Descriptor[] = [];
      for (const l of found.layers)
        originalLayers.push({
          mediaType: l.mediaType,
          digest: l.digest,
          size: l.size || (await blobSize(root, l.digest)),
        });
      const image = await custody.step(
        "write the evidence image into containerd's content store, under a lease",
        `${repo}:${tag}`,
        () =>
          writeEvidenceImage(this.api, {
            repo,
            tag,
            originalConfig: found.config,
            originalLayers,
            layer: {
              file: folder.locate('evidence/writable-layer.tar'),
              digest: `sha256:${layer.sha256}`,
              size: layer.sizeBytes,
            },
            createdBy: `coroner: the writable layer of ${pod ? podContainerName(pod) : record.id} (${record.id})`,
            labels: { 'coroner.evidence.for': record.id, 'coroner.evidence.at': readAt },
          }),
        (i) => `${i.manifest.digest}, lease ${i.lease}`,
      );
      await folder.writeBuffer(
        'evidence/manifest.json',
        image.manifestBytes,
        "the evidence image's manifest",
      );
      await folder.writeBuffer('evidence/config.json', image.configBytes, {
        description: "the evidence image's config (the original's, with the evidence layer added)",
        environment: { envLists: ['config.Env'], instructions: ['history.*.created_by'] },
      });
      return {
        kind: 'image',
        id: image.manifest.digest,
        repo,
        tag,
        committedAt: readAt,
        wasPaused,
      };
    } catch (e) {
      if (e instanceof Cancelled) throw e;
      notCollected.push({
        item: "an evidence image in containerd's content store",
        reason: `${(e as Error).message}; the layer tar is in the case`,
      });
      return inCase;
    }
  }
}

async function readAtMost(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.destroy();
      throw new ContainerdUnusable(
        `a manifest of over ${max} bytes is not one`,
        'Treat the node as compromised.',
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function blobSize(root: string, digest: string): Promise<number> {
  return (
    await lstat(path.join(root, 'io.containerd.content.v1.content/blobs/sha256', digest.slice(7)))
  ).size;
}

/** Node's names for architectures, in Go's (OCI platforms use Go's). */
function platform() {
  const arch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return { os: 'linux', architecture: arch[os.arch()] ?? os.arch() };
}

/** The container's record and its spec, as containerd gave them. */
async function writeRecord(
  folder: CaseFolder,
  record: ContainerRecord,
  spec: Record<string, unknown> | undefined,
): Promise<void> {
  const { spec: raw, extensions, ...rest } = record;
  await folder.writeJson(
    'container/containerd-container.json',
    {
      ...rest,
      spec: raw ? { typeUrl: raw.typeUrl, bytes: raw.value.length } : null,
      extensions: Object.fromEntries(
        Object.entries(extensions).map(([k, v]) => [
          k,
          { typeUrl: v.typeUrl, bytes: v.value.length },
        ]),
      ),
    },
    "the container's record in containerd (its spec in spec.json)",
  );
  if (raw)
    await folder.writeBuffer('container/spec.json', raw.value, {
      description: spec
        ? "the container's OCI runtime spec, as containerd holds it"
        : "the container's runtime spec as containerd holds it (not JSON: not read)",
      environment: { envLists: ['process.env'] },
    });
}
