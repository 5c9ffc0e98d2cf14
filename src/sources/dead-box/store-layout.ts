/**
 * Where a dead box keeps a container's files and its image, by the store the container ran
 * on: overlay2's folders and records in the Docker data root, or, for Docker's containerd
 * image store (Docker 29's default), containerd's snapshots and content store in
 * containerd's root, found through its bbolt databases (containerd-root.ts). An upgraded
 * host holds both kinds of container; each is read from its own store, the same way after.
 */
import { lstat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BlobAltered,
  ContainerdRoot,
  isDigest,
  type ImageLayersFound,
} from '../containerd-store/containerd-root.js';
import {
  containerLayerDirs,
  DataRootDamaged,
  imageLayers,
  readImageConfig,
  type ContainerRecord,
  type DockerStore,
  type ImageRecord,
} from '../docker-store/image-store.js';
import type { ProvedLayer } from '../layer-store/proved-layer.js';

/** The image's own records, in the store, no longer match their digests: changed on the host. */
export class StoreRecordAltered extends DataRootDamaged {}

export interface StoreLayout {
  /** In custody's words: "overlay2 in the data root", "containerd's root /x". */
  readonly name: string;
  /** The container's writable layer folder, and the engine's init layer under it. */
  containerLayers(): Promise<{ writable: string; init?: string }>;
  /** The image config, checked against the image id or its digest. */
  imageConfig(): Promise<ImageRecord>;
  /** The image's layers, bottom first, each with what proves it. */
  imageLayers(diffIds: readonly string[]): Promise<ProvedLayer[]>;
  close(): Promise<void>;
}

/** Docker's overlay2 store, all in the data root. */
export function overlay2Layout(root: DockerStore, record: ContainerRecord): StoreLayout {
  const id = record.config.ID;
  return {
    name: `${root.storageDriver} in the data root`,
    async containerLayers() {
      const dirs = await containerLayerDirs(root, id);
      await requireFolder(
        dirs.writable,
        `${path.relative(root.path, dirs.writable)} is not in the data root copy`,
        DATA_ROOT_HINT,
      );
      return dirs;
    },
    imageConfig: () => readImageConfig(root, record.config.Image),
    async imageLayers(diffIds) {
      return (await imageLayers(root, diffIds)).map((l) => ({
        diffId: l.diffId,
        dir: l.dir,
        proof: { tarSplit: l.tarSplit },
      }));
    },
    close: async () => undefined,
  };
}

/**
 * Docker's containerd image store: the container's snapshot is keyed by its id (its init
 * snapshot `<id>-init` under it), its image found by the manifest its record names, each
 * layer's snapshot by chain id and proved by its blob.
 */
export async function containerdLayout(
  containerdRoot: string,
  record: ContainerRecord,
): Promise<StoreLayout> {
  const store = await damagedIfFails(() => ContainerdRoot.open(containerdRoot));
  const id = record.config.ID;
  const namespace = await damagedIfFails(async () => {
    const found = await store.containerSnapshot(id);
    if (found) return found.namespace;
    throw new DataRootDamaged(
      `containerd's root ${containerdRoot} holds no snapshot of container ${id} in any namespace (${(await store.namespaces()).join(', ') || 'none'})`,
      CONTAINERD_HINT,
    );
  }).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  let image: Promise<ImageLayersFound> | undefined;
  const found = () =>
    (image ??= damagedIfFails(() => {
      // The record names the manifest it ran (Docker 25+); else the image id is its target.
      const manifest = (record.config as { ImageManifest?: { digest?: unknown } }).ImageManifest
        ?.digest;
      const target =
        typeof manifest === 'string' && isDigest(manifest) ? manifest : record.config.Image;
      return store.imageLayers(namespace, target, {
        os: (record.config as { OS?: string }).OS || 'linux',
        architecture: GO_ARCH[os.arch()] ?? os.arch(),
      });
    }));
  return {
    name: `containerd's root ${containerdRoot} (namespace ${namespace})`,
    async containerLayers() {
      const chain = await damagedIfFails(() => store.snapshotChain(namespace, id));
      const writable = chain[0]!.dir;
      await requireFolder(
        writable,
        `${writable} is not in the copy of containerd's root`,
        CONTAINERD_HINT,
      );
      const init = chain[1]?.key === `${id}-init` ? chain[1].dir : undefined;
      return { writable, ...(init ? { init } : {}) };
    },
    async imageConfig() {
      const { config, configBytes } = await found();
      return { config: config as ImageRecord['config'], bytes: configBytes };
    },
    async imageLayers(diffIds) {
      const { layers } = await found();
      if (layers.length !== diffIds.length || layers.some((l, i) => l.diffId !== diffIds[i]))
        throw new DataRootDamaged(
          "the image's manifest and config name different layers",
          CONTAINERD_HINT,
        );
      return provedContainerdLayers(store, layers);
    },
    close: () => store.close(),
  };
}

/** Each layer's snapshot folder, proved by its blob in the content store. */
export async function provedContainerdLayers(
  store: ContainerdRoot,
  layers: ImageLayersFound['layers'],
): Promise<ProvedLayer[]> {
  const proved: ProvedLayer[] = [];
  for (const [i, l] of layers.entries()) {
    if (!l.snapshot)
      throw new DataRootDamaged(
        `layer ${i} of the image (${l.diffId}) is not unpacked in containerd's snapshotter`,
        CONTAINERD_HINT,
      );
    const file = await damagedIfFails(() => store.layerBlobFile(l.digest));
    proved.push({
      diffId: l.diffId,
      dir: l.snapshot.dir,
      proof: { blob: { path: file, digest: l.digest, mediaType: l.mediaType } },
    });
  }
  return proved;
}

const DATA_ROOT_HINT = 'The copy may be incomplete: copy all of the data root.';
const CONTAINERD_HINT =
  "The copy of containerd's root may be incomplete or damaged: copy all of it again (keeping owners, links and extended attributes).";

/** Node's names for architectures, in Go's (OCI platforms use Go's). */
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

/** What containerd's records cannot say becomes a damaged store, or an altered one. */
async function damagedIfFails<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof DataRootDamaged) throw e;
    if (e instanceof BlobAltered)
      throw new StoreRecordAltered(
        `${e.message}, so the image it describes is not proven the original`,
        'Treat the host as compromised; the image cannot be trusted as the original.',
      );
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new DataRootDamaged(
        `no permission to read containerd's root (${(e as Error).message})`,
        "Run coroner as root (sudo): a copied containerd root keeps the host's owners and modes.",
      );
    if (e instanceof Error && (code === undefined || code === 'ENOENT'))
      throw new DataRootDamaged(e.message, CONTAINERD_HINT);
    throw e;
  }
}

async function requireFolder(dir: string, missing: string, hint: string): Promise<void> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new DataRootDamaged(`its folder ${missing}`, hint);
}
