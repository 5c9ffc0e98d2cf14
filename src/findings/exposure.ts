/**
 * The suspect's own runtime configuration, judged as the CIS Docker Benchmark
 * v1.6.0 section 5 (and Docker Bench for Security) judge it, with what each
 * weakness meant for this incident. Pure: reads the runtime configuration a source acquired.
 */
import type { ExposureCheck } from '../report/finding.js';
import { isRootUser, type RuntimeConfig } from '../report/runtime.js';
import type { Severity } from '../report/severity.js';

const SENSITIVE_HOST_PATHS = [
  '/',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/proc',
  '/sys',
  '/usr',
  '/var/lib/docker',
  '/root',
  '/home',
];
const SOCKET = /(^|\/)(docker|containerd|podman|crio)\.sock$/;
const SECRET_NAME =
  /(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)/i;

type Check = (c: RuntimeConfig) => ExposureCheck;

const check = (
  cis: string,
  title: string,
  failed: string | undefined,
  severity: Severity,
  meaning: string,
  okDetail = 'ok',
  isHostCompromise = false,
): ExposureCheck => ({
  cis,
  title,
  passed: failed === undefined,
  severity: failed === undefined ? 'info' : severity,
  detail: failed ?? okDetail,
  meaning,
  ...(failed !== undefined && isHostCompromise ? { isHostCompromise } : {}),
});

const binds = (c: RuntimeConfig) => c.mounts.filter((m) => m.type === 'bind');

export const EXPOSURE_CHECKS: readonly Check[] = [
  (c) =>
    check(
      '5.5',
      'privileged container',
      c.isPrivileged ? 'runs with --privileged' : undefined,
      'critical',
      'a privileged container can load kernel modules and reach every host device: treat the host as compromised',
      'not privileged',
      true,
    ),
  (c) => {
    const socket = c.mounts.find((m) => SOCKET.test(m.source) || SOCKET.test(m.destination));
    return check(
      '5.32',
      'container engine socket mounted',
      socket ? `${socket.source} mounted at ${socket.destination}` : undefined,
      'critical',
      'whoever controls this container controls the engine, and through it the host: treat the host as compromised',
      'no engine socket mounted',
      true,
    );
  },
  (c) => {
    const sensitive = binds(c).filter((m) =>
      SENSITIVE_HOST_PATHS.some(
        (p) => m.source === p || (p !== '/' && m.source.startsWith(p + '/')),
      ),
    );
    const writable = sensitive.filter((m) => m.isWritable);
    return check(
      '5.6',
      'sensitive host directories mounted',
      sensitive.length
        ? sensitive
            .map(
              (m) =>
                `${m.source} -> ${m.destination}${m.isWritable ? ' (writable)' : ' (read-only)'}`,
            )
            .join(', ')
        : undefined,
      writable.length ? 'critical' : 'high',
      writable.length
        ? 'the attacker could write to the host file system through these mounts: check them on the host'
        : 'the attacker could read host files through these mounts',
      'none',
      writable.length > 0,
    );
  },
  (c) =>
    check(
      '5.4',
      'extra kernel capabilities',
      c.capAdd.length ? `added: ${c.capAdd.join(', ')}` : undefined,
      'high',
      'added capabilities widen what a foothold in the container can do to the kernel and the host',
      'no capabilities added',
    ),
  (c) => {
    const user = c.user;
    const isRoot = isRootUser(user);
    return check(
      '4.1',
      'runs as root',
      isRoot ? `user "${user || '(image default: root)'}"` : undefined,
      'medium',
      'the attacker had root inside the container: any file could be changed, and a kernel or runtime bug is one step from the host',
      `user ${user}`,
    );
  },
  (c) =>
    check(
      '5.13',
      'writable root filesystem',
      c.isReadOnlyRoot ? undefined : 'root filesystem is writable',
      'medium',
      'this is what let the attacker drop files and change binaries; a read-only root would have stopped most of the changes listed',
      'read-only',
    ),
  (c) => {
    const has = c.securityOpt.some((o) => /^no-new-privileges(:true|=true)?$/.test(o));
    return check(
      '5.26',
      'no-new-privileges not set',
      has ? undefined : 'no-new-privileges is not set',
      'medium',
      'setuid binaries (including ones the attacker planted) can raise privileges inside the container',
      'set',
    );
  },
  (c) => {
    return check(
      '5.22',
      'seccomp disabled',
      c.securityOpt.some((o) => /^seccomp[=:]unconfined$/.test(o))
        ? 'seccomp=unconfined'
        : undefined,
      'high',
      'every system call was open to the attacker, including ones used in kernel escapes',
      'default profile',
    );
  },
  (c) => {
    return check(
      '5.2',
      'AppArmor disabled',
      c.securityOpt.some((o) => /^apparmor[=:]unconfined$/.test(o))
        ? 'apparmor=unconfined'
        : undefined,
      'medium',
      'no mandatory access control confined the processes',
      'not disabled',
    );
  },
  (c) =>
    check(
      '5.29',
      'no pids limit',
      c.pidsLimit ? undefined : 'no pids limit',
      'low',
      "a fork bomb or runaway miner could exhaust the host's process table",
      `limit ${c.pidsLimit}`,
    ),
  (c) =>
    check(
      '5.11',
      'no memory limit',
      c.memoryBytes ? undefined : 'no memory limit',
      'low',
      'a miner or memory bomb could starve the host and its other containers',
      `${c.memoryBytes} bytes`,
    ),
  (c) =>
    check(
      '5.10',
      'host network namespace',
      c.networkMode === 'host' ? 'network mode host' : undefined,
      'high',
      'the attacker saw and could bind every host interface and reach host-only services',
      `network mode ${c.networkMode || 'default'}`,
    ),
  (c) =>
    check(
      '5.16',
      'host PID namespace',
      c.pidMode === 'host' ? 'pid mode host' : undefined,
      'critical',
      'the attacker could see, and as root signal or trace, every host process: treat the host as compromised',
      'own namespace',
      true,
    ),
  (c) =>
    check(
      '5.17',
      'host IPC namespace',
      c.ipcMode === 'host' ? 'ipc mode host' : undefined,
      'high',
      'shared memory of host processes was reachable',
      'own namespace',
    ),
  (c) =>
    check(
      '5.21',
      'host UTS namespace',
      c.utsMode === 'host' ? 'uts mode host' : undefined,
      'low',
      'the container could change the host name',
      'own namespace',
    ),
  (c) =>
    check(
      '5.18',
      'host devices exposed',
      c.devices.length ? c.devices.join(', ') : undefined,
      'high',
      'host devices were directly reachable from the container',
      'none',
    ),
  (c) => {
    const secrets = c.envNames.filter((name) => SECRET_NAME.test(name));
    return check(
      '4.10',
      'secrets in environment',
      secrets.length ? `variables: ${secrets.join(', ')}` : undefined,
      'high',
      'the attacker could read these from the environment: rotate them',
      'none found by name',
    );
  },
];

export function assessExposure(runtime: RuntimeConfig): ExposureCheck[] {
  return EXPOSURE_CHECKS.map((run) => run(runtime));
}
