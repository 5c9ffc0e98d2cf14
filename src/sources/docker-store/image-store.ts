/**
 * The engine's own records in a data root: each container's config.v2.json and
 * hostconfig.json, the image database (image configs by id: diff ids and
 * history), the layer database (a layer's chain id names its folder's cache id
 * and its tar-split record), and which layer folders a container mounted (its
 * writable layer and its init layer). Every file is the engine's, from a disk
 * the attacker may have touched: sizes are bounded and shapes checked.
 */
import { createHash } from 'node:crypto';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { CoronerError } from '../../errors.js';
import type { ImageConfigHistory } from '../../layers/image-layers.js';
import type { DockerRunConfig } from '../docker-config.js';
import type { ContainerSummary } from '../evidence-source.js';

/** A Docker data root on disk: where it is, and which storage driver laid out its layers. */
export interface DockerStore {
  path: string;
  storageDriver: string;
}

export class DataRootDamaged extends CoronerError {}

/** A container's config.v2.json: the parts coroner reads (the whole file is kept as evidence). */
export interface ContainerConfigV2 {
  ID: string;
  Name: string;
  Created: string;
  Image: string;
  Driver?: string;
  State?: {
    Running?: boolean;
    Paused?: boolean;
    Status?: string;
    Pid?: number;
    StartedAt?: string;
    FinishedAt?: string;
    ExitCode?: number;
  };
  Config?: {
    Image?: string;
    User?: string;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: { Test?: string[] | null } | null;
  };
  MountPoints?: Record<
    string,
    {
      Source?: string;
      Destination?: string;
      RW?: boolean;
      Name?: string;
      Driver?: string;
      Type?: string;
    }
  > | null;
  LogPath?: string;
}

export interface ContainerRecord {
  config: ContainerConfigV2;
  hostConfig: DockerRunConfig['HostConfig'];
  /** The files as read, to keep in the case folder. */
  configBytes: Buffer;
  hostConfigBytes: Buffer;
}

export interface LayerRecord {
  diffId: string;
  chainId: string;
  /** The layer's folder, `overlay2/<cache id>/diff`. */
  dir: string;
  /** Its tar-split record, which rebuilds the layer's tar. */
  tarSplit: string;
}

const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
const hex = (digest: string) => digest.replace(/^sha256:/, '');
const isDigest = (s: unknown): s is string =>
  typeof s === 'string' && /^sha256:[0-9a-f]{64}$/.test(s);

/** A file of the data root, read whole within a bound, never through a link. */
async function readRecord(file: string, maxBytes = MAX_CONFIG_BYTES): Promise<Buffer> {
  const info = await lstat(file);
  if (!info.isFile())
    throw new DataRootDamaged(
      `${file} is not a regular file`,
      'The data root copy may be damaged or tampered with; check it.',
    );
  if (info.size > maxBytes)
    throw new DataRootDamaged(
      `${file} holds ${info.size} bytes, more than the ${maxBytes} a record may`,
      'The data root copy may be damaged or tampered with; check it.',
    );
  const handle = await open(file, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function readJson<T>(file: string): Promise<{ value: T; bytes: Buffer }> {
  const bytes = await readRecord(file);
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as T, bytes };
  } catch (e) {
    throw new DataRootDamaged(
      `${file} is not JSON (${(e as Error).message})`,
      'The data root copy may be damaged or tampered with; check it.',
    );
  }
}

async function readText(file: string): Promise<string> {
  return (await readRecord(file, 4096)).toString('utf8').trim();
}

export async function readContainer(root: DockerStore, id: string): Promise<ContainerRecord> {
  if (!/^[0-9a-f]{64}$/.test(id))
    throw new DataRootDamaged(
      `${JSON.stringify(id)} is not a container id`,
      'Name a container the data root holds (coroner list --docker-root DIR).',
    );
  const dir = path.join(root.path, 'containers', id);
  const { value: config, bytes: configBytes } = await readJson<ContainerConfigV2>(
    path.join(dir, 'config.v2.json'),
  );
  const { value: hostConfig, bytes: hostConfigBytes } = await readJson<
    DockerRunConfig['HostConfig']
  >(path.join(dir, 'hostconfig.json'));
  if (config.ID !== id || !isDigest(config.Image))
    throw new DataRootDamaged(
      `containers/${id}/config.v2.json does not describe container ${id} and its image`,
      'The data root copy may be damaged or tampered with; check it.',
    );
  return { config, hostConfig, configBytes, hostConfigBytes };
}

/** The containers a data root holds, as they were when the host stopped. */
export async function listDataRootContainers(root: DockerStore): Promise<ContainerSummary[]> {
  const ids = (
    await readdir(path.join(root.path, 'containers')).catch(() => [] as string[])
  ).filter((n) => /^[0-9a-f]{64}$/.test(n));
  const found: ContainerSummary[] = [];
  for (const id of ids.sort()) {
    const record = await readContainer(root, id).catch(() => undefined);
    if (!record) continue;
    const { config } = record;
    const state = config.State?.Running ? (config.State.Paused ? 'paused' : 'running') : 'exited';
    found.push({
      id,
      names: [String(config.Name ?? '').replace(/^\//, '')].filter(Boolean),
      image: config.Config?.Image ?? config.Image,
      imageId: config.Image,
      state,
      status: `${state} when the engine stopped`,
      createdAt: config.Created,
      labels: config.Config?.Labels ?? {},
    });
  }
  return found;
}

/** config.v2.json's mount points in the shape of an inspect document's Mounts. */
export function mountsOf(config: ContainerConfigV2): NonNullable<DockerRunConfig['Mounts']> {
  return Object.values(config.MountPoints ?? {}).map((m) => ({
    Type: m.Type || (m.Name ? 'volume' : 'bind'),
    Source: m.Source ?? '',
    Destination: m.Destination ?? '',
    ...(m.Name ? { Name: m.Name } : {}),
    RW: m.RW !== false,
  }));
}

export interface ImageRecord {
  config: ImageConfigHistory & { config?: { User?: string } };
  bytes: Buffer;
}

export async function readImageConfig(root: DockerStore, imageId: string): Promise<ImageRecord> {
  const file = path.join(
    root.path,
    'image',
    root.storageDriver,
    'imagedb',
    'content',
    'sha256',
    hex(imageId),
  );
  const { value, bytes } = await readJson<ImageRecord['config']>(file).catch((e: unknown) => {
    if (e instanceof CoronerError) throw e;
    throw new DataRootDamaged(
      `the image ${imageId} is not in the data root's image database`,
      'The copy may be incomplete: copy all of the data root.',
    );
  });
  // The image id is the SHA-256 of its config: a config that does not hash to it was altered.
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== imageId)
    throw new DataRootDamaged(
      `the image config of ${imageId} hashes to ${actual}: it was altered on the host`,
      'Treat the host as compromised; the image cannot be trusted as the original.',
    );
  return { config: value, bytes };
}

/** Chain ids name layers in the layer database: each is the hash of the chain below and its diff id. */
export function chainIds(diffIds: readonly string[]): string[] {
  const chains: string[] = [];
  for (const diffId of diffIds) {
    const below = chains.at(-1);
    chains.push(
      below ? `sha256:${createHash('sha256').update(`${below} ${diffId}`).digest('hex')}` : diffId,
    );
  }
  return chains;
}

export async function imageLayers(
  root: DockerStore,
  diffIds: readonly string[],
): Promise<LayerRecord[]> {
  const layerDb = path.join(root.path, 'image', root.storageDriver, 'layerdb', 'sha256');
  const chains = chainIds(diffIds);
  const layers: LayerRecord[] = [];
  for (const [i, chainId] of chains.entries()) {
    const dir = path.join(layerDb, hex(chainId));
    const missing = () =>
      new DataRootDamaged(
        `layer ${i} (${diffIds[i]}) of the image is not in the data root's layer database`,
        'The copy may be incomplete: copy all of the data root.',
      );
    const recorded = await readText(path.join(dir, 'diff')).catch(() => {
      throw missing();
    });
    const cacheId = await readText(path.join(dir, 'cache-id')).catch(() => {
      throw missing();
    });
    if (recorded !== diffIds[i] || !/^[0-9a-f]{64}$/.test(cacheId))
      throw new DataRootDamaged(
        `the layer database entry ${hex(chainId)} names diff id ${recorded}, not ${diffIds[i]}`,
        'The data root copy may be damaged or tampered with; check it.',
      );
    layers.push({
      diffId: diffIds[i]!,
      chainId,
      dir: path.join(root.path, root.storageDriver, cacheId, 'diff'),
      tarSplit: path.join(dir, 'tar-split.json.gz'),
    });
  }
  return layers;
}

/** The writable layer and the init layer (hosts, hostname, resolv.conf: the engine's) of a container. */
export async function containerLayerDirs(
  root: DockerStore,
  containerId: string,
): Promise<{ writable: string; init?: string }> {
  const dir = path.join(root.path, 'image', root.storageDriver, 'layerdb', 'mounts', containerId);
  const mountId = await readText(path.join(dir, 'mount-id')).catch(() => {
    throw new DataRootDamaged(
      `the data root has no writable layer for container ${containerId}`,
      'The copy may be incomplete: copy all of the data root.',
    );
  });
  const initId = await readText(path.join(dir, 'init-id')).catch(() => undefined);
  const valid = /^[0-9a-f]{64}(-init)?$/;
  if (!valid.test(mountId) || (initId !== undefined && !valid.test(initId)))
    throw new DataRootDamaged(
      `the layer database names an odd folder for container ${containerId}`,
      'The data root copy may be damaged or tampered with; check it.',
    );
  return {
    writable: path.join(root.path, root.storageDriver, mountId, 'diff'),
    ...(initId ? { init: path.join(root.path, root.storageDriver, initId, 'diff') } : {}),
  };
}
