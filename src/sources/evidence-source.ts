/**
 * The seam between where evidence comes from and what coroner does with it.
 * A source (the live engine, a copied Docker data root) acquires into the case
 * folder what the pipeline needs: the subject, how it ran, what preserves its
 * filesystem, the change list, its image's layers, and both versions of each
 * changed path. Comparison, findings, the report, the bundle and the console
 * are the same whatever the source.
 */
import type { Readable } from 'node:stream';
import type { CaseFolder } from '../case/case-folder.js';
import type { CustodyLog } from '../case/custody.js';
import type { ImageLayers } from '../layers/image-layers.js';
import type { ChangeEntry, MountPlace, PathProblem, VersionPair } from '../report/change.js';
import type { EngineEvent, ProcessRecord } from '../report/process.js';
import type { RuntimeConfig } from '../report/runtime.js';
import type {
  EvidenceRecord,
  NotCollected,
  SourceIdentity,
  SourceKind,
  SubjectInfo,
  WritableLayerRecord,
} from '../report/triage-report.js';
import type { ContainerRef } from './pick-container.js';

export interface ContainersPlace {
  /** In words: "the data root copy /mnt/evidence/docker". */
  name: string;
  listCommand: string;
}

/** One container a source knows of, for choosing the subject. */
export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  state: string;
  status: string;
  createdAt: string;
  labels: Record<string, string>;
}

export interface AcquireOptions {
  /** How many of the most recent log lines to keep. */
  logTailLines: number;
  /** Byte cap per log stream, so a log flood cannot fill the disk. */
  logMaxBytes: number;
  /** Stored content per file is capped here (the hash still covers the whole file). */
  maxContentBytes: number;
  /** A change list whose JSON passes this is not read whole (the source falls back). */
  maxChangeListBytes?: number;
  /**
   * Where the writable layer cannot be read: compare the container's whole filesystem with
   * the image's by content (`--deep`), at a cost that grows with the image.
   */
  deep?: boolean;
  /** Readers per image, for sources that read through the engine. */
  readersPerImage: number;
  /** Where layer indexes are cached. */
  cacheDir: string;
  signal?: AbortSignal;
  /** A step of the acquisition begins ("inspect", "logs", "commit"…). */
  onStep?: (step: string) => void;
  onProgress?: (phase: 'layers' | 'extract', filesDone: number, bytes: number) => void;
  /** A per-path failure: collected, never fatal. */
  onProblem: (problem: PathProblem) => void;
}

export interface EvidenceSource {
  readonly kind: SourceKind;
  /**
   * Where the containers are, and the command that lists them, for a name that matches
   * none (a dead box has no engine to ask); absent for an engine (`docker ps -a`).
   */
  readonly containersPlace?: ContainersPlace;
  identity(): Promise<SourceIdentity>;
  listContainers(): Promise<ContainerSummary[]>;
  /**
   * The one container `ref` names, for a source whose containers are named its own way (a
   * pod's `namespace/pod/container`); otherwise the docker CLI's rules (pick-container.ts).
   */
  pick?(ref: string, containers: readonly ContainerSummary[]): ContainerRef;
  /**
   * The subject's volatile and configuration state, most volatile first, into the case
   * folder (each step in custody). When it returns, the subject's filesystem is preserved.
   */
  acquire(
    container: ContainerRef,
    folder: CaseFolder,
    custody: CustodyLog,
    opts: AcquireOptions,
  ): Promise<Acquisition>;
  /**
   * A case file that stands in for the evidence in a bundle when the source cannot save it
   * (the live engine's export of the container's filesystem, kept when files named like
   * whiteouts broke its commit): used only where the case holds it.
   */
  readonly evidenceSubstitute?: string;
  /** The evidence as a tar stream for the bundle (`docker save`); absent when the source keeps none. */
  saveEvidence?(evidence: EvidenceRecord, signal?: AbortSignal): Promise<Readable>;
}

/** A path that changed in a mount (volume, bind, tmpfs), with both versions already stored. */
export interface MountedChange {
  entry: ChangeEntry;
  mount: MountPlace;
  versions: VersionPair;
}

/**
 * What one acquisition holds; its methods are called once each, in this order, except
 * readVersions, which may be called again with other entries (the package databases are
 * read first, then the changes). Items it could not collect are added to notCollected as
 * it goes.
 */
export interface Acquisition {
  subject: SubjectInfo;
  runtime: RuntimeConfig;
  evidence: EvidenceRecord;
  /** What this source could not collect, and why. */
  notCollected: NotCollected[];
  /**
   * Signs in the source's own records that the host itself was tampered with (an image
   * config that no longer hashes to its id), each in words: the report's host verdict.
   */
  hostTampering?: readonly string[];
  /** What changed in the subject's filesystem. */
  changeList(): Promise<ChangeEntry[]>;
  /**
   * Files the engine itself writes into every container's layer (Podman's /etc/hosts…):
   * left out of the change list, yet the folders holding them changed through them.
   */
  engineFiles?: readonly string[];
  /** The original image's layers as indexes (which layer each original came from). */
  originalLayers(): Promise<ImageLayers>;
  /**
   * Both versions of every listed path, stored in the case folder and hashed. Each pair goes
   * to `onPair` once it is complete, and is not kept: memory stays flat however many paths
   * changed. Readers wait for `onPair` (it compares and ranks). A path never handed over
   * could not be read (a problem says why).
   */
  readVersions(
    entries: readonly ChangeEntry[],
    onPair: (entry: ChangeEntry, pair: VersionPair) => Promise<void>,
  ): Promise<void>;
  /**
   * What changed where the change list cannot see: volumes and binds compared with the
   * image's content at the same path, tmpfs and /dev/shm content. What could not be read is
   * in notCollected.
   */
  mountChanges(): Promise<MountsRead>;
  /**
   * The container's processes, without their findings (their executables compared with the
   * image's files); absent when they were not collected (notCollected says why).
   */
  processes?(): Promise<ProcessRecord[]>;
  /** The engine's events about the container; absent when not collected. */
  events?: EngineEvent[];
  /**
   * The writable layer read as the authority on what changed, and the engine's list checked
   * against it; known once changeList() has returned, absent where it was not read.
   */
  writableLayer?(): WritableLayerRecord | undefined;
}

export interface MountsRead {
  changes: MountedChange[];
  /** The mounts that were read or compared, with what bounded it. */
  read: (MountPlace & { note?: string })[];
}
