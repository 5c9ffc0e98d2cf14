/**
 * How a container ran, read from its OCI runtime spec (what containerd hands runc, what a
 * checkpoint archive keeps as spec.dump), in the words the report uses for a Docker
 * container: user, privileges, capabilities added or dropped against the runtime's
 * defaults, namespaces shared with the host, read-only root, devices, mounts, limits.
 * Environment values are never kept, only names. The spec is whatever its creator wrote:
 * every field is checked for its type, and a spec that is not JSON says nothing.
 */
import { RUNTIME_DEFAULT_CAPABILITIES } from '../report/capabilities.js';
import type { RuntimeConfig, RuntimeMount } from '../report/runtime.js';

/** With this many capabilities and no seccomp a container is as good as privileged (the kernel has 41). */
const PRIVILEGED_CAPABILITIES = 38;
/** Mounts every runtime gives a Linux container: not the pod's doing. */
const RUNTIME_MOUNT_TYPES = new Set(['proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2']);
const RUNTIME_MOUNTS = new Set([
  '/proc',
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/sys',
  '/sys/fs/cgroup',
]);

type Json = Record<string, unknown>;

export interface OciSpecFacts {
  runtime: RuntimeConfig;
  /** The process's command line. */
  command: string[];
  cwd: string;
  env: string[];
}

export function parseOciSpec(bytes: Buffer | undefined): Json | undefined {
  if (!bytes) return undefined;
  try {
    const spec = JSON.parse(bytes.toString('utf8')) as unknown;
    return spec && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** `restartPolicy`: who restarts the container, which a spec cannot say. */
export function runtimeFromOciSpec(spec: Json | undefined, restartPolicy: string): OciSpecFacts {
  const proc = object(spec?.['process']);
  const linux = object(spec?.['linux']);
  const user = object(proc['user']);
  const uid = user['uid'];
  const gid = user['gid'];
  const bounding = strings(object(proc['capabilities'])['bounding']).map((c) =>
    c.replace(/^CAP_/, ''),
  );
  const defaults: readonly string[] = RUNTIME_DEFAULT_CAPABILITIES;
  const namespaces = new Set(
    (Array.isArray(linux['namespaces']) ? (linux['namespaces'] as unknown[]) : [])
      .map((n) => object(n)['type'])
      .filter((t): t is string => typeof t === 'string'),
  );
  const shared = (ns: string) => (namespaces.has(ns) ? '' : 'host');
  const mounts = (Array.isArray(spec?.['mounts']) ? (spec['mounts'] as unknown[]) : []).map(object);
  const env = strings(proc['env']);
  const resources = object(linux['resources']);
  const pids = object(resources['pids'])['limit'];
  const memory = object(resources['memory'])['limit'];
  const securityOpt: string[] = [];
  if (proc['noNewPrivileges'] === true) securityOpt.push('no-new-privileges');
  if (typeof proc['apparmorProfile'] === 'string' && proc['apparmorProfile'])
    securityOpt.push(`apparmor=${proc['apparmorProfile']}`);
  if (!linux['seccomp']) securityOpt.push('seccomp=unconfined');
  const runtimeMounts: RuntimeMount[] = mounts
    .filter((m) => typeof m['destination'] === 'string' && !RUNTIME_MOUNTS.has(m['destination']))
    .filter((m) => m['type'] !== 'tmpfs' && !RUNTIME_MOUNT_TYPES.has(String(m['type'])))
    .map((m) => ({
      type:
        m['type'] === 'bind' || strings(m['options']).includes('bind')
          ? 'bind'
          : String(m['type'] ?? ''),
      source: typeof m['source'] === 'string' ? m['source'] : '',
      destination: m['destination'] as string,
      isWritable: !strings(m['options']).includes('ro'),
    }));
  const runtime: RuntimeConfig = {
    user: typeof uid === 'number' ? `${uid}${typeof gid === 'number' ? `:${gid}` : ''}` : '',
    isPrivileged: bounding.length >= PRIVILEGED_CAPABILITIES && !linux['seccomp'],
    capAdd: bounding.filter((c) => !defaults.includes(c)),
    // A spec that names no capabilities says nothing of what was dropped.
    capDrop: bounding.length ? defaults.filter((c) => !bounding.includes(c)) : [],
    securityOpt,
    isReadOnlyRoot: object(spec?.['root'])['readonly'] === true,
    networkMode: shared('network'),
    pidMode: shared('pid'),
    ipcMode: shared('ipc'),
    utsMode: shared('uts'),
    devices: (Array.isArray(linux['devices']) ? (linux['devices'] as unknown[]) : [])
      .map((d) => object(d)['path'])
      .filter((p): p is string => typeof p === 'string'),
    mounts: runtimeMounts,
    tmpfs: mounts
      .filter((m) => m['type'] === 'tmpfs' && typeof m['destination'] === 'string')
      .map((m) => m['destination'] as string)
      .filter((d) => !RUNTIME_MOUNTS.has(d)),
    ...(typeof pids === 'number' && pids > 0 ? { pidsLimit: pids } : {}),
    ...(typeof memory === 'number' && memory > 0 ? { memoryBytes: memory } : {}),
    envNames: env.map((e) => e.split('=')[0] ?? ''),
    restartPolicy,
    exposedPorts: [],
  };
  return {
    runtime,
    command: strings(proc['args']),
    cwd: typeof proc['cwd'] === 'string' ? proc['cwd'] : '/',
    env,
  };
}

function object(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
