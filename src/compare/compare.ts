/**
 * One changed path: its original (from the image) against its current version
 * (from the evidence image). Metadata differences are listed for every entry;
 * content is compared as a bounded unified diff for text, and as type, size
 * and hash for everything else.
 */
import { open } from 'node:fs/promises';
import { formatPatch, structuredPatch } from 'diff';
import type { CaseFolder } from '../case/case-folder.js';
import { formatMode, formatOwner, type FileMeta } from '../report/file-meta.js';
import type {
  Comparison,
  ContentComparison,
  ContentSide,
  MetadataChange,
} from '../report/comparison.js';
import type { StoredVersion } from '../report/change.js';
import { detectContentType } from './content-type.js';

export interface CompareLimits {
  /** Files larger than this (either side) get a summary instead of a line diff. */
  maxDiffInputBytes: number;
  /** A patch longer than this is cut, with a visible marker. */
  maxPatchBytes: number;
  /**
   * How long one line diff may run: it runs on the event loop, so this is also how long a
   * Ctrl-C may wait. Zero: no time is left, summarise.
   */
  diffTimeoutMs: number;
}

export const DEFAULT_COMPARE_LIMITS: CompareLimits = {
  maxDiffInputBytes: 1024 * 1024,
  maxPatchBytes: 256 * 1024,
  diffTimeoutMs: 2000,
};

const HEAD_BYTES = 64 * 1024;

/** Up to `maxBytes` of a stored file from `position`. */
async function readStoredRange(
  folder: CaseFolder,
  relative: string,
  position: number,
  maxBytes: number,
): Promise<Buffer> {
  const handle = await open(folder.locate(relative), 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Up to `maxBytes` from the start of a stored file. */
export function readStoredHead(
  folder: CaseFolder,
  relative: string,
  maxBytes = HEAD_BYTES,
): Promise<Buffer> {
  return readStoredRange(folder, relative, 0, maxBytes);
}

/**
 * The last `maxBytes` of a stored file, when its sample (`readSample`) did not reach its end
 * and the case folder holds it whole: what the content rules read of a long file's end.
 */
export async function readStoredEnd(
  folder: CaseFolder,
  version: StoredVersion | undefined,
  sampled: number,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const content = version?.content;
  if (!content || content.isTruncated || content.sizeBytes <= sampled) return undefined;
  const length = Math.min(maxBytes, content.sizeBytes);
  return readStoredRange(folder, content.path, content.sizeBytes - length, length);
}

/**
 * Pieces of a stored file (`ranges`), from its sample (`readSample`) as far as that reaches
 * and from the case folder past it, when that holds the file whole: the windows of a long
 * page's middle the content rules read (rule-budget.ts).
 */
export async function readStoredPieces(
  folder: CaseFolder,
  version: StoredVersion | undefined,
  sample: Buffer,
  ranges: readonly { from: number; length: number }[],
): Promise<{ from: number; bytes: Buffer }[]> {
  const content = version?.content;
  if (!content || content.isTruncated) return [];
  const pieces: { from: number; bytes: Buffer }[] = [];
  for (const { from, length } of ranges)
    pieces.push({
      from,
      bytes:
        from + length <= sample.length
          ? sample.subarray(from, from + length)
          : await readStoredRange(folder, content.path, from, length),
    });
  return pieces;
}

export function compareMetadata(
  before: FileMeta | undefined,
  after: FileMeta | undefined,
): MetadataChange[] {
  if (!before || !after) return [];
  const changes: MetadataChange[] = [];
  if (before.type !== after.type)
    changes.push({ field: 'type', before: before.type, after: after.type });
  if (before.mode !== after.mode) {
    const gained = after.mode & ~before.mode;
    const note =
      gained & 0o4000
        ? 'gained setuid'
        : gained & 0o2000
          ? 'gained setgid'
          : gained & 0o111
            ? 'became executable'
            : undefined;
    changes.push({
      field: 'mode',
      before: formatMode(before),
      after: formatMode(after),
      ...(note ? { note } : {}),
    });
  }
  if ((before.capabilities ?? 'none') !== (after.capabilities ?? 'none'))
    changes.push({
      field: 'capabilities',
      before: before.capabilities ?? 'none',
      after: after.capabilities ?? 'none',
      ...(after.capabilities ? { note: 'running it gives these privileges' } : {}),
    });
  if (before.uid !== after.uid || before.gid !== after.gid) {
    changes.push({
      field: 'owner',
      before: formatOwner(before),
      after: formatOwner(after),
    });
  }
  if (before.type === 'file' && after.type === 'file' && before.sizeBytes !== after.sizeBytes) {
    changes.push({
      field: 'size',
      before: String(before.sizeBytes),
      after: String(after.sizeBytes),
    });
  }
  if ((before.linkTarget ?? '') !== (after.linkTarget ?? '')) {
    changes.push({
      field: 'link-target',
      before: before.linkTarget ?? '',
      after: after.linkTarget ?? '',
    });
  }
  return changes;
}

/** The first bytes of a stored version (up to the diff input cap), read once and shared by every use. */
export async function readSample(
  folder: CaseFolder,
  version: StoredVersion | undefined,
  limits: CompareLimits = DEFAULT_COMPARE_LIMITS,
): Promise<Buffer | undefined> {
  if (!version?.content) return undefined;
  const stored = version.content.isTruncated ? Number.POSITIVE_INFINITY : version.content.sizeBytes;
  return readStoredHead(
    folder,
    version.content.path,
    Math.min(stored, limits.maxDiffInputBytes + 1),
  );
}

function side(
  version: StoredVersion | undefined,
  sample: Buffer | undefined,
): ContentSide | undefined {
  if (!version?.content || !sample) return undefined;
  return {
    type: detectContentType(sample.subarray(0, 8192)),
    sizeBytes: version.content.sizeBytes,
    sha256: version.content.sha256,
  };
}

/**
 * Compares two versions of one path, given the samples `readSample` took of
 * their content. Pure: the same inputs give the same result.
 */
export function compareVersions(
  path: string,
  original: StoredVersion | undefined,
  current: StoredVersion | undefined,
  samples: { original?: Buffer | undefined; current?: Buffer | undefined },
  limits: CompareLimits = DEFAULT_COMPARE_LIMITS,
): Comparison {
  const metadata = compareMetadata(original?.meta, current?.meta);
  const before = side(original, samples.original);
  const after = side(current, samples.current);
  const result = (content: ContentComparison): Comparison => ({
    metadata,
    content,
    ...(before ? { original: before } : {}),
    ...(after ? { current: after } : {}),
  });

  if (!before && !after) return result({ kind: 'none' });
  if (before && after && before.sha256 === after.sha256) return result({ kind: 'same' });
  if (before && after) {
    metadata.push({
      field: 'content',
      before: `sha256 ${before.sha256}`,
      after: `sha256 ${after.sha256}`,
    });
  }
  const isTextLike = (s: ContentSide | undefined) =>
    !s || s.type === 'text' || s.type === 'script' || s.type === 'empty';
  if (!isTextLike(before) || !isTextLike(after)) {
    return result({
      kind: 'summary',
      reason: `binary content (${before?.type ?? 'absent'} -> ${after?.type ?? 'absent'})`,
    });
  }
  const tooLarge = [original, current].some(
    (v) => v?.content && (v.content.isTruncated || v.content.sizeBytes > limits.maxDiffInputBytes),
  );
  if (tooLarge) {
    return result({
      kind: 'summary',
      reason: `too large for a line diff (over ${limits.maxDiffInputBytes} bytes); compare the stored files`,
    });
  }
  if (limits.diffTimeoutMs <= 0)
    return result({
      kind: 'summary',
      reason: "the triage's time for line diffs was spent; compare the stored files",
    });
  const oldText = samples.original?.toString('utf8') ?? '';
  const newText = samples.current?.toString('utf8') ?? '';
  const structured = structuredPatch(
    `original${path}`,
    `current${path}`,
    oldText,
    newText,
    undefined,
    undefined,
    {
      context: 3,
      maxEditLength: 20_000,
      timeout: limits.diffTimeoutMs,
    },
  );
  if (structured === undefined)
    return result({
      kind: 'summary',
      reason: `too different for a line diff (over 20,000 edits or ${limits.diffTimeoutMs} ms); compare the stored files`,
    });
  let addedLines = 0;
  let removedLines = 0;
  for (const hunk of structured.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) addedLines++;
      else if (line.startsWith('-')) removedLines++;
    }
  }
  const patch = formatPatch(structured);
  const isTruncated = Buffer.byteLength(patch) > limits.maxPatchBytes;
  const shown = isTruncated
    ? `${Buffer.from(patch).subarray(0, limits.maxPatchBytes).toString('utf8')}\n[diff truncated at ${limits.maxPatchBytes} bytes]\n`
    : patch;
  return result({ kind: 'text-diff', patch: shown, addedLines, removedLines, isTruncated });
}
