/**
 * The writable layer against the engine's change list. The layer is the authority (overlayfs
 * copies a file up on any write); the engine's list (`docker diff`) compares sizes and times,
 * so a path it lacks was changed in a way that kept them, and a path only it has is one the
 * layer does not hold. Folders copied up only to hold a changed file are not changes of
 * their own, on either side.
 */
import type { ChangeEntry } from '../report/change.js';
import { isSameMeta } from '../findings/timestomp-rules.js';
import type { FileMeta } from '../report/file-meta.js';

export interface CrossCheck {
  /** In the writable layer, not in the engine's list. */
  notInEngineList: ChangeEntry[];
  /** In the engine's list, not in the writable layer. */
  notInWritableLayer: ChangeEntry[];
}

/**
 * `isFolder(path)`: the layer holds a folder at `path`. A changed folder (copied up) the
 * engine does not list is no disagreement; neither is a folder the engine lists because
 * something under it is in the layer.
 */
export function crossCheck(
  layer: readonly ChangeEntry[],
  engine: readonly ChangeEntry[],
  isFolder: (path: string) => boolean,
): CrossCheck {
  const listed = new Set(engine.map((e) => e.path));
  const inLayer = new Set(layer.map((e) => e.path));
  const holdsChanges = new Set<string>();
  for (const { path } of layer)
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const parent = path.slice(0, i);
      if (holdsChanges.has(parent)) break;
      holdsChanges.add(parent);
    }
  return {
    notInEngineList: layer.filter(
      (e) => !listed.has(e.path) && !(e.kind === 'C' && isFolder(e.path)),
    ),
    notInWritableLayer: engine.filter((e) => !inLayer.has(e.path) && !holdsChanges.has(e.path)),
  };
}

function sameSecond(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);
}

/** Why the engine's stat comparison left out a path the writable layer holds, in words. */
export function whyNotInEngineList(
  kind: ChangeEntry['kind'],
  original: FileMeta | undefined,
  current: FileMeta | undefined,
  isContentChanged: boolean | undefined,
  isContentSame?: boolean,
): string {
  if (kind !== 'C' || !original || !current) return 'the engine did not list it';
  const sameSize = original.sizeBytes === current.sizeBytes;
  const sameTime = sameSecond(original.mtime, current.mtime);
  if (sameTime && isContentSame && isSameMeta(original, current))
    return 'unchanged: opened for writing, copied up as it was';
  if (sameSize && sameTime && isContentChanged) return 'same size, modification time put back';
  if (sameSize && sameTime && original.capabilities !== current.capabilities)
    return 'only its file capabilities changed (same size and modification time)';
  if (sameSize && sameTime) return 'same size and modification time';
  return 'the engine did not list it, though its size or time changed';
}
