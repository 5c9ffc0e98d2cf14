/**
 * A running process's executable against the image's file at the same path: absent
 * from the image, the same bytes, or different (a replaced binary). The process's
 * bytes were recovered through /proc; the image's are hashed from its layer folder.
 */
import { findOriginLayer } from '../../layers/layer-index.js';
import type { ProcessRecord } from '../../report/process.js';
import { sha256Of, type ImageFolders } from './compare-mount.js';
import { resolveInLayer } from './layer-dir.js';

export async function compareExecutables(
  processes: readonly ProcessRecord[],
  image: ImageFolders,
): Promise<void> {
  const verdicts = new Map<string, ProcessRecord['exe']['image']>();
  for (const p of processes) {
    const key = `${p.exe.path}\0${p.exe.stored?.sha256 ?? ''}`;
    if (!verdicts.has(key)) verdicts.set(key, await verdict(p.exe, image));
    const v = verdicts.get(key);
    if (v) p.exe.image = v;
  }
}

async function verdict(
  exe: ProcessRecord['exe'],
  image: ImageFolders,
): Promise<ProcessRecord['exe']['image']> {
  const position = findOriginLayer(image.indexes, exe.path);
  const found =
    position === undefined ? undefined : await resolveInLayer(image.dirs[position]!, exe.path);
  if (!found?.stat.isFile()) return 'absent';
  if (!exe.stored || exe.stored.isTruncated) return undefined; // not enough recovered to say
  return (await sha256Of(found.raw)) === exe.stored.sha256 ? 'same' : 'different';
}
