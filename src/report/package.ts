/**
 * What a package manager's database says of a changed file: which package installed it,
 * with which checksum, and whether the file still has that content (as `debsums` and
 * `dpkg --verify` report). The image's database is the baseline; the container's own
 * database was written inside the suspect, so it is evidence of what ran there, not proof.
 */
import type { StoredContent } from './change.js';

export type PackageManager = 'dpkg' | 'apk' | 'rpm';

/** The checksums databases list: dpkg MD5, apk SHA-1, rpm whichever its header names. */
export type DigestAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface PackageEvidence {
  manager: PackageManager;
  package: string;
  /** Whose database lists the file: the original image's, or the container's own (attacker-writable). */
  database: 'image' | 'container';
  /** A conffile (dpkg) or %config file (rpm): the administrator's to change, so a difference is not a tampered package. */
  isConffile?: boolean;
  algorithm: DigestAlgorithm;
  /** The checksum the database lists (hex). */
  expected: string;
  /** The checksum of the current content (hex), when it was computed. */
  actual?: string;
  /** `unchecked`: the content could not be hashed whole (the note says why). */
  verdict: 'matches' | 'differs' | 'deleted' | 'unchecked';
  note?: string;
  /** The image's package lists other content, and the container's own database was rewritten to this one. */
  isInContainerDatabase?: boolean;
}

/** The package databases a triage read, for the report: where each verdict came from. */
export interface PackageDatabases {
  managers: PackageManager[];
  /** Each database file, as stored in the case folder; `isRead` false when it was not read (cut at the content cap, or over 64 MiB; 512 MiB for rpm's). */
  files: {
    path: string;
    side: 'original' | 'current';
    content?: StoredContent;
    isRead: boolean;
    /** Read in part: why it stopped (a forged or damaged file); what came before was read. */
    problem?: string;
  }[];
  /** Packages the container's own database lists that the image's does not (or in another version). */
  installedInContainer: string[];
}

export const PACKAGE_VERDICT_WORDS: Record<PackageEvidence['verdict'], string> = {
  matches: 'content as the package installed it',
  differs: 'content differs from what the package installed',
  deleted: 'a file the package installed, deleted',
  unchecked: 'not checked',
};

/** One line for the file view and the reports, e.g. "dpkg package coreutils (image database): content differs…". */
export function describePackageEvidence(e: PackageEvidence): string {
  const where = e.database === 'image' ? "the image's database" : "the container's own database";
  const what = e.isConffile ? 'conffile of' : 'file of';
  const sums =
    e.verdict === 'differs' && e.actual
      ? ` (${e.algorithm} listed ${e.expected}, now ${e.actual})`
      : e.verdict === 'matches'
        ? ` (${e.algorithm} ${e.expected})`
        : '';
  const note = e.note ? `; ${e.note}` : '';
  const rewritten = e.isInContainerDatabase
    ? "; the container's database was rewritten to match"
    : '';
  return `${what} ${e.manager} package ${e.package} (per ${where}): ${PACKAGE_VERDICT_WORDS[e.verdict]}${sums}${note}${rewritten}`;
}
