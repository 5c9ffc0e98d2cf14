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

/** The first of the lone surrogates U+DC80–U+DCFF that stand for the bytes 0x80–0xFF. */
const ESCAPE_BASE = 0xdc00;

/** Length of the well-formed UTF-8 sequence at `i` (no overlong form, no surrogate), or 0. */
function utf8SequenceAt(raw: Uint8Array, i: number): number {
  const b0 = raw[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number) => i + k < raw.length && (raw[i + k]! & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  const b1 = raw[i + 1] ?? 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if ((b0 === 0xe0 && b1 < 0xa0) || (b0 === 0xed && b1 > 0x9f)) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if ((b0 === 0xf0 && b1 < 0x90) || (b0 === 0xf4 && b1 > 0x8f)) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * A file name's raw bytes as text without losing any: well-formed UTF-8 decodes as usual,
 * and each byte that is not part of it becomes the lone surrogate U+DC00 + byte (Python's
 * `surrogateescape`). No UTF-8 decodes to a lone surrogate, so two names that differ in any
 * byte stay two strings (U+FFFD would merge them: a web shell could hide behind a decoy).
 * `nameBytes` gives the bytes back.
 */
export function nameFromBytes(raw: Uint8Array): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < raw.length;) {
    const length = utf8SequenceAt(raw, i);
    if (length) {
      i += length;
      continue;
    }
    out += Buffer.from(raw.subarray(start, i)).toString('utf8');
    out += String.fromCharCode(ESCAPE_BASE + raw[i]!);
    start = ++i;
  }
  return out + Buffer.from(raw.subarray(start)).toString('utf8');
}

/** The raw bytes of a name made by `nameFromBytes` (any other string: its UTF-8). */
export function nameBytes(name: string): Buffer {
  if (!/[\udc80-\udcff]/.test(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    const isEscape =
      code >= 0xdc80 && code <= 0xdcff && !(i > 0 && /[\ud800-\udbff]/.test(name[i - 1]!));
    if (!isEscape) continue;
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.of(code - ESCAPE_BASE));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * The relative file name (posix separators) under which a container path's content is
 * stored: `ab/ab12…ef-name`, the first two hex digits as a folder so that no folder
 * holds more than a few hundred of 50,000 files. The hash covers the path's raw bytes
 * (`nameBytes`), so names that differ only in bytes that are not UTF-8 are stored apart.
 */
export function storedName(containerPath: string): string {
  const digest = createHash('sha256').update(nameBytes(containerPath)).digest('hex');
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
