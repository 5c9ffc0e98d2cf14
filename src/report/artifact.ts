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
}
