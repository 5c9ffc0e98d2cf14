/**
 * One changed path's original against its current version: metadata
 * differences, and a text diff or a summary of the content.
 */

/** What a file's first bytes say it is. */
export type ContentType =
  | 'elf'
  | 'pe'
  | 'script'
  | 'text'
  | 'archive'
  | 'compressed'
  | 'image'
  | 'pdf'
  | 'java-class'
  | 'empty'
  | 'binary';

export interface MetadataChange {
  field: 'type' | 'mode' | 'owner' | 'size' | 'link-target' | 'capabilities' | 'content';
  before: string;
  after: string;
  /** Why it matters, when it does ("gained setuid"). */
  note?: string;
}

export type ContentComparison =
  | { kind: 'none' }
  | { kind: 'same' }
  | {
      kind: 'text-diff';
      /** The diff, or its first lines when `isExcerpt` (the reports carry a bounded amount). */
      patch: string;
      addedLines: number;
      removedLines: number;
      /** True when the diff itself was cut at maxPatchBytes. */
      isTruncated: boolean;
      /** True when `patch` is only the start of the diff stored at `patchFile`. */
      isExcerpt?: boolean;
      /** The whole diff in the case folder, hashed when written. */
      patchFile?: { path: string; sha256: string; sizeBytes: number; capturedAt: string };
    }
  | { kind: 'summary'; reason: string };

export interface ContentSide {
  type: ContentType;
  sizeBytes: number;
  sha256: string;
}

export interface Comparison {
  metadata: MetadataChange[];
  content: ContentComparison;
  original?: ContentSide;
  current?: ContentSide;
}
