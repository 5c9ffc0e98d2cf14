/**
 * coroner's node-job image (deploy/node-job, issue 26 item 4), run as a node runs it: built
 * offline by its script, then started as a container on the system's Docker; and, as the
 * Job runs it (its args, privileged, the host's pids, containerd's socket, root and
 * the pod logs mounted), triaging the webshell sample's attack in a pod on the test
 * containerd, the case exported and verified on the host.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import { SEVERITY_RANK } from '../../src/report/severity.js';
import { BIN } from '../support/coroner-run.js';
import {
  baseImage,
  cleanRun,
  docker,
  expectedChanges,
  newRunId,
  ROOT,
  runLabelled,
  TEST_LABEL,
  webshellAttack,
} from '../support/engine.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';
import { readYamlDocuments } from '../support/yaml-document.js';

const run = promisify(execFile);
const VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** Builds (or finds, when its inputs are unchanged) the image; its tag and what the script said. */
async function buildImage(): Promise<{ tag: string; stderr: string }> {
  const { stdout, stderr } = await run('bash', [path.join(ROOT, 'scripts/build-node-image.sh')], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return { tag: stdout.trim().split('\n').pop()!, stderr };
}

let image: string;
const runId = newRunId();

/** The image run once, as the Job runs it: its entrypoint is coroner. */
const inImage = (...args: string[]) =>
  docker('run', '--rm', '--network', 'none', '--label', `${TEST_LABEL}=${runId}`, image, ...args);

beforeAll(async () => {
  image = (await buildImage()).tag;
}, 600_000);
afterAll(() => cleanRun(runId));

describe('the node-job image', () => {
  it("is tagged with coroner's version and prints it", async () => {
    expect(image).toBe(`coroner:${VERSION}`);
    expect((await inImage('--version')).trim()).toBe(`coroner ${VERSION}`);
    expect(await inImage('--help')).toContain('coroner triage <container>');
  });

  it('runs Node 20 or newer on Debian 12', async () => {
    const node = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      image,
      '-p',
      'process.versions.node',
    );
    expect(Number(node.trim().split('.')[0])).toBeGreaterThanOrEqual(20);
    const release = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'cat',
      image,
      '/etc/os-release',
    );
    expect(release).toMatch(/^VERSION_ID="12"$/m);
  });

  it("has getfattr, which coroner reads an upper dir's opaque folders and capabilities with", async () => {
    const getfattr = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'getfattr',
      image,
      '--version',
    );
    expect(getfattr).toMatch(/^getfattr \d/);
  });

  it('holds every production dependency coroner declares, and loads each', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const names = Object.keys(pkg.dependencies);
    expect(names.length).toBeGreaterThan(0);
    // Resolved from coroner's own folder in the image, as its modules resolve them.
    const loaded = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--workdir',
      '/opt/coroner',
      '--entrypoint',
      'node',
      image,
      '--input-type=module',
      '-e',
      'for (const name of process.argv.slice(1)) { await import(name); console.log(name); }',
      ...names,
    );
    expect(loaded.trim().split('\n').sort()).toEqual([...names].sort());
  });

  it('lists the containers of the engine whose socket it is given', async () => {
    // A container on the system's Docker, listed by coroner from inside the image: the engine
    // client and its dependencies work there, not only load.
    const name = `coroner-test-nodejob-${runId}`;
    await runLabelled(name, runId, await baseImage(), 'sleep', '300');
    const listed = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--label',
      `${TEST_LABEL}=${runId}`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      image,
      'list',
    );
    expect(listed).toContain(name);
  });

  it('is built once: the script finds it again while its inputs are unchanged', async () => {
    const id = (await docker('image', 'inspect', '--format', '{{.Id}}', image)).trim();
    const again = await buildImage();
    expect(again.tag).toBe(image);
    expect(again.stderr).not.toContain('building');
    expect((await docker('image', 'inspect', '--format', '{{.Id}}', image)).trim()).toBe(id);
  });
});

/** Linux's capabilities by number (linux/capability.h), as Docker names them. */
const CAPABILITIES = (
  'CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE ' +
  'NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO ' +
  'SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME ' +
  'SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG ' +
  'WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE'
).split(' ');

/**
 * `--privileged`, as the Job asks; or, where runc cannot start a privileged container (a
 * sandbox whose capability bounding set lacks some, as this machine's lacks SYS_RESOURCE:
 * "unable to apply caps"), every capability the sandbox has, with no seccomp or AppArmor
 * profile and no masked /proc paths: the same reach for what coroner reads.
 */
async function privileged(): Promise<string[]> {
  const flags = ['run', '--rm', '--network', 'none', '--label', `${TEST_LABEL}=${runId}`];
  const isPrivilegedRunnable = await docker(
    ...flags,
    '--privileged',
    await baseImage(),
    'true',
  ).then(
    () => true,
    () => false,
  );
  if (isPrivilegedRunnable) return ['--privileged'];
  const status = readFileSync('/proc/self/status', 'utf8');
  const bounding = BigInt('0x' + /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)![1]!);
  const missing = CAPABILITIES.filter((_, bit) => !(bounding & (1n << BigInt(bit))));
  return [
    '--cap-add=ALL',
    ...missing.map((cap) => `--cap-drop=${cap}`),
    '--security-opt=seccomp=unconfined',
    '--security-opt=apparmor=unconfined',
    '--security-opt=systempaths=unconfined',
  ];
}

/** The Job's container args (deploy/node-job), its placeholders filled in. */
async function jobArgs(fill: Record<string, string>): Promise<string[]> {
  const text = readFileSync(path.join(ROOT, 'deploy/node-job/coroner-triage-job.yaml'), 'utf8');
  const [job] = (await readYamlDocuments(text)) as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  }[];
  return job!.spec.template.spec.containers[0]!.args.map((arg) =>
    arg.replace(/<([a-z-]+)>/g, (whole, name: string) => fill[name] ?? whole),
  );
}

describe('the node-job image on a containerd node', () => {
  let ctd: TestContainerd;
  let web: PodContainer;
  let cases: string;
  let privilege: string[];
  const subject = 'shop/web-7d9f/web';

  /**
   * The image run as the Job runs it: privileged, the host's pids; containerd's socket where
   * the Job mounts the node's; containerd's root at the host's own path (it names its snapshot
   * folders by host paths; its config is read through its process in /proc, not mounted); the test's
   * stand-in for the pod logs where the Job mounts the node's (/var/log/pods); the case
   * folder at /cases. Resolves with the exit code and output.
   */
  const asNodeJob = (...args: string[]) => {
    return run(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--label',
        `${TEST_LABEL}=${runId}`,
        ...privilege,
        '--pid',
        'host',
        '-v',
        `${ctd.address}:/run/containerd/containerd.sock`,
        '-v',
        `${ctd.root}:${ctd.root}:ro`,
        '-v',
        `${ctd.podLogs}:/var/log/pods:ro`,
        '-v',
        `${cases}:/cases`,
        image,
        ...args,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    ).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      }),
    );
  };

  let caseDir: string;
  let triaged: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    privilege = await privileged();
    cases = await mkdtemp(path.join(os.tmpdir(), 'coroner-nodejob-'));
    ctd = await startTestContainerd();
    const sample = await ctd.importFromSystem('coroner-sample/webshell:latest');
    web = await ctd.runPod({
      namespace: 'shop',
      pod: 'web-7d9f',
      container: 'web',
      image: sample,
      command: ['sh', '-c', 'echo serving; exec /usr/local/bin/start-web'],
      podLabels: { app: 'shop-web' },
    });
    await ctd.exec(web.id, 'sh', '-euc', webshellAttack());
    // Exactly what the Job runs, with the placeholders a responder fills in.
    triaged = await asNodeJob(
      ...(await jobArgs({ namespace: 'shop', pod: 'web-7d9f', container: 'web' })),
    );
    // No --case-dir in the Job: the case is named by the container and the time, in /cases.
    const made = await readdir(path.join(cases, 'coroner-cases')).catch(() => []);
    caseDir = path.join(cases, 'coroner-cases', made[0] ?? 'none');
  }, 300_000);
  afterAll(async () => {
    await ctd?.destroy();
    if (cases) await rm(cases, { recursive: true, force: true });
  }, 120_000);

  it("triages the pod's container from inside the node-job container, as the Job's args say", async () => {
    // 3: suspicious findings; the Job shows as Failed, on purpose.
    expect(triaged.code, triaged.stderr).toBe(3);
    expect(triaged.stdout).toContain('/var/www/uploads/.cache.php');
    const report = JSON.parse(
      await readFile(path.join(caseDir, 'report.json'), 'utf8'),
    ) as TriageReport;
    // The sample's ground truth: each malicious change ranked by its rule, at its severity
    // or above (the web shell: web-shell, critical).
    const malicious = expectedChanges('webshell').filter((c) => c.malicious);
    expect(malicious.map((c) => c.path)).toContain('/var/www/uploads/.cache.php');
    for (const change of malicious) {
      const hit = report.findings.find((f) => f.path === change.path && f.rule === change.rule);
      expect(hit, `${change.rule} on ${change.path}`).toBeDefined();
      expect(SEVERITY_RANK[hit!.severity]).toBeGreaterThanOrEqual(
        SEVERITY_RANK[change.minSeverity ?? 'high'],
      );
    }
  });

  it("reads what only the Job's mounts give: the host's processes, the pod's log, containerd's store", async () => {
    const report = JSON.parse(
      await readFile(path.join(caseDir, 'report.json'), 'utf8'),
    ) as TriageReport;
    // hostPID: the task's processes, read on the host.
    expect(report.processes?.map((p) => p.pid)).toContain(web.pid);
    // /var/log/pods: the kubelet's CRI log file, kept.
    expect(report.artifacts.some((a) => a.path.startsWith('container/logs/cri/'))).toBe(true);
    expect(await readFile(path.join(caseDir, 'container/logs/stdout.log'), 'utf8')).toContain(
      'serving',
    );
    // The socket: the evidence image, left in containerd's store under a lease.
    expect(report.evidence.kind).toBe('image');
    expect(await ctd.ctr('-n', 'k8s.io', 'leases', 'ls')).toContain('coroner-evidence-');
  });

  it('leaves a case folder that verifies on the host', async () => {
    const verified = await run(process.execPath, [BIN, 'verify', caseDir]);
    expect(verified.stdout).toMatch(/^OK: .*all \d+ files match the hashes taken at acquisition/m);
  });

  it('exports that case, in the node-job container, into a bundle that verifies on the host', async () => {
    const inContainer = `/cases/coroner-cases/${path.basename(caseDir)}`;
    const exported = await asNodeJob(
      'export',
      '--containerd',
      '--case',
      inContainer,
      '--out',
      '/cases/web.tar.gz',
      subject,
    );
    expect(exported.code, exported.stderr).toBe(0);
    const verified = await run(process.execPath, [BIN, 'verify', path.join(cases, 'web.tar.gz')]);
    expect(verified.stdout).toMatch(/^OK: .*all \d+ files match the manifest/m);
  });
});
