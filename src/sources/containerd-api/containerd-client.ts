/**
 * containerd's gRPC API spoken with @grpc/grpc-js and the message definitions in
 * containerd-protos.ts: the one implementation of ContainerdApi (issue 26). Every reply
 * comes from a daemon on a host that may be compromised: lists and specs are bounded,
 * a missing field becomes an empty value, never a crash. Strings are returned as given;
 * escaping them is the caller's job.
 */
import { access, constants, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { Cancelled } from '../../errors.js';
import { safeLine } from '../../untrusted.js';
import {
  ContainerdPermissionDenied,
  ContainerdReplyRefused,
  ContainerdRequestFailed,
  ContainerdUnreachable,
} from './containerd-errors.js';
import { messageType, SERVICES } from './containerd-protos.js';
import {
  DEFAULT_CONTAINERD_ADDRESS,
  KUBERNETES_NAMESPACE,
  type AnyValue,
  type ContainerdAddress,
  type ContainerdApi,
  type ContainerRecord,
  type Descriptor,
  type ImageRecord,
  type MountSpec,
  type SnapshotInfo,
  type TaskRecord,
  type TaskStatus,
  type TaskStreams,
} from './containerd-types.js';

/** More containers than any node runs; a daemon listing more is lying or broken. */
export const MAX_CONTAINERS = 100_000;
/** Images, namespaces, pids: the same kind of bound. */
const MAX_LIST_ENTRIES = 100_000;
/** A runtime spec larger than this is not kept (real ones are tens of kilobytes). */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;
/** One reply message; a container list is streamed one container per message. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Content is written in pieces of at most this, never held whole. */
const WRITE_CHUNK_BYTES = 1024 * 1024;
const CALL_TIMEOUT_MS = 60_000;

/** flag, else CONTAINERD_ADDRESS, else containerd's default socket; namespace from CONTAINERD_NAMESPACE, else k8s.io. */
export function containerdAddressFrom(env: NodeJS.ProcessEnv, flag?: string): ContainerdAddress {
  const address = flag || env['CONTAINERD_ADDRESS'] || DEFAULT_CONTAINERD_ADDRESS;
  const namespace = env['CONTAINERD_NAMESPACE'] || KUBERNETES_NAMESPACE;
  return { address, namespace };
}

/** Connects and checks that containerd's Version service answers. */
export async function connectContainerd(address: ContainerdAddress): Promise<ContainerdApi> {
  const socket = socketPath(address.address);
  await checkSocket(socket);
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const api = new GrpcContainerd(address, client);
  try {
    await api.version();
  } catch (e) {
    client.close();
    if (e instanceof ContainerdRequestFailed && e.code === grpc.status.UNAVAILABLE)
      throw new ContainerdUnreachable(`containerd at ${safeLine(socket)} does not answer`, {
        cause: e,
      });
    throw e;
  }
  return api;
}

function socketPath(address: string): string {
  return address.replace(/^unix:\/\//, '');
}

/** A missing socket and a refused one are told apart before gRPC hides both as UNAVAILABLE. */
async function checkSocket(socket: string): Promise<void> {
  const shown = safeLine(socket);
  try {
    const info = await stat(socket);
    if (!info.isSocket())
      throw new ContainerdUnreachable(`${shown} is not a socket, so no containerd listens there`);
    await access(socket, constants.R_OK | constants.W_OK);
  } catch (e) {
    if (e instanceof ContainerdUnreachable) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new ContainerdPermissionDenied(`permission denied on containerd's socket ${shown}`, {
        cause: e,
      });
    throw new ContainerdUnreachable(`no containerd socket at ${shown} (${code ?? String(e)})`, {
      cause: e,
    });
  }
}

type Message = Record<string, unknown>;
interface CallOptions {
  lease?: string;
  signal?: AbortSignal;
  /** Undefined: the default bound; 0: none (waiting for a task). */
  timeoutMs?: number;
  /** NOT_FOUND becomes undefined instead of an error. */
  isMissingFine?: boolean;
}

function codec(typeName: string) {
  const type: protobuf.Type = messageType(typeName);
  return {
    serialize: (value: Message) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer) => type.decode(bytes) as unknown as Message,
  };
}
const EMPTY = 'google.protobuf.Empty';

class GrpcContainerd implements ContainerdApi {
  constructor(
    readonly address: ContainerdAddress,
    private readonly client: grpc.Client,
  ) {}

  private metadata(lease?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('containerd-namespace', this.address.namespace);
    if (lease) md.set('containerd-lease', lease);
    return md;
  }

  private callOptions(timeoutMs?: number): grpc.CallOptions {
    const ms = timeoutMs ?? CALL_TIMEOUT_MS;
    return ms > 0 ? { deadline: Date.now() + ms } : {};
  }

  private unary(
    service: keyof typeof SERVICES,
    method: string,
    requestType: string,
    responseType: string,
    request: Message,
    opts: CallOptions = {},
  ): Promise<Message | undefined> {
    const req = codec(requestType);
    const res = codec(responseType);
    const what = `${service} ${method}`;
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new Cancelled(`containerd's ${what}`));
      const call = this.client.makeUnaryRequest(
        `/${SERVICES[service]}/${method}`,
        req.serialize,
        res.deserialize,
        request,
        this.metadata(opts.lease),
        this.callOptions(opts.timeoutMs),
        (err, value) => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (err) {
            if (opts.signal?.aborted) return reject(new Cancelled(`containerd's ${what}`));
            if (err.code === grpc.status.NOT_FOUND && opts.isMissingFine) return resolve(undefined);
            return reject(requestFailed(what, err));
          }
          resolve(value ?? {});
        },
      );
      const onAbort = () => call.cancel();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async version() {
    const r = await this.unary(
      'version',
      'Version',
      EMPTY,
      'containerd.services.version.v1.VersionResponse',
      {},
    );
    return { version: str(r?.['version']), revision: str(r?.['revision']) };
  }

  async namespaces() {
    const r = await this.unary(
      'namespaces',
      'List',
      'containerd.services.namespaces.v1.ListNamespacesRequest',
      'containerd.services.namespaces.v1.ListNamespacesResponse',
      {},
    );
    return bounded(list(r?.['namespaces']), 'namespaces').map((n) => str(n['name']));
  }

  async containers(): Promise<ContainerRecord[]> {
    try {
      return await this.containerStream();
    } catch (e) {
      // Older daemons have no ListStream; the one-message List is bounded by the message size.
      if (!(e instanceof ContainerdRequestFailed && e.code === grpc.status.UNIMPLEMENTED)) throw e;
      const r = await this.unary(
        'containers',
        'List',
        'containerd.services.containers.v1.ListContainersRequest',
        'containerd.services.containers.v1.ListContainersResponse',
        {},
      );
      return bounded(list(r?.['containers']), 'containers', MAX_CONTAINERS).map(containerRecord);
    }
  }

  private containerStream(): Promise<ContainerRecord[]> {
    const req = codec('containerd.services.containers.v1.ListContainersRequest');
    const res = codec('containerd.services.containers.v1.ListContainerMessage');
    return new Promise((resolve, reject) => {
      const records: ContainerRecord[] = [];
      const call = this.client.makeServerStreamRequest(
        `/${SERVICES.containers}/ListStream`,
        req.serialize,
        res.deserialize,
        {},
        this.metadata(),
        this.callOptions(),
      );
      let isRefused = false;
      call.on('data', (m: Message) => {
        if (isRefused) return;
        if (records.length >= MAX_CONTAINERS) {
          isRefused = true;
          call.cancel();
          return reject(tooMany('containers', MAX_CONTAINERS));
        }
        const c = m['container'];
        if (c) records.push(containerRecord(c as Message));
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (!isRefused) reject(requestFailed('containers ListStream', err));
      });
      call.on('end', () => {
        if (!isRefused) resolve(records);
      });
    });
  }

  async container(id: string) {
    const r = await this.unary(
      'containers',
      'Get',
      'containerd.services.containers.v1.GetContainerRequest',
      'containerd.services.containers.v1.GetContainerResponse',
      { id },
      { isMissingFine: true },
    );
    const c = r?.['container'];
    return c ? containerRecord(c as Message) : undefined;
  }

  async createContainer(record: ContainerRecord) {
    const extensions: Record<string, Message> = {};
    for (const [k, v] of Object.entries(record.extensions)) extensions[k] = anyMessage(v);
    await this.unary(
      'containers',
      'Create',
      'containerd.services.containers.v1.CreateContainerRequest',
      'containerd.services.containers.v1.CreateContainerResponse',
      {
        container: {
          id: record.id,
          labels: record.labels,
          image: record.image,
          runtime: { name: record.runtime.name },
          spec: record.spec ? anyMessage(record.spec) : undefined,
          snapshotter: record.snapshotter,
          snapshot_key: record.snapshotKey,
          extensions,
          sandbox: record.sandbox ?? '',
        },
      },
    );
  }

  async deleteContainer(id: string) {
    await this.unary(
      'containers',
      'Delete',
      'containerd.services.containers.v1.DeleteContainerRequest',
      EMPTY,
      { id },
    );
  }

  async task(containerId: string): Promise<TaskRecord | undefined> {
    const r = await this.unary(
      'tasks',
      'Get',
      'containerd.services.tasks.v1.GetRequest',
      'containerd.services.tasks.v1.GetResponse',
      { container_id: containerId },
      { isMissingFine: true },
    );
    const p = r?.['process'] as Message | undefined;
    if (!p) return undefined;
    const status = taskStatus(p['status']);
    return {
      containerId: str(p['container_id']) || containerId,
      pid: num(p['pid']),
      status,
      ...(status === 'stopped' ? { exitStatus: num(p['exit_status']) } : {}),
      ...optionalTime('exitedAt', p['exited_at']),
    };
  }

  async taskPids(containerId: string) {
    const r = await this.unary(
      'tasks',
      'ListPids',
      'containerd.services.tasks.v1.ListPidsRequest',
      'containerd.services.tasks.v1.ListPidsResponse',
      { container_id: containerId },
    );
    return bounded(list(r?.['processes']), 'processes')
      .map((p) => num(p['pid']))
      .filter((pid) => pid > 0);
  }

  async pause(containerId: string) {
    await this.unary('tasks', 'Pause', 'containerd.services.tasks.v1.PauseTaskRequest', EMPTY, {
      container_id: containerId,
    });
  }

  async resume(containerId: string) {
    await this.unary('tasks', 'Resume', 'containerd.services.tasks.v1.ResumeTaskRequest', EMPTY, {
      container_id: containerId,
    });
  }

  async createTask(containerId: string, rootfs: MountSpec[], streams: TaskStreams) {
    const r = await this.unary(
      'tasks',
      'Create',
      'containerd.services.tasks.v1.CreateTaskRequest',
      'containerd.services.tasks.v1.CreateTaskResponse',
      {
        container_id: containerId,
        rootfs: rootfs.map((m) => ({ type: m.type, source: m.source, options: m.options })),
        stdout: streams.stdout ?? '',
        stderr: streams.stderr ?? '',
      },
    );
    return num(r?.['pid']);
  }

  async startTask(containerId: string) {
    const r = await this.unary(
      'tasks',
      'Start',
      'containerd.services.tasks.v1.StartRequest',
      'containerd.services.tasks.v1.StartResponse',
      { container_id: containerId },
    );
    return num(r?.['pid']);
  }

  async killTask(containerId: string, signal: number, all = false) {
    await this.unary('tasks', 'Kill', 'containerd.services.tasks.v1.KillRequest', EMPTY, {
      container_id: containerId,
      signal,
      all,
    });
  }

  async waitTask(containerId: string, signal?: AbortSignal) {
    const r = await this.unary(
      'tasks',
      'Wait',
      'containerd.services.tasks.v1.WaitRequest',
      'containerd.services.tasks.v1.WaitResponse',
      { container_id: containerId },
      { timeoutMs: 0, ...(signal ? { signal } : {}) },
    );
    return { exitStatus: num(r?.['exit_status']) };
  }

  async deleteTask(containerId: string) {
    const r = await this.unary(
      'tasks',
      'Delete',
      'containerd.services.tasks.v1.DeleteTaskRequest',
      'containerd.services.tasks.v1.DeleteResponse',
      { container_id: containerId },
      { isMissingFine: true },
    );
    return r ? { exitStatus: num(r['exit_status']) } : undefined;
  }

  async snapshotMounts(snapshotter: string, key: string) {
    const r = await this.unary(
      'snapshots',
      'Mounts',
      'containerd.services.snapshots.v1.MountsRequest',
      'containerd.services.snapshots.v1.MountsResponse',
      { snapshotter, key },
    );
    return bounded(list(r?.['mounts']), 'mounts').map(mountSpec);
  }

  async snapshotStat(snapshotter: string, key: string): Promise<SnapshotInfo | undefined> {
    const r = await this.unary(
      'snapshots',
      'Stat',
      'containerd.services.snapshots.v1.StatSnapshotRequest',
      'containerd.services.snapshots.v1.StatSnapshotResponse',
      { snapshotter, key },
      { isMissingFine: true },
    );
    const info = r?.['info'] as Message | undefined;
    if (!info) return undefined;
    return {
      name: str(info['name']),
      parent: str(info['parent']),
      kind: snapshotKind(info['kind']),
      labels: stringMap(info['labels']),
    };
  }

  async prepareSnapshot(
    snapshotter: string,
    key: string,
    parent: string,
    labels: Record<string, string> = {},
  ) {
    const r = await this.unary(
      'snapshots',
      'Prepare',
      'containerd.services.snapshots.v1.PrepareSnapshotRequest',
      'containerd.services.snapshots.v1.PrepareSnapshotResponse',
      { snapshotter, key, parent, labels },
    );
    return bounded(list(r?.['mounts']), 'mounts').map(mountSpec);
  }

  async removeSnapshot(snapshotter: string, key: string) {
    await this.unary(
      'snapshots',
      'Remove',
      'containerd.services.snapshots.v1.RemoveSnapshotRequest',
      EMPTY,
      {
        snapshotter,
        key,
      },
    );
  }

  async images() {
    const r = await this.unary(
      'images',
      'List',
      'containerd.services.images.v1.ListImagesRequest',
      'containerd.services.images.v1.ListImagesResponse',
      {},
    );
    return bounded(list(r?.['images']), 'images').map(imageRecord);
  }

  async image(name: string) {
    const r = await this.unary(
      'images',
      'Get',
      'containerd.services.images.v1.GetImageRequest',
      'containerd.services.images.v1.GetImageResponse',
      { name },
      { isMissingFine: true },
    );
    const i = r?.['image'];
    return i ? imageRecord(i as Message) : undefined;
  }

  async putImage(image: ImageRecord) {
    const message = {
      image: {
        name: image.name,
        labels: image.labels,
        target: {
          media_type: image.target.mediaType,
          digest: image.target.digest,
          size: image.target.size,
          annotations: image.target.annotations ?? {},
        },
      },
    };
    try {
      await this.unary(
        'images',
        'Create',
        'containerd.services.images.v1.CreateImageRequest',
        'containerd.services.images.v1.CreateImageResponse',
        message,
      );
    } catch (e) {
      if (!(e instanceof ContainerdRequestFailed && e.code === grpc.status.ALREADY_EXISTS)) throw e;
      // No update mask: containerd replaces the record's labels and target as given.
      await this.unary(
        'images',
        'Update',
        'containerd.services.images.v1.UpdateImageRequest',
        'containerd.services.images.v1.UpdateImageResponse',
        message,
      );
    }
  }

  async createLease(id: string, labels: Record<string, string> = {}) {
    await this.unary(
      'leases',
      'Create',
      'containerd.services.leases.v1.CreateRequest',
      'containerd.services.leases.v1.CreateResponse',
      { id, labels },
    );
  }

  async deleteLease(id: string) {
    await this.unary('leases', 'Delete', 'containerd.services.leases.v1.DeleteRequest', EMPTY, {
      id,
    });
  }

  writeContent(
    blob: Readable | Buffer,
    expected: Descriptor,
    opts: { lease: string; ref: string; labels?: Record<string, string> },
  ): Promise<void> {
    const req = codec('containerd.services.content.v1.WriteContentRequest');
    const res = codec('containerd.services.content.v1.WriteContentResponse');
    const call = this.client.makeBidiStreamRequest(
      `/${SERVICES.content}/Write`,
      req.serialize,
      res.deserialize,
      this.metadata(opts.lease),
      {},
    );
    const source = Buffer.isBuffer(blob) ? Readable.from([blob]) : blob;
    // containerd answers each request; the answers are read as they come so flow control never stalls.
    const finished = new Promise<void>((resolve, reject) => {
      call.on('data', () => undefined);
      call.on('error', (err: grpc.ServiceError) =>
        err.code === grpc.status.ALREADY_EXISTS
          ? resolve()
          : reject(requestFailed('content Write', err)),
      );
      call.on('end', () => resolve());
    });
    finished.catch(() => undefined); // awaited below; a write may fail first
    const send = async (message: Message) => {
      if (!call.write(message)) await new Promise<void>((r) => call.once('drain', () => r()));
    };
    const write = async () => {
      const total = expected.size;
      // STAT opens the writer with the expected digest: an existing blob ends the call with ALREADY_EXISTS.
      await send({ action: 0, ref: opts.ref, total, expected: expected.digest });
      let offset = 0;
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        for (let at = 0; at < bytes.length; at += WRITE_CHUNK_BYTES) {
          const piece = bytes.subarray(at, at + WRITE_CHUNK_BYTES);
          // The first write at offset 0 also truncates what a failed earlier attempt under this ref left.
          await send({ action: 1, ref: opts.ref, offset, data: piece });
          offset += piece.length;
        }
        if (call.destroyed || call.writableEnded) break;
      }
      if (offset !== total)
        throw new ContainerdRequestFailed(
          `the blob ${safeLine(expected.digest)} is ${offset} bytes, not the ${total} expected`,
          grpc.status.INVALID_ARGUMENT,
        );
      await send({
        action: 2,
        ref: opts.ref,
        offset,
        total,
        expected: expected.digest,
        labels: opts.labels ?? {},
      });
      call.end();
    };
    return write().then(
      () => finished,
      async (e) => {
        // An ALREADY_EXISTS answer may close the stream while chunks are still being sent.
        const closed = await finished.then(
          () => true,
          () => false,
        );
        call.cancel();
        if (closed && !(e instanceof ContainerdRequestFailed)) return;
        throw e;
      },
    );
  }

  readContent(digest: string): Readable {
    const req = codec('containerd.services.content.v1.ReadContentRequest');
    const res = codec('containerd.services.content.v1.ReadContentResponse');
    const call = this.client.makeServerStreamRequest(
      `/${SERVICES.content}/Read`,
      req.serialize,
      res.deserialize,
      { digest },
      this.metadata(),
      {},
    );
    const out = new Readable({
      read: () => call.resume(),
      destroy: (err, done) => {
        call.cancel();
        done(err);
      },
    });
    call.on('data', (m: Message) => {
      const data = m['data'];
      if (
        data instanceof Uint8Array &&
        data.length &&
        !out.push(Buffer.from(data.buffer, data.byteOffset, data.length))
      )
        call.pause();
    });
    call.on('error', (err: grpc.ServiceError) =>
      out.destroy(requestFailed(`content Read of ${digest}`, err)),
    );
    call.on('end', () => out.push(null));
    return out;
  }

  close() {
    this.client.close();
  }
}

function requestFailed(
  what: string,
  err: grpc.ServiceError,
): ContainerdRequestFailed | ContainerdUnreachable {
  const details = safeLine(String(err.details ?? err.message ?? ''), 500);
  if (err.code === grpc.status.UNAVAILABLE)
    return new ContainerdUnreachable(`containerd stopped answering (${what}): ${details}`, {
      cause: err,
    });
  const name = grpc.status[err.code] ?? String(err.code);
  return new ContainerdRequestFailed(`containerd refused ${what} (${name}): ${details}`, err.code, {
    cause: err,
  });
}

function tooMany(what: string, max: number): ContainerdReplyRefused {
  return new ContainerdReplyRefused(
    `containerd listed more than ${max} ${what}; the reply was not used`,
  );
}

function bounded(items: Message[], what: string, max = MAX_LIST_ENTRIES): Message[] {
  if (items.length > max) throw tooMany(what, max);
  return items;
}

function list(value: unknown): Message[] {
  return Array.isArray(value)
    ? value.filter((v): v is Message => !!v && typeof v === 'object')
    : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** uint32/int64 fields arrive as numbers or Longs. */
function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value)
    return (value as { toNumber(): number }).toNumber();
  return 0;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function anyValue(value: unknown): AnyValue | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const m = value as Message;
  const bytes = m['value'];
  return {
    typeUrl: str(m['type_url']),
    value:
      bytes instanceof Uint8Array
        ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
        : Buffer.alloc(0),
  };
}

function anyMessage(value: AnyValue): Message {
  return { type_url: value.typeUrl, value: value.value };
}

/** A protobuf Timestamp as RFC 3339 UTC, nanoseconds kept; undefined when unset or out of range. */
export function rfc3339(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const m = value as Message;
  const seconds = num(m['seconds']);
  const nanos = num(m['nanos']);
  if (seconds === 0 && nanos === 0) return undefined;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime()) || nanos < 0 || nanos > 999_999_999) return undefined;
  const whole = date.toISOString().slice(0, 19);
  return nanos ? `${whole}.${String(nanos).padStart(9, '0')}Z` : `${whole}Z`;
}

function optionalTime<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  const t = rfc3339(value);
  return t ? ({ [key]: t } as Record<K, string>) : {};
}

function containerRecord(c: Message): ContainerRecord {
  const runtime = (c['runtime'] ?? {}) as Message;
  const extensions: Record<string, AnyValue> = {};
  const ext = c['extensions'];
  if (ext && typeof ext === 'object')
    for (const [k, v] of Object.entries(ext)) {
      const a = anyValue(v);
      if (a) extensions[k] = a;
    }
  const spec = anyValue(c['spec']);
  const isSpecKept = spec && spec.value.length <= MAX_SPEC_BYTES;
  return {
    id: str(c['id']),
    labels: stringMap(c['labels']),
    image: str(c['image']),
    runtime: { name: str(runtime['name']) },
    ...(isSpecKept ? { spec } : {}),
    ...(spec && !isSpecKept ? { specRefusedBytes: spec.value.length } : {}),
    snapshotter: str(c['snapshotter']),
    snapshotKey: str(c['snapshot_key']),
    ...optionalTime('createdAt', c['created_at']),
    ...optionalTime('updatedAt', c['updated_at']),
    ...(str(c['sandbox']) ? { sandbox: str(c['sandbox']) } : {}),
    extensions,
  };
}

function imageRecord(i: Message): ImageRecord {
  const t = (i['target'] ?? {}) as Message;
  const annotations = stringMap(t['annotations']);
  return {
    name: str(i['name']),
    labels: stringMap(i['labels']),
    target: {
      mediaType: str(t['media_type']),
      digest: str(t['digest']),
      size: num(t['size']),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    ...optionalTime('createdAt', i['created_at']),
    ...optionalTime('updatedAt', i['updated_at']),
  };
}

function mountSpec(m: Message): MountSpec {
  return {
    type: str(m['type']),
    source: str(m['source']),
    options: Array.isArray(m['options'])
      ? m['options'].filter((o): o is string => typeof o === 'string')
      : [],
  };
}

const TASK_STATUSES: TaskStatus[] = [
  'unknown',
  'created',
  'running',
  'stopped',
  'paused',
  'pausing',
];
function taskStatus(value: unknown): TaskStatus {
  return TASK_STATUSES[typeof value === 'number' ? value : 0] ?? 'unknown';
}

const SNAPSHOT_KINDS: SnapshotInfo['kind'][] = ['unknown', 'view', 'active', 'committed'];
function snapshotKind(value: unknown): SnapshotInfo['kind'] {
  return SNAPSHOT_KINDS[typeof value === 'number' ? value : 0] ?? 'unknown';
}
