/**
 * Docker's own description of how a container runs (an inspect document live,
 * `config.v2.json` and `hostconfig.json` on a dead box: the same fields), read
 * into coroner's terms. Only this module knows Docker's field names for it.
 */
import type { RuntimeConfig, RuntimeMount } from '../report/runtime.js';

/** The parts of Docker's container config coroner reads; every field may be missing. */
export interface DockerRunConfig {
  Config?: {
    User?: string;
    Env?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: { Test?: string[] | null } | null;
  } | null;
  HostConfig?: {
    Privileged?: boolean;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    SecurityOpt?: string[] | null;
    ReadonlyRootfs?: boolean;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    Devices?: { PathOnHost?: string }[] | null;
    Tmpfs?: Record<string, string> | null;
    PidsLimit?: number | null;
    Memory?: number;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  } | null;
  Mounts?: DockerMount[] | null;
}

export interface DockerMount {
  Type?: string;
  Source?: string;
  Destination?: string;
  Name?: string;
  RW?: boolean;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export function runtimeFromDocker(c: DockerRunConfig): RuntimeConfig {
  const hc = c.HostConfig ?? {};
  const policy = hc.RestartPolicy?.Name || 'no';
  const retries = hc.RestartPolicy?.MaximumRetryCount;
  return {
    user: c.Config?.User ?? '',
    isPrivileged: hc.Privileged === true,
    capAdd: strings(hc.CapAdd),
    capDrop: strings(hc.CapDrop),
    securityOpt: strings(hc.SecurityOpt),
    isReadOnlyRoot: hc.ReadonlyRootfs === true,
    networkMode: hc.NetworkMode ?? '',
    pidMode: hc.PidMode ?? '',
    ipcMode: hc.IpcMode ?? '',
    utsMode: hc.UTSMode ?? '',
    devices: (hc.Devices ?? []).map((d) => d.PathOnHost ?? '').filter(Boolean),
    mounts: (c.Mounts ?? []).map(mountFromDocker),
    tmpfs: Object.keys(hc.Tmpfs ?? {}),
    ...(hc.PidsLimit && hc.PidsLimit > 0 ? { pidsLimit: hc.PidsLimit } : {}),
    ...(hc.Memory ? { memoryBytes: hc.Memory } : {}),
    envNames: strings(c.Config?.Env).map((e) => e.split('=')[0] ?? ''),
    restartPolicy: retries ? `${policy}:${retries}` : policy,
    exposedPorts: Object.keys(c.Config?.ExposedPorts ?? {}),
    ...(c.Config?.Healthcheck?.Test?.length
      ? { healthcheck: strings(c.Config.Healthcheck.Test) }
      : {}),
  };
}

function mountFromDocker(m: DockerMount): RuntimeMount {
  return {
    type: m.Type || 'volume',
    source: m.Source ?? '',
    destination: m.Destination ?? '',
    ...(m.Name ? { name: m.Name } : {}),
    isWritable: m.RW !== false,
  };
}

/**
 * The container's command line and last start, from an inspect document or a config.v2.json
 * (both say `Path`, `Args`, `State.StartedAt`); the engine writes the zero time for never.
 */
export function subjectRun(doc: {
  Path?: string | null;
  Args?: string[] | null;
  State?: { StartedAt?: string | null } | null;
}): { command?: string[]; startedAt?: string } {
  const startedAt = doc.State?.StartedAt;
  return {
    ...(doc.Path ? { command: [doc.Path, ...(doc.Args ?? [])] } : {}),
    ...(startedAt && !startedAt.startsWith('0001-') ? { startedAt } : {}),
  };
}
