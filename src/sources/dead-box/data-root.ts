/**
 * A copy of a Docker data root (`/var/lib/docker` of a host that was powered off,
 * or whose engine cannot be trusted), opened for reading only, with the copy of
 * containerd's root beside it where Docker's containerd image store keeps the
 * files (Docker 29's default; an upgraded host has both kinds of container). A
 * folder that a running engine uses is refused: reading it while the engine
 * writes would be neither consistent nor a dead box.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoronerError } from '../../errors.js';
import { runningContainerds } from '../containerd-store/running-roots.js';
import { listFolder, refuseLinks, type DockerStore } from '../docker-store/image-store.js';

export class DataRootRefused extends CoronerError {}

/** A data root opened for a dead-box triage: its path is absolute, links resolved. */
export type DataRoot = DockerStore & {
  /** The copy of containerd's root, for containers of Docker's containerd image store. */
  containerdRoot?: string;
};

/** The file that makes a folder a containerd root. */
const CONTAINERD_META = 'io.containerd.metadata.v1.bolt/meta.db';

const SUPPORTED_DRIVERS = ['overlay2'];
const NOT_ROOT =
  "Run coroner as root (sudo): a copied data root keeps the host's owners and modes, and most of it is readable by root only.";

export async function openDataRoot(
  dir: string,
  opts: { containerdRoot?: string } = {},
): Promise<DataRoot> {
  const resolved = await realpath(dir).catch((e: NodeJS.ErrnoException) => {
    throw new DataRootRefused(
      e.code === 'EACCES'
        ? `no permission to reach ${dir} (EACCES)`
        : `${dir} does not exist or cannot be read`,
      e.code === 'EACCES'
        ? "Run coroner as root (sudo): a copied data root keeps the host's owners and modes."
        : 'Name the copied Docker data root (the folder that holds containers/ and image/).',
    );
  });
  for (const name of ['containers', 'image']) {
    const info = await lstat(path.join(resolved, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EACCES' || e.code === 'EPERM')
        throw new DataRootRefused(
          `no permission to read ${resolved}, which holds ${name}/ (${e.code})`,
          NOT_ROOT,
        );
      return undefined;
    });
    if (info?.isSymbolicLink())
      throw new DataRootRefused(
        `${resolved}/${name} is a symbolic link: coroner never reads the data root through a link`,
        'A link there may point at any file of this host. Copy the data root with its folders as folders (cp -a of the engine folder itself).',
      );
  }
  if (await isContainerdRoot(resolved))
    throw new DataRootRefused(
      `${resolved} is a containerd root (it holds ${CONTAINERD_META}), not a Docker data root: with no Docker data root beside it, its containers are not Docker's (a Kubernetes node's, say), which coroner does not read as a dead box yet`,
      "For a host of Docker's containerd image store, name its Docker data root (/var/lib/docker) with --docker-root and this folder with --containerd-root.",
    );
  const containerdRoot = await findContainerdRoot(resolved, opts.containerdRoot);
  const isStoreRoot =
    (await stat(resolved)).isDirectory() && (await isContainerdStoreRoot(resolved));
  if (isStoreRoot && !containerdRoot)
    throw new DataRootRefused(
      `${resolved} is the data root of Docker's containerd image store (Docker 29's default): its images and the containers' files are not in it, but in containerd's root (/var/lib/containerd on the host)`,
      "Name a copy of the host's containerd root as well, with --containerd-root DIR (it is found by itself when it sits beside the data root, named containerd).",
    );
  if (isStoreRoot) {
    await refuseInUse(resolved);
    return { path: resolved, storageDriver: 'overlayfs', containerdRoot: containerdRoot! };
  }
  if (!(await stat(resolved)).isDirectory() || !(await isDataRoot(resolved)))
    throw new DataRootRefused(
      `${resolved} is not a Docker data root (no containers/ and image/ folders in it)`,
      'Name the folder that was /var/lib/docker on the host (or wherever its engine kept its data).',
    );
  await refuseInUse(resolved);
  // The folders named by the data root itself are read as folders, never through a link.
  const unopened = { path: resolved, storageDriver: '' };
  const drivers = await listFolder(unopened, path.join(resolved, 'image')).catch((e: unknown) => {
    throw e instanceof CoronerError ? new DataRootRefused(e.message, e.hint) : e;
  });
  const driver = drivers.find((d) => SUPPORTED_DRIVERS.includes(d)) ?? drivers[0];
  if (!driver || !SUPPORTED_DRIVERS.includes(driver))
    throw new DataRootRefused(
      driver
        ? `${resolved} uses the ${driver} storage driver, which coroner cannot read yet`
        : `${resolved}/image holds no storage driver's folder`,
      driver
        ? `coroner reads ${SUPPORTED_DRIVERS.join(', ')} data roots; use the engine's own tools (or a live triage) for this one.`
        : 'The copy may be incomplete: copy all of the data root.',
    );
  await refuseLinks(unopened, path.join(resolved, 'image', driver)).catch((e: unknown) => {
    throw e instanceof CoronerError ? new DataRootRefused(e.message, e.hint) : e;
  });
  return { path: resolved, storageDriver: driver, ...(containerdRoot ? { containerdRoot } : {}) };
}

async function refuseInUse(resolved: string): Promise<void> {
  const inUse = await engineUsing(resolved);
  if (inUse)
    throw new DataRootRefused(
      `${resolved} is the data root of a running Docker engine (${inUse})`,
      'Triage its containers live (without --docker-root), or copy the folder while the engine is stopped and name the copy.',
    );
}

/** Whether `dir` holds containerd's metadata database (as a file, not through a link). */
async function isContainerdRoot(dir: string): Promise<boolean> {
  const info = await lstat(path.join(dir, CONTAINERD_META)).catch(() => undefined);
  return info?.isFile() === true;
}

/**
 * The containerd root named, or the one beside the data root (`containerd` next to
 * `docker`, as on a host); a named folder that is none, a link, or in use is refused.
 */
async function findContainerdRoot(
  dataRoot: string,
  named: string | undefined,
): Promise<string | undefined> {
  let resolved: string;
  if (named === undefined) {
    const beside = path.join(path.dirname(dataRoot), 'containerd');
    const info = await lstat(beside).catch(() => undefined);
    if (!info?.isDirectory() || !(await isContainerdRoot(beside))) return undefined;
    resolved = beside;
  } else
    resolved = await realpath(named).catch(() => {
      throw new DataRootRefused(
        `${named} does not exist or cannot be read`,
        "Name the copy of the host's containerd root (/var/lib/containerd), the folder that holds io.containerd.metadata.v1.bolt.",
      );
    });
  if (!(await isContainerdRoot(resolved)))
    throw new DataRootRefused(
      `${resolved} is not a containerd root (no ${CONTAINERD_META} in it)`,
      "Name the copy of the host's containerd root (/var/lib/containerd), the folder that holds io.containerd.metadata.v1.bolt.",
    );
  const inUse = await containerdUsing(resolved);
  if (inUse)
    throw new DataRootRefused(
      `${resolved} is the root of a running containerd (${inUse})`,
      'Triage its containers live (without --docker-root), or copy the folder while containerd is stopped and name the copy.',
    );
  return resolved;
}

/** A running containerd whose root is `dir`. */
async function containerdUsing(dir: string): Promise<string | undefined> {
  const using = (await runningContainerds()).find((c) => c.root === dir);
  return using ? `containerd, process ${using.pid}` : undefined;
}

/**
 * containers/ with no image/ beside it, and the containerd store's own folder
 * (`rootfs/overlayfs`, where dockerd mounts the containers' roots).
 */
async function isContainerdStoreRoot(dir: string): Promise<boolean> {
  const isFolder = async (name: string) =>
    (await lstat(path.join(dir, name)).catch(() => undefined))?.isDirectory() === true;
  if (!(await isFolder('containers')) || (await isFolder('image'))) return false;
  return isFolder('rootfs/overlayfs');
}

/** containers/ and image/ are there, each a folder (not a link to one). */
async function isDataRoot(dir: string): Promise<boolean> {
  for (const name of ['containers', 'image']) {
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (!info?.isDirectory()) return false;
  }
  return true;
}

/** The data-root option of a dockerd command line (`--data-root X`, `--data-root=X`, `-g X`). */
export function dataRootOfCommandLine(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    for (const flag of ['--data-root', '--graph', '-g']) {
      if (arg === flag) return argv[i + 1];
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    }
  }
  return undefined;
}

/**
 * Which running engine uses `dir` as its data root, if any: a dockerd whose command line
 * (or /etc/docker/daemon.json, or the default /var/lib/docker) names it, or layers of it
 * mounted right now.
 */
async function engineUsing(dir: string): Promise<string | undefined> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  for (const line of mounts.split('\n')) {
    const mountPoint = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mountPoint?.startsWith(dir + '/')) return `its layers are mounted at ${mountPoint}`;
  }
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
      .split('\0')
      .filter(Boolean);
    if (!argv[0] || path.basename(argv[0]) !== 'dockerd') continue;
    const named = dataRootOfCommandLine(argv) ?? (await configuredDataRoot()) ?? '/var/lib/docker';
    const usedDir = await realpath(named).catch(() => named);
    if (usedDir === dir) return `dockerd, process ${pid}`;
  }
  return undefined;
}

async function configuredDataRoot(): Promise<string | undefined> {
  try {
    const config = JSON.parse(await readFile('/etc/docker/daemon.json', 'utf8')) as {
      'data-root'?: unknown;
    };
    return typeof config['data-root'] === 'string' ? config['data-root'] : undefined;
  } catch {
    return undefined;
  }
}
