/**
 * Where a JSON case file holds environment values (database passwords and the like), as
 * the source that wrote it declares: `coroner export --redact-env` masks exactly these.
 * Each path names fields from the document's top, dot-separated; `*` is any item of a
 * list or any key of an object (`history.*.created_by`).
 */
export interface EnvironmentHeld {
  /** Lists of `KEY=value`: each value is masked. */
  envLists: string[];
  /** Build instructions (strings, or lists of strings) that record ENV and build-argument values. */
  instructions?: string[];
}

/** One file of a case folder, as recorded when it was captured. */
export interface ArtifactRecord {
  /** Path inside the case folder, posix separators. */
  path: string;
  sha256: string;
  sizeBytes: number;
  /** UTC, ISO 8601, when the artifact was complete on disk. */
  capturedAt: string;
  /** What it is, in words: "container inspect", "current version of /etc/passwd"… */
  description: string;
  /** True when a byte cap cut the content short: sha256/sizeBytes are of what was kept. */
  isTruncated?: boolean;
  /** With isTruncated: hash and size of the whole source stream, read to its end. */
  source?: { sha256: string; sizeBytes: number };
  /** Where the file holds environment values, as its source declared; absent when it holds none. */
  environment?: EnvironmentHeld;
}
