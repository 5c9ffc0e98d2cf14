/**
 * coroner's node-job image (deploy/node-job, issue 26 item 4), run as a node runs it: built
 * offline by its script, then started as a container on the system's Docker; and, as the
 * Job runs it, privileged with the host's pids and containerd's socket, root and pod logs
 * mounted at their own paths, triaging a compromised pod on the test containerd.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { SEVERITY_RANK } from '../../src/report/severity.js';
import { BIN } from '../support/coroner-run.js';
import {
  baseImage,
  cleanRun,
  docker,
  newRunId,
  ROOT,
  runLabelled,
  TEST_LABEL,
} from '../support/engine.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';

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

/** The webshell sample's attack (samples/webshell/attack.sh): the script it runs in the victim. */
function webshellAttack(): string {
  const script = readFileSync(path.join(ROOT, 'samples/webshell/attack.sh'), 'utf8');
  const body = /<<'ATTACK'\n([\s\S]*?)\nATTACK\n/.exec(script)?.[1];
  if (!body) throw new Error('samples/webshell/attack.sh no longer holds its ATTACK script');
  return body;
}

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

// `--containerd ADDRESS` (not `--containerd-root`): the containerd source, written beside this.
const hasContainerdSource = /--containerd[ [=]/.test(helpText());

describe.skipIf(!hasContainerdSource)(
  'the node-job image on a containerd node (skipped until the containerd source is merged)',
  () => {
    let ctd: TestContainerd;
    let web: PodContainer;
    let cases: string;
    let privilege: string[];
    const subject = 'shop/web-7d9f/web';

    /**
     * The image run as the Job runs it: privileged, the host's pids, containerd's socket and
     * root bind-mounted at the host's own paths (containerd names its snapshot folders by host
     * paths), the test's stand-in for the pod logs where a node keeps them (/var/log/pods),
     * the case folder at /cases. Resolves with the exit code and output.
     */
    const asNodeJob = (...args: string[]) =>
      run(
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
          `${ctd.address}:${ctd.address}`,
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
        podLabels: { app: 'shop-web' },
      });
      await ctd.exec(web.id, 'sh', '-euc', webshellAttack());
    }, 300_000);
    afterAll(async () => {
      await ctd?.destroy();
      if (cases) await rm(cases, { recursive: true, force: true });
    }, 120_000);

    let report: TriageReport;

    it('triages a pod container on the node from inside the privileged node-job container', async () => {
      const triaged = await asNodeJob(
        'triage',
        '--containerd',
        ctd.address,
        '--case-dir',
        '/cases/web',
        '--json',
        subject,
      );
      // 3: suspicious findings, as the Job reports them.
      expect(triaged.code, triaged.stderr).toBe(3);
      report = JSON.parse(triaged.stdout) as TriageReport;
      // The case is on the host, in the mounted folder, the same report the run printed.
      expect(JSON.parse(await readFile(path.join(cases, 'web/report.json'), 'utf8'))).toEqual(
        report,
      );
      const shell = report.findings.find((f) => f.path === '/var/www/uploads/.cache.php');
      expect(shell?.rule).toBe('web-shell');
      expect(SEVERITY_RANK[shell!.severity]).toBeGreaterThanOrEqual(SEVERITY_RANK.high);
    });

    it('exports that case into a bundle that verifies on the host', async () => {
      const exported = await asNodeJob(
        'export',
        '--containerd',
        ctd.address,
        '--case',
        '/cases/web',
        '--out',
        '/cases/web.tar.gz',
        subject,
      );
      expect(exported.code, exported.stderr).toBe(0);
      const verified = await run(process.execPath, [BIN, 'verify', path.join(cases, 'web.tar.gz')]);
      expect(verified.stdout).toMatch(/^OK: .*all \d+ files match the manifest/m);
    });
  },
);
