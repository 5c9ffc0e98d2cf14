/**
 * Container paths are attacker-chosen bytes. A changed file is stored under a
 * name derived from the SHA-256 of its whole path, so the mapping is injective
 * on every common file system: no two container paths share a stored file
 * (whatever their case, Unicode normalisation or length), no stored name can
 * climb out of its folder, carry a control character, pass PATH_MAX, or look
 * like one of coroner's own temporary files. The report maps each path to its
 * stored file; a short readable tail of the base name helps a person browsing.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CaseFolderError } from '../errors.js';

/** How much of the base name is kept after the hash, for a person reading a listing. */
const MAX_TAIL_CHARS = 40;

/**
 * The readable tail: ASCII letters, digits, `.`, `_` and `-` of the base name, never
 * starting or ending with a dot (Windows drops a trailing one). Not needed for uniqueness.
 */
function readableTail(containerPath: string): string {
  const base = containerPath.slice(containerPath.lastIndexOf('/') + 1);
  return base
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, MAX_TAIL_CHARS)
    .replace(/^[._-]+|[._-]+$/g, '');
}

/**
 * The relative file name (posix separators) under which a container path's content is
 * stored: `ab/ab12…ef-name`, the first two hex digits as a folder so that no folder
 * holds more than a few hundred of 50,000 files.
 */
export function storedName(containerPath: string): string {
  const digest = createHash('sha256').update(containerPath, 'utf8').digest('hex');
  const tail = readableTail(containerPath);
  return `${digest.slice(0, 2)}/${digest}${tail ? `-${tail}` : ''}`;
}

/** A file name safe on any file system for a name of coroner's choosing (a container's name). */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'container';
}

/** A container name of any shape as a lowercase slug (image repositories need one). */
export function nameSlug(containerName: string): string {
  const slug = containerName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 100);
  return slug || 'container';
}

/**
 * The path guard: the absolute location of `relative` under `root`, refusing
 * anything that would land outside it.
 */
export function resolveInside(root: string, relative: string): string {
  if (relative.includes('\0')) {
    throw new CaseFolderError(
      `refusing a file name with a NUL byte under ${root}`,
      'This is a bug in coroner; report it.',
    );
  }
  const base = path.resolve(root);
  const full = path.resolve(base, relative);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new CaseFolderError(
      `refusing to write ${JSON.stringify(relative)}: it resolves outside ${base}`,
      'This is a bug in coroner; report it with the container path involved.',
    );
  }
  return full;
}
