/**
 * Restart clean the Kubernetes way, on a real containerd holding a pod as the CRI plugin
 * leaves it (issue 26 item 3): clean twins run through containerd learn the webshell
 * sample's settings, the quarantine pauses and keeps the task and writes a NetworkPolicy and
 * a securityContext patch, and the patch's own settings, run from the original image through
 * containerd, serve the sample's page.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/case/custody.js';
import { imageTopChainId } from '../../src/relaunch/containerd-image.js';
import {
  containerdTwinRunner,
  containerdTwinSubject,
} from '../../src/relaunch/containerd-twins.js';
import {
  preparePodRelaunch,
  quarantinePod,
  type PodQuarantineResult,
  type PreparedPodRelaunch,
} from '../../src/relaunch/kubernetes-relaunch.js';
import { askInNamespace } from '../../src/relaunch/serve-check.js';
import { connectContainerd } from '../../src/sources/containerd-api/containerd-client.js';
import type { ContainerdApi } from '../../src/sources/containerd-api/containerd-types.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

describe('the Kubernetes quarantine and patch, learnt through containerd', () => {
  let ctd: TestContainerd;
  let api: ContainerdApi;
  let web: PodContainer;
  let prepared: PreparedPodRelaunch;
  let result: PodQuarantineResult;
  let cases: string;
  let originalBytes: number;
  const custody = new CustodyLog(['test']);
  const host = () => ({ containerdApi: () => api, nodeName: () => 'node-a' });

  beforeAll(async () => {
    ctd = await startTestContainerd();
    const image = await ctd.importFromSystem('coroner-sample/webshell:latest');
    web = await ctd.runPod({
      namespace: 'shop',
      pod: 'web-7d9f8c6b5-x2kqp',
      container: 'httpd',
      image,
      podLabels: { app: 'shop-web', 'pod-template-hash': '7d9f8c6b5' },
    });
    api = await connectContainerd({ address: ctd.address, namespace: 'k8s.io' });
    // What the untouched service answers: the page the hardened settings must serve too.
    const end = Date.now() + 20_000;
    do originalBytes = (await askInNamespace(web.pid, 8080)).bytes;
    while (originalBytes === 0 && Date.now() < end);
    cases = await mkdtemp(path.join(os.tmpdir(), 'coroner-k8s-case-'));
    prepared = await preparePodRelaunch(
      host(),
      'shop/web-7d9f8c6b5-x2kqp/httpd',
      { memoryBytes: 256 * 2 ** 20, cpuShares: 512, tmpfs: [], pidsLimit: 128, capAdd: [] },
      custody,
      undefined,
      { isEnabled: true, windowMs: 15_000 },
    );
    result = await quarantinePod(host(), prepared, { caseDir: path.join(cases, 'case'), custody });
  }, 400_000);

  afterAll(async () => {
    api?.close();
    await ctd?.destroy();
    if (cases) await rm(cases, { recursive: true, force: true });
  }, 120_000);

  it("learns from clean twins: no capability, the image's www-data, a writable /run", () => {
    const plan = prepared.podPlan;
    expect(
      prepared.unproven,
      prepared.podPlan.learned?.trials.map((t) => t.why).join('; '),
    ).toBeUndefined();
    expect(prepared.proof?.isUp).toBe(true);
    expect(prepared.proof?.isReadOnly).toBe(true);
    expect(plan.capAdd).toEqual([]);
    expect(plan.isNonRoot).toBe(true);
    expect(plan.user).toEqual({ uid: 33, gid: 33 });
    expect(plan.writable.map((w) => w.path)).toEqual(['/run']);
    expect(plan.ports).toEqual([8080]);
    expect(plan.subject).toMatchObject({
      namespace: 'shop',
      pod: 'web-7d9f8c6b5-x2kqp',
      container: 'httpd',
      node: 'node-a',
      podLabels: { app: 'shop-web', 'pod-template-hash': '7d9f8c6b5' },
      owner: { kind: 'Deployment', name: 'web' },
    });
  });

  it("starts every twin on the original image's top layer: its chain id from the image's config", async () => {
    const record = (await api.container(web.id))!;
    const parent = (await api.snapshotStat(record.snapshotter, record.snapshotKey))!.parent;
    expect(await imageTopChainId(api, record.image)).toBe(parent);
    expect((await containerdTwinSubject(api, record)).parentSnapshot).toBe(parent);
    // No triage here: the plan says there is no evidence image to fall back on.
    expect(prepared.evidenceImages).toEqual([]);
    expect(prepared.podPlan.warnings.join(' ')).toMatch(/no evidence image/);
  });

  it('leaves the suspect paused and kept, and no twin behind', async () => {
    expect(result.taskState).toBe('paused');
    expect((await api.task(web.id))?.status).toBe('paused');
    expect(await api.container(web.id)).toBeDefined();
    const left = await api.containers();
    expect(left.filter((c) => c.id.startsWith('coroner-'))).toEqual([]);
    expect(custody.actions.filter((a) => /twin/.test(a.action)).length).toBeGreaterThan(3);
    expect(custody.actions.filter((a) => a.result === 'failed')).toEqual([]);
  });

  it.skipIf(!hasKubectl)(
    "writes a NetworkPolicy for the pod's labels and the commands to apply it",
    async () => {
      const np = JSON.parse(
        execFileSync(
          'kubectl',
          [
            'patch',
            '--local',
            '-f',
            result.files.networkPolicy,
            '--type',
            'merge',
            '-p',
            '{}',
            '-o',
            'json',
          ],
          { encoding: 'utf8' },
        ),
      );
      expect(np.spec).toEqual({
        podSelector: { matchLabels: { app: 'shop-web', 'pod-template-hash': '7d9f8c6b5' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [],
      });
      const commands = await readFile(result.files.commands, 'utf8');
      expect(commands).toContain(`kubectl apply -f ${result.files.networkPolicy}`);
      expect(commands).toContain(
        `kubectl -n shop patch deployment web --type strategic --patch-file ${result.files.patch}`,
      );
    },
  );

  it.skipIf(!hasKubectl)(
    "serves the sample's page with the patch's settings, run from the original image through containerd",
    async () => {
      const pod = path.join(cases, 'deployment.yaml');
      await writeFile(
        pod,
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: httpd, image: web}]\n',
      );
      const patched = JSON.parse(
        execFileSync(
          'kubectl',
          [
            'patch',
            '--local',
            '-f',
            pod,
            '--type',
            'strategic',
            '--patch-file',
            result.files.patch,
            '-o',
            'json',
          ],
          { encoding: 'utf8' },
        ),
      );
      const c = patched.spec.template.spec.containers[0];
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        runAsNonRoot: true,
        runAsUser: 33,
      });
      // A fresh container from the original image with exactly what the patch says: its user,
      // its capabilities, a read-only root, an emptyDir (tmpfs here) at each volumeMount.
      const subject = await containerdTwinSubject(api, (await api.container(web.id))!);
      const outcome = await containerdTwinRunner(api, subject).runTwin(
        {
          user: `${c.securityContext.runAsUser}:${c.securityContext.runAsGroup}`,
          capAdd: c.securityContext.capabilities.add ?? [],
          readOnly: {
            tmpfs: Object.fromEntries(
              (c.volumeMounts ?? []).map((m: { mountPath: string }) => [
                m.mountPath,
                'rw,nosuid,nodev,mode=0777,size=64m',
              ]),
            ),
            volumes: [],
          },
        },
        { ports: [8080], windowMs: 15_000, memoryBytes: 256 * 2 ** 20, pidsLimit: 128, custody },
      );
      expect(outcome.isUp, `${outcome.why}: ${outcome.logTail.join(' | ')}`).toBe(true);
      // The same page the original served (busybox's 404 would be shorter), byte for byte in length.
      expect(originalBytes).toBeGreaterThan(236);
      expect(outcome.answers).toEqual([
        { port: 8080, address: expect.any(String), isOpen: true, bytes: originalBytes },
      ]);
    },
    60_000,
  );
});
