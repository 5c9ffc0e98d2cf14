/**
 * What coroner asks of containerd through its gRPC API (containers, tasks, snapshots,
 * images, content, leases, namespaces, version), as plain values: one implementation
 * speaks gRPC (containerd-client.ts); the containerd source, the twins run through
 * containerd and the node job use only this. Every string here came from a daemon on a
 * host that may be compromised, and names, labels and specs from whoever created the
 * container: treat them as untrusted text.
 */
import type { Readable } from 'node:stream';

/** Where to reach containerd, as ctr and nerdctl read it (CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE). */
export interface ContainerdAddress {
  /** A unix socket path (`/run/containerd/containerd.sock`), with or without `unix://`. */
  address: string;
  /** The namespace every call is made in (`k8s.io` for the kubelet's containers). */
  namespace: string;
}

export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
export const KUBERNETES_NAMESPACE = 'k8s.io';

/** A protobuf `Any`: its type URL and its bytes, never decoded unless coroner knows the type. */
export interface AnyValue {
  typeUrl: string;
  value: Buffer;
}

export interface ContainerRecord {
  id: string;
  labels: Record<string, string>;
  /** The image reference it was created from (`docker.io/library/php:8.2-apache`). */
  image: string;
  runtime: { name: string };
  /** The OCI runtime spec (JSON in `value`, typeUrl `types.containerd.io/opencontainers/runtime-spec/1/Spec`). */
  spec?: AnyValue;
  /** Set instead of `spec` when the daemon sent a spec above the client's bound (4 MiB): its size. */
  specRefusedBytes?: number;
  snapshotter: string;
  snapshotKey: string;
  /** RFC 3339, UTC. */
  createdAt?: string;
  updatedAt?: string;
  /** The sandbox this container runs in (containerd 1.7+), when the creator set it. */
  sandbox?: string;
  extensions: Record<string, AnyValue>;
}

export type TaskStatus = 'unknown' | 'created' | 'running' | 'stopped' | 'paused' | 'pausing';

export interface TaskRecord {
  containerId: string;
  /** The task's init process on the host, 0 when it has none. */
  pid: number;
  status: TaskStatus;
  exitStatus?: number;
  exitedAt?: string;
}

/** containerd's mount: what the snapshotter says to mount for a snapshot. */
export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageRecord {
  name: string;
  labels: Record<string, string>;
  target: Descriptor;
  createdAt?: string;
  updatedAt?: string;
}

export interface SnapshotInfo {
  name: string;
  parent: string;
  kind: 'unknown' | 'view' | 'active' | 'committed';
  labels: Record<string, string>;
}

/** What a new task's standard streams are: containerd URIs (`file:///abs/path`) or fifo paths. */
export interface TaskStreams {
  stdout?: string;
  stderr?: string;
}

/** containerd's gRPC API as coroner uses it; every call is made in the address's namespace. */
export interface ContainerdApi {
  readonly address: ContainerdAddress;
  version(): Promise<{ version: string; revision: string }>;
  namespaces(): Promise<string[]>;

  containers(): Promise<ContainerRecord[]>;
  /** Undefined when there is no such container. */
  container(id: string): Promise<ContainerRecord | undefined>;
  createContainer(record: ContainerRecord): Promise<void>;
  deleteContainer(id: string): Promise<void>;

  /** Undefined when the container has no task. */
  task(containerId: string): Promise<TaskRecord | undefined>;
  taskPids(containerId: string): Promise<number[]>;
  pause(containerId: string): Promise<void>;
  resume(containerId: string): Promise<void>;
  createTask(containerId: string, rootfs: MountSpec[], streams: TaskStreams): Promise<number>;
  startTask(containerId: string): Promise<number>;
  killTask(containerId: string, signal: number, all?: boolean): Promise<void>;
  /** Resolves when the task's init process has exited, with its status. */
  waitTask(containerId: string, signal?: AbortSignal): Promise<{ exitStatus: number }>;
  deleteTask(containerId: string): Promise<{ exitStatus: number } | undefined>;

  snapshotMounts(snapshotter: string, key: string): Promise<MountSpec[]>;
  snapshotStat(snapshotter: string, key: string): Promise<SnapshotInfo | undefined>;
  prepareSnapshot(
    snapshotter: string,
    key: string,
    parent: string,
    labels?: Record<string, string>,
  ): Promise<MountSpec[]>;
  removeSnapshot(snapshotter: string, key: string): Promise<void>;

  images(): Promise<ImageRecord[]>;
  image(name: string): Promise<ImageRecord | undefined>;
  /** Creates the image record, or updates it when the name exists. */
  putImage(image: ImageRecord): Promise<void>;

  /** A lease that holds what is written under it from garbage collection until it is deleted. */
  createLease(id: string, labels?: Record<string, string>): Promise<void>;
  deleteLease(id: string): Promise<void>;
  /**
   * Writes one blob into the content store under the lease, checked by containerd against
   * the expected digest and size (an existing blob of that digest is left as it is).
   */
  writeContent(
    blob: Readable | Buffer,
    expected: Descriptor,
    opts: { lease: string; ref: string; labels?: Record<string, string> },
  ): Promise<void>;
  readContent(digest: string): Readable;

  close(): void;
}
