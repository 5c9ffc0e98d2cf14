/**
 * The engine's own records in a data root: each container's config.v2.json and
 * hostconfig.json, the image database (image configs by id: diff ids and
 * history), the layer database (a layer's chain id names its folder's cache id
 * and its tar-split record), and which layer folders a container mounted (its
 * writable layer and its init layer). Every file is the engine's, from a disk
 * the attacker may have touched: sizes are bounded and shapes checked.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { CoronerError } from '../../errors.js';
import type { ImageConfigHistory } from '../../layers/image-layers.js';
import type { DockerRunConfig } from '../docker-config.js';
import type { ContainerSummary } from '../evidence-source.js';
import {
  CONTAINER_CONFIG,
  HOST_CONFIG,
  IMAGE_CONFIG,
  misfit,
  type Shape,
} from './record-shapes.js';

/** A Docker data root on disk: where it is, and which storage driver laid out its layers. */
export interface DockerStore {
  path: string;
  storageDriver: string;
}

export class DataRootDamaged extends CoronerError {}

/** A record the data root should hold is not there (an incomplete copy). */
class RecordMissing extends DataRootDamaged {}

/** A folder or file of the data root is a link: never followed, it could lead to any file of this host. */
export class DataRootLink extends DataRootDamaged {}

/** The image config does not hash to the image id: it was altered on the host. The record is still read. */
export class ImageConfigAltered extends DataRootDamaged {
  constructor(
    readonly imageId: string,
    readonly actualId: string,
    readonly record: ImageRecord,
  ) {
    super(
      `the image config of ${imageId} does not hash to its id (it hashes to ${actualId}): it was altered on the host, so the layers and history it names are not proven the original's`,
      'Treat the host as compromised; the image cannot be trusted as the original.',
    );
  }
}

/** A container's config.v2.json: the parts coroner reads (the whole file is kept as evidence). */
export interface ContainerConfigV2 {
  ID: string;
  Name?: string;
  Created?: string;
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
  /** Absent when hostconfig.json could not be read or has the wrong shape (`hostConfigProblem` says why). */
  hostConfig?: DockerRunConfig['HostConfig'];
  /** The files as read, to keep in the case folder (hostconfig.json's when it could be read at all). */
  configBytes: Buffer;
  hostConfigBytes?: Buffer;
  hostConfigProblem?: string;
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

const CHECK_THE_COPY = 'The data root copy may be damaged or tampered with; check it.';

/**
 * Refuses `target` (a path inside the data root) when it, or any folder between the data
 * root and it, is a symbolic link: a copied data root's layer or volume folder that is a
 * link would have coroner read whatever it points at (the responder's own files) as
 * evidence. Stops quietly at the first part that does not exist: saying what is missing is
 * the reader's business.
 */
export async function refuseLinks(root: DockerStore, target: string): Promise<void> {
  const relative = path.relative(root.path, target);
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new Error(`${target} is not inside the data root ${root.path}`);
  let at = root.path;
  for (const part of relative.split(path.sep).filter(Boolean)) {
    at = path.join(at, part);
    const info = await lstat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (!info) return;
    if (info.isSymbolicLink()) {
      const to = await readlink(at).catch(() => '?');
      throw new DataRootLink(
        `${path.relative(root.path, at)} is a symbolic link (to ${to}) in the data root ${root.path}: coroner never reads the data root through a link`,
        'A link there may point at any file of this host. Copy the data root with its folders as folders (cp -a of the engine folder itself), or examine that part by hand.',
      );
    }
  }
}

/** A file of the data root, read whole within a bound, never through a link. */
async function readRecord(
  root: DockerStore,
  file: string,
  maxBytes = MAX_CONFIG_BYTES,
): Promise<Buffer> {
  await refuseLinks(root, file);
  const info = await lstat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR')
      throw new RecordMissing(
        `${file} is not in the data root copy`,
        'The copy may be incomplete: copy all of the data root.',
      );
    if (e.code === 'EACCES' || e.code === 'EPERM')
      throw new DataRootDamaged(`no permission to read ${file} (${e.code})`, NOT_ROOT);
    throw e;
  });
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
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A JSON record of the data root whose fields coroner reads have the types it expects. */
async function readJson<T>(
  root: DockerStore,
  file: string,
  shape: Shape,
): Promise<{ value: T; bytes: Buffer }> {
  const bytes = await readRecord(root, file);
  return { value: parseRecord<T>(file, bytes, shape), bytes };
}

function parseRecord<T>(file: string, bytes: Buffer, shape: Shape): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new DataRootDamaged(`${file} is not JSON (${(e as Error).message})`, CHECK_THE_COPY);
  }
  const problem = misfit(value, shape);
  if (problem) throw new DataRootDamaged(`${file}: ${problem}`, CHECK_THE_COPY);
  return value as T;
}

async function readText(root: DockerStore, file: string): Promise<string> {
  return (await readRecord(root, file, 4096)).toString('utf8').trim();
}

export async function readContainer(root: DockerStore, id: string): Promise<ContainerRecord> {
  if (!/^[0-9a-f]{64}$/.test(id))
    throw new DataRootDamaged(
      `${JSON.stringify(id)} is not a container id`,
      'Name a container the data root holds (coroner list --docker-root DIR).',
    );
  const dir = path.join(root.path, 'containers', id);
  const { value: config, bytes: configBytes } = await readJson<ContainerConfigV2>(
    root,
    path.join(dir, 'config.v2.json'),
    CONTAINER_CONFIG,
  );
  if (config.ID !== id || !isDigest(config.Image))
    throw new DataRootDamaged(
      `containers/${id}/config.v2.json does not describe container ${id} and its image`,
      CHECK_THE_COPY,
    );
  // How the container ran is worth having, not worth the triage: its absence is a note.
  const hostFile = path.join(dir, 'hostconfig.json');
  try {
    const { value, bytes } = await readJson<DockerRunConfig['HostConfig']>(
      root,
      hostFile,
      HOST_CONFIG,
    );
    return { config, configBytes, hostConfig: value, hostConfigBytes: bytes };
  } catch (e) {
    if (e instanceof DataRootDamaged) return { config, configBytes, hostConfigProblem: e.message };
    throw e;
  }
}

const NOT_ROOT =
  "Run coroner as root (sudo): a copied data root keeps the host's owners and modes, and most of it is readable by root only.";

/** A data-root folder listed: a folder that cannot be read is refused with the reason, never taken as empty. */
export async function listFolder(root: DockerStore, dir: string): Promise<string[]> {
  await refuseLinks(root, dir);
  return readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    if (e.code === 'EACCES' || e.code === 'EPERM')
      throw new DataRootDamaged(`no permission to read ${dir} (${e.code})`, NOT_ROOT);
    throw e;
  });
}

/** The containers a data root holds, as they were when the host stopped. */
export async function listDataRootContainers(root: DockerStore): Promise<ContainerSummary[]> {
  const ids = (await listFolder(root, path.join(root.path, 'containers'))).filter((n) =>
    /^[0-9a-f]{64}$/.test(n),
  );
  const found: ContainerSummary[] = [];
  for (const id of ids.sort()) {
    let record: ContainerRecord;
    try {
      record = await readContainer(root, id);
    } catch (e) {
      // Listed all the same: a container the copy holds but cannot describe is evidence too.
      if (!(e instanceof DataRootDamaged) && !(e as NodeJS.ErrnoException).code) throw e;
      found.push({
        id,
        names: [],
        image: '',
        imageId: '',
        state: 'damaged',
        status: `its record cannot be read: ${(e as Error).message}`,
        createdAt: '',
        labels: {},
      });
      continue;
    }
    const { config } = record;
    const state = config.State?.Running ? (config.State.Paused ? 'paused' : 'running') : 'exited';
    found.push({
      id,
      names: [(config.Name ?? '').replace(/^\//, '')].filter(Boolean),
      image: config.Config?.Image ?? config.Image,
      imageId: config.Image,
      state,
      status: `${state} when the engine stopped`,
      createdAt: config.Created ?? '',
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
  const bytes = await readRecord(root, file).catch((e: unknown) => {
    if (e instanceof CoronerError && !(e instanceof RecordMissing)) throw e;
    throw new DataRootDamaged(
      `the image ${imageId} is not in the data root's image database`,
      'The copy may be incomplete: copy all of the data root.',
    );
  });
  // The image id is the SHA-256 of its config: a config that does not hash to it was altered,
  // whatever else is wrong with it (then none of it is read).
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== imageId) {
    let config: ImageRecord['config'] = {};
    try {
      config = parseRecord(file, bytes, IMAGE_CONFIG);
    } catch {
      // altered and unreadable: reported as altered, its layers unknown
    }
    throw new ImageConfigAltered(imageId, actual, { config, bytes });
  }
  return { config: parseRecord(file, bytes, IMAGE_CONFIG), bytes };
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
    const orMissing = (e: unknown) => {
      throw e instanceof DataRootLink ? e : missing();
    };
    const recorded = await readText(root, path.join(dir, 'diff')).catch(orMissing);
    const cacheId = await readText(root, path.join(dir, 'cache-id')).catch(orMissing);
    if (recorded !== diffIds[i] || !/^[0-9a-f]{64}$/.test(cacheId))
      throw new DataRootDamaged(
        `the layer database entry ${hex(chainId)} names diff id ${recorded}, not ${diffIds[i]}`,
        'The data root copy may be damaged or tampered with; check it.',
      );
    const layer = {
      diffId: diffIds[i]!,
      chainId,
      dir: path.join(root.path, root.storageDriver, cacheId, 'diff'),
      tarSplit: path.join(dir, 'tar-split.json.gz'),
    };
    await refuseLinks(root, layer.dir);
    await refuseLinks(root, layer.tarSplit);
    layers.push(layer);
  }
  return layers;
}

/** The writable layer and the init layer (hosts, hostname, resolv.conf: the engine's) of a container. */
export async function containerLayerDirs(
  root: DockerStore,
  containerId: string,
): Promise<{ writable: string; init?: string }> {
  const dir = path.join(root.path, 'image', root.storageDriver, 'layerdb', 'mounts', containerId);
  const mountId = await readText(root, path.join(dir, 'mount-id')).catch((e: unknown) => {
    if (e instanceof DataRootLink) throw e;
    throw new DataRootDamaged(
      `the data root has no writable layer for container ${containerId} (no ${path.join(dir, 'mount-id')})`,
      'The copy may be incomplete: copy all of the data root.',
    );
  });
  const initId = await readText(root, path.join(dir, 'init-id')).catch((e: unknown) => {
    if (e instanceof DataRootLink) throw e;
    return undefined;
  });
  const valid = /^[0-9a-f]{64}(-init)?$/;
  if (!valid.test(mountId) || (initId !== undefined && !valid.test(initId)))
    throw new DataRootDamaged(
      `the layer database names an odd folder for container ${containerId}`,
      'The data root copy may be damaged or tampered with; check it.',
    );
  const dirs = {
    writable: path.join(root.path, root.storageDriver, mountId, 'diff'),
    ...(initId ? { init: path.join(root.path, root.storageDriver, initId, 'diff') } : {}),
  };
  await refuseLinks(root, dirs.writable);
  if (dirs.init) await refuseLinks(root, dirs.init);
  return dirs;
}
