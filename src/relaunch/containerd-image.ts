/**
 * The original image as containerd keeps it, read without mounting or running anything:
 * its config from the content store (each blob checked against its digest, bounded), its
 * top chain id (what a twin's snapshot starts from), and its files from the snapshotter's
 * layer folders, a component at a time with lstat, so no link of the image's (which is the
 * suspect's to shape) is ever followed. Every value here is the suspect host's.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { CoronerError } from '../errors.js';
import type { ContainerdApi, MountSpec } from '../sources/containerd-api/containerd-types.js';

/** The original image could not be read from containerd's store as an image must be. */
export class TwinImageUnreadable extends CoronerError {
  constructor(message: string) {
    super(
      message,
      'Import the original image into containerd (k8s.io namespace), or relaunch with --no-learn.',
    );
  }
}

const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** At most this many entries of one folder are looked at. */
const MAX_FOLDER_ENTRIES = 10_000;

async function readBlob(api: ContainerdApi, digest: unknown): Promise<Buffer> {
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new TwinImageUnreadable(`a blob of the image is named by no sha256 digest`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of api.readContent(digest)) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new TwinImageUnreadable(`blob ${digest} is larger than 4 MiB`);
    chunks.push(chunk as Buffer);
  }
  const data = Buffer.concat(chunks);
  // The content store is the suspect host's: a blob is only what its digest says.
  const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  if (actual !== digest) throw new TwinImageUnreadable(`blob ${digest} does not match its digest`);
  return data;
}

/** OCI image spec: chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainId(diffIds: readonly string[]): string {
  let chain = diffIds[0]!;
  for (const diff of diffIds.slice(1))
    chain = `sha256:${createHash('sha256').update(`${chain} ${diff}`).digest('hex')}`;
  return chain;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };

/** The image's config (an index picks this platform's manifest), digest-checked, bounded. */
async function imageConfig(api: ContainerdApi, imageName: string): Promise<Record<string, any>> {
  const image = await api.image(imageName);
  if (!image) throw new TwinImageUnreadable(`containerd has no image named ${imageName}`);
  let manifest = JSON.parse((await readBlob(api, image.target.digest)).toString('utf8'));
  if (Array.isArray(manifest.manifests)) {
    const arch = GO_ARCH[process.arch] ?? process.arch;
    const pick = manifest.manifests.find(
      (m: { platform?: { os?: string; architecture?: string } }) =>
        m.platform?.os === 'linux' && m.platform.architecture === arch,
    );
    if (!pick) throw new TwinImageUnreadable(`image ${imageName} has no linux/${arch} manifest`);
    manifest = JSON.parse((await readBlob(api, pick.digest)).toString('utf8'));
  }
  return JSON.parse((await readBlob(api, manifest.config.digest)).toString('utf8'));
}

/** The image's top chain id, from its config's rootfs.diff_ids. */
export async function imageTopChainId(api: ContainerdApi, imageName: string): Promise<string> {
  const diffIds: unknown = (await imageConfig(api, imageName)).rootfs?.diff_ids;
  if (
    !Array.isArray(diffIds) ||
    diffIds.length === 0 ||
    !diffIds.every((d) => typeof d === 'string')
  )
    throw new TwinImageUnreadable(`image ${imageName} names no layers`);
  return chainId(diffIds as string[]);
}

/** The labels of an image's config (empty when the image is gone or names none). */
export async function imageConfigLabels(
  api: ContainerdApi,
  imageName: string,
): Promise<Record<string, string>> {
  const labels: unknown = await imageConfig(api, imageName)
    .then((c) => c.config?.Labels)
    .catch(() => undefined);
  if (!labels || typeof labels !== 'object') return {};
  return Object.fromEntries(
    Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Overlay's folders, from a snapshot's mount: the upper dir and the lower dirs, top first. */
export function overlayDirs(mounts: readonly MountSpec[]): { upper?: string; lower: string[] } {
  const m = mounts[0];
  if (!m) return { lower: [] };
  if (m.type === 'bind') return { lower: [m.source] };
  const option = (name: string) =>
    m.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const upper = option('upperdir');
  return { ...(upper ? { upper } : {}), lower: option('lowerdir')?.split(':') ?? [] };
}

/**
 * Where a path of the image lies in one layer, walked a component at a time with lstat so
 * that no link of the image's (which is the suspect's to shape) is ever followed: `found`
 * with its stats, `hidden` when this layer deletes it or replaces a folder on its way (a
 * whiteout, a file or a link), `absent` when the layer says nothing of it.
 */
async function inLayer(
  layer: string,
  parts: readonly string[],
): Promise<{ state: 'found'; full: string; st: Stats } | { state: 'hidden' | 'absent' }> {
  let full = layer;
  for (const [i, part] of parts.entries()) {
    full = path.join(full, part);
    const st = await lstat(full).catch(() => undefined);
    if (!st) return { state: 'absent' };
    if (st.isCharacterDevice() && st.rdev === 0) return { state: 'hidden' };
    if (i === parts.length - 1) return { state: 'found', full, st };
    if (!st.isDirectory()) return { state: 'hidden' };
  }
  return { state: 'absent' };
}

/** A container path's components, or undefined when it could leave the root (`..`). */
function partsOf(containerPath: string): string[] | undefined {
  const parts = containerPath.split('/').filter((p) => p && p !== '.');
  return parts.some((p) => p === '..') || parts.length === 0 ? undefined : parts;
}

/** A file of the image, through its layers top first, never through a link (at most 1 MiB). */
export async function readImageFile(
  lower: readonly string[],
  file: string,
): Promise<Buffer | undefined> {
  const parts = partsOf(file);
  if (!parts) return undefined;
  for (const layer of lower) {
    const at = await inLayer(layer, parts);
    if (at.state !== 'found') {
      if (at.state === 'absent') continue;
      return undefined;
    }
    if (!at.st.isFile()) return undefined;
    const handle = await open(at.full, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(Math.min(at.st.size, 1024 * 1024));
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  return undefined;
}

/**
 * Whether a folder holds something in the image: an entry in some layer that no layer above
 * deleted. (An opaque folder's marker is an xattr Node cannot read: a lower layer's entries
 * under one count too, so a folder may be taken as holding something it no longer does, and
 * get a seeded emptyDir it did not need: the safe side.)
 */
export async function holdsSomething(lower: readonly string[], dir: string): Promise<boolean> {
  const parts = partsOf(dir);
  if (!parts) return false;
  const hidden = new Set<string>();
  for (const layer of lower) {
    const at = await inLayer(layer, parts);
    if (at.state !== 'found') {
      if (at.state === 'absent') continue;
      return false;
    }
    if (!at.st.isDirectory()) return false;
    for (const name of (await readdir(at.full)).slice(0, MAX_FOLDER_ENTRIES)) {
      const e = await lstat(path.join(at.full, name)).catch(() => undefined);
      if (e?.isCharacterDevice() && e.rdev === 0) hidden.add(name);
      else if (!hidden.has(name)) return true;
    }
  }
  return false;
}
