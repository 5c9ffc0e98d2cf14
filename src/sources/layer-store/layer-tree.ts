/**
 * An image layer's folder held against the layer's own record, entry by entry and both
 * ways: every entry the tar recorded must be in the folder as the tar made it (type,
 * mode with setuid/setgid/sticky, owner, link target, hard link identity, device numbers,
 * extended attributes such as `security.capability`), and the folder must hold nothing
 * the tar did not. Contents are the rebuild's part (tar-split.ts). Docker unpacks a layer
 * with its overlay whiteout format: a `.wh.<name>` entry becomes a 0/0 character device
 * `<name>`, a `.wh..wh..opq` entry becomes `trusted.overlay.opaque=y` on its folder, and a
 * missing parent folder is made 0755 and root's (moby pkg/archive, archive_linux.go and
 * archive.go Unpack). Modification times are not compared: Docker sets them from the tar
 * but a folder's changes whenever an entry inside it is made, and a time proves nothing a
 * tamperer could not set back.
 */
import { createHash } from 'node:crypto';
import { constants, lstatSync, readdirSync, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../../layers/whiteout.js';
import type { RecordedEntry, TarTypeFlag } from './tar-headers.js';
import type { AllAttributes } from './overlay-xattrs.js';

/** What lstat said of one entry of the folder (kept small: a layer may hold 100k entries). */
export interface DiskEntry {
  raw: Buffer;
  /** `S_IFMT` bits. */
  format: number;
  mode: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  dev: number;
  ino: number;
  nlink: number;
  rdev: number;
  /** Change time: any write, chmod, chown or attribute set moves it, and no tool sets it back. */
  ctimeMs: number;
}

export interface LayerFolder {
  /** Entries by raw path under the folder (latin1, `/a/b`; `/` is the folder itself). */
  entries: Map<string, DiskEntry>;
  attributes: AllAttributes;
}

const SLASH = 0x2f;
const LSTATS_AT_ONCE = 16;

function diskEntry(raw: Buffer, s: Stats): DiskEntry {
  return {
    raw,
    format: s.mode & constants.S_IFMT,
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    sizeBytes: s.size,
    dev: s.dev,
    ino: s.ino,
    nlink: s.nlink,
    rdev: s.rdev,
    ctimeMs: s.ctimeMs,
  };
}

/** Every entry of a layer folder, never through a link. Throws when the folder is unreadable. */
export async function walkLayerFolder(
  layerDir: string,
  signal?: AbortSignal,
): Promise<Map<string, DiskEntry>> {
  const root = Buffer.from(layerDir);
  const entries = new Map<string, DiskEntry>();
  const add = async (raw: Buffer, key: string) => {
    const entry = diskEntry(raw, await lstat(raw));
    entries.set(key, entry);
    return entry;
  };
  const top = await add(root, '/');
  if (top.format !== constants.S_IFDIR) throw new Error(`${layerDir} is not a folder`);
  const pending: Buffer[] = [root];
  while (pending.length > 0) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const dir = pending.pop()!;
    const names = await readdir(dir, { encoding: 'buffer' });
    // A few lstats at once: the disk and the thread pool, not one call after another, set the pace.
    for (let i = 0; i < names.length; i += LSTATS_AT_ONCE) {
      const batch = names.slice(i, i + LSTATS_AT_ONCE).map(async (name) => {
        const raw = Buffer.concat([dir, Buffer.from([SLASH]), name]);
        const entry = await add(raw, raw.subarray(root.length).toString('latin1'));
        if (entry.format === constants.S_IFDIR) pending.push(raw);
      });
      await Promise.all(batch);
    }
  }
  return entries;
}

/**
 * A layer folder's fingerprint (folderFingerprint) from a walk made in one go, with
 * synchronous calls: for telling whether a checked folder is unchanged, where a walk of
 * awaited calls costs ten times the system calls themselves. Never through a link.
 */
export function fingerprintFolder(layerDir: string): string {
  const root = Buffer.from(layerDir);
  const entries = new Map<string, DiskEntry>();
  const add = (raw: Buffer, key: string) => {
    const entry = diskEntry(raw, lstatSync(raw));
    entries.set(key, entry);
    return entry;
  };
  if (add(root, '/').format !== constants.S_IFDIR) throw new Error(`${layerDir} is not a folder`);
  const pending: Buffer[] = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const raw = Buffer.concat([dir, Buffer.from([SLASH]), name]);
      if (add(raw, raw.subarray(root.length).toString('latin1')).format === constants.S_IFDIR)
        pending.push(raw);
    }
  }
  return folderFingerprint(entries);
}

/** A tar name as a key of the folder (`./a//b/` -> `/a/b`), or undefined when it climbs out. */
export function entryKey(name: Buffer): string | undefined {
  const parts: string[] = [];
  for (const part of name.toString('latin1').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return '/' + parts.join('/');
}

/** A key as a responder reads it: the container path, its bytes decoded as UTF-8. */
export const pathOfKey = (key: string) => Buffer.from(key, 'latin1').toString('utf8');

/**
 * A folder's entries as one hash: names, types, modes, owners, sizes, inodes, link counts,
 * devices and change times. Taken when the folder was checked against its layer's record,
 * it tells later whether anything in it was written, replaced, re-owned or re-moded since
 * (each moves a change time, which no tool can set back) without reading a file's bytes.
 */
export function folderFingerprint(entries: ReadonlyMap<string, DiskEntry>): string {
  const hash = createHash('sha256');
  for (const key of [...entries.keys()].sort()) {
    const e = entries.get(key)!;
    hash.update(
      `${key}\0${e.format} ${e.mode} ${e.uid} ${e.gid} ${e.sizeBytes} ${e.ino} ${e.nlink} ${e.rdev} ${e.ctimeMs}\n`,
    );
  }
  return `sha256:${hash.digest('hex')}`;
}

const FORMAT: Record<Exclude<TarTypeFlag, 'link'>, number> = {
  file: constants.S_IFREG,
  symlink: constants.S_IFLNK,
  char: constants.S_IFCHR,
  block: constants.S_IFBLK,
  directory: constants.S_IFDIR,
  fifo: constants.S_IFIFO,
};
const FORMAT_NAME = new Map<number, string>([
  [constants.S_IFREG, 'a file'],
  [constants.S_IFLNK, 'a symlink'],
  [constants.S_IFCHR, 'a character device'],
  [constants.S_IFBLK, 'a block device'],
  [constants.S_IFDIR, 'a folder'],
  [constants.S_IFIFO, 'a fifo'],
  [constants.S_IFSOCK, 'a socket'],
]);
const formatName = (format: number) => FORMAT_NAME.get(format) ?? 'an odd entry';

const OPAQUE_ATTRIBUTE = 'trusted.overlay.opaque';
/** The host sets these by its own policy (labels, integrity); a tar need not record them. */
const HOST_ATTRIBUTES = new Set(['security.selinux', 'security.ima', 'security.evm']);

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

function deviceNumbers(rdev: number): [number, number] {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

const printable = (value: Buffer) =>
  value.length === 0
    ? 'empty'
    : /^[\x20-\x7e]*$/.test(value.toString('latin1'))
      ? JSON.stringify(value.toString('latin1'))
      : `0x${value.toString('hex')}`;

export interface TreeComparison {
  /** What differs, by key; a key's list says each thing that differs. */
  differences: Map<string, string[]>;
  /** Differences a faithful copy would not show but an unfaithful one can (said, not tampering). */
  notes: string[];
}

/** Two files' bytes are the same (a hard link a copy turned into two files). */
async function isSameContent(a: Buffer, b: Buffer): Promise<boolean> {
  const [x, y] = await Promise.all([
    open(a, constants.O_RDONLY | constants.O_NOFOLLOW),
    open(b, constants.O_RDONLY | constants.O_NOFOLLOW),
  ]);
  try {
    const bx = Buffer.alloc(1 << 16);
    const by = Buffer.alloc(1 << 16);
    for (let at = 0; ;) {
      const [rx, ry] = await Promise.all([
        x.read(bx, 0, bx.length, at),
        y.read(by, 0, by.length, at),
      ]);
      if (rx.bytesRead !== ry.bytesRead) return false;
      if (rx.bytesRead === 0) return true;
      if (!bx.subarray(0, rx.bytesRead).equals(by.subarray(0, ry.bytesRead))) return false;
      at += rx.bytesRead;
    }
  } finally {
    await Promise.all([x.close(), y.close()]);
  }
}

/**
 * Holds `folder` against the entries the layer's tar recorded, in their order (a later
 * entry for the same name replaces an earlier one, as unpacking does). Content is not read
 * here, except to tell a hard link a copy split from one a tamperer replaced.
 */
export async function compareLayerTree(
  recorded: readonly RecordedEntry[],
  folder: LayerFolder,
): Promise<TreeComparison> {
  const differences = new Map<string, string[]>();
  const notes: string[] = [];
  const differ = (key: string, what: string) => {
    const list = differences.get(key);
    if (list) list.push(what);
    else differences.set(key, [what]);
  };

  const entries = new Map<string, RecordedEntry>();
  const whiteouts = new Map<string, RecordedEntry>();
  const opaque = new Set<string>();
  for (const entry of recorded) {
    const key = entryKey(entry.name);
    // Names that climb out are the rebuild's to report (a crafted layer); AUFS metadata
    // (/.wh..wh.*) is never unpacked.
    if (key === undefined || key.startsWith('/.wh..wh.')) continue;
    const slash = key.lastIndexOf('/');
    const parent = key.slice(0, slash) || '/';
    const base = key.slice(slash + 1);
    if (base === OPAQUE_MARKER) opaque.add(parent);
    else if (base.startsWith(WHITEOUT_PREFIX))
      whiteouts.set(`${parent === '/' ? '' : parent}/${base.slice(WHITEOUT_PREFIX.length)}`, entry);
    else entries.set(key, entry);
  }

  // Folders unpacking made for entries whose parents the tar did not hold.
  const ancestors = new Set<string>();
  for (const key of [...entries.keys(), ...whiteouts.keys(), ...opaque])
    for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1))
      ancestors.add(key.slice(0, i));

  const hasAttributes = !folder.attributes.problem;
  const compareAttributes = (key: string, expected: Map<string, Buffer>) => {
    if (!hasAttributes) return;
    const onDisk = folder.attributes.byPath.get(key) ?? new Map<string, Buffer>();
    for (const [name, value] of onDisk) {
      if (name.startsWith('trusted.overlay.') && name !== OPAQUE_ATTRIBUTE) continue;
      const want = expected.get(name);
      if (want === undefined) {
        if (HOST_ATTRIBUTES.has(name)) continue;
        differ(
          key,
          name === OPAQUE_ATTRIBUTE
            ? 'is made opaque (hides the lower layers), which the layer did not record'
            : `has attribute ${name} (${printable(value)}), which the layer did not record`,
        );
      } else if (!want.equals(value))
        differ(key, `has attribute ${name} ${printable(value)}, recorded ${printable(want)}`);
    }
    for (const [name, want] of expected)
      if (!onDisk.has(name))
        differ(
          key,
          name === OPAQUE_ATTRIBUTE
            ? 'is no longer opaque (the lower layers show through again), which the layer made it'
            : `lacks attribute ${name} (${printable(want)}), which the layer recorded`,
        );
  };
  const expectedAttributes = (key: string, entry?: RecordedEntry) => {
    const expected = new Map(entry?.xattrs ?? []);
    if (opaque.has(key)) expected.set(OPAQUE_ATTRIBUTE, Buffer.from('y'));
    return expected;
  };
  const compareOwner = (key: string, disk: DiskEntry, uid: number, gid: number) => {
    if (disk.uid !== uid || disk.gid !== gid)
      differ(key, `is owned by ${disk.uid}:${disk.gid}, recorded ${uid}:${gid}`);
  };

  // Hard links each file should have: itself and every link entry naming it.
  const linkCount = new Map<string, number>();
  for (const entry of entries.values())
    if (entry.type === 'link') {
      const target = entryKey(entry.linkName);
      if (target !== undefined) linkCount.set(target, (linkCount.get(target) ?? 1) + 1);
    }

  for (const [key, entry] of entries) {
    // Unpacking skips the tar's own root (`./`): the folder is the driver's.
    if (key === '/') continue;
    const disk = folder.entries.get(key);
    if (!disk) {
      // A missing regular file is the rebuild's to name, with its content.
      if (entry.type !== 'file' || entry.sizeBytes === 0)
        differ(key, 'is missing from the layer folder');
      continue;
    }
    if (entry.type === 'link') {
      const targetKey = entryKey(entry.linkName);
      const target = targetKey === undefined ? undefined : folder.entries.get(targetKey);
      const isSame = target && target.dev === disk.dev && target.ino === disk.ino;
      if (isSame) continue;
      const named = JSON.stringify(pathOfKey(targetKey ?? entry.linkName.toString('latin1')));
      const isSplitCopy =
        target !== undefined &&
        disk.format === constants.S_IFREG &&
        target.format === constants.S_IFREG &&
        disk.mode === target.mode &&
        disk.uid === target.uid &&
        disk.gid === target.gid &&
        disk.sizeBytes === target.sizeBytes &&
        (await isSameContent(disk.raw, target.raw));
      if (isSplitCopy)
        notes.push(
          `${JSON.stringify(pathOfKey(key))} is a copy of ${named}, not a hard link of it: the data root was copied without keeping hard links (cp -a or rsync -H keep them)`,
        );
      else
        differ(
          key,
          disk.format === constants.S_IFREG
            ? `is no longer a hard link of ${named} (another file is in its place)`
            : `is ${formatName(disk.format)}, recorded a hard link of ${named}`,
        );
      continue;
    }
    const format = FORMAT[entry.type];
    if (disk.format !== format) {
      differ(key, `is ${formatName(disk.format)}, recorded ${formatName(format)}`);
      continue;
    }
    if (entry.type !== 'symlink' && disk.mode !== entry.mode)
      differ(key, `has mode ${octal(disk.mode)}, recorded ${octal(entry.mode)}`);
    compareOwner(key, disk, entry.uid, entry.gid);
    if (entry.type === 'symlink') {
      const target = await readlink(disk.raw, { encoding: 'buffer' });
      if (!target.equals(entry.linkName))
        differ(
          key,
          `points to ${JSON.stringify(target.toString('utf8'))}, recorded ${JSON.stringify(entry.linkName.toString('utf8'))}`,
        );
    }
    if (entry.type === 'char' || entry.type === 'block') {
      const [major, minor] = deviceNumbers(disk.rdev);
      if (major !== entry.devMajor || minor !== entry.devMinor)
        differ(key, `is device ${major}:${minor}, recorded ${entry.devMajor}:${entry.devMinor}`);
    }
    if (entry.type === 'file') {
      const want = linkCount.get(key) ?? 1;
      // Fewer links is a copy that split them (named above); more is a name outside the layer.
      if (disk.nlink > want)
        differ(
          key,
          `has ${disk.nlink} hard links, recorded ${want}: another name for it was made outside the layer`,
        );
    }
    compareAttributes(key, expectedAttributes(key, entry));
  }

  for (const [key, entry] of whiteouts) {
    const disk = folder.entries.get(key);
    if (entries.has(key)) continue;
    if (!disk)
      differ(
        key,
        "is no longer deleted: the layer's deletion (whiteout) is gone, so the lower layers' version shows again",
      );
    else if (disk.format !== constants.S_IFCHR || disk.rdev !== 0)
      differ(
        key,
        `is ${formatName(disk.format)}, recorded as deleted (a whiteout, a 0/0 character device)`,
      );
    else compareOwner(key, disk, entry.uid, entry.gid);
  }

  for (const [key, disk] of folder.entries) {
    if (key === '/' || entries.has(key) || whiteouts.has(key)) continue;
    if (ancestors.has(key) && disk.format === constants.S_IFDIR) {
      // Made by unpacking for the entries below it: 0755 and root's.
      if (disk.mode !== 0o755) differ(key, `has mode ${octal(disk.mode)}, recorded 0755`);
      compareOwner(key, disk, 0, 0);
      compareAttributes(key, expectedAttributes(key));
      continue;
    }
    differ(
      key,
      disk.format === constants.S_IFCHR && disk.rdev === 0
        ? "is deleted (a whiteout device) in the folder, which the layer did not record: it hides the lower layers' file"
        : `is in the layer folder (${formatName(disk.format)}) but not in the layer's record`,
    );
  }
  // The folder itself: opaque only where the layer made its root opaque.
  compareAttributes('/', expectedAttributes('/'));
  return { differences, notes };
}
