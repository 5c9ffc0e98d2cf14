/**
 * What a containerd root (`/var/lib/containerd`, or a copy of it) says about a container's
 * filesystem and its image, read from the files themselves: the metadata database
 * (`io.containerd.metadata.v1.bolt/meta.db`), the overlayfs snapshotter's database and
 * folders (`io.containerd.snapshotter.v1.overlayfs`), and the content store
 * (`io.containerd.content.v1.content/blobs`). Docker's containerd image store keeps its
 * containers' and images' filesystems here (namespace `moby`), the kubelet's CRI plugin
 * its pods' (namespace `k8s.io`).
 *
 * The root may come from a compromised host: every blob read is checked against its
 * digest, every folder is reached without following a link, chains are bounded and loops
 * stopped, and what the databases hold is type-checked before use.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { BoltFile, BoltFormatError, type BoltBucket } from './bbolt.js';

export class ContainerdRootError extends Error {}

/** A blob of the content store that no longer hashes to its digest: changed on the host. */
export class BlobAltered extends ContainerdRootError {}

const META_DB = 'io.containerd.metadata.v1.bolt/meta.db';
const OVERLAYFS = 'io.containerd.snapshotter.v1.overlayfs';
const BLOBS = 'io.containerd.content.v1.content/blobs';
/** Layers in one image: far above any real image (Docker's limit is 125), bounded all the same. */
const MAX_CHAIN = 512;
/** Manifests, indexes and configs are small; a larger blob is refused before it is read. */
const MAX_JSON_BLOB_BYTES = 8 * 1024 * 1024;

export type SnapshotKind = 'view' | 'active' | 'committed' | 'unknown';

export interface SnapshotFolder {
  /** The snapshot's key in the namespace (a container id, `<id>-init`, a chain id). */
  key: string;
  /** The snapshotter's own name for it (`<namespace>/<txid>/<key>`). */
  name: string;
  kind: SnapshotKind;
  /** Its folder: `<root>/io.containerd.snapshotter.v1.overlayfs/snapshots/<id>/fs`. */
  dir: string;
}

export interface ImageTarget {
  name: string;
  digest: string;
  mediaType: string;
}

export interface ImageLayersFound {
  /** The manifest the platform chose (the target itself when it is no index). */
  manifestDigest: string;
  configDigest: string;
  /** The config as stored (its digest checked). */
  config: Record<string, unknown>;
  /** Its bytes, as the content store holds them. */
  configBytes: Buffer;
  /** Bottom first: each layer's blob digest and media type, diff id, chain id and snapshot. */
  layers: {
    digest: string;
    mediaType: string;
    /** The blob's size as the manifest gives it (0 when it gives none). */
    size: number;
    diffId: string;
    chainId: string;
    snapshot?: SnapshotFolder;
  }[];
}

export class ContainerdRoot {
  private constructor(
    readonly root: string,
    private readonly meta: BoltFile,
    private readonly snapshots: BoltFile | undefined,
  ) {}

  /**
   * Opens the databases of the containerd root `root`; a folder without them is named so.
   * `isLive`: a running containerd writes them, so each is read from a consistent copy.
   */
  static async open(root: string, opts: { isLive?: boolean } = {}): Promise<ContainerdRoot> {
    const metaPath = path.join(root, META_DB);
    await refuseLinks(root, META_DB);
    let meta: BoltFile;
    try {
      meta = await BoltFile.open(metaPath, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ContainerdRootError(
          `${root} is not a containerd root: it has no ${META_DB}. Name the folder that holds it (usually /var/lib/containerd).`,
        );
      throw e;
    }
    const snapshotsDb = path.join(root, OVERLAYFS, 'metadata.db');
    let snapshots: BoltFile | undefined;
    try {
      await refuseLinks(root, path.join(OVERLAYFS, 'metadata.db'));
      snapshots = await BoltFile.open(snapshotsDb, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        await meta.close();
        throw e;
      }
    }
    return new ContainerdRoot(root, meta, snapshots);
  }

  close(): Promise<void> {
    return Promise.all([this.meta.close(), this.snapshots?.close()]).then(() => undefined);
  }

  /** The namespaces this root holds (`moby`, `k8s.io`, `default`…). */
  async namespaces(): Promise<string[]> {
    const v1 = await this.meta.bucketAt(['v1']);
    const names: string[] = [];
    if (!v1) return names;
    for await (const e of v1.entries()) if (e.bucket) names.push(e.key.toString('utf8'));
    return names;
  }

  /**
   * The namespace holding container `id`'s snapshot, and its chain (snapshotChain), or
   * undefined where none does. Docker's namespace (`moby`) is tried first: its daemon uses
   * another only when told to.
   */
  async containerSnapshot(
    id: string,
  ): Promise<{ namespace: string; chain: SnapshotFolder[] } | undefined> {
    const names = await this.namespaces();
    for (const namespace of ['moby', ...names.filter((n) => n !== 'moby')]) {
      if (!names.includes(namespace)) continue;
      const chain = await this.snapshotChain(namespace, id).catch(() => undefined);
      if (chain?.length) return { namespace, chain };
    }
    return undefined;
  }

  /**
   * The overlayfs snapshot `key` of `namespace` and its parents, top first: for a Docker
   * container, its own (the writable layer), `<id>-init`, then the image's layers.
   */
  async snapshotChain(namespace: string, key: string): Promise<SnapshotFolder[]> {
    const { inNamespace, byName } = await this.snapshotBuckets(namespace);
    const chain: SnapshotFolder[] = [];
    const seen = new Set<string>();
    for (let current: string | undefined = key; current !== undefined;) {
      if (seen.has(current))
        throw new ContainerdRootError(`snapshot "${current}" is its own ancestor (a forged chain)`);
      if (chain.length >= MAX_CHAIN)
        throw new ContainerdRootError(`snapshot "${key}" has more than ${MAX_CHAIN} parents`);
      seen.add(current);
      const { folder, parent } = await this.snapshotFolder(
        inNamespace,
        byName,
        namespace,
        current,
        chain.at(-1)?.key,
      );
      chain.push(folder);
      current = parent;
    }
    return chain;
  }

  /** The namespace's overlayfs snapshots in containerd's metadata, and the snapshotter's. */
  private async snapshotBuckets(
    namespace: string,
  ): Promise<{ inNamespace: BoltBucket; byName: BoltBucket }> {
    const inNamespace = await this.meta.bucketAt(['v1', namespace, 'snapshots', 'overlayfs']);
    if (!inNamespace)
      throw new ContainerdRootError(
        `containerd's metadata has no overlayfs snapshots in namespace "${namespace}"`,
      );
    if (!this.snapshots)
      throw new ContainerdRootError(
        `${path.join(this.root, OVERLAYFS, 'metadata.db')} is missing: the snapshots' folders cannot be found (an incomplete copy?)`,
      );
    const byName = await this.snapshots.bucketAt(['v1', 'snapshots']);
    if (!byName)
      throw new ContainerdRootError("the overlayfs snapshotter's database lists no snapshots");
    return { inNamespace, byName };
  }

  /** One snapshot's folder and its parent's key, from both databases. */
  private async snapshotFolder(
    inNamespace: BoltBucket,
    byName: BoltBucket,
    namespace: string,
    key: string,
    child: string | undefined,
  ): Promise<{ folder: SnapshotFolder; parent: string | undefined }> {
    const record = await inNamespace.bucket(key);
    if (!record)
      throw new ContainerdRootError(
        `containerd's metadata has no snapshot "${key}" in namespace "${namespace}"${child !== undefined ? ` (the parent of "${child}")` : ''}`,
      );
    const name = await text(record, 'name');
    if (!name) throw new ContainerdRootError(`snapshot "${key}" has no backend name`);
    const backend = await byName.bucket(name);
    if (!backend)
      throw new ContainerdRootError(
        `the overlayfs snapshotter has no snapshot "${name}" (an incomplete copy?)`,
      );
    const id = uvarint(await backend.get('id'));
    if (id === undefined)
      throw new ContainerdRootError(`the overlayfs snapshot "${name}" has no valid id`);
    const kindByte = (await backend.get('kind'))?.[0];
    // The folder is named by the number alone: no key or name from the database reaches a path.
    const dir = path.join(this.root, OVERLAYFS, 'snapshots', String(id), 'fs');
    await refuseLinks(this.root, path.join(OVERLAYFS, 'snapshots', String(id), 'fs'));
    return {
      folder: { key, name, kind: KINDS[kindByte ?? 0] ?? 'unknown', dir },
      parent: await text(record, 'parent'),
    };
  }

  /** The image records of a namespace, by name. */
  async images(namespace: string): Promise<ImageTarget[]> {
    const images = await this.meta.bucketAt(['v1', namespace, 'images']);
    const found: ImageTarget[] = [];
    if (!images) return found;
    for await (const e of images.entries()) {
      if (!e.bucket) continue;
      const target = await e.bucket.bucket('target');
      const digest = target && (await text(target, 'digest'));
      if (!target || !digest || !isDigest(digest)) continue;
      found.push({
        name: e.key.toString('utf8'),
        digest,
        mediaType: (await text(target, 'mediatype')) ?? '',
      });
    }
    return found;
  }

  /**
   * An image's layers from its target digest (a manifest or an index: the index's entry
   * for `platform` is taken), each blob checked against its digest, each layer's snapshot
   * found by its chain id where it is unpacked.
   */
  async imageLayers(
    namespace: string,
    targetDigest: string,
    platform: { os: string; architecture: string } = { os: 'linux', architecture: 'amd64' },
  ): Promise<ImageLayersFound> {
    let manifestDigest = targetDigest;
    let manifest = (await this.jsonBlob(targetDigest)).value;
    if (Array.isArray(manifest['manifests'])) {
      const entries = manifest['manifests'] as unknown[];
      // An entry may be anything the blob's author wrote: null, a number, a string.
      const chosen = entries.find((m) => {
        const p = (m as { platform?: { os?: unknown; architecture?: unknown } } | null)?.platform;
        return p?.os === platform.os && p?.architecture === platform.architecture;
      }) as { digest?: unknown } | undefined;
      if (typeof chosen?.digest !== 'string' || !isDigest(chosen.digest))
        throw new ContainerdRootError(
          `the image index ${targetDigest} has no manifest for ${platform.os}/${platform.architecture}`,
        );
      manifestDigest = chosen.digest;
      manifest = (await this.jsonBlob(manifestDigest)).value;
    }
    const configDigest = (manifest['config'] as { digest?: unknown } | undefined)?.digest;
    const layers = manifest['layers'];
    if (typeof configDigest !== 'string' || !isDigest(configDigest) || !Array.isArray(layers))
      throw new ContainerdRootError(`the manifest ${manifestDigest} names no config or layers`);
    const { value: config, bytes: configBytes } = await this.jsonBlob(configDigest);
    const diffIds = (config['rootfs'] as { diff_ids?: unknown } | undefined)?.diff_ids;
    if (
      !Array.isArray(diffIds) ||
      diffIds.length !== layers.length ||
      diffIds.length > MAX_CHAIN ||
      !diffIds.every((d): d is string => typeof d === 'string' && isDigest(d))
    )
      throw new ContainerdRootError(
        `the config ${configDigest} does not list one diff id per layer of its manifest`,
      );
    const snapshots = await this.meta.bucketAt(['v1', namespace, 'snapshots', 'overlayfs']);
    let buckets: { inNamespace: BoltBucket; byName: BoltBucket } | undefined;
    const found: ImageLayersFound['layers'] = [];
    let chainId = '';
    for (const [i, diffId] of diffIds.entries()) {
      chainId = i === 0 ? diffId : `sha256:${sha256(`${chainId} ${diffId}`)}`;
      const layer = layers[i] as { digest?: unknown; mediaType?: unknown; size?: unknown } | null;
      if (typeof layer?.digest !== 'string' || !isDigest(layer.digest))
        throw new ContainerdRootError(`layer ${i} of the manifest ${manifestDigest} has no digest`);
      // Each layer's own snapshot only: its parents are the layers below, found in their turn
      // (a chain per layer would cost the square of the layers).
      let snapshot: SnapshotFolder | undefined;
      if (snapshots && (await snapshots.bucket(chainId))) {
        buckets ??= await this.snapshotBuckets(namespace);
        const { inNamespace, byName } = buckets;
        snapshot = (await this.snapshotFolder(inNamespace, byName, namespace, chainId, undefined))
          .folder;
      }
      found.push({
        digest: layer.digest,
        mediaType: typeof layer.mediaType === 'string' ? layer.mediaType : '',
        size:
          Number.isSafeInteger(layer.size) && (layer.size as number) >= 0
            ? (layer.size as number)
            : 0,
        diffId,
        chainId,
        ...(snapshot ? { snapshot } : {}),
      });
    }
    return { manifestDigest, configDigest, config, configBytes, layers: found };
  }

  /** Where a blob of the content store is (a layer is streamed from here, and checked). */
  blobPath(digest: string): string {
    if (!isDigest(digest)) throw new ContainerdRootError(`"${digest}" is not a sha256 digest`);
    return path.join(this.root, BLOBS, 'sha256', digest.slice('sha256:'.length));
  }

  /**
   * A layer blob's file, every folder on the way to it a folder, not a link: a forged copy
   * must not lead the check into the responder's own files (the file itself is opened
   * without following a link by whoever reads it).
   */
  async layerBlobFile(digest: string): Promise<string> {
    const file = this.blobPath(digest);
    await refuseLinks(this.root, path.relative(this.root, path.dirname(file)));
    return file;
  }

  /** A small JSON blob of the content store, checked against its digest. */
  private async jsonBlob(
    digest: string,
  ): Promise<{ value: Record<string, unknown>; bytes: Buffer }> {
    const file = this.blobPath(digest);
    await refuseLinks(this.root, path.relative(this.root, file));
    let handle;
    try {
      // Non-blocking: a named pipe in a forged copy would otherwise hang the open forever.
      handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ContainerdRootError(
          `the content store has no blob ${digest} (an incomplete copy?)`,
        );
      throw e;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile())
        throw new ContainerdRootError(
          `the blob ${digest} in the content store is not a regular file (a named pipe, a device or a folder): refused`,
        );
      const size = stat.size;
      if (size > MAX_JSON_BLOB_BYTES)
        throw new ContainerdRootError(
          `the blob ${digest} is ${size} bytes: too large for a manifest or config`,
        );
      const bytes = Buffer.alloc(size);
      await handle.read(bytes, 0, size, 0);
      if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest)
        throw new BlobAltered(
          `the blob ${digest} in the content store does not match its digest: it was changed on the host`,
        );
      const parsed: unknown = JSON.parse(bytes.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new ContainerdRootError(`the blob ${digest} is not a JSON object`);
      return { value: parsed as Record<string, unknown>, bytes };
    } catch (e) {
      if (e instanceof SyntaxError)
        throw new ContainerdRootError(`the blob ${digest} is not valid JSON`);
      throw e;
    } finally {
      await handle.close();
    }
  }
}

const KINDS: Record<number, SnapshotKind> = { 1: 'view', 2: 'active', 3: 'committed' };

export function isDigest(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function text(bucket: BoltBucket, key: string): Promise<string | undefined> {
  const value = await bucket.get(key);
  return value === undefined ? undefined : value.toString('utf8');
}

/** Go's binary.Uvarint: the snapshotter stores ids this way. */
function uvarint(bytes: Buffer | undefined): number | undefined {
  if (!bytes) return undefined;
  let value = 0;
  for (let i = 0; i < Math.min(bytes.length, 8); i++) {
    value += (bytes[i]! & 0x7f) * 2 ** (7 * i);
    if ((bytes[i]! & 0x80) === 0) return Number.isSafeInteger(value) ? value : undefined;
  }
  return undefined;
}

/**
 * Each component of `relative` below `root` is a real folder or file, not a link: a copy
 * of a compromised host's root must not lead coroner into the responder's own files.
 */
async function refuseLinks(root: string, relative: string): Promise<void> {
  let at = root;
  for (const part of relative.split(path.sep).filter(Boolean)) {
    at = path.join(at, part);
    const st = await lstat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (!st) return; // what is missing is reported by whoever opens it
    if (st.isSymbolicLink())
      throw new ContainerdRootError(
        `${at} is a symbolic link in a containerd root: refused (a forged copy would lead outside it)`,
      );
  }
}

export { BoltFormatError };
