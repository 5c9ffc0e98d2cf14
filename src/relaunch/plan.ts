/**
 * The relaunch plan: a pure function from the compromised container's
 * configuration and what was learnt (from clean twins and the triage) to the
 * replacement's Engine API create body, hardened per CIS Docker Benchmark v1.6.0
 * section 5, with every decision stated, and where it came from, so the
 * responder can review it before anything happens.
 */
import { assessExposure } from '../findings/exposure.js';
import type { ChangeKind } from '../report/change.js';
import type { ExposureCheck } from '../report/finding.js';
import { isRootUser } from '../report/runtime.js';
import { runtimeFromDocker } from '../sources/docker-config.js';
import type { ContainerInspect } from '../sources/docker-live/types.js';
import type { Learned } from './learn.js';

export interface RelaunchOptions {
  /** Capabilities to add back after --cap-drop ALL (instead of the ones the twins proved). */
  capAdd: string[];
  /** Run as this user instead of the learned one (use "root" to keep root, with a warning). */
  user?: string;
  /** Extra tmpfs paths beyond the learned ones. */
  tmpfs: string[];
  memoryBytes: number;
  pidsLimit: number;
  cpuShares: number;
  /** Do not reuse the container's volumes: fresh ones, filled from the image, at the same places. */
  freshVolumes: boolean;
  /** UTC stamp for the quarantine name and fresh volumes. */
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

/** A write the replacement must still be able to make, and who showed it. */
export interface Write {
  path: string;
  kind: ChangeKind;
  /** "the twin" (a clean twin wrote it), "the triage" (churn the triage ranked legitimate). */
  from: string;
}

export interface PlanInput {
  inspect: ContainerInspect;
  /** What the app writes: the twins' changes and the triage's legitimate churn. */
  writes: Write[];
  /** What the clean twins proved, when they ran (absent with --no-learn). */
  learned?: Learned;
  /**
   * A writable root, as the clean twin that learnt the capabilities ran: the least hardened
   * plan a twin served with, for when no twin came up with a read-only root.
   */
  isRootWritable?: boolean;
  /** A non-root user to plan with (a twin with this plan then proves it, or it is dropped). */
  nonRootUser?: string;
  /** Users of the original image (/etc/passwd): name and uid. */
  imageUsers: { name: string; uid: number; gid: number }[];
  /** Which folders have content in the original image (those get a volume filled from it). */
  imageHasContent: ReadonlyMap<string, boolean>;
  /** Findings of the triage in each mount, by destination (what the attacker left there). */
  mountFindings: ReadonlyMap<string, string[]>;
}

export interface PlanItem {
  setting: string;
  value: string;
  /** CIS item, for hardening. */
  cis?: string;
  why: string;
}

/** A folder the replacement writes in: a tmpfs, or a volume that starts with the image's content. */
export interface WritablePlace {
  path: string;
  mount: 'tmpfs' | 'volume';
  why: string;
}

export interface PlannedVolume {
  destination: string;
  /** The volume's name, or the host path of a bind. */
  source: string;
  type: string;
  isReused: boolean;
  /** Mounted read-only: the app was not seen writing there. */
  isReadOnly: boolean;
  why: string;
  /** What the triage found in it. */
  findings: string[];
}

export interface RelaunchPlan {
  container: { id: string; name: string };
  quarantineName: string;
  imageId: string;
  imageRef: string;
  createBody: Record<string, unknown>;
  kept: PlanItem[];
  hardened: PlanItem[];
  writable: WritablePlace[];
  volumes: PlannedVolume[];
  /** Fresh named volumes to create, with their destination (for --fresh-volumes). */
  freshVolumeNames: { name: string; destination: string }[];
  learned?: Learned;
  /** The TCP ports the replacement must answer on (what the suspect listened on). */
  ports: number[];
  warnings: string[];
  dockerRun: string;
  audit: { before: ExposureCheck[]; after: ExposureCheck[] };
}

/**
 * The security option as Docker documents it today: bare, so no engine warns. The colon
 * form (`no-new-privileges:true`) is the deprecated separator dockerd logs a warning for
 * (moby cb9aeb04, docker/docs#21642); the bare form is read the same by Docker and Podman.
 */
export const NO_NEW_PRIVILEGES = 'no-new-privileges';

/** A /dev/shm nothing can be written to, for a service that was seen using none. */
const SHM_CLOSED = 'ro,nosuid,nodev,noexec,size=64k';

const PREFERRED_USERS = ['app', 'www-data', 'nginx', 'apache', 'node', 'nobody'];

const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
const isUnder = (p: string, dir: string) =>
  p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');

/**
 * The narrowest folders that hold the writes: a new or deleted entry needs its folder
 * writable, a changed file its folder too; a folder listed only because something under
 * it changed needs nothing. Nested folders collapse into the outer one.
 */
export function writableDirs(writes: readonly Write[]): Map<string, Write> {
  const paths = new Set(writes.map((w) => w.path));
  const hasChildren = (p: string) => [...paths].some((q) => q.startsWith(p + '/'));
  const wanted = new Map<string, Write>();
  for (const w of writes) {
    if (w.kind === 'C' && hasChildren(w.path)) continue;
    const dir = parentOf(w.path);
    if (!wanted.has(dir)) wanted.set(dir, w);
  }
  const dirs = [...wanted.keys()].sort();
  const kept = new Map<string, Write>();
  for (const dir of dirs)
    if (![...kept.keys()].some((outer) => isUnder(dir, outer))) kept.set(dir, wanted.get(dir)!);
  return kept;
}

/** The image's non-root user worth trying first, as uid:gid. */
export function candidateUser(users: PlanInput['imageUsers']): string | undefined {
  for (const name of PREFERRED_USERS) {
    const found = users.find((u) => u.name === name && u.uid !== 0);
    if (found) return `${found.uid}:${found.gid}`;
  }
  return undefined;
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
  if (input.nonRootUser)
    return {
      user: input.nonRootUser,
      why: `proven: a clean twin with this plan (read-only root, its writable places owned by it) ran the service as ${input.nonRootUser}`,
    };
  if (input.learned) {
    const { user, isUserProven } = input.learned;
    if (isRootUser(user))
      warnings.push(
        `stays root: no twin ran the service as a non-root user of the image${candidateUser(input.imageUsers) ? ` (${candidateUser(input.imageUsers)} was tried)` : ''} (CIS 4.1 fails)`,
      );
    return {
      user,
      why: isUserProven
        ? user === configured
          ? 'the user it ran as (proven: a clean twin ran with it)'
          : `proven: a clean twin ran the service as ${user}`
        : 'the user it ran as (not proven: no twin came up)',
    };
  }
  if (!isRootUser(configured))
    return { user: configured, why: 'the container already ran as this user' };
  const candidate = candidateUser(input.imageUsers);
  if (candidate)
    return {
      user: candidate,
      why: `the image's non-root user (uid ${candidate.split(':')[0]}), not proven (--no-learn); --user chooses another`,
    };
  warnings.push(
    'stays root: the image has no non-root user coroner recognises; pass --user to choose one (CIS 4.1 fails)',
  );
  return { user: configured || '0', why: 'no non-root user in the image' };
}

/**
 * `uid[:gid]` or a name of the image, as numbers (a tmpfs owner, Kubernetes' runAsUser). A
 * group not given as a number is the user's own, from the image's /etc/passwd.
 */
export function numericUser(
  user: string,
  users: PlanInput['imageUsers'],
): { uid: number; gid: number } | undefined {
  const [name = '', group] = user.split(':');
  const uid = /^\d+$/.test(name) ? Number(name) : users.find((u) => u.name === name)?.uid;
  if (uid === undefined) return undefined;
  const gid =
    group !== undefined && /^\d+$/.test(group)
      ? Number(group)
      : (users.find((u) => u.uid === uid)?.gid ?? uid);
  return { uid, gid };
}

/** Numeric owner for the tmpfs mounts of a non-root user, from "uid[:gid]" or a name in the image. */
export function tmpfsOwner(
  user: string,
  users: PlanInput['imageUsers'],
): { uid: number; gid: number } | undefined {
  return isRootUser(user) ? undefined : numericUser(user, users);
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The TCP ports the suspect listened on, else those it declared. */
export function servicePorts(inspect: ContainerInspect, listened: readonly number[]): number[] {
  if (listened.length) return [...new Set(listened)].sort((a, b) => a - b);
  return Object.keys(inspect.Config.ExposedPorts ?? {})
    .filter((p) => p.endsWith('/tcp'))
    .map((p) => Number(p.split('/')[0]))
    .filter((p) => Number.isInteger(p));
}

/** A plan in a few words: what sets it apart from the others a twin served with. */
export function describePlan(plan: RelaunchPlan): string {
  const body = plan.createBody as {
    User?: string;
    HostConfig: { ReadonlyRootfs: boolean; CapAdd?: string[] };
  };
  return `user ${body.User || 'root (the image default)'}, ${body.HostConfig.ReadonlyRootfs ? 'read-only root' : 'writable root'}, caps ${body.HostConfig.CapAdd?.join(',') || 'none'}`;
}

export function planRelaunch(
  input: PlanInput,
  opts: RelaunchOptions,
  listened: readonly number[] = [],
): RelaunchPlan {
  const { inspect, learned } = input;
  const name = inspect.Name.replace(/^\//, '');
  const warnings: string[] = [];
  const hc = inspect.HostConfig;
  const cfg = inspect.Config;
  const { user, why: userWhy } = chooseUser(input, opts, warnings);
  const capAdd = opts.capAdd.length ? opts.capAdd : (learned?.capAdd ?? []);
  const capWhy = opts.capAdd.length
    ? 'given with --cap-add'
    : learned
      ? learned.isCapsProven
        ? capAdd.length
          ? `proven: the fewest of Docker's defaults with which a clean twin came up (${learned.trials.length} twins)`
          : 'proven: a clean twin came up with none'
        : 'not proven: no twin came up, so least privilege is kept (--cap-add gives back what it needs)'
      : 'least privilege (not proven: --no-learn)';
  if (learned) warnings.push(...learned.notes);

  // Volumes and binds: written to by the app, or only read (then read-only).
  const mountsOf = (inspect.Mounts ?? []).filter((m) => m.Type === 'volume' || m.Type === 'bind');
  const writesUnder = (dir: string) => input.writes.filter((w) => isUnder(w.path, dir));
  const volumes: PlannedVolume[] = mountsOf.map((m) => {
    const isReused = !(opts.freshVolumes && m.Type === 'volume');
    const written = writesUnder(m.Destination);
    const wasReadOnly = m.RW === false;
    const isReadOnly = wasReadOnly || (learned !== undefined && written.length === 0);
    return {
      destination: m.Destination,
      source: m.Type === 'volume' ? (m.Name ?? '') : m.Source,
      type: m.Type,
      isReused,
      isReadOnly,
      why: wasReadOnly
        ? 'it was read-only'
        : written.length
          ? `${written[0]!.from} wrote ${written[0]!.path}`
          : learned
            ? 'no clean twin and no churn of the triage wrote there'
            : 'as it was (not learnt: --no-learn)',
      findings: input.mountFindings.get(m.Destination) ?? [],
    };
  });
  for (const v of volumes) {
    if (v.isReused && v.type === 'volume')
      warnings.push(
        `volume ${v.source} at ${v.destination} is reused as it is${v.findings.length ? `, and the triage found in it: ${v.findings.slice(0, 3).join('; ')}` : ': the attacker may have written to it'}; --fresh-volumes starts it from the image`,
      );
    if (v.type === 'bind')
      warnings.push(
        `host path ${v.source} is bound at ${v.destination} again: review it on the host`,
      );
  }

  // Writable places: the narrowest folders the app writes in, outside its volumes and tmpfs.
  const suspectTmpfs = Object.keys(hc.Tmpfs ?? {});
  const covered = [...mountsOf.map((m) => m.Destination), ...suspectTmpfs];
  const writable: WritablePlace[] = [];
  // With a writable root, nothing is planned beyond it: the plan is the twin that served as it was.
  for (const [dir, write] of input.isRootWritable ? [] : writableDirs(input.writes)) {
    if (covered.some((c) => isUnder(dir, c))) continue;
    if (dir === '/') {
      warnings.push(`the app writes in / itself (${write.path}): the read-only root refuses it`);
      continue;
    }
    const hasContent = input.imageHasContent.get(dir) ?? false;
    writable.push({
      path: dir,
      mount: hasContent ? 'volume' : 'tmpfs',
      why: `${write.from} wrote ${write.path}${hasContent ? '; a volume, so it starts with what the image has there' : ''}`,
    });
  }
  for (const extra of opts.tmpfs)
    if (!writable.some((t) => t.path === extra))
      writable.push({ path: extra, mount: 'tmpfs', why: 'given with --tmpfs' });

  // A non-root user must own its tmpfs to write pid and lock files there (the engine copies
  // the image directory's own mode onto the tmpfs, so a mode= option is not enough).
  const owner = tmpfsOwner(user, input.imageUsers);
  if (!owner && !isRootUser(user))
    warnings.push(`cannot tell the uid of user ${user}: its tmpfs paths stay owned by root`);
  const tmpfsOptions = `rw,nosuid,nodev,noexec,size=64m${owner ? `,uid=${owner.uid},gid=${owner.gid}` : ''}`;
  const tmpfs = writable.filter((w) => w.mount === 'tmpfs');
  // /dev/shm is a writable tmpfs in every container (noexec, but a place to stage a payload):
  // read-only when a twin was seen writing nothing there.
  const isShmClosed =
    !input.isRootWritable &&
    learned?.isSharedMemorySeen === true &&
    !writable.some((w) => isUnder('/dev/shm', w.path) || isUnder(w.path, '/dev/shm')) &&
    !Object.keys(hc.Tmpfs ?? {}).includes('/dev/shm');
  const tmpfsMounts: Record<string, string> = {
    ...Object.fromEntries(tmpfs.map((t) => [t.path, tmpfsOptions])),
    ...(isShmClosed ? { '/dev/shm': SHM_CLOSED } : {}),
    ...(hc.Tmpfs ?? {}),
  };
  const anonymous = writable.filter((w) => w.mount === 'volume').map((w) => w.path);
  const freshVolumeNames = volumes
    .filter((v) => !v.isReused)
    .map((v, i) => ({
      name: `${name.replace(/[^A-Za-z0-9_.-]/g, '-')}-fresh-${opts.stamp}-${i}`,
      destination: v.destination,
    }));
  const binds = volumes
    .filter((v) => v.isReused)
    .map((v) => `${v.source}:${v.destination}${v.isReadOnly ? ':ro' : ''}`);
  const freshMounts = freshVolumeNames.map((f) => ({
    Type: 'volume',
    Source: f.name,
    Target: f.destination,
    ReadOnly: volumes.find((v) => v.destination === f.destination)!.isReadOnly,
    // The service's labels, as the replacement keeps them (a stack's tooling finds both).
    VolumeOptions: { Labels: { ...(cfg.Labels ?? {}), 'coroner.replaces': inspect.Id } },
  }));

  const networkMode = hc.NetworkMode || 'default';
  const networks = inspect.NetworkSettings?.Networks ?? {};
  const userNetworks = Object.keys(networks).filter(
    (n) => !['none', 'host', 'bridge', 'default'].includes(n),
  );
  // The same names on each network (the engine adds the short id itself).
  const aliasesOn = (n: string) => {
    const given = ((networks[n] as { Aliases?: string[] | null }).Aliases ?? []).filter(
      (a) => !inspect.Id.startsWith(a),
    );
    return [...new Set([name, ...given])];
  };

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
    Volumes: anonymous.length ? Object.fromEntries(anonymous.map((d) => [d, {}])) : undefined,
    HostConfig: {
      NetworkMode: networkMode,
      PortBindings: hc.PortBindings ?? undefined,
      Binds: binds.length ? binds : undefined,
      Mounts: freshMounts.length ? freshMounts : undefined,
      ReadonlyRootfs: !input.isRootWritable,
      Tmpfs: tmpfsMounts,
      CapDrop: ['ALL'],
      CapAdd: capAdd.length ? capAdd : undefined,
      SecurityOpt: [NO_NEW_PRIVILEGES],
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
            EndpointsConfig: Object.fromEntries(
              userNetworks.map((n) => [n, { Aliases: aliasesOn(n) }]),
            ),
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
      value: [networkMode, ...userNetworks.map((n) => `${n} as ${aliasesOn(n).join(', ')}`)].join(
        '; ',
      ),
      why: 'same reachability, under the same names',
    },
    { setting: 'ports', value: JSON.stringify(hc.PortBindings ?? {}), why: 'same reachability' },
    {
      setting: 'healthcheck',
      value: cfg.Healthcheck ? JSON.stringify(cfg.Healthcheck.Test) : 'none',
      why: 'same checks',
    },
  ];
  const hardened: PlanItem[] = [
    input.isRootWritable
      ? {
          setting: 'read-only root filesystem',
          value: 'no: the root stays writable',
          cis: '5.13',
          why: 'no clean twin came up with a read-only root; one came up with a writable root and these settings (add the places it writes with --tmpfs, then relaunch again)',
        }
      : {
          setting: 'read-only root filesystem',
          value: '--read-only',
          cis: '5.13',
          why: 'the attack wrote to the root filesystem',
        },
    ...(isShmClosed
      ? [
          {
            setting: 'shared memory',
            value: '/dev/shm read-only',
            cis: '5.13',
            why: 'proven: a clean twin wrote nothing there (a payload staged there stays out)',
          },
        ]
      : []),
    {
      setting: 'writable places',
      value: writable.length
        ? writable.map((w) => `${w.path} (${w.mount === 'tmpfs' ? 'tmpfs' : 'volume'})`).join(', ')
        : 'none',
      cis: '5.13',
      why: learned
        ? 'only where a clean twin or the triage showed the app writing (noexec, nosuid tmpfs)'
        : 'only where the triage showed the app writing (not learnt: --no-learn)',
    },
    {
      setting: 'capabilities',
      value: `--cap-drop ALL${capAdd.length ? ` --cap-add ${capAdd.join(',')}` : ''}`,
      cis: '5.4',
      why: capWhy,
    },
    {
      setting: 'no-new-privileges',
      value: 'on',
      cis: '5.26',
      why: 'setuid files cannot raise privileges',
    },
    { setting: 'user', value: user || 'root (the image default)', cis: '4.1', why: userWhy },
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
  if (input.isRootWritable)
    warnings.push(
      'the root filesystem stays writable (CIS 5.13 fails): no clean twin came up with a read-only root, one did with a writable root',
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

  const run = ['docker', 'run', '-d', '--name', name];
  if (!input.isRootWritable) run.push('--read-only');
  run.push('--cap-drop', 'ALL');
  for (const cap of capAdd) run.push('--cap-add', cap);
  run.push('--security-opt', NO_NEW_PRIVILEGES);
  if (user) run.push('--user', user);
  run.push('--pids-limit', String(opts.pidsLimit), '--memory', String(opts.memoryBytes));
  run.push(
    '--cpu-shares',
    String(opts.cpuShares),
    '--restart',
    'on-failure:5',
    '--network',
    networkMode,
  );
  for (const [path, options] of Object.entries(tmpfsMounts))
    run.push('--tmpfs', options ? `${path}:${options}` : path);
  for (const d of anonymous) run.push('-v', d);
  for (const b of binds) run.push('-v', b);
  for (const m of freshMounts)
    run.push(
      '--mount',
      `type=volume,src=${m.Source},dst=${m.Target}${m.ReadOnly ? ',readonly' : ''}`,
    );
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
    writable,
    volumes,
    freshVolumeNames,
    ...(learned ? { learned } : {}),
    ports: servicePorts(inspect, listened),
    warnings,
    dockerRun: run.map(quote).join(' '),
    audit: { before: assessExposure(runtimeFromDocker(inspect)), after },
  };
}
