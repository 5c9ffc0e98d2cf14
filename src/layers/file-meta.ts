/**
 * What one file system entry is, read from a tar header: the common currency
 * of image layers, the archive endpoint and the comparison.
 */
import type { Header } from 'tar-stream';

export type FileType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'other';

export interface FileMeta {
  type: FileType;
  /** Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  /** Symlink or hardlink target, as stored (attacker-controlled text). */
  linkTarget?: string;
  mtime?: string;
}

const TYPE_BY_TAR: Record<string, FileType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

export function metaFromHeader(header: Header): FileMeta {
  const type = TYPE_BY_TAR[header.type ?? 'file'] ?? 'other';
  const mtime =
    header.mtime instanceof Date && !Number.isNaN(header.mtime.getTime())
      ? header.mtime.toISOString()
      : undefined;
  return {
    type,
    mode: (header.mode ?? 0) & 0o7777,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    sizeBytes: type === 'file' ? (header.size ?? 0) : 0,
    ...(header.linkname ? { linkTarget: header.linkname } : {}),
    ...(mtime ? { mtime } : {}),
  };
}

/** `-rwsr-xr-x`-style rendering of type and mode. */
export function formatMode(meta: Pick<FileMeta, 'type' | 'mode'>): string {
  const typeChar: Record<FileType, string> = {
    file: '-',
    directory: 'd',
    symlink: 'l',
    hardlink: 'h',
    'char-device': 'c',
    'block-device': 'b',
    fifo: 'p',
    other: '?',
  };
  const m = meta.mode;
  const bit = (mask: number, ch: string) => (m & mask ? ch : '-');
  const exec = (x: number, special: number, set: string, unset: string) =>
    m & special ? (m & x ? set : unset) : m & x ? 'x' : '-';
  return (
    typeChar[meta.type] +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    exec(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    exec(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    exec(0o001, 0o1000, 't', 'T')
  );
}
