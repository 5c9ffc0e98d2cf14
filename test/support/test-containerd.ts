/**
 * A private containerd 1.7 (Debian trixie's, scripts/ensure-test-engines.sh) holding
 * containers as a Kubernetes node's CRI plugin leaves them (issue 26): namespace k8s.io,
 * the io.kubernetes.* labels, a sandbox container per pod, the overlayfs snapshotter, and
 * each container's output in the CRI log format under a private stand-in for
 * /var/log/pods. It runs in its own roots, socket and mount namespace
 * (scripts/newer-engine.sh --containerd-only); nothing of the host's engines is touched.
 *
 * Made with `ctr` (and the spec reshaped as the CRI plugin's), so unlike a real node: the
 * CRI plugin's metadata extensions hold only the fields CriRecord names, the sandbox runs
 * the image's `sleep` rather than pause, there is no CNI network (a pod's containers share
 * one empty network namespace) and no per-pod cgroup parent. Labels, CRI annotations in
 * the spec, snapshots and log files are as the CRI plugin makes them.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectContainerd } from '../../src/sources/containerd-api/containerd-client.js';
import type { ContainerdApi } from '../../src/sources/containerd-api/containerd-types.js';
import { SPEC_TYPE_URL } from '../../src/sources/containerd-api/oci-spec.js';
import { ROOT } from './engine.js';
import { holdMountNamespace, signal } from './mount-namespace.js';
import { newerEnginesDir } from './newer-engine.js';
import { shortTmpdir } from './scratch-folder.js';

const run = promisify(execFile);
const K8S = 'k8s.io';

export interface PodContainerOptions {
  /** The pod's Kubernetes namespace (`shop`). */
  namespace: string;
  pod: string;
  container: string;
  /** An image already imported (`importFromSystem`), by its containerd name. */
  image: string;
  /** The command; the image's own when left out. */
  command?: string[];
  env?: Record<string, string>;
  uid?: number;
  hostNetwork?: boolean;
  mounts?: { source: string; destination: string; readOnly?: boolean }[];
  /** The pod's labels (`{app: 'shop-web'}`), put on its sandbox as the CRI plugin does. */
  podLabels?: Record<string, string>;
}

export interface PodContainer {
  id: string;
  /** The task's init process on the host. */
  pid: number;
  sandboxId: string;
  podUid: string;
  /** `<podLogs>/<ns>_<pod>_<uid>/<container>/0.log`. */
  logPath: string;
}

export interface TestContainerd {
  /** containerd's socket path. */
  address: string;
  /** containerd's root (its /var/lib/containerd). */
  root: string;
  state: string;
  /** The private folder standing in for the node's /var/log/pods. */
  podLogs: string;
  /** containerd's pid (its mount namespace is where the shims and their mounts live). */
  pid: number;
  /** `ctr` for this containerd, run inside its mount namespace. */
  ctr(...args: string[]): Promise<string>;
  /** `docker save IMAGE` from the system engine into k8s.io, unpacked; returns the containerd name. */
  importFromSystem(image: string): Promise<string>;
  runPod(opts: PodContainerOptions): Promise<PodContainer>;
  /** Runs a command in a running container (`ctr tasks exec`), as an attacker with a shell would. */
  exec(containerId: string, ...cmd: string[]): Promise<string>;
  destroy(): Promise<void>;
}

/**
 * The CRI plugin's own record of a container or sandbox, kept as a container extension
 * (containerd 1.7 pkg/cri/store/{container,sandbox}/metadata.go, pkg/cri/server/helpers.go):
 * JSON `{Version: "v1", Metadata: {...}}` under a typeurl of the Go type. Its LogPath is
 * where a node's log file is; the fields coroner has no use for are left out.
 */
interface CriRecord {
  extension: string;
  typeUrl: string;
  metadata: Record<string, unknown>;
}

/** Where the CRI plugin caps one log line before it splits it into P(artial) records. */
const CRI_MAX_LINE_BYTES = 16 * 1024;

/**
 * A logger for containerd's binary log URI (containerd pkg/process/io_util.go: stdout on
 * fd 3, stderr on fd 4, readiness by closing fd 5) that writes what containerd's CRI plugin
 * writes (pkg/cri/io/logger.go redirectLogs): `<RFC3339Nano> <stdout|stderr> <F|P> <line>`,
 * `\n` and a `\r` before it dropped, lines over 16 KiB split into P records, an unterminated
 * last line written as P. Go's RFC3339Nano drops trailing zeros of the fraction.
 */
function loggerScript(node: string): string {
  return `#!${node}
const fs = require('node:fs');
const out = fs.openSync(process.argv[process.argv.indexOf('path') + 1], 'a');
const MAX = ${CRI_MAX_LINE_BYTES};
function stamp() {
  const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  const whole = new Date(Number(ns / 1000000n)).toISOString().slice(0, 19);
  const frac = String(ns % 1000000000n).padStart(9, '0').replace(/0+$/, '');
  return whole + (frac ? '.' + frac : '') + 'Z';
}
function record(stream, tag, bytes) {
  fs.writeSync(out, Buffer.concat([Buffer.from(stamp() + ' ' + stream + ' ' + tag + ' '), bytes, Buffer.from('\\n')]));
}
function pump(fd, stream) {
  let held = Buffer.alloc(0);
  const input = fs.createReadStream(null, { fd });
  input.on('data', (chunk) => {
    held = Buffer.concat([held, chunk]);
    for (;;) {
      const nl = held.indexOf(10);
      if (nl >= 0 && nl <= MAX) {
        let line = held.subarray(0, nl);
        if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
        record(stream, 'F', line);
        held = held.subarray(nl + 1);
      } else if (held.length > MAX) {
        record(stream, 'P', held.subarray(0, MAX));
        held = held.subarray(MAX);
      } else break;
    }
  });
  input.on('end', () => { if (held.length) record(stream, 'P', held); });
  input.on('error', () => undefined);
}
pump(3, 'stdout');
pump(4, 'stderr');
fs.closeSync(5);
`;
}

export async function startTestContainerd(): Promise<TestContainerd> {
  const engines = await newerEnginesDir();
  // Short: a unix socket path is limited to 108 bytes.
  const base = await mkdtemp(path.join(shortTmpdir(), 'ctd-'));
  const address = path.join(base, 'containerd.sock');
  const podLogs = path.join(base, 'pods');
  await mkdir(podLogs);
  const logger = path.join(base, 'cri-logger.cjs');
  await writeFile(logger, loggerScript(process.execPath));
  await chmod(logger, 0o755);

  const log = await open(path.join(base, 'launcher.log'), 'a');
  const launcher = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'bash',
      path.join(ROOT, 'scripts/newer-engine.sh'),
      engines,
      base,
      '--containerd-only',
    ],
    { stdio: ['ignore', log.fd, log.fd], detached: true },
  );
  await log.close();
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));

  const ctrBin = path.join(engines, 'usr/bin/ctr');
  let pid = 0;
  const ctrArgs = (args: string[]) => [
    `--mount=/proc/${pid}/ns/mnt`,
    ctrBin,
    '--address',
    address,
    ...args,
  ];
  const ctr = async (...args: string[]) =>
    (await run('nsenter', ctrArgs(args), { maxBuffer: 64 * 1024 * 1024 })).stdout;

  const deadline = Date.now() + 60_000;
  for (;;) {
    pid = Number(
      (await readFile(path.join(base, 'containerd.pid'), 'utf8').catch(() => '')).trim(),
    );
    if (pid) {
      try {
        await ctr('version');
        break;
      } catch {
        /* not answering yet */
      }
    }
    if (Date.now() > deadline || launcher.exitCode !== null) {
      const tail = await readFile(path.join(base, 'containerd.log'), 'utf8').catch(() => '');
      await rm(base, { recursive: true, force: true });
      throw new Error(`the test containerd in ${base} did not start\n${tail.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const held = await holdMountNamespace(pid);

  let api: ContainerdApi | undefined;
  const client = async () => (api ??= await connectContainerd({ address, namespace: K8S }));

  const sandboxes = new Map<string, { id: string; uid: string; pid: number }>();
  const newId = () => randomBytes(32).toString('hex');

  const runContainer = async (
    id: string,
    image: string,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    opts: Partial<PodContainerOptions>,
    logPath: string,
    command: string[],
    criRecord: CriRecord,
    sandboxPid?: number,
  ) => {
    await mkdir(path.dirname(logPath), { recursive: true });
    // --allow-new-privs: the kubelet's default (allowPrivilegeEscalation unset) leaves
    // noNewPrivileges off, where ctr would turn it on.
    const args = [
      '-n',
      K8S,
      'containers',
      'create',
      '--snapshotter',
      'overlayfs',
      '--allow-new-privs',
    ];
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    for (const [k, v] of Object.entries(annotations)) args.push('--annotation', `${k}=${v}`);
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
    if (opts.uid !== undefined) args.push('--user', String(opts.uid));
    if (opts.hostNetwork) args.push('--net-host');
    // A pod's hostname is its name (the sandbox's UTS namespace, which its containers join).
    else if (!sandboxPid && opts.pod) args.push('--hostname', opts.pod);
    // A pod's containers join its sandbox's namespaces, as the CRI plugin joins them to the
    // pause container's: IPC always, network and UTS unless the pod uses the host's network.
    if (sandboxPid) {
      const kinds = opts.hostNetwork ? ['ipc'] : ['ipc', 'network', 'uts'];
      const file = { ipc: 'ipc', network: 'net', uts: 'uts' } as const;
      for (const kind of kinds)
        args.push('--with-ns', `${kind}:/proc/${sandboxPid}/ns/${file[kind as keyof typeof file]}`);
    }
    for (const m of opts.mounts ?? [])
      args.push(
        '--mount',
        `type=bind,src=${m.source},dst=${m.destination},options=rbind:${m.readOnly ? 'ro' : 'rw'}`,
      );
    args.push(image, id, ...command);
    await ctr(...args);
    await asCriContainer(id, criRecord);
    await ctr(
      '-n',
      K8S,
      'tasks',
      'start',
      '-d',
      '--log-uri',
      `binary://${logger}?path=${encodeURIComponent(logPath)}`,
      id,
    );
    return taskPid(id);
  };

  /**
   * ctr's spec has a /run tmpfs and an open-files limit; the CRI plugin's has neither
   * (containerd 1.7 pkg/cri/server/container_create_linux.go: oci.WithoutRunMount,
   * WithoutDefaultSecuritySettings), and an image that keeps state in /run (apache's
   * /run/lock, /run/apache2) fails without its own. ctr cannot change a spec, so it is
   * replaced through the API (recreating the container instead lets garbage collection take
   * its snapshot in between), with the CRI plugin's own record of it beside.
   */
  const asCriContainer = async (id: string, criRecord: CriRecord) => {
    const spec = JSON.parse(await ctr('-n', K8S, 'containers', 'info', '--spec', id)) as {
      mounts?: { destination: string }[];
      process?: { rlimits?: unknown };
    };
    spec.mounts = (spec.mounts ?? []).filter((m) => m.destination !== '/run');
    delete spec.process?.rlimits;
    await (
      await client()
    ).updateContainer(id, {
      spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) },
      extensions: {
        [criRecord.extension]: {
          typeUrl: criRecord.typeUrl,
          value: Buffer.from(JSON.stringify({ Version: 'v1', Metadata: criRecord.metadata })),
        },
      },
    });
  };

  const taskPid = async (id: string) => {
    const end = Date.now() + 30_000;
    for (;;) {
      const line = (await ctr('-n', K8S, 'tasks', 'ls'))
        .split('\n')
        .find((l) => l.startsWith(`${id} `));
      const [, pidText, status] = line?.trim().split(/\s+/) ?? [];
      if (status === 'RUNNING' && Number(pidText) > 0) return Number(pidText);
      if (Date.now() > end)
        throw new Error(`the task of ${id} is not running (${line ?? 'no task'})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    address,
    root: path.join(base, 'containerd-root'),
    state: path.join(base, 'containerd-state'),
    podLogs,
    pid,
    ctr,
    // A node's images look like this when the kubelet's CRI plugin pulled them: in k8s.io,
    // unpacked into the overlayfs snapshotter.
    importFromSystem: async (image: string) => {
      await run(
        'sh',
        [
          '-c',
          'docker save "$1" | nsenter "--mount=/proc/$2/ns/mnt" "$3" --address "$4" -n k8s.io images import --snapshotter overlayfs -',
          'sh',
          image,
          String(pid),
          ctrBin,
          address,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const named = image.includes(':') ? image : `${image}:latest`;
      return named.split('/')[0]!.includes('.')
        ? named
        : `docker.io/${named.includes('/') ? named : `library/${named}`}`;
    },
    runPod: async (opts: PodContainerOptions) => {
      const podKey = `${opts.namespace}/${opts.pod}`;
      let sandbox = sandboxes.get(podKey);
      const podIdentity = (uid: string) => ({
        'io.kubernetes.pod.namespace': opts.namespace,
        'io.kubernetes.pod.name': opts.pod,
        'io.kubernetes.pod.uid': uid,
      });
      const podLogDir = (uid: string) => path.join(podLogs, `${opts.namespace}_${opts.pod}_${uid}`);
      // The OCI annotations the CRI plugin writes into every spec (containerd 1.7
      // pkg/cri/annotations DefaultCRIAnnotations).
      const criAnnotations = (sandboxId: string, uid: string) => ({
        'io.kubernetes.cri.sandbox-id': sandboxId,
        'io.kubernetes.cri.sandbox-namespace': opts.namespace,
        'io.kubernetes.cri.sandbox-uid': uid,
        'io.kubernetes.cri.sandbox-name': opts.pod,
      });
      if (!sandbox) {
        const uid = [4, 2, 2, 2, 6].map((n) => randomBytes(n).toString('hex')).join('-');
        const sandboxId = newId();
        // The pause container's stand-in: a sandbox's labels are the pod's plus the io.kubernetes.* ones.
        const labels = {
          ...opts.podLabels,
          ...podIdentity(uid),
          'io.cri-containerd.kind': 'sandbox',
        };
        const logPath = path.join(base, 'sandbox-logs', `${sandboxId}.log`);
        const sandboxPid = await runContainer(
          sandboxId,
          opts.image,
          labels,
          {
            ...criAnnotations(sandboxId, uid),
            'io.kubernetes.cri.sandbox-log-directory': podLogDir(uid),
            'io.kubernetes.cri.container-type': 'sandbox',
          },
          { hostNetwork: opts.hostNetwork ?? false, pod: opts.pod },
          logPath,
          ['sleep', '1000000'],
          {
            extension: 'io.cri-containerd.sandbox.metadata',
            typeUrl: 'github.com/containerd/cri/pkg/store/sandbox/Metadata',
            metadata: {
              ID: sandboxId,
              Name: [opts.pod, opts.namespace, uid, '0'].join('_'),
              Config: {
                metadata: { name: opts.pod, uid, namespace: opts.namespace },
                ...(opts.hostNetwork ? {} : { hostname: opts.pod }),
                log_directory: podLogDir(uid),
                labels: opts.podLabels ?? {},
              },
              NetNSPath: '',
              IP: '',
              RuntimeHandler: '',
            },
          },
        );
        sandbox = { id: sandboxId, uid, pid: sandboxPid };
        sandboxes.set(podKey, sandbox);
      }
      const id = newId();
      const logPath = path.join(podLogDir(sandbox.uid), opts.container, '0.log');
      const labels = {
        ...podIdentity(sandbox.uid),
        'io.kubernetes.container.name': opts.container,
        'io.cri-containerd.kind': 'container',
      };
      const pid = await runContainer(
        id,
        opts.image,
        labels,
        {
          ...criAnnotations(sandbox.id, sandbox.uid),
          'io.kubernetes.cri.container-name': opts.container,
          'io.kubernetes.cri.image-name': opts.image,
          'io.kubernetes.cri.container-type': 'container',
        },
        opts,
        logPath,
        opts.command ?? [],
        {
          extension: 'io.cri-containerd.container.metadata',
          typeUrl: 'github.com/containerd/cri/pkg/store/container/Metadata',
          metadata: {
            ID: id,
            Name: [opts.container, opts.pod, opts.namespace, sandbox.uid, '0'].join('_'),
            SandboxID: sandbox.id,
            Config: {
              metadata: { name: opts.container },
              image: { image: opts.image },
              log_path: path.join(opts.container, '0.log'),
            },
            // The kubelet's is the image's id; a name is what Images.Get takes here.
            ImageRef: opts.image,
            LogPath: logPath,
            StopSignal: 'SIGTERM',
          },
        },
        sandbox.pid,
      );
      return { id, pid, sandboxId: sandbox.id, podUid: sandbox.uid, logPath };
    },
    exec: (containerId: string, ...cmd: string[]) =>
      new Promise<string>((resolve, reject) => {
        const execId = `exec-${randomBytes(6).toString('hex')}`;
        const child = spawn(
          'nsenter',
          ctrArgs(['-n', K8S, 'tasks', 'exec', '--exec-id', execId, containerId, ...cmd]),
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0
            ? resolve(stdout)
            : reject(new Error(`exec in ${containerId} failed (${code}): ${stderr}`)),
        );
      }),
    destroy: async () => {
      const ids = (await ctr('-n', K8S, 'containers', 'ls', '-q').catch(() => ''))
        .split('\n')
        .filter(Boolean);
      for (const id of ids)
        await ctr('-n', K8S, 'tasks', 'kill', '-a', '-s', 'SIGKILL', id).catch(() => '');
      for (const id of ids) {
        const end = Date.now() + 10_000;
        while (Date.now() < end) {
          // `tasks rm` refuses a task still running; once killed it goes.
          const gone = await ctr('-n', K8S, 'tasks', 'rm', '-f', id).then(
            () => true,
            (e: unknown) => /not found|no running task/i.test(String(e)),
          );
          if (gone) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        // Removing the container removes its snapshot too.
        await ctr('-n', K8S, 'containers', 'rm', id).catch(() => '');
      }
      api?.close();
      signal(pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      // Shims outlive containerd; with their containers gone they are all that is left.
      await held.killAll(15_000);
      await held.release();
      // The mounts lived in the namespace and went with it; rm needs no unmount.
      await rm(base, { recursive: true, force: true });
    },
  };
}
