/**
 * OCI layer whiteouts: a `.wh.<name>` entry deletes <name> from the layers
 * below; a `.wh..wh..opq` entry makes its directory opaque (hides everything
 * the layers below had in it, while this layer's own entries stay).
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function isOpaqueMarker(path: string): boolean {
  return baseName(path) === OPAQUE_MARKER;
}

export function isWhiteout(path: string): boolean {
  return baseName(path).startsWith(WHITEOUT_PREFIX) && !isOpaqueMarker(path);
}

/** The path a whiteout entry deletes: `/a/.wh.b` -> `/a/b`. */
export function whitedOutPath(path: string): string {
  const dir = dirName(path);
  const name = baseName(path).slice(WHITEOUT_PREFIX.length);
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The directory an opaque marker applies to: `/a/.wh..wh..opq` -> `/a`. */
export function opaqueDirectory(path: string): string {
  return dirName(path);
}
