/**
 * Container paths are attacker-chosen bytes. Before one becomes a file name on
 * the responder's disk it is encoded component by component, so it can never
 * climb out of the folder it is stored under, collide with another, or carry
 * control characters.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CaseFolderError } from '../errors.js';

const PLAIN = /^[A-Za-z0-9._+@,=~-]$/;
const MAX_COMPONENT_BYTES = 200;

function encodeComponent(name: string): string {
  if (name === '.' || name === '..') return name.replace(/\./g, '%2E');
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out +=
      PLAIN.test(ch) && byte !== 0x25 ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_COMPONENT_BYTES) {
    // Still unique: the full name's hash replaces the tail that does not fit.
    const digest = createHash('sha256').update(name).digest('hex').slice(0, 16);
    out = `${out.slice(0, MAX_COMPONENT_BYTES - 18)}~${digest}`;
  }
  return out;
}

/** The relative, encoded file name under which a container path is stored (posix separators). */
export function encodeContainerPath(containerPath: string): string {
  const parts = containerPath.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) return '%2F';
  return parts.map(encodeComponent).join('/');
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
