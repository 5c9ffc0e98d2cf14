/**
 * The relaunch plan: a pure function from the compromised container's
 * configuration (and what the triage learned) to the replacement's Engine API
 * create body, hardened per CIS Docker Benchmark v1.6.0 section 5, with every
 * decision stated so the responder can review it before anything happens.
 */
import type { ContainerInspect } from '../sources/docker-live/types.js';
import { assessExposure } from '../findings/exposure.js';
import { runtimeFromDocker } from '../sources/docker-config.js';
import { isRootUser } from '../report/runtime.js';
import type { ExposureCheck } from '../report/finding.js';

export interface RelaunchOptions {
  /** Capabilities to add back after --cap-drop ALL. */
  capAdd: string[];
  /** Run as this user instead of the derived one (use "root" to keep root, with a warning). */
  user?: string;
  /** Extra tmpfs paths beyond the derived ones. */
  tmpfs: string[];
  memoryBytes: number;
  pidsLimit: number;
  cpuShares: number;
  /** Do not reuse the container's volumes: fresh anonymous volumes at the same places. */
  freshVolumes: boolean;
  /** UTC stamp for the quarantine name. */
  stamp: string;
}

export const DEFAULT_RELAUNCH_OPTIONS: Omit<RelaunchOptions, 'stamp'> = {
  capAdd: [],
  tmpfs: [],
  memoryBytes: 512 * 1024 * 1024,
  pidsLimit: 256,
  cpuShares: 512,
  freshVolumes: false,
};

export interface PlanInput {
  inspect: ContainerInspect;
  /** Paths the app writes legitimately (the triage's low-ranked churn). */
  legitimateWrites: string[];
  /** Users of the original image (/etc/passwd): name and uid. */
  imageUsers: { name: string; uid: number; gid: number }[];
}

export interface PlanItem {
  setting: string;
  value: string;
  /** CIS item, for hardening. */
  cis?: string;
  why: string;
}

export interface RelaunchPlan {
  container: { id: string; name: string };
  quarantineName: string;
  imageId: string;
  imageRef: string;
  createBody: Record<string, unknown>;
  kept: PlanItem[];
  hardened: PlanItem[];
  tmpfs: { path: string; why: string }[];
  volumes: { destination: string; source: string; type: string; isReused: boolean }[];
  warnings: string[];
  dockerRun: string;
  audit: { before: ExposureCheck[]; after: ExposureCheck[] };
}

const TMPFS_ROOTS = ['/run', '/var/run', '/var/lock', '/run/lock', '/tmp', '/var/tmp'];
const PREFERRED_USERS = ['app', 'www-data', 'nginx', 'apache', 'node', 'nobody'];

/** Directories to mount as tmpfs so the app can still write where it legitimately did. */
export function tmpfsForWrites(writes: readonly string[]): { path: string; why: string }[] {
  const found = new Map<string, string>();
  for (const write of writes) {
    const root = TMPFS_ROOTS.find((r) => write === r || write.startsWith(r + '/'));
    // /var/cache/<app>/… gets its own app folder, not all of /var/cache.
    const cache = /^\/var\/cache\/[^/]+/.exec(write)?.[0];
    const dir = root ?? cache;
    if (dir && !found.has(dir))
      found.set(dir, `the app wrote ${write} (legitimate churn in the triage)`);
  }
  return [...found].map(([path, why]) => ({ path, why }));
}

function chooseUser(
  input: PlanInput,
  opts: RelaunchOptions,
  warnings: string[],
): { user: string; why: string } {
  if (opts.user) {
    if (isRootUser(opts.user))
      warnings.push('runs as root because --user root was given (CIS 4.1 fails)');
    return { user: opts.user, why: 'given with --user' };
  }
  const configured = input.inspect.Config.User ?? '';
  if (!isRootUser(configured))
    return { user: configured, why: 'the container already ran as this user' };
  for (const name of PREFERRED_USERS) {
    const found = input.imageUsers.find((u) => u.name === name && u.uid !== 0);
    if (found)
      return {
        user: `${found.uid}:${found.gid}`,
        why: `the image has the non-root user ${found.name} (uid ${found.uid}); --user chooses another`,
      };
  }
  warnings.push(
    'stays root: the image has no non-root user coroner recognises; pass --user to choose one (CIS 4.1 fails)',
  );
  return { user: configured || '0', why: 'no non-root user in the image' };
}

/** Numeric owner for the tmpfs mounts of a non-root user, from "uid[:gid]" or a name in the image. */
export function tmpfsOwner(
  user: string,
  users: PlanInput['imageUsers'],
): { uid: number; gid: number } | undefined {
  if (isRootUser(user)) return undefined;
  const [name = '', group] = user.split(':');
  const known = users.find((u) => u.name === name || String(u.uid) === name);
  const uid = /^\d+$/.test(name) ? Number(name) : known?.uid;
  if (uid === undefined) return undefined;
  const gid =
    group !== undefined && /^\d+$/.test(group)
      ? Number(group)
      : (users.find((u) => u.uid === uid)?.gid ?? uid);
  return { uid, gid };
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function planRelaunch(input: PlanInput, opts: RelaunchOptions): RelaunchPlan {
  const { inspect } = input;
  const name = inspect.Name.replace(/^\//, '');
  const warnings: string[] = [];
  const hc = inspect.HostConfig;
  const cfg = inspect.Config;
  const { user, why: userWhy } = chooseUser(input, opts, warnings);

  const tmpfs = tmpfsForWrites(input.legitimateWrites);
  for (const extra of opts.tmpfs)
    if (!tmpfs.some((t) => t.path === extra))
      tmpfs.push({ path: extra, why: 'given with --tmpfs' });

  const volumes = (inspect.Mounts ?? [])
    .filter((m) => m.Type === 'volume' || m.Type === 'bind')
    .map((m) => ({
      destination: m.Destination,
      source: m.Type === 'volume' ? (m.Name ?? '') : m.Source,
      type: m.Type,
      isReused: !(opts.freshVolumes && m.Type === 'volume'),
    }));
  for (const v of volumes) {
    if (v.isReused && v.type === 'volume')
      warnings.push(
        `volume ${v.source} at ${v.destination} is reused as it is: the attacker may have written to it (coroner's diff cannot see inside it); --fresh-volumes starts it empty`,
      );
    if (v.type === 'bind')
      warnings.push(
        `host path ${v.source} is bound at ${v.destination} again: review it on the host`,
      );
  }
  const binds = volumes
    .filter((v) => v.isReused)
    .map(
      (v) =>
        `${v.source}:${v.destination}${(inspect.Mounts ?? []).find((m) => m.Destination === v.destination)?.RW === false ? ':ro' : ''}`,
    );
  const freshVolumes = Object.fromEntries(
    volumes.filter((v) => !v.isReused).map((v) => [v.destination, {}]),
  );

  // A non-root user must own its tmpfs to write pid and lock files there (the engine copies
  // the image directory's own mode onto the tmpfs, so a mode= option is not enough).
  const owner = tmpfsOwner(user, input.imageUsers);
  if (!owner && !isRootUser(user))
    warnings.push(`cannot tell the uid of user ${user}: its tmpfs paths stay owned by root`);
  const tmpfsOptions = `rw,nosuid,nodev,noexec,size=64m${owner ? `,uid=${owner.uid},gid=${owner.gid}` : ''}`;
  const networkMode = hc.NetworkMode || 'default';
  const userNetworks = Object.keys(inspect.NetworkSettings?.Networks ?? {}).filter(
    (n) => !['none', 'host', 'bridge', 'default'].includes(n),
  );

  const createBody: Record<string, unknown> = {
    Image: inspect.Image,
    Cmd: cfg.Cmd ?? undefined,
    Entrypoint: cfg.Entrypoint ?? undefined,
    Env: cfg.Env ?? [],
    WorkingDir: cfg.WorkingDir || undefined,
    User: user,
    ExposedPorts: cfg.ExposedPorts ?? undefined,
    Labels: {
      ...(cfg.Labels ?? {}),
      'coroner.replaces': inspect.Id,
      'coroner.relaunched-at': opts.stamp,
    },
    Healthcheck: cfg.Healthcheck ?? undefined,
    StopSignal: (cfg as { StopSignal?: string }).StopSignal ?? undefined,
    Volumes: Object.keys(freshVolumes).length ? freshVolumes : undefined,
    HostConfig: {
      NetworkMode: networkMode,
      PortBindings: hc.PortBindings ?? undefined,
      Binds: binds.length ? binds : undefined,
      ReadonlyRootfs: true,
      Tmpfs: Object.fromEntries(tmpfs.map((t) => [t.path, tmpfsOptions])),
      CapDrop: ['ALL'],
      CapAdd: opts.capAdd.length ? opts.capAdd : undefined,
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      PidsLimit: opts.pidsLimit,
      Memory: opts.memoryBytes,
      CpuShares: opts.cpuShares,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
      PidMode: '',
      IpcMode: 'private',
      UTSMode: '',
    },
    ...(userNetworks.length
      ? {
          NetworkingConfig: {
            EndpointsConfig: Object.fromEntries(userNetworks.map((n) => [n, { Aliases: [name] }])),
          },
        }
      : {}),
  };

  const kept: PlanItem[] = [
    {
      setting: 'image',
      value: `${inspect.Image} (the original image id, not the tag ${cfg.Image}, which may have moved)`,
      why: 'never the evidence image',
    },
    { setting: 'name', value: name, why: 'the service keeps its name' },
    {
      setting: 'command',
      value: JSON.stringify({ entrypoint: cfg.Entrypoint ?? null, cmd: cfg.Cmd ?? null }),
      why: 'same service',
    },
    {
      setting: 'environment',
      value: `${(cfg.Env ?? []).length} variables`,
      why: 'same configuration (rotate any secret the attacker could read)',
    },
    { setting: 'working dir', value: cfg.WorkingDir || '(image default)', why: 'same service' },
    {
      setting: 'network',
      value: [networkMode, ...userNetworks].join(', '),
      why: 'same reachability',
    },
    { setting: 'ports', value: JSON.stringify(hc.PortBindings ?? {}), why: 'same reachability' },
    {
      setting: 'healthcheck',
      value: cfg.Healthcheck ? JSON.stringify(cfg.Healthcheck.Test) : 'none',
      why: 'same checks',
    },
  ];
  const hardened: PlanItem[] = [
    {
      setting: 'read-only root filesystem',
      value: '--read-only',
      cis: '5.13',
      why: 'the attack wrote to the root filesystem',
    },
    {
      setting: 'tmpfs',
      value: tmpfs.length ? tmpfs.map((t) => t.path).join(', ') : 'none',
      cis: '5.13',
      why: 'only where the app legitimately writes (noexec, nosuid)',
    },
    {
      setting: 'capabilities',
      value: `--cap-drop ALL${opts.capAdd.length ? ` --cap-add ${opts.capAdd.join(',')}` : ''}`,
      cis: '5.4',
      why: 'least privilege',
    },
    {
      setting: 'no-new-privileges',
      value: 'on',
      cis: '5.26',
      why: 'setuid files cannot raise privileges',
    },
    { setting: 'user', value: user, cis: '4.1', why: userWhy },
    { setting: 'pids limit', value: String(opts.pidsLimit), cis: '5.29', why: 'no fork bombs' },
    {
      setting: 'memory limit',
      value: `${opts.memoryBytes} bytes`,
      cis: '5.11',
      why: 'no host starvation',
    },
    { setting: 'CPU shares', value: String(opts.cpuShares), cis: '5.12', why: 'fair CPU' },
    { setting: 'restart policy', value: 'on-failure:5', cis: '5.15', why: 'bounded restarts' },
    {
      setting: 'privileged, host PID/IPC',
      value: 'off, private, private',
      cis: '5.5, 5.16, 5.17',
      why: 'no host access',
    },
  ];
  if (hc.Privileged)
    warnings.push(
      'the compromised container was privileged: the replacement is not; if the service truly needs a device or capability, add only that (--cap-add)',
    );
  if (userNetworks.length === 0 && networkMode === 'host')
    warnings.push(
      'host network mode is kept (CIS 5.10 fails): the service may rely on it; move it to its own network when you can',
    );

  const after = assessExposure(
    runtimeFromDocker({
      Config: { ...cfg, User: user, Env: cfg.Env ?? [] },
      HostConfig: { ...hc, ...(createBody['HostConfig'] as object) },
      Mounts: (inspect.Mounts ?? []).filter((m) =>
        volumes.some((v) => v.destination === m.Destination && v.isReused),
      ),
    }),
  );

  const run = ['docker', 'run', '-d', '--name', name, '--read-only', '--cap-drop', 'ALL'];
  for (const cap of opts.capAdd) run.push('--cap-add', cap);
  run.push(
    '--security-opt',
    'no-new-privileges:true',
    '--user',
    user,
    '--pids-limit',
    String(opts.pidsLimit),
    '--memory',
    String(opts.memoryBytes),
  );
  run.push(
    '--cpu-shares',
    String(opts.cpuShares),
    '--restart',
    'on-failure:5',
    '--network',
    networkMode,
  );
  for (const t of tmpfs) run.push('--tmpfs', `${t.path}:${tmpfsOptions}`);
  for (const b of binds) run.push('-v', b);
  for (const d of Object.keys(freshVolumes)) run.push('-v', d);
  for (const [container, hostPorts] of Object.entries(hc.PortBindings ?? {})) {
    for (const hp of (hostPorts as { HostIp?: string; HostPort?: string }[] | null) ?? [])
      run.push('-p', `${hp.HostIp ? `${hp.HostIp}:` : ''}${hp.HostPort}:${container}`);
  }
  for (const e of cfg.Env ?? []) run.push('-e', e);
  if (cfg.WorkingDir) run.push('-w', cfg.WorkingDir);
  if (cfg.Entrypoint?.length) run.push('--entrypoint', cfg.Entrypoint[0]!);
  run.push('--label', `coroner.replaces=${inspect.Id}`, inspect.Image);
  if (cfg.Entrypoint && cfg.Entrypoint.length > 1) run.push(...cfg.Entrypoint.slice(1));
  if (cfg.Cmd) run.push(...cfg.Cmd);

  return {
    container: { id: inspect.Id, name },
    quarantineName: `${name}-quarantined-${opts.stamp}`,
    imageId: inspect.Image,
    imageRef: cfg.Image,
    createBody,
    kept,
    hardened,
    tmpfs,
    volumes,
    warnings,
    dockerRun: run.map(quote).join(' '),
    audit: { before: assessExposure(runtimeFromDocker(inspect)), after },
  };
}
