/**
 * What changed in a container's filesystem, and what coroner recovered of
 * each changed path: the nouns every stage produces into and every view reads.
 */
import type { Comparison } from './comparison.js';
import type { FileMeta } from './file-meta.js';
import type { Finding } from './finding.js';
import type { PackageEvidence } from './package.js';
import type { Severity } from './severity.js';

export type ChangeKind = 'A' | 'C' | 'D';

export interface ChangeEntry {
  path: string;
  kind: ChangeKind;
}

export const CHANGE_KIND_WORDS: Record<ChangeKind, string> = {
  A: 'added',
  C: 'changed',
  D: 'deleted',
};

/** A regular file's content as the case folder holds it. */
export interface StoredContent {
  /** Where the content is in the case folder. */
  path: string;
  /** Hash and size of the whole file as its source holds it. */
  sha256: string;
  sizeBytes: number;
  /** True when only the first maxContentBytes were stored (at storedSha256). */
  isTruncated: boolean;
  storedSha256: string;
  /** UTC, when the stored copy was complete on disk. */
  capturedAt: string;
}

/** One version of a path: its metadata, and for regular files its stored content. */
export interface StoredVersion {
  meta: FileMeta;
  content?: StoredContent;
}

/** The two versions of one changed path, as far as they exist. */
export interface VersionPair {
  original?: StoredVersion;
  current?: StoredVersion;
}

export interface LayerInfo {
  /** 0 = bottom layer. */
  position: number;
  diffId: string;
  /** The history line that created this layer, when the image has history. */
  createdBy?: string;
  created?: string;
}

export interface VersionInfo extends StoredVersion {
  /** For originals: the image layer the file came from. */
  layer?: LayerInfo;
}

/** Where a change lives when it is not in the container's own layer. */
export interface MountPlace {
  /** `volume`, `bind` or `tmpfs` (/dev/shm is a tmpfs). */
  type: string;
  /** Where it is mounted in the container. */
  destination: string;
  /** A named volume's name. */
  name?: string;
}

export interface ChangedPath {
  path: string;
  kind: ChangeKind;
  /**
   * Set when the path is in a volume, bind or tmpfs, which `docker diff` and the evidence
   * image never hold: compared with the image's content at the same path.
   */
  mount?: MountPlace;
  /** A directory reported changed only because something inside it changed. */
  isParentOnly: boolean;
  original?: VersionInfo;
  current?: VersionInfo;
  comparison?: Comparison;
  /** What a package database says of the path, when one lists it. */
  package?: PackageEvidence;
  severity: Severity;
  findings: Finding[];
}

/** A per-path failure: collected and shown, not fatal. */
export interface PathProblem {
  path: string;
  action: string;
  cause: string;
}
