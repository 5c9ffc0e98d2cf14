/**
 * containerd's replies decoded into ContainerdApi's plain values. Every reply is from a
 * daemon on a host that may be compromised: a missing field becomes an empty value, lists
 * and specs are bounded, enums and times out of range become "unknown" or nothing.
 */
import { ContainerdReplyRefused } from './containerd-errors.js';
import type {
  AnyValue,
  ContainerRecord,
  ImageRecord,
  MountSpec,
  SnapshotInfo,
  TaskStatus,
} from './containerd-types.js';

/** A decoded protobuf message, read field by field as untrusted. */
export type Message = Record<string, unknown>;

/** More containers than any node runs; a daemon listing more is lying or broken. */
export const MAX_CONTAINERS = 100_000;
/** Images, namespaces, pids: the same kind of bound. */
export const MAX_LIST_ENTRIES = 100_000;
/** A runtime spec larger than this is not kept (real ones are tens of kilobytes). */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

export function tooMany(what: string, max: number): ContainerdReplyRefused {
  return new ContainerdReplyRefused(
    `containerd listed more than ${max} ${what}; the reply was not used`,
  );
}

export function bounded(items: Message[], what: string, max = MAX_LIST_ENTRIES): Message[] {
  if (items.length > max) throw tooMany(what, max);
  return items;
}

export function list(value: unknown): Message[] {
  return Array.isArray(value)
    ? value.filter((v): v is Message => !!v && typeof v === 'object')
    : [];
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** uint32/int64 fields arrive as numbers or Longs. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value)
    return (value as { toNumber(): number }).toNumber();
  return 0;
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function anyValue(value: unknown): AnyValue | undefined {
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

export function anyMessage(value: AnyValue): Message {
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

export function optionalTime<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  const t = rfc3339(value);
  return t ? ({ [key]: t } as Record<K, string>) : {};
}

export function containerRecord(c: Message): ContainerRecord {
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

export function imageRecord(i: Message): ImageRecord {
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

export function mountSpec(m: Message): MountSpec {
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
export function taskStatus(value: unknown): TaskStatus {
  return TASK_STATUSES[typeof value === 'number' ? value : 0] ?? 'unknown';
}

const SNAPSHOT_KINDS: SnapshotInfo['kind'][] = ['unknown', 'view', 'active', 'committed'];
export function snapshotKind(value: unknown): SnapshotInfo['kind'] {
  return SNAPSHOT_KINDS[typeof value === 'number' ? value : 0] ?? 'unknown';
}
