/**
 * The checkpointed container's image, given as an archive: `docker save` output (legacy
 * `<id>/layer.tar` with manifest.json) or an OCI image layout archive (index.json, blobs,
 * as `docker save` since 25, `ctr export`, `podman save --format oci-archive` write it).
 * Streamed, never unpacked: the first pass indexes every layer while hashing it to its diff
 * id, and keeps the small JSON documents that name the image; later passes stream only the
 * layers that hold an original that is wanted. The image's id is the hash of its config's
 * bytes, and each layer's diff id the hash of its tar, so what is read is what was named.
 * https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CoronerError } from '../../errors.js';
import type { ImageConfigHistory } from '../../layers/image-layers.js';
import { indexLayerHashed } from '../../layers/layer-index-hashed.js';
import { layerEntryPath, type LayerIndex } from '../../layers/layer-index.js';
import { readBounded, tarEntries, type TarEntry } from '../../tar-entries.js';
import { isGzip, isLayerMember, peekStream } from '../docker-live/stream-peek.js';

/** The image archive cannot be used for the originals: why, and what to do. */
export class ImageArchiveRefused extends CoronerError {}

/** Manifests and configs are a few KiB; past this a document is not kept. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** JSON documents kept from one archive, at most (an image has three or four). */
const MAX_DOCUMENTS = 10_000;

export interface ImageArchive {
  from: ImageArchiveSource;
  /** The archive in words (the file's path). */
  path: string;
  imageId: string;
  names: string[];
  configBytes: Buffer;
  config: ImageConfigHistory;
  diffIds: string[];
  /** Bottom first, one per diff id. */
  indexes: LayerIndex[];
  /** The member holding each layer, bottom first. */
  layerMembers: { name: string; isGzip: boolean }[];
}

/** What the checkpoint says its image is: any of these may be empty. */
export interface WantedImage {
  id: string;
  ref: string;
  name: string;
}

interface Candidate {
  imageId: string;
  manifestDigest?: string;
  names: string[];
  configBytes: Buffer;
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const withAlgorithm = (id: string) => (/^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id);
/** `busybox`, `docker.io/library/busybox:latest` and `busybox:latest` are one name. */
function normalName(name: string): string {
  let n = name.replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (!/[:@][^/]*$/.test(n)) n += ':latest';
  return n;
}

function tryJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Where an image archive's bytes come from: a file, or an engine's save of the image. */
export interface ImageArchiveSource {
  /** In words: the file's path, or the engine and image it is saved from. */
  name: string;
  /** The image id a store resolved the checkpoint's image name to, when it was found by name. */
  resolvedId?: string;
  open(signal?: AbortSignal): Promise<Readable>;
}

/** A store that may hold the checkpoint's image (the local engine's): asked only for it. */
export interface ImageStore {
  /** In words: "the local Docker engine (unix:///var/run/docker.sock)". */
  name: string;
  /** The image the checkpoint names, as an archive saved from the store; else why not. */
  find(
    wanted: WantedImage,
    signal?: AbortSignal,
  ): Promise<{ found?: ImageArchiveSource; why?: string }>;
}

/** An image archive the responder names (`--image FILE`). */
export function imageArchiveFile(file: string): ImageArchiveSource {
  return {
    name: file,
    open: async () => {
      const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
        throw new ImageArchiveRefused(
          `the image archive ${file} cannot be read (${e.code ?? e.message})`,
          'Name a `docker save` tar or an OCI image layout archive of the image the checkpoint names, or leave --image out.',
        );
      });
      if (!info.isFile())
        throw new ImageArchiveRefused(
          `${file} is not a regular file`,
          'Name the image archive itself.',
        );
      return createReadStream(file);
    },
  };
}

/** Reads the image archive once and picks the image the checkpoint names. */
export async function indexImageArchive(
  from: ImageArchiveSource,
  wanted: WantedImage,
  signal?: AbortSignal,
): Promise<ImageArchive> {
  const file = from.name;
  const layers = new Map<string, { index: LayerIndex; member: string; isGzip: boolean }>();
  const documents = new Map<string, Buffer>();
  try {
    for await (const entry of tarEntries(await from.open(signal), signal)) {
      const name = layerEntryPath(entry.header.name)?.slice(1);
      const size = entry.header.size ?? 0;
      if (name === undefined || entry.header.type !== 'file') {
        entry.resume();
        continue;
      }
      const { head, stream } = await peekStream(entry, 512);
      if (isLayerMember(head, name, size)) {
        const index = await indexLayerHashed(isGzip(head) ? gunzipped(stream) : stream);
        if (!layers.has(index.diffId))
          layers.set(index.diffId, { index, member: name, isGzip: isGzip(head) });
      } else if (size <= MAX_DOCUMENT_BYTES && documents.size < MAX_DOCUMENTS) {
        documents.set(name, (await readBounded(stream, MAX_DOCUMENT_BYTES)).data);
      } else {
        stream.resume();
        await finished(stream);
      }
    }
  } catch (e) {
    if (e instanceof CoronerError || signal?.aborted) throw e;
    throw new ImageArchiveRefused(
      `the image archive ${file} could not be read (${e instanceof Error ? e.message : String(e)})`,
      'Save the image again (docker save IMAGE -o FILE), or leave --image out: the changes are still listed and ranked.',
      { cause: e },
    );
  }
  const image = pickImage(file, candidatesOf(documents), wanted);
  const config = tryJson(image.configBytes) as ImageConfigHistory;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const missing = diffIds.filter((d) => !layers.has(d));
  if (missing.length)
    throw new ImageArchiveRefused(
      `the image archive ${file} lacks layer(s) ${missing.join(', ')} that its image ${image.imageId} lists (or they do not hash to their diff ids)`,
      'Save the image again, whole, or leave --image out.',
    );
  return {
    from,
    path: file,
    imageId: image.imageId,
    names: image.names,
    configBytes: image.configBytes,
    config,
    diffIds,
    indexes: diffIds.map((d) => layers.get(d)!.index),
    layerMembers: diffIds.map((d) => ({
      name: layers.get(d)!.member,
      isGzip: layers.get(d)!.isGzip,
    })),
  };
}

/**
 * Streams the layers at `positions` once more, in the archive's order, handing each entry
 * of them to `onEntry` with its layer's position (it must consume the entry).
 */
export async function walkImageLayers(
  image: ImageArchive,
  positions: ReadonlySet<number>,
  onEntry: (position: number, path: string, entry: TarEntry) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const byMember = new Map<string, number>();
  for (const position of positions) byMember.set(image.layerMembers[position]!.name, position);
  for await (const member of tarEntries(await image.from.open(signal), signal)) {
    const name = layerEntryPath(member.header.name)?.slice(1);
    const position = name === undefined ? undefined : byMember.get(name);
    if (position === undefined || member.header.type !== 'file') {
      member.resume();
      continue;
    }
    byMember.delete(name!);
    const layer = image.layerMembers[position]!.isGzip ? gunzipped(member) : member;
    for await (const entry of tarEntries(layer, signal)) {
      const path = layerEntryPath(entry.header.name);
      if (path === undefined) entry.resume();
      else await onEntry(position, path, entry);
    }
    if (byMember.size === 0) return;
  }
}

function gunzipped(stream: Readable): Readable {
  const gunzip = createGunzip();
  stream.on('error', (e) => gunzip.destroy(e));
  return stream.pipe(gunzip);
}

/** Every image the archive's manifests name (docker save's manifest.json, OCI's index.json). */
function candidatesOf(documents: ReadonlyMap<string, Buffer>): Candidate[] {
  const found = new Map<string, Candidate>();
  const add = (configBytes: Buffer | undefined, names: string[], manifestDigest?: string) => {
    if (!configBytes) return;
    const imageId = sha256(configBytes);
    const earlier = found.get(imageId);
    if (earlier) {
      earlier.names.push(...names);
      earlier.manifestDigest ??= manifestDigest;
    } else
      found.set(imageId, {
        imageId,
        names: [...names],
        configBytes,
        ...(manifestDigest ? { manifestDigest } : {}),
      });
  };
  const blob = (digest: unknown) =>
    typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest)
      ? documents.get(`blobs/sha256/${digest.slice(7)}`)
      : undefined;
  const manifestJson = documents.get('manifest.json');
  const saved = manifestJson ? tryJson(manifestJson) : undefined;
  if (Array.isArray(saved))
    for (const m of saved as { Config?: unknown; RepoTags?: unknown }[]) {
      const tags = Array.isArray(m?.RepoTags)
        ? m.RepoTags.filter((t): t is string => typeof t === 'string')
        : [];
      if (typeof m?.Config === 'string')
        add(documents.get(layerEntryPath(m.Config)?.slice(1) ?? ''), tags);
    }
  const indexJson = documents.get('index.json');
  const walkIndex = (index: unknown, depth: number, names: string[]) => {
    const manifests = (index as { manifests?: unknown })?.manifests;
    if (!Array.isArray(manifests) || depth > 2) return;
    for (const d of manifests as { digest?: unknown; annotations?: Record<string, unknown> }[]) {
      const own = [
        d?.annotations?.['io.containerd.image.name'],
        d?.annotations?.['org.opencontainers.image.ref.name'],
      ].filter(
        (n): n is string =>
          (typeof n === 'string' && n.includes(':')) || (typeof n === 'string' && n.includes('/')),
      );
      const bytes = blob(d?.digest);
      const doc = bytes
        ? (tryJson(bytes) as { config?: { digest?: unknown }; manifests?: unknown })
        : undefined;
      if (doc?.manifests) walkIndex(doc, depth + 1, [...names, ...own]);
      else if (doc?.config) add(blob(doc.config.digest), [...names, ...own], d.digest as string);
    }
  };
  if (indexJson) walkIndex(tryJson(indexJson), 0, []);
  return [...found.values()];
}

function pickImage(file: string, candidates: Candidate[], wanted: WantedImage): Candidate {
  if (candidates.length === 0)
    throw new ImageArchiveRefused(
      `${file} holds no image coroner can read (no manifest.json or index.json naming an image config)`,
      'Give the output of `docker save IMAGE -o FILE` (or an OCI image layout archive), or leave --image out.',
    );
  const ids = [wanted.id, wanted.ref].filter(Boolean).map(withAlgorithm);
  const byId = candidates.find(
    (c) => ids.includes(c.imageId) || (c.manifestDigest && ids.includes(c.manifestDigest)),
  );
  if (byId) return byId;
  const name = wanted.name ? normalName(wanted.name) : '';
  const byName = name ? candidates.filter((c) => c.names.some((n) => normalName(n) === name)) : [];
  // An id the checkpoint names that the archive's image does not have: not its image.
  const idsNamed = ids.filter((i) => /^sha256:[0-9a-f]{64}$/.test(i));
  if (byName.length === 1 && idsNamed.length === 0) return byName[0]!;
  if (candidates.length === 1 && idsNamed.length === 0 && !name) return candidates[0]!;
  throw new ImageArchiveRefused(
    `the image archive ${file} does not hold the image the checkpoint names (${[wanted.name, ...idsNamed].filter(Boolean).join(', ') || 'no name or id'}); it holds ${candidates
      .slice(0, 5)
      .map((c) => `${c.names[0] ?? '(no name)'} ${c.imageId}`)
      .join('; ')}`,
    'Save the image the checkpoint names (docker save IMAGE -o FILE), or leave --image out: the changes are still listed and ranked, without originals.',
  );
}
