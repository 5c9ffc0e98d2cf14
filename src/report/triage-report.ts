/**
 * The triage report: one JSON-able value that report.json, `--json`, the
 * Markdown and HTML reports, the summary and the console all render.
 * Its schema is documented in docs/triage-schema.md.
 */
import type { PackageDatabases } from './package.js';
import type { ArtifactRecord } from './artifact.js';
import type { ChangeKind, LayerInfo, MountPlace, PathProblem } from './change.js';
import type { ChangeList } from './change-spool.js';
import type { ExposureCheck, Finding } from './finding.js';
import type { EngineEvent, ProcessRecord } from './process.js';
import type { RuntimeConfig } from './runtime.js';
import type { Severity } from './severity.js';

/**
 * 2: the evidence source is named (`source`), evidence may be a layer folder; `runtime`,
 * `notCollected`, `processes`, `events` and `changes[].mount` added.
 */
export const TRIAGE_SCHEMA_VERSION = 2;

export interface EngineIdentity {
  /** `Docker` or `Podman` (its Docker-compatible service); absent in reports before it was recorded. */
  product?: string;
  /** How DOCKER_HOST reached it: `unix`, `tcp` or `ssh`. */
  transport?: string;
  version: string;
  /** The newest Engine API version the engine speaks. */
  apiVersion: string;
  /** The version coroner spoke to it (the engine's newest, up to coroner's own newest). */
  apiSpoken?: string;
  os: string;
  arch: string;
  hostName: string;
  daemonId: string;
  storageDriver: string;
  /** Where the engine keeps its data on its host (`docker info` DockerRootDir). */
  rootDir?: string;
}

export type SourceKind = 'docker-live' | 'dead-box' | 'containerd' | 'checkpoint';

/** Where the evidence came from. */
export interface SourceIdentity {
  kind: SourceKind;
  /**
   * Where the evidence came from, in the source's own words (raw text): the reports and the
   * console show it as it is. Absent in reports made before sources said it.
   */
  described?: string;
  /** docker-live: the engine that answered. */
  engine?: EngineIdentity;
  /** dead-box: the copied Docker data root that was read (never written, no engine contacted). */
  dataRoot?: {
    path: string;
    storageDriver: string;
    /** The copy of containerd's root read beside it (Docker's containerd image store). */
    containerdRoot?: string;
  };
  /** containerd: the daemon that answered, and the namespace read. */
  containerd?: { address: string; namespace: string; version: string; root?: string };
  /** checkpoint: the container checkpoint archive read (never written), and the image archive given with it. */
  checkpoint?: { path: string; imageArchive?: string };
}

/** The container under triage. */
export interface SubjectInfo {
  id: string;
  name: string;
  /** The image reference the container was started with (may since have moved). */
  imageRef: string;
  imageId: string;
  createdAt: string;
  stateAtStart: { status: string; isRunning: boolean; isPaused: boolean };
  /** The first process's command line as the engine started it (entrypoint and command). */
  command?: string[];
  /** When the engine last started it; absent when it never ran. */
  startedAt?: string;
}

/** What preserves the container's filesystem as it was found. */
export type EvidenceRecord =
  | {
      kind: 'image';
      id: string;
      repo: string;
      tag: string;
      committedAt: string;
      /** True when the container was running and was paused for the commit. */
      wasPaused: boolean;
    }
  | {
      kind: 'layer-folder';
      /** The copied data root. */
      dataRoot: string;
      /** The container's writable layer inside it (empty when the copy lacks it). */
      layerDir: string;
      readAt: string;
      /** Where the evidence stays, as its source describes it: a bundle cannot hold it. */
      whereKept?: string;
      /** The evidence in its source's own words (raw text). */
      described?: string;
    };

export type EvidenceImage = Extract<EvidenceRecord, { kind: 'image' }>;

export interface UncoveredMount {
  destination: string;
  type: string;
  source?: string;
  reason: string;
}

/** Something a source could not collect, and why (a dead box has no processes). */
export interface NotCollected {
  item: string;
  reason: string;
}

/** How an image layer's content was checked against the diff id the engine recorded. */
export interface LayerCheck {
  diffId: string;
  position: number;
  status: 'verified' | 'tampered' | 'not-checked';
  detail: string;
  /** Each entry of the layer folder that differs from the layer's record, and how (the first 100). */
  differences?: LayerDifference[];
  /** How many entries differ in all. */
  differenceCount?: number;
  /** What a faithful copy would not show, said without calling it tampering (hard links a copy split). */
  notes?: string[];
}

export interface LayerDifference {
  /** The container path (attacker-controlled text). */
  path: string;
  what: string[];
}

export interface LayersSummary {
  /** Where the layer indexes came from this time. */
  source: 'cache' | 'image-save' | 'layer-store' | 'unavailable';
  /** Bytes of `docker save` read (0 otherwise). */
  savedBytes: number;
  list: LayerInfo[];
  /** Per layer, when the source can check layers against their diff ids. */
  checks?: LayerCheck[];
}

/** A path one side of the cross-check has and the other lacks. */
export interface CrossCheckEntry {
  path: string;
  kind: ChangeKind;
  /** Why the engine's list left it out ("same size, modification time put back"). */
  reason?: string;
}

/**
 * The container's writable layer, read on the engine's host in the freeze's pause: the
 * authority on what changed, the engine's change list cross-checked against it.
 */
export interface WritableLayerRecord {
  /**
   * How it was read: the upper dir itself (absent), or, with --deep where that cannot be
   * read, the container's whole filesystem exported and compared with the image's by content.
   */
  readBy?: 'deep-export';
  /** The upper dir on the engine's host (empty when read by a deep export). */
  dir: string;
  readAt: string;
  /** Entries it held (files, links, folders, deletions). */
  entryCount: number;
  /** The archive of the whole layer in the case folder. */
  archive: { path: string; sha256: string; sizeBytes: number };
  /** How the engine's list compared: `unavailable` when the engine could not list its changes. */
  engineList: 'compared' | 'unavailable';
  /** In the writable layer, not in the engine's list (at most MAX_CROSS_CHECK). */
  notInEngineList: CrossCheckEntry[];
  /** In the engine's list, not in the writable layer (at most MAX_CROSS_CHECK). */
  notInWritableLayer: CrossCheckEntry[];
  /**
   * Changed paths (not folders) the evidence image lacks: their bytes are in the archive only.
   * Absent when the evidence image's layer could not be read on this host to check.
   */
  notInEvidenceImage?: string[];
  /** Entries archived other than as they were (a socket; a file changing under the read). */
  notes: string[];
}

/** Each list of the cross-check names this many paths at most. */
export const MAX_CROSS_CHECK = 10_000;

export interface TriageReport {
  schemaVersion: typeof TRIAGE_SCHEMA_VERSION;
  tool: { name: 'coroner'; version: string };
  source: SourceIdentity;
  startedAt: string;
  finishedAt: string;
  caseDir: string;
  container: SubjectInfo;
  evidence: EvidenceRecord;
  runtime: RuntimeConfig;
  hostCompromise: { isSuspected: boolean; reasons: string[] };
  counts: {
    added: number;
    changed: number;
    deleted: number;
    parentOnly: number;
    bySeverity: Record<Severity, number>;
  };
  /** Ranked: most suspicious first; parent-only directories last. */
  changes: ChangeList;
  /** Every finding, ranked: of the paths that are not parent-only, of processes and events. */
  findings: Finding[];
  exposure: ExposureCheck[];
  notCovered: UncoveredMount[];
  /** The mounts that were read (tmpfs) or compared with the image (volumes, binds), and what bounded each. */
  mounts: (MountPlace & { note?: string })[];
  notCollected: NotCollected[];
  /** The container's processes, read on the engine's host; absent when not collected. */
  processes?: ProcessRecord[];
  /** What the engine recorded about the container; absent when not collected. */
  events?: EngineEvent[];
  /** The container's writable layer, when it was read on the engine's host (live, as root). */
  writableLayer?: WritableLayerRecord;
  layers: LayersSummary;
  /** The package databases changed files were judged against (absent when there were none). */
  packages?: PackageDatabases;
  problems: PathProblem[];
  artifacts: ArtifactRecord[];
}
