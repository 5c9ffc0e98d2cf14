/**
 * What lives in the container's memory-backed mounts (/dev/shm, tmpfs): gone when
 * it stops, never in the change list or the evidence image. On the engine's host
 * they are folders inside the container's root, read there through ContainerRoot
 * (never against the host's root, never through a link). A tmpfs starts empty, so
 * everything in it is new. Names are raw bytes, kept apart by `nameFromBytes`; one
 * file that cannot be read or stored is a gap named, never the end of the freeze.
 */
import { nameFromBytes, storedName } from '../../case/container-path.js';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import { toVersion } from '../../case/stored-version.js';
import { Cancelled } from '../../errors.js';
import type { StoredVersion } from '../../report/change.js';
import type { FileMeta } from '../../report/file-meta.js';
import type { NotCollected } from '../../report/triage-report.js';
import type { MountedChange } from '../evidence-source.js';
import { statMeta } from '../layer-store/layer-dir.js';
import { ContainerRoot, MAX_WALK_DEPTH, type RootEntry } from './container-root.js';

/** Entries read per mount, at most: a tmpfs full of files is still read within a bound. */
const MAX_ENTRIES = 10_000;
/** Unreadable files named one by one, at most, per mount; the rest are counted. */
const MAX_NAMED_GAPS = 20;

const describeError = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 300);

async function metaOf(entry: RootEntry): Promise<FileMeta> {
  const { stat } = entry;
  return {
    ...statMeta(stat),
    ...(stat.isSymbolicLink()
      ? { linkTarget: nameFromBytes(await ContainerRoot.readLink(entry)) }
      : {}),
  };
}

async function store(
  entry: RootEntry,
  path: string,
  destination: string,
  folder: CaseFolder,
  opts: { maxContentBytes: number; signal?: AbortSignal },
): Promise<StoredVersion> {
  const meta = await metaOf(entry);
  if (meta.type !== 'file') return { meta };
  const handle = await ContainerRoot.openFile(entry);
  if (!handle) throw new Error('it was replaced while being read');
  const record = await folder.writeOpenFile(`current/${storedName(path)}`, handle, {
    description: `content of ${JSON.stringify(path)}, in the tmpfs ${destination}`,
    isListed: false,
    maxBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return toVersion(meta, record);
}

export async function readMemoryMounts(
  root: ContainerRoot,
  destinations: readonly string[],
  folder: CaseFolder,
  custody: CustodyLog,
  opts: { maxContentBytes: number; signal?: AbortSignal },
): Promise<{ changes: MountedChange[]; read: string[]; notCollected: NotCollected[] }> {
  const changes: MountedChange[] = [];
  const read: string[] = [];
  const notCollected: NotCollected[] = [];
  for (const destination of destinations) {
    const gaps: NotCollected[] = [];
    let unnamedGaps = 0;
    const gap = (item: string, reason: string) => {
      if (gaps.length < MAX_NAMED_GAPS) gaps.push({ item, reason });
      else unnamedGaps++;
    };
    await custody
      .step(
        `read the tmpfs ${destination} inside the container's root on the engine's host`,
        destination,
        async () => {
          const dir = await root.openFolder(destination);
          let count = 0;
          try {
            for await (const entry of ContainerRoot.walk(dir, (raw) =>
              gap(
                `${destination}${nameFromBytes(raw)}/*`,
                `deeper than the ${MAX_WALK_DEPTH} folders coroner reads in a tmpfs`,
              ),
            )) {
              if (opts.signal?.aborted) throw new Cancelled('triage');
              if (++count > MAX_ENTRIES) {
                gap(
                  `all of ${destination}`,
                  `more entries than coroner reads from one tmpfs (${MAX_ENTRIES.toLocaleString('en')}); the first were read`,
                );
                break;
              }
              const path = destination + nameFromBytes(entry.raw);
              try {
                const current = await store(entry, path, destination, folder, opts);
                changes.push({
                  entry: { path, kind: 'A' },
                  mount: { type: 'tmpfs', destination },
                  versions: { current },
                });
              } catch (e) {
                if (opts.signal?.aborted) throw e;
                gap(path, `could not be read or stored: ${describeError(e)}`);
              }
            }
          } finally {
            await dir.close();
          }
          read.push(destination);
          return count;
        },
        (n) => `${Math.min(n, MAX_ENTRIES)} entries`,
      )
      .catch((e: unknown) => {
        if (opts.signal?.aborted) throw e;
        gap(`all of ${destination}`, `could not be read: ${describeError(e)}`);
      });
    if (unnamedGaps)
      gaps.push({
        item: `${unnamedGaps} more entries of ${destination}`,
        reason: 'could not be read or stored (the first are named)',
      });
    notCollected.push(...gaps);
  }
  return { changes, read, notCollected };
}
