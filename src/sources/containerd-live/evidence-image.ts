/**
 * The evidence of a containerd container as an OCI image in containerd's own content store:
 * the original image's layers, and on top the layer coroner made of the container's
 * writable layer while it was paused (layer-tar.ts, kept in the case). containerd has no
 * commit; this is what `docker commit` would have left. Everything is written under a
 * lease that coroner never deletes, so containerd's garbage collector cannot take it, and
 * the manifest carries the labels by which the collector knows what an image holds.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pack as createPack } from 'tar-stream';
import { packEntry } from '../../tar-entries.js';
import type { ContainerdApi, Descriptor } from '../containerd-api/containerd-types.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface EvidenceImageInput {
  /** `coroner-evidence/<ns>/<pod>/<container>` (or `coroner-evidence/<id>`). */
  repo: string;
  /** UTC, as `20261203T091500Z`. */
  tag: string;
  /** The original image's config as the content store holds it, and its layers' blobs. */
  originalConfig: Record<string, unknown>;
  originalLayers: Descriptor[];
  /** The tar of the writable layer, in the case: its file, digest and size. */
  layer: { file: string; digest: string; size: number };
  /** In the image's history: what the layer is. */
  createdBy: string;
  labels: Record<string, string>;
}

export interface EvidenceImage {
  name: string;
  lease: string;
  manifest: Descriptor;
  manifestBytes: Buffer;
  config: Descriptor;
  configBytes: Buffer;
}

/** Writes the evidence image: layer, config and manifest blobs under a new lease, then its record. */
export async function writeEvidenceImage(
  api: ContainerdApi,
  input: EvidenceImageInput,
): Promise<EvidenceImage> {
  const { originalConfig: original } = input;
  const rootfs = (original['rootfs'] ?? {}) as { diff_ids?: unknown };
  const diffIds = Array.isArray(rootfs.diff_ids) ? (rootfs.diff_ids as string[]) : [];
  const history = Array.isArray(original['history']) ? (original['history'] as unknown[]) : [];
  const created = new Date().toISOString();
  const config = {
    ...original,
    created,
    rootfs: { type: 'layers', diff_ids: [...diffIds, input.layer.digest] },
    history: [...history, { created, created_by: input.createdBy, comment: 'coroner evidence' }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDescriptor = descriptorOf(OCI_CONFIG, configBytes);
  const layerDescriptor: Descriptor = {
    mediaType: OCI_LAYER,
    digest: input.layer.digest,
    size: input.layer.size,
  };
  const layers = [...input.originalLayers, layerDescriptor];
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: configDescriptor,
    layers,
    annotations: { 'org.opencontainers.image.created': created },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDescriptor = descriptorOf(OCI_MANIFEST, manifestBytes);

  const lease = `coroner-evidence-${input.tag}-${manifestDescriptor.digest.slice(7, 19)}`;
  await api.createLease(lease, { 'coroner.evidence': `${input.repo}:${input.tag}` });
  const ref = (what: string) => `coroner-${lease}-${what}`;
  const layerFile = await open(input.layer.file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await api.writeContent(layerFile.createReadStream({ autoClose: false }), layerDescriptor, {
      lease,
      ref: ref('layer'),
    });
  } finally {
    await layerFile.close();
  }
  await api.writeContent(configBytes, configDescriptor, { lease, ref: ref('config') });
  // The collector follows these from the manifest to what it holds.
  const gcLabels: Record<string, string> = {
    'containerd.io/gc.ref.content.config': configDescriptor.digest,
  };
  layers.forEach((l, i) => (gcLabels[`containerd.io/gc.ref.content.l.${i}`] = l.digest));
  await api.writeContent(manifestBytes, manifestDescriptor, {
    lease,
    ref: ref('manifest'),
    labels: gcLabels,
  });
  const name = `${input.repo}:${input.tag}`;
  await api.putImage({ name, labels: input.labels, target: manifestDescriptor });
  return {
    name,
    lease,
    manifest: manifestDescriptor,
    manifestBytes,
    config: configDescriptor,
    configBytes,
  };
}

/**
 * The evidence image as an OCI image layout tar (`docker load` and `ctr images import`
 * read it), streamed blob by blob from the content store.
 */
export function ociArchive(
  api: ContainerdApi,
  image: { name: string; manifest: Descriptor },
  manifest: { config: Descriptor; layers: Descriptor[] },
): Readable {
  const pack = createPack();
  const add = (name: string, bytes: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: bytes.length, mode: 0o644 }, bytes, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  const addBlob = (d: Descriptor) =>
    packEntry(
      pack,
      { name: `blobs/sha256/${d.digest.slice('sha256:'.length)}`, size: d.size, mode: 0o644 },
      api.readContent(d.digest),
    );
  const run = async () => {
    await add('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    const tag = image.name.slice(image.name.lastIndexOf(':') + 1);
    const index = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          ...image.manifest,
          annotations: {
            'io.containerd.image.name': image.name,
            'org.opencontainers.image.ref.name': tag,
          },
        },
      ],
    };
    await add('index.json', Buffer.from(JSON.stringify(index)));
    const seen = new Set<string>();
    for (const d of [image.manifest, manifest.config, ...manifest.layers]) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      await addBlob(d);
    }
    pack.finalize();
  };
  run().catch((e: unknown) => pack.destroy(e as Error));
  return pack as unknown as Readable;
}

function descriptorOf(mediaType: string, bytes: Buffer): Descriptor {
  return {
    mediaType,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
  };
}
