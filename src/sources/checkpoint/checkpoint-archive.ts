/**
 * A container checkpoint archive, as the kubelet's checkpoint API (CRI-O, containerd) and
 * `podman container checkpoint --export` write it: a tar (podman may gzip it) of
 * `config.dump`, `spec.dump`, `rootfs-diff.tar`, `deleted.files`, the CRIU images under
 * `checkpoint/`, and a few small files. The names are checkpointctl's (lib/metadata.go:
 * ConfigDumpFile, SpecDumpFile, RootFsDiffTar, DeletedFilesFile, CheckpointDirectory…).
 *
 * The archive is read as a stream, never extracted: each pass opens the file again and
 * walks its members in order. The rootfs diff is the pod's own writing, so every name,
 * link and size in it is attacker-controlled: it is indexed (names and types, bounded),
 * never unpacked onto the responder's disk.
 */
import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CoronerError } from '../../errors.js';
import { layerEntryPath } from '../../layers/layer-index.js';
import { tarEntries, type TarEntry } from '../../tar-entries.js';

/** The archive cannot be read as a checkpoint: said in words, with what to do. */
export class CheckpointRefused extends CoronerError {}

/** Member names, as checkpointctl's lib/metadata.go spells them. */
export const MEMBER = {
  config: 'config.dump',
  spec: 'spec.dump',
  rootfsDiff: 'rootfs-diff.tar',
  deletedFiles: 'deleted.files',
  criuImages: 'checkpoint',
} as const;

/** Compressions a checkpoint archive may come in that coroner does not read, by magic bytes. */
const REFUSED_COMPRESSIONS: [string, number[]][] = [
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

export interface CheckpointArchive {
  path: string;
  sizeBytes: number;
  compression: 'none' | 'gzip';
  /** As found when opened: a later pass refuses an archive that changed since. */
  mtimeMs: number;
}

const startsWith = (head: Buffer, magic: readonly number[]) =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** Opens the archive to see what it is; refuses what is not a (gzipped) tar file. */
export async function openCheckpointArchive(file: string): Promise<CheckpointArchive> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(
    (e: NodeJS.ErrnoException) => {
      throw new CheckpointRefused(
        `the checkpoint archive ${file} cannot be opened (${e.code ?? e.message})`,
        'Name the archive the kubelet wrote (/var/lib/kubelet/checkpoints/checkpoint-<pod>_<namespace>-<container>-<time>.tar) or podman exported.',
      );
    },
  );
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new CheckpointRefused(
        `${file} is not a regular file`,
        'Name the checkpoint archive itself (a .tar file).',
      );
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    const start = head.subarray(0, bytesRead);
    const base = { path: file, sizeBytes: stat.size, mtimeMs: stat.mtimeMs };
    if (startsWith(start, [0x1f, 0x8b])) return { ...base, compression: 'gzip' };
    const refused = REFUSED_COMPRESSIONS.find(([, magic]) => startsWith(start, magic));
    if (refused)
      throw new CheckpointRefused(
        `${file} is compressed with ${refused[0]}, which coroner does not read`,
        `Decompress it first (for example ${refused[0] === 'zstd' ? 'zstd -d' : refused[0] === 'xz' ? 'xz -dk' : refused[0] === 'bzip2' ? 'bzip2 -dk' : 'lz4 -d'} FILE), keeping the original, and give coroner the .tar.`,
      );
    if (start.length < 262 || start.subarray(257, 262).toString('latin1') !== 'ustar')
      throw new CheckpointRefused(
        `${file} is not a tar archive`,
        'A checkpoint archive is a tar (or a gzipped tar): name the file the kubelet or podman wrote.',
      );
    return { ...base, compression: 'none' };
  } finally {
    await handle.close();
  }
}

/** The archive's bytes as stored (for its hash), from the start. */
export function rawArchiveStream(archive: CheckpointArchive): Readable {
  return createReadStream(archive.path);
}

/** The archive's tar stream: its bytes, decompressed where they are gzipped. */
export function tarStreamOf(raw: Readable, archive: CheckpointArchive): Readable {
  if (archive.compression === 'none') return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** Refuses a second pass over an archive that changed since the first (size or mtime). */
export async function checkUnchanged(archive: CheckpointArchive): Promise<void> {
  const handle = await open(archive.path, constants.O_RDONLY);
  try {
    const stat = await handle.stat();
    if (stat.size !== archive.sizeBytes || stat.mtimeMs !== archive.mtimeMs)
      throw new CheckpointRefused(
        `the checkpoint archive ${archive.path} changed while coroner read it (${archive.sizeBytes} bytes when first read, ${stat.size} now)`,
        'Keep the archive still (copy it, read only, to the case disk) and triage the copy.',
      );
  } finally {
    await handle.close();
  }
}

/** A member's name as the archive holds it, normalised ("./config.dump" is "config.dump"). */
export function memberName(entry: TarEntry): string | undefined {
  return layerEntryPath(entry.header.name)?.slice(1);
}

/**
 * Streams the rootfs diff member once, handing each of its entries to `onEntry` (which
 * must consume it); every other member is skipped unread.
 */
export async function walkRootfsDiff(
  archive: CheckpointArchive,
  onEntry: (entry: TarEntry) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  await checkUnchanged(archive);
  for await (const member of tarEntries(tarStreamOf(rawArchiveStream(archive), archive), signal)) {
    if (memberName(member) !== MEMBER.rootfsDiff || member.header.type !== 'file') {
      member.resume();
      continue;
    }
    for await (const entry of tarEntries(member, signal)) await onEntry(entry);
    return; // the first rootfs diff is the one the scan indexed
  }
}
