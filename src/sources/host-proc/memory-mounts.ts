/**
 * What lives in the container's memory-backed mounts (/dev/shm, tmpfs): gone when
 * it stops, never in the change list or the evidence image. On the engine's host
 * they are folders under /proc/<pid>/root, read there without following a link.
 * A tmpfs starts empty, so everything in it is new.
 */
import { storedName } from '../../case/container-path.js';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import type { MountedChange } from '../evidence-source.js';
import { storeResolved, walkLayerDir } from '../layer-store/layer-dir.js';

/** Entries read per mount, at most: a tmpfs full of files is still read within a bound. */
const MAX_ENTRIES = 10_000;

export async function readMemoryMounts(
  initPid: number,
  destinations: readonly string[],
  folder: CaseFolder,
  custody: CustodyLog,
  opts: { maxContentBytes: number; signal?: AbortSignal },
): Promise<{ changes: MountedChange[]; cut: string[] }> {
  const changes: MountedChange[] = [];
  const cut: string[] = [];
  for (const destination of destinations) {
    const dir = `/proc/${initPid}/root${destination}`;
    const found = await custody.step(
      `read the tmpfs ${destination} through /proc/${initPid}/root on the engine's host`,
      destination,
      async () => {
        let count = 0;
        for await (const entry of walkLayerDir(dir)) {
          if (opts.signal?.aborted) break;
          if (++count > MAX_ENTRIES) {
            cut.push(destination);
            break;
          }
          const path = destination + entry.path;
          const current = await storeResolved(
            entry,
            folder,
            `current/${storedName(path)}`,
            `content of ${JSON.stringify(path)}, in the tmpfs ${destination}`,
            opts,
          );
          changes.push({
            entry: { path, kind: 'A' },
            mount: { type: 'tmpfs', destination },
            versions: { current },
          });
        }
        return count;
      },
      (n) => `${Math.min(n, MAX_ENTRIES)} entries`,
    );
    void found;
  }
  return { changes, cut };
}
