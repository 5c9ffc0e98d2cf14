/**
 * `--deep`: where the container's writable layer cannot be read (a remote engine, not
 * root), what the engine's stat comparison misses is found the slow way. The container's
 * whole filesystem, as the engine exports it (`docker export`), is kept in the case,
 * hashed; the original image's filesystem is exported the same way from a never-started
 * reader container; every path is compared by type, mode, owner, link target, size and
 * content hash. The cost grows with the image, not with the change: the report says so.
 * Nothing runs inside the suspect; the export is taken while it is paused.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { layerEntryPath } from '../../layers/layer-index.js';
import type { ArtifactRecord } from '../../report/artifact.js';
import type { ChangeEntry, StoredVersion } from '../../report/change.js';
import { metaFromHeader, type FileMeta } from '../../report/file-meta.js';
import { tarEntries, type TarEntry } from '../../tar-entries.js';
import { storeEntry } from './archive-reader.js';
import type { Engine } from './engine.js';

/** Where the export of the container goes in the case. */
export const DEEP_EXPORT = 'container/filesystem-deep.tar';

export interface DeepRead {
  /** What the export holds that the image does not, lacks, or holds otherwise. */
  changes: ChangeEntry[];
  /** The current version of each changed path, from the kept export. */
  current: Map<string, StoredVersion>;
  archive: ArtifactRecord;
  /** Paths in the container's export. */
  entryCount: number;
  /** The changed paths that are folders. */
  folders: Set<string>;
  readAt: string;
  notes: string[];
}

/**
 * Paths held in memory per export at most: above any real image (a Debian with everything
 * is ~400,000), and a bound (a few hundred MiB) on what an engine that lies can make
 * coroner hold.
 */
export const MAX_EXPORT_PATHS = 1_000_000;

/** What a path is, for comparing: its meta without times, and a regular file's content hash. */
type Print = string;

function printOf(meta: FileMeta, sha256?: string): Print {
  return [meta.type, meta.mode, meta.uid, meta.gid, meta.linkTarget ?? '', meta.sizeBytes, sha256]
    .map(String)
    .join('\0');
}

async function printEntry(entry: TarEntry): Promise<Print> {
  const meta = metaFromHeader(entry.header);
  if (meta.type !== 'file') {
    entry.resume();
    return printOf(meta);
  }
  const hash = createHash('sha256');
  for await (const chunk of entry) hash.update(chunk as Buffer);
  return printOf(meta, hash.digest('hex'));
}

/** The paths of a filesystem export, each with its print. */
async function printsOf(
  tar: Readable,
  signal: AbortSignal | undefined,
  onEach?: (path: string, print: Print) => void,
): Promise<Map<string, Print>> {
  const prints = new Map<string, Print>();
  for await (const entry of tarEntries(tar, signal)) {
    const path = layerEntryPath(entry.header.name);
    // An export names no path twice and none outside; a second one is ignored, as unpacking keeps the last.
    if (path === undefined || path === '/') {
      entry.resume();
      continue;
    }
    const print = await printEntry(entry);
    prints.set(path, print);
    if (prints.size > MAX_EXPORT_PATHS)
      throw new Error(
        `the export holds more than ${MAX_EXPORT_PATHS} paths, more than any real filesystem: not compared`,
      );
    onEach?.(path, print);
  }
  return prints;
}

/**
 * Exports the suspect (paused by the caller) into the case, exports the image through a
 * reader, and compares them. Folders count only when their own mode or owner changed.
 */
export async function deepCompare(
  engine: Engine,
  suspectId: string,
  imageId: string,
  folder: CaseFolder,
  custody: CustodyLog,
  opts: {
    maxContentBytes: number;
    readerLabels: Record<string, string>;
    storeAs: (path: string) => string;
    signal?: AbortSignal;
  },
): Promise<DeepRead> {
  const readAt = new Date().toISOString();
  const archive = await custody.step(
    "export the container's whole filesystem into the case (--deep, while paused)",
    suspectId,
    async () =>
      folder.writeStream(DEEP_EXPORT, await engine.exportContainer(suspectId, opts.signal), {
        description:
          "the container's whole filesystem as the engine exported it while paused (--deep): compared with the image's by content",
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    (r) => `${r.sizeBytes} bytes, sha256 ${r.sha256}`,
  );
  const image = await custody.step(
    "export the original image's filesystem through a never-started reader, and hash every file (--deep)",
    imageId,
    async () => {
      const reader = await engine.createReader(imageId, opts.readerLabels);
      try {
        return await printsOf(await engine.exportContainer(reader, opts.signal), opts.signal);
      } finally {
        await engine.removeContainer(reader, { removeVolumes: true }).catch(() => undefined);
      }
    },
    (m) => `${m.size} paths`,
  );
  const kept = () => createReadStream(folder.locate(DEEP_EXPORT));
  const changes: ChangeEntry[] = [];
  const changed = new Set<string>();
  const folders = new Set<string>();
  const seen = new Set<string>();
  const container = await custody.step(
    'compare the export with the image, path by path, by content hash (--deep)',
    DEEP_EXPORT,
    () =>
      printsOf(kept(), opts.signal, (path, print) => {
        seen.add(path);
        const was = image.get(path);
        if (was === print) return;
        const isFolder = print.startsWith('directory\0');
        // A folder's size is the filesystem's business, not a change.
        if (
          was !== undefined &&
          isFolder &&
          was.split('\0', 4).join() === print.split('\0', 4).join()
        )
          return;
        changes.push({ path, kind: was === undefined ? 'A' : 'C' });
        if (isFolder) folders.add(path);
        else changed.add(path);
      }),
    (m) => `${m.size} paths, ${changes.length} differ`,
  );
  for (const path of image.keys()) if (!seen.has(path)) changes.push({ path, kind: 'D' });
  // The current versions of what differs, from the kept export: the suspect is not read again.
  const current = new Map<string, StoredVersion>();
  if (changed.size > 0)
    for await (const entry of tarEntries(kept(), opts.signal)) {
      const path = layerEntryPath(entry.header.name);
      if (path === undefined || !changed.has(path) || current.has(path)) {
        entry.resume();
        continue;
      }
      const { written } = await storeEntry(
        entry,
        folder,
        opts.storeAs(path),
        `current version of ${path}, from the --deep export`,
        { maxContentBytes: opts.maxContentBytes, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      current.set(path, await written);
    }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    changes,
    current,
    archive,
    entryCount: container.size,
    folders,
    readAt,
    notes: [
      `read with --deep: the container's whole filesystem (${archive.sizeBytes} bytes) and the image's (${image.size} paths) were exported by the engine and compared by content hash; the cost grows with the image, not with the change`,
    ],
  };
}
