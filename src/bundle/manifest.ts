/**
 * The bundle's manifest: every file in the bundle with its size and SHA-256
 * (computed while it was streamed into the bundle), and who/what/where.
 */
import type { EvidenceRecord, SourceIdentity } from '../report/triage-report.js';

export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';
/** 2: `source` names where the evidence came from; `evidence` may be a layer folder. */
export const MANIFEST_SCHEMA_VERSION = 2;

export interface ManifestFile {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** For artifacts captured during triage: when (UTC), and the hash taken then. */
  capturedAt?: string;
}

export interface Manifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  tool: { name: 'coroner'; version: string };
  createdAt: string;
  source: SourceIdentity;
  container: { id: string; name: string; imageId: string; imageRef: string };
  evidence: ManifestEvidence;
  redaction: { isEnvRedacted: boolean; redactedFiles: string[]; note?: string };
  files: ManifestFile[];
}

/** What preserves the container's filesystem, and whether the bundle holds it. */
export interface ManifestEvidence {
  kind: EvidenceRecord['kind'];
  /** The evidence image's id, or the layer folder's path. */
  id: string;
  /** `repo:tag` of the evidence image, or the data root the layer folder is in. */
  name: string;
  isIncluded: boolean;
  /** The bundle file that holds it. */
  file?: string;
  note?: string;
  /** What the bundle holds in place of an image the engine could not save. */
  substituteFile?: string;
}
