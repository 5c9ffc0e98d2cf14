/**
 * The container's writable layer itself (overlay2's upper dir), read as root on the engine's
 * host while coroner holds the container paused. The engine's change list (`docker diff`)
 * compares sizes and times, so a same-size edit whose modification time was put back, or a
 * change of attributes alone, is missing from it; overlayfs copies a file up on any write,
 * so the upper dir holds every one. It is walked once, never through a link: the walk
 * indexes it (entries, 0/0 deletions, opaque folders) and archives it whole into the case
 * (hashed as written), so every changed file's bytes are kept however the engine built its
 * commit. Issue 25; https://docs.kernel.org/filesystems/overlayfs.html
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CaseFolder } from '../../case/case-folder.js';
import { Cancelled } from '../../errors.js';
import type { CustodyLog } from '../../case/custody.js';
import { archiveEntries, inPieces, type FolderEntry } from '../../changes/layer-archive.js';
import { emptyLayerIndex, type LayerIndex } from '../../layers/layer-index.js';
import type { ArtifactRecord } from '../../report/artifact.js';
import {
  indexLayerDir,
  isWhiteoutDevice,
  typeOfStat,
  walkLayerDir,
} from '../layer-store/layer-dir.js';
import { readCapabilities, readOpaqueDirs } from '../layer-store/overlay-xattrs.js';
import { readRootOverlay } from '../host-proc/root-overlay.js';
import { isInContainer } from '../host-proc/processes.js';
import { snapshotOfContainer } from '../containerd-store/running-roots.js';
import type { ContainerInspect } from './types.js';

/** Where the archive of the writable layer goes in the case. */
export const WRITABLE_LAYER_ARCHIVE = 'container/writable-layer.tar';

/** A non-directory entry's times, as the layer had them (the report's ctime comes from here). */
export interface LayerTimes {
  mtimeMs: number;
  ctimeMs: number;
}

export interface WritableLayerRead {
  /** The upper dir on the engine's host. */
  dir: string;
  /** What the container wrote: its entries, deletions and opaque folders. */
  index: LayerIndex;
  /** The engine's own init layer under it (hosts, resolv.conf…): not the container's doing. */
  init: LayerIndex;
  /** Times of every entry that is not a folder. */
  times: Map<string, LayerTimes>;
  /** The archive of the upper dir in the case. */
  archive: ArtifactRecord;
  readAt: string;
  /** Entries archived other than as they were (sockets, files changing under the read). */
  notes: string[];
}

/** Why the writable layer could not be read here. */
export interface NotRead {
  reason: string;
}

const MAX_NOTES = 100;

/**
 * The container's upper dir and init layer, when this process can read them: root, the
 * engine on this host, an overlay root. Overlay2 names them in the inspect; Docker's
 * containerd image store names none (only a snapshot key), so there they are the kernel's
 * word: the overlay mounted on `/` in the mountinfo of the container's first process, once
 * that process is proved to be in the container's cgroup.
 */
async function upperDirOf(
  inspect: ContainerInspect,
  isRemote: boolean,
): Promise<{ upper: string; init?: string; from: string } | NotRead> {
  if (isRemote)
    return {
      reason: "the engine is reached over ssh: its host's layer store is not this machine's",
    };
  if (process.getuid?.() !== 0) return { reason: 'coroner is not root' };
  const driver = inspect.GraphDriver?.Name ?? '';
  const data = (inspect.GraphDriver?.Data ?? {}) as Record<string, unknown>;
  const named = data['UpperDir'];
  if (named !== undefined && (driver !== 'overlay2' || typeof named !== 'string'))
    return { reason: `the engine's storage driver is ${driver || 'not named'}, not overlay2` };
  // The init layer is the lowest-but-image: the first lower dir (overlay2 names it
  // <id>-init; on the containerd store it is snapshot <id>-init, a numbered folder). It only
  // ever counts as a layer below, so an image layer taken for it costs nothing.
  const where =
    typeof named === 'string'
      ? {
          upper: named,
          init: typeof data['LowerDir'] === 'string' ? data['LowerDir'].split(':')[0] : undefined,
          from: `overlay2 upper dir ${named}`,
        }
      : await upperFromMount(inspect, driver);
  if ('reason' in where) return where;
  const { upper, from } = where;
  if (!path.isAbsolute(upper))
    return { reason: `the engine names the upper dir ${upper}, not a path` };
  const stat = await lstat(upper).catch(() => undefined);
  if (!stat?.isDirectory())
    return {
      reason: `the container's upper dir (${upper}) is not a folder on this machine: a remote engine, or another host`,
    };
  const init =
    where.init && (named === undefined || /-init\/diff$/.test(where.init)) ? where.init : undefined;
  return init ? { upper, init, from } : { upper, from };
}

/** The upper and lower dirs of a running container's root overlay, from its init's mountinfo. */
async function upperFromMount(
  inspect: ContainerInspect,
  driver: string,
): Promise<{ upper: string; init?: string; from: string } | NotRead> {
  const notNamed = `the engine names no upper dir (storage driver ${driver || 'not named'})`;
  const pid = inspect.State?.Pid ?? 0;
  if (!inspect.State?.Running || !Number.isSafeInteger(pid) || pid < 1) {
    // Stopped: no mount, but containerd's own metadata keeps the container's snapshot.
    const snapshot = await snapshotOfContainer(inspect.Id).catch(() => undefined);
    if (!snapshot)
      return {
        reason: `${notNamed}, the container is not running to read it from its mount, and no running containerd on this host holds a snapshot of it`,
      };
    const [own, below] = snapshot.chain;
    return {
      upper: own!.dir,
      ...(below?.key === `${inspect.Id}-init` ? { init: below.dir } : {}),
      from: `upper dir ${own!.dir}, from containerd's metadata in ${snapshot.root} (the container is stopped)`,
    };
  }
  if (!(await isInContainer(pid, inspect.Id)))
    return {
      reason: `${notNamed}, and process ${pid} is not in the container's cgroup in this host's /proc: a remote engine, or one that lies`,
    };
  const overlay = await readRootOverlay(pid);
  if ('reason' in overlay) return { reason: `${notNamed}, and ${overlay.reason}` };
  return {
    upper: overlay.upperDir,
    ...(overlay.lowerDirs[0] ? { init: overlay.lowerDirs[0] } : {}),
    from: `upper dir ${overlay.upperDir}, from the kernel's mount table`,
  };
}

/**
 * Reads and archives the writable layer, or says why it cannot be read here. Call it in
 * the freeze's pause: what it returns is the layer at that instant.
 */
export async function readWritableLayer(
  inspect: ContainerInspect,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: { isRemote: boolean; maxFileBytes: number; signal?: AbortSignal },
): Promise<WritableLayerRead | NotRead> {
  const where = await upperDirOf(inspect, opts.isRemote);
  if ('reason' in where) {
    custody.record(
      "read the container's writable layer on the engine's host",
      inspect.Id,
      'skipped',
      where.reason,
    );
    return where;
  }
  const dir = where.upper;
  const [opaque, capabilities] = await Promise.all([readOpaqueDirs(dir), readCapabilities(dir)]);
  const notes: string[] = [];
  for (const problem of [opaque.problem, capabilities.problem])
    if (problem) notes.push(`extended attributes: ${problem}`);
  const index = emptyLayerIndex('writable');
  for (const d of opaque.dirs) index.opaqueDirs.add(d);
  const times = new Map<string, LayerTimes>();
  const root = Buffer.from(dir);
  // One walk: each entry is indexed as the archive takes it.
  async function* walked(): AsyncGenerator<FolderEntry> {
    for await (const entry of walkLayerDir(dir)) {
      if (opts.signal?.aborted) throw new Cancelled('freezing the evidence');
      const { stat } = entry;
      if (isWhiteoutDevice(stat)) index.whiteouts.add(entry.path);
      else index.entries.set(entry.path, typeOfStat(stat));
      if (!stat.isDirectory())
        times.set(entry.path, { mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs });
      const xattrs = new Map<string, Buffer>();
      if (opaque.dirs.has(entry.path)) xattrs.set('trusted.overlay.opaque', Buffer.from('y'));
      const capability = capabilities.byPath.get(entry.path);
      if (capability) xattrs.set('security.capability', capability);
      yield {
        rawPath: entry.raw.subarray(root.length),
        hostPath: entry.raw,
        stat,
        ...(xattrs.size ? { xattrs } : {}),
      };
    }
  }
  const note = (rawPath: Buffer, text: string) => {
    if (notes.length < MAX_NOTES)
      notes.push(`${JSON.stringify(rawPath.toString('utf8'))}: ${text}`);
  };
  const readAt = new Date().toISOString();
  const archive = await custody.step(
    "archive the container's writable layer (its upper dir on the engine's host, read only, never through a link) while frozen",
    dir,
    () =>
      folder.writeStream(
        WRITABLE_LAYER_ARCHIVE,
        Readable.from(inPieces(archiveEntries(walked(), note, opts.maxFileBytes))),
        {
          description: `the container's writable layer (${where.from}) as it was while frozen: every entry the container wrote, deletions as 0/0 character devices, opaque folders and capabilities as extended attributes`,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      ),
    (r) =>
      `${index.entries.size} entries, ${index.whiteouts.size} deletions; ${r.sizeBytes} bytes, sha256 ${r.sha256}`,
  );
  const init = where.init
    ? await indexLayerDir(where.init, 'init').catch(() => emptyLayerIndex('init'))
    : emptyLayerIndex('init');
  return { dir, index, init, times, archive, readAt, notes };
}
