/**
 * config.dump and spec.dump read into coroner's terms. config.dump is the engine's record
 * of the container (CRI-O and containerd write checkpointctl's ContainerConfig: id, name,
 * rootfsImage, rootfsImageRef, rootfsImageName, runtime, createdTime, checkpointedTime;
 * podman writes its whole container config, with rootfsImageID); spec.dump is the OCI
 * runtime spec the container ran with
 * (https://github.com/opencontainers/runtime-spec/blob/main/config.md). Every field may be
 * missing or of the wrong type: the pod's processes could not write these, but the node's
 * disk could have been altered, so nothing is trusted to be there.
 */
import type { RuntimeConfig, RuntimeMount } from '../../report/runtime.js';

export interface CheckpointConfig {
  id: string;
  name: string;
  /** The image's id (rootfsImage, rootfsImageID), where the engine recorded one. */
  imageId: string;
  /** rootfsImageRef: a digest or id of the image, as the engine resolved it. */
  imageRef: string;
  /** rootfsImageName: the reference the container was started with. */
  imageName: string;
  createdAt: string;
  checkpointedAt: string;
  runtime: string;
  /** The spec's annotations (CRI labels: io.kubernetes.pod.name…), for the container list. */
  labels: Record<string, string>;
  command: string[];
  /** Why a record could not be read, in words. */
  problems: string[];
}

type Json = Record<string, unknown>;

const str = (o: Json | undefined, key: string): string =>
  typeof o?.[key] === 'string' ? (o[key] as string) : '';
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** A JSON object from a record's bytes, or why not. */
export function parseRecord(
  bytes: Buffer | undefined,
  name: string,
): { value?: Json; problem?: string } {
  if (!bytes) return { problem: `${name} is missing or was not read` };
  try {
    const value = obj(JSON.parse(bytes.toString('utf8')));
    return value ? { value } : { problem: `${name} is not a JSON object` };
  } catch (e) {
    return { problem: `${name} is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}

export function readCheckpointConfig(
  configBytes: Buffer | undefined,
  specBytes: Buffer | undefined,
): CheckpointConfig {
  const config = parseRecord(configBytes, 'config.dump');
  const spec = parseRecord(specBytes, 'spec.dump');
  const c = config.value;
  const s = spec.value ?? obj(c?.['spec']); // podman's config.dump holds the spec too
  const annotations = obj(s?.['annotations']) ?? {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') labels[k] = v;
  const id = str(c, 'id');
  return {
    id,
    name: str(c, 'name') || id.slice(0, 12),
    imageId: str(c, 'rootfsImage') || str(c, 'rootfsImageID'),
    imageRef: str(c, 'rootfsImageRef'),
    imageName: str(c, 'rootfsImageName'),
    createdAt: str(c, 'createdTime'),
    checkpointedAt: str(c, 'checkpointedTime'),
    runtime: str(c, 'runtime') || str(c, 'OCIRuntime'),
    labels,
    command: strings(obj(s?.['process'])?.['args']),
    problems: [config.problem, spec.problem].filter((p): p is string => p !== undefined),
  };
}

/** Docker's default capabilities: what a spec grants beyond them is "added", what it lacks "dropped". */
const DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];
/** Mounts every runtime adds: not the pod's volumes. */
const RUNTIME_MOUNTS = new Set([
  '/proc',
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/sys',
  '/sys/fs/cgroup',
]);

/** How the container ran, from its OCI runtime spec (spec.dump). */
export function runtimeFromSpec(specBytes: Buffer | undefined): RuntimeConfig {
  const s = parseRecord(specBytes, 'spec.dump').value;
  const process = obj(s?.['process']);
  const linux = obj(s?.['linux']);
  const user = obj(process?.['user']);
  const caps = strings(obj(process?.['capabilities'])?.['bounding']).map((c) =>
    c.replace(/^CAP_/, ''),
  );
  const namespaces = new Set(
    (Array.isArray(linux?.['namespaces']) ? (linux['namespaces'] as unknown[]) : []).map((n) =>
      str(obj(n), 'type'),
    ),
  );
  const hostUnless = (ns: string) => (namespaces.has(ns) ? '' : 'host');
  const mounts: RuntimeMount[] = [];
  const tmpfs: string[] = [];
  for (const m of Array.isArray(s?.['mounts']) ? (s['mounts'] as unknown[]) : []) {
    const mount = obj(m);
    const destination = str(mount, 'destination');
    const type = str(mount, 'type');
    if (!destination || RUNTIME_MOUNTS.has(destination)) continue;
    const options = strings(mount?.['options']);
    if (type === 'tmpfs') {
      tmpfs.push(destination);
      continue;
    }
    if (
      type === 'proc' ||
      type === 'sysfs' ||
      type === 'devpts' ||
      type === 'mqueue' ||
      type === 'cgroup'
    )
      continue;
    mounts.push({
      type:
        type === 'bind' || options.includes('bind') || options.includes('rbind')
          ? 'bind'
          : type || 'bind',
      source: str(mount, 'source'),
      destination,
      isWritable: !options.includes('ro'),
    });
  }
  const uid = user?.['uid'];
  const gid = user?.['gid'];
  const pids = obj(obj(linux?.['resources'])?.['pids'])?.['limit'];
  const memory = obj(obj(linux?.['resources'])?.['memory'])?.['limit'];
  const isAllCaps = caps.includes('SYS_ADMIN') && caps.length >= 38;
  return {
    user: typeof uid === 'number' ? `${uid}${typeof gid === 'number' ? `:${gid}` : ''}` : '',
    // A spec has no "privileged" flag: every capability and no seccomp is what it amounts to.
    isPrivileged: isAllCaps && !linux?.['seccomp'],
    capAdd: caps.filter((c) => !DEFAULT_CAPS.includes(c)),
    capDrop: DEFAULT_CAPS.filter((c) => caps.length > 0 && !caps.includes(c)),
    securityOpt: [
      ...(linux?.['seccomp'] ? [] : ['seccomp=unconfined']),
      ...(process?.['noNewPrivileges'] === true ? ['no-new-privileges'] : []),
      ...(str(process, 'apparmorProfile') ? [`apparmor=${str(process, 'apparmorProfile')}`] : []),
    ],
    isReadOnlyRoot: obj(s?.['root'])?.['readonly'] === true,
    networkMode: hostUnless('network'),
    pidMode: hostUnless('pid'),
    ipcMode: hostUnless('ipc'),
    utsMode: hostUnless('uts'),
    devices: (Array.isArray(linux?.['devices']) ? (linux['devices'] as unknown[]) : [])
      .map((d) => str(obj(d), 'path'))
      .filter(Boolean),
    mounts,
    tmpfs,
    ...(typeof pids === 'number' && pids > 0 ? { pidsLimit: pids } : {}),
    ...(typeof memory === 'number' && memory > 0 ? { memoryBytes: memory } : {}),
    envNames: strings(process?.['env']).map((e) => e.split('=')[0]!),
    restartPolicy: 'the orchestrator (not in a checkpoint)',
    exposedPorts: [],
  };
}
