/**
 * The bundle's manifest: every file in the bundle with its size and SHA-256
 * (computed while it was streamed into the bundle), and who/what/where.
 */
import type { EngineIdentity } from '../sources/docker-live/types.js';

export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';
export const MANIFEST_SCHEMA_VERSION = 1;

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
  engine: EngineIdentity;
  container: { id: string; name: string; imageId: string; imageRef: string };
  evidenceImage: {
    id: string;
    repoTag: string;
    isIncluded: boolean;
    file?: string;
    note?: string;
    /** What the bundle holds in place of an image the engine could not save. */
    substituteFile?: string;
  };
  redaction: { isEnvRedacted: boolean; redactedFiles: string[]; note?: string };
  files: ManifestFile[];
}
