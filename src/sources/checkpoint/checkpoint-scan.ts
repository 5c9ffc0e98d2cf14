/**
 * The first pass over a checkpoint archive: hashed whole as it streams (the evidence's
 * hash, taken at acquisition), every member listed with its size and hash, the small
 * JSON records read with a bound, and the rootfs diff indexed (names and types only,
 * bounded) without anything being extracted.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createHashTap } from '../../case/hash-tap.js';
import { emptyLayerIndex, layerEntryPath, type LayerIndex } from '../../layers/layer-index.js';
import {
  isOpaqueMarker,
  isWhiteout,
  opaqueDirectory,
  whitedOutPath,
} from '../../layers/whiteout.js';
import { metaFromHeader } from '../../report/file-meta.js';
import { readBounded, tarEntries } from '../../tar-entries.js';
import {
  CheckpointRefused,
  MEMBER,
  memberName,
  rawArchiveStream,
  tarStreamOf,
  type CheckpointArchive,
} from './checkpoint-archive.js';
import { readCheckpointConfig, type CheckpointConfig } from './checkpoint-records.js';
import { parseDeletedFiles, type DeletedFiles } from './deleted-files.js';

/** config.dump and spec.dump are a few KiB; past this they are not read. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** deleted.files past this is not read (a list of a million long paths fits). */
export const MAX_DELETED_FILES_BYTES = 64 * 1024 * 1024;
/** Paths indexed from the rootfs diff, and deletions read: as many as --deep holds. */
export const MAX_ROOTFS_ENTRIES = 1_000_000;
/** Members listed by name, size and hash (the CRIU images are a few dozen); the rest counted. */
export const MAX_LISTED_MEMBERS = 10_000;
/** The small records kept in the case whole, up to this each. */
export const MAX_SMALL_FILE_BYTES = 1024 * 1024;
/** Refused names and duplicates named in words, at most. */
const MAX_NAMED_PROBLEMS = 100;

/** Small records the engines add, kept in the case as they are (up to MAX_SMALL_FILE_BYTES). */
const SMALL_FILES = new Set([
  'network.status',
  'bind.mounts',
  'dump.log',
  'stats-dump',
  'restore.log',
  'pod.options',
]);

export interface ArchiveMember {
  /** As the archive names it (normalised; raw text of the archive's writer). */
  name: string;
  type: string;
  sizeBytes: number;
  sha256: string;
}

export interface RootfsDiffIndex {
  /** Entries, whiteouts (containerd writes them) and opaque folders, bounded. */
  index: LayerIndex;
  entryCount: number;
  /** True when more than MAX_ROOTFS_ENTRIES entries were there: the rest are not listed. */
  isCut: boolean;
  /** Names refused (climbing out, duplicates), in words, at most MAX_NAMED_PROBLEMS. */
  refused: string[];
  refusedCount: number;
}

export interface CheckpointScan {
  /** Of the archive as stored (compressed where it is). */
  sha256: string;
  sizeBytes: number;
  config?: Buffer;
  spec?: Buffer;
  deletedFiles?: { bytes: Buffer; list: DeletedFiles };
  rootfs?: RootfsDiffIndex;
  smallFiles: { name: string; data: Buffer; isCut: boolean }[];
  members: ArchiveMember[];
  memberCount: number;
  /** What was odd about the archive itself, in words. */
  problems: string[];
}

/** Reads the whole archive once. Refuses an archive that is not one container's checkpoint. */
export async function scanCheckpoint(
  archive: CheckpointArchive,
  signal?: AbortSignal,
): Promise<CheckpointScan> {
  const raw = rawArchiveStream(archive);
  const { tap, result } = createHashTap();
  raw.on('error', (e) => tap.destroy(e));
  const scan: CheckpointScan = {
    sha256: '',
    sizeBytes: 0,
    smallFiles: [],
    members: [],
    memberCount: 0,
    problems: [],
  };
  const seen = new Set<string>();
  const keyMembers = new Set<string>([
    MEMBER.config,
    MEMBER.spec,
    MEMBER.rootfsDiff,
    MEMBER.deletedFiles,
  ]);
  const tooLarge = (name: string, size: number, max: number) =>
    scan.problems.push(`${name} is ${size} bytes, over coroner's bound of ${max}: not read`);
  try {
    for await (const member of tarEntries(tarStreamOf(raw.pipe(tap), archive), signal)) {
      scan.memberCount++;
      const name = memberName(member);
      const size = member.header.size ?? 0;
      if (name === undefined) {
        if (scan.problems.length < MAX_NAMED_PROBLEMS)
          scan.problems.push(
            `a member named ${JSON.stringify(member.header.name)} climbs out of the archive: skipped`,
          );
        member.resume();
        continue;
      }
      if (seen.has(name) && keyMembers.has(name))
        throw new CheckpointRefused(
          `the checkpoint archive ${archive.path} holds ${name} twice`,
          'An engine writes each record once: this archive was altered after it was written. Keep it as evidence; coroner will not guess which copy a restore would use.',
        );
      seen.add(name);
      const hash = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _e, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      member.on('error', (e) => hashing.destroy(e));
      const body: Readable = member.pipe(hashing);
      const isFile = member.header.type === 'file' || member.header.type === 'contiguous-file';
      if (isFile && (name === MEMBER.config || name === MEMBER.spec)) {
        if (size > MAX_RECORD_BYTES) {
          tooLarge(name, size, MAX_RECORD_BYTES);
          await drain(body);
        } else {
          const { data } = await readBounded(body, MAX_RECORD_BYTES);
          scan[name === MEMBER.config ? 'config' : 'spec'] = data;
        }
      } else if (isFile && name === MEMBER.deletedFiles) {
        if (size > MAX_DELETED_FILES_BYTES) {
          tooLarge(name, size, MAX_DELETED_FILES_BYTES);
          await drain(body);
        } else {
          const { data } = await readBounded(body, MAX_DELETED_FILES_BYTES);
          scan.deletedFiles = { bytes: data, list: parseDeletedFiles(data, MAX_ROOTFS_ENTRIES) };
        }
      } else if (isFile && name === MEMBER.rootfsDiff) {
        scan.rootfs = await indexRootfsDiff(body, MAX_ROOTFS_ENTRIES, signal);
        await drain(body); // the padding after the inner archive's end, hashed too
      } else if (isFile && SMALL_FILES.has(name)) {
        const { data, isCut } = await readBounded(body, MAX_SMALL_FILE_BYTES);
        scan.smallFiles.push({ name, data, isCut });
      } else {
        await drain(body);
      }
      if (scan.members.length < MAX_LISTED_MEMBERS)
        scan.members.push({
          name,
          type: member.header.type ?? 'file',
          sizeBytes: isFile ? size : 0,
          sha256: hash.digest('hex'),
        });
    }
    await finished(tap);
  } catch (e) {
    if (e instanceof CheckpointRefused || signal?.aborted) throw e;
    throw new CheckpointRefused(
      `the checkpoint archive ${archive.path} could not be read (${e instanceof Error ? e.message : String(e)})`,
      'It may be truncated or damaged: check its size against the one on the node, and copy it again.',
      { cause: e },
    );
  }
  const whole = result();
  scan.sha256 = whole.sha256;
  scan.sizeBytes = whole.sizeBytes;
  if (!scan.config)
    throw new CheckpointRefused(
      seen.has('checkpointed.pods') || seen.has('pod.dump')
        ? `${archive.path} is a checkpoint of a whole pod, not of one container`
        : `${archive.path} holds no readable config.dump: it is not a container checkpoint archive`,
      seen.has('checkpointed.pods') || seen.has('pod.dump')
        ? "Unpack it (tar -xf, into an empty folder) and triage each container's archive inside it."
        : 'Name the archive the kubelet (/var/lib/kubelet/checkpoints/) or `podman container checkpoint --export` wrote.',
    );
  return scan;
}

async function drain(stream: Readable): Promise<void> {
  stream.resume();
  await finished(stream);
}

/**
 * Indexes the rootfs diff: each entry's path and type, whiteouts and opaque markers as OCI
 * layers spell them (containerd writes its diff that way; podman and CRI-O list deletions
 * in deleted.files instead). Names that climb out and second entries for a path are refused
 * (the first is kept, as the version reader keeps it); past `maxEntries` the rest are counted.
 */
export async function indexRootfsDiff(
  tar: Readable,
  maxEntries: number,
  signal?: AbortSignal,
): Promise<RootfsDiffIndex> {
  const result: RootfsDiffIndex = {
    index: emptyLayerIndex(MEMBER.rootfsDiff),
    entryCount: 0,
    isCut: false,
    refused: [],
    refusedCount: 0,
  };
  const { index } = result;
  const refuse = (why: string) => {
    if (result.refused.length < MAX_NAMED_PROBLEMS) result.refused.push(why);
    result.refusedCount++;
  };
  for await (const entry of tarEntries(tar, signal)) {
    result.entryCount++;
    const path = layerEntryPath(entry.header.name);
    entry.resume();
    if (path === undefined) {
      refuse(`entry name climbs out of the root: ${JSON.stringify(entry.header.name)}`);
      continue;
    }
    if (path === '/') continue;
    if (index.entries.size + index.whiteouts.size + index.opaqueDirs.size >= maxEntries) {
      result.isCut = true;
      continue;
    }
    if (isOpaqueMarker(path)) index.opaqueDirs.add(opaqueDirectory(path));
    else if (isWhiteout(path)) index.whiteouts.add(whitedOutPath(path));
    else if (index.entries.has(path))
      refuse(`a second entry for ${JSON.stringify(path)} (the first is kept)`);
    else index.entries.set(path, metaFromHeader(entry.header).type);
  }
  return result;
}

/** config.dump and spec.dump alone, for listing: the walk stops once both are read. */
export async function readRecordsOnly(archive: CheckpointArchive): Promise<CheckpointConfig> {
  let config: Buffer | undefined;
  let spec: Buffer | undefined;
  for await (const member of tarEntries(tarStreamOf(rawArchiveStream(archive), archive))) {
    const name = memberName(member);
    const isRecord = name === MEMBER.config || name === MEMBER.spec;
    if (!isRecord || (member.header.size ?? 0) > MAX_RECORD_BYTES) {
      member.resume();
      continue;
    }
    const { data } = await readBounded(member, MAX_RECORD_BYTES);
    if (name === MEMBER.config) config ??= data;
    else spec ??= data;
    if (config && spec) break;
  }
  const read = readCheckpointConfig(config, spec);
  if (!config || !read.id)
    return { ...read, id: read.id || 'checkpoint', name: read.name || 'checkpoint' };
  return read;
}
