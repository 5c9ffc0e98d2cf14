/**
 * What one file system entry is, read from a tar header: the common currency
 * of image layers, the archive endpoint and the comparison.
 */
import type { Header } from 'tar-stream';
import { isoTime } from '../iso-time.js';
import { describeCapabilitiesText } from './capabilities.js';

export type FileType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'char-device'
  | 'block-device'
  | 'fifo'
  /** Never in a tar (the engine's archives skip sockets): known from a stat of the live container. */
  | 'socket'
  | 'other';

export interface FileMeta {
  type: FileType;
  /** Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  /** Absent when unknown: a stat through the engine API reports no owner. */
  uid?: number;
  gid?: number;
  sizeBytes: number;
  /** Symlink or hardlink target, as stored (attacker-controlled text). */
  linkTarget?: string;
  mtime?: string;
  /**
   * Status change time, which no tool can set back: only where coroner read the writable
   * layer itself on the engine's host (a copied data root's is the copy's, so it is absent).
   */
  ctime?: string;
  /** File capabilities (security.capability), as getcap shows them; absent when none or unread. */
  capabilities?: string;
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
  // Layer and archive tars carry extended attributes as PAX records.
  const capability = (header.pax as Record<string, string> | undefined)?.[
    'SCHILY.xattr.security.capability'
  ];
  const mtime =
    header.mtime instanceof Date && !Number.isNaN(header.mtime.getTime())
      ? isoTime(header.mtime)
      : undefined;
  return {
    type,
    mode: (header.mode ?? 0) & 0o7777,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    sizeBytes: type === 'file' ? (header.size ?? 0) : 0,
    ...(header.linkname ? { linkTarget: header.linkname } : {}),
    ...(mtime ? { mtime } : {}),
    ...(capability !== undefined ? { capabilities: describeCapabilitiesText(capability) } : {}),
  };
}

/** `uid:gid`, or "owner unknown" when the source did not say. */
export function formatOwner(meta: Pick<FileMeta, 'uid' | 'gid'>): string {
  return meta.uid === undefined ? 'owner unknown' : `${meta.uid}:${meta.gid ?? '?'}`;
}

/**
 * Meta from the engine's path stat (HEAD on the archive endpoint): Go's FileMode, whose
 * type bits sit above the permission bits. No owner is reported.
 */
export function metaFromPathStat(stat: {
  mode: number;
  size: number;
  mtime?: string;
  linkTarget?: string;
}): FileMeta {
  const GO = { dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, pipe: 2 ** 25, socket: 2 ** 24 };
  const GO_CHAR_DEVICE = 2 ** 21;
  const GO_SETUID = 2 ** 23;
  const GO_SETGID = 2 ** 22;
  const GO_STICKY = 2 ** 20;
  const has = (bit: number) => Math.floor(stat.mode / bit) % 2 === 1;
  const type: FileType = has(GO.dir)
    ? 'directory'
    : has(GO.symlink)
      ? 'symlink'
      : has(GO.socket)
        ? 'socket'
        : has(GO.pipe)
          ? 'fifo'
          : has(GO.device)
            ? has(GO_CHAR_DEVICE)
              ? 'char-device'
              : 'block-device'
            : 'file';
  const mode =
    (stat.mode % 0o1000) +
    (has(GO_SETUID) ? 0o4000 : 0) +
    (has(GO_SETGID) ? 0o2000 : 0) +
    (has(GO_STICKY) ? 0o1000 : 0);
  const mtime =
    stat.mtime && !Number.isNaN(Date.parse(stat.mtime)) ? new Date(stat.mtime) : undefined;
  return {
    type,
    mode,
    sizeBytes: type === 'file' ? stat.size : 0,
    ...(stat.linkTarget ? { linkTarget: stat.linkTarget } : {}),
    ...(mtime ? { mtime: isoTime(mtime) } : {}),
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
    socket: 's',
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
