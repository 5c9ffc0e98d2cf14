/**
 * A path whose name is not UTF-8 reaches coroner through the engine's JSON with
 * each bad byte replaced by U+FFFD, so the archive endpoint cannot be asked for
 * it. When coroner runs as root on the engine's own host, the evidence image's
 * committed layer is a folder it can read (GraphDriver UpperDir): there the
 * names are the raw bytes, and a name matches when its bytes decode to what the
 * engine reported. Read-only, never through a link.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import type { StoredVersion } from '../../report/change.js';
import { resolveInLayer, storeResolved } from './layer-dir.js';

export { hasReplacedBytes } from './layer-dir.js';

export interface RawNameMatch {
  /** The path as raw bytes under the layer folder. */
  rawPath: Buffer;
  version: StoredVersion;
}

/**
 * Finds `containerPath` (as the engine reported it) in `layerDir` by raw bytes and stores a
 * regular file's content; undefined when no entry matches.
 */
export async function readByRawName(
  layerDir: string,
  containerPath: string,
  folder: CaseFolder,
  storeAs: string,
  description: string,
): Promise<RawNameMatch | undefined> {
  const found = await resolveInLayer(layerDir, containerPath);
  if (!found) return undefined;
  const version = await storeResolved(found, folder, storeAs, description, {
    maxContentBytes: Number.POSITIVE_INFINITY,
  });
  return { rawPath: found.raw, version };
}
