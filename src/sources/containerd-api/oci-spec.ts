/**
 * The minimal OCI runtime spec a runtime (runc) needs to run a container, as containerd's
 * own default Linux spec writes it (containerd oci/spec.go populateDefaultUnixSpec, v1.7;
 * runtime-spec config.md): the twins run through containerd start from this and change
 * only what the relaunch plan says. A pure function: the caller puts the JSON in an Any
 * of type `types.containerd.io/opencontainers/runtime-spec/1/Spec`.
 */

export const SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';

/** containerd's default capabilities (oci/spec.go defaultUnixCaps), Docker's set too. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Hidden from the container: kernel state it has no business reading (oci/spec.go). */
const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
  '/proc/scsi',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface SpecMount {
  source: string;
  destination: string;
  /** `bind` when left out. */
  type?: string;
  readOnly?: boolean;
  /** Extra mount options (`size=64m` for a tmpfs); bind mounts get `rbind` themselves. */
  options?: string[];
}

export interface SpecOptions {
  args: string[];
  /** `NAME=value` entries; a PATH is added when none is given. */
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  /** The host's network namespace instead of a new one. */
  hostNetwork?: boolean;
  readOnlyRoot?: boolean;
  mounts?: SpecMount[];
  /** The bounding, effective and permitted sets; containerd's defaults when left out. */
  capabilities?: readonly string[];
  noNewPrivileges?: boolean;
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: {
    resources: { devices: { allow: boolean; access: string }[] };
    namespaces: { type: string }[];
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export function defaultSpec(opts: SpecOptions): OciSpec {
  const env = opts.env ?? [];
  const caps = [...(opts.capabilities ?? DEFAULT_CAPABILITIES)];
  const namespaces = ['pid', 'ipc', 'uts', 'mount', ...(opts.hostNetwork ? [] : ['network'])];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: opts.user ?? { uid: 0, gid: 0 },
      args: [...opts.args],
      env: env.some((e) => e.startsWith('PATH=')) ? [...env] : [DEFAULT_PATH, ...env],
      cwd: opts.cwd || '/',
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: opts.noNewPrivileges ?? false,
    },
    root: { path: 'rootfs', readonly: opts.readOnlyRoot ?? false },
    mounts: [
      {
        destination: '/proc',
        type: 'proc',
        source: 'proc',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      {
        destination: '/sys',
        type: 'sysfs',
        source: 'sysfs',
        options: ['nosuid', 'noexec', 'nodev', 'ro'],
      },
      {
        destination: '/run',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      ...(opts.mounts ?? []).map((m) => {
        const type = m.type ?? 'bind';
        const options = [
          ...(type === 'bind' ? ['rbind'] : []),
          m.readOnly ? 'ro' : 'rw',
          ...(m.options ?? []),
        ];
        return { destination: m.destination, type, source: m.source, options };
      }),
    ],
    linux: {
      // Deny every device node but those the runtime creates itself (/dev/null and co).
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: namespaces.map((type) => ({ type })),
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}
