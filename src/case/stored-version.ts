import type { ArtifactRecord } from '../report/artifact.js';
import type { StoredVersion } from '../report/change.js';
import type { FileMeta } from '../report/file-meta.js';

/** A stored version from what the case folder recorded while writing its content. */
export function toVersion(meta: FileMeta, record: ArtifactRecord): StoredVersion {
  return {
    meta,
    content: {
      path: record.path,
      sha256: record.source?.sha256 ?? record.sha256,
      sizeBytes: record.source?.sizeBytes ?? record.sizeBytes,
      isTruncated: record.isTruncated ?? false,
      storedSha256: record.sha256,
      capturedAt: record.capturedAt,
    },
  };
}
