import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { planKubernetesHardening } from '../../src/relaunch/kubernetes-plan.js';
import { podContainerOf } from '../../src/relaunch/kubernetes-pod.js';
import {
  kubectlCommands,
  networkPolicyYaml,
  securityPatchYaml,
} from '../../src/relaunch/kubernetes-quarantine.js';
import type { PreparedPodRelaunch } from '../../src/relaunch/kubernetes-relaunch.js';
import type { TrialRecord } from '../../src/relaunch/learn.js';
import type { PreparedRelaunch } from '../../src/relaunch/prepare.js';
import { RelaunchScreen, type Props } from '../../ui/screens/RelaunchScreen.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const trial: TrialRecord = {
  user: '33:33',
  capAdd: [],
  isReadOnly: true,
  isUp: false,
  why: 'it exited with code 1',
  // A twin's log is the image's: still escaped before it reaches the terminal.
  lastLine: 'AH00015: Unable to open logs\u001b]0;owned\u0007',
  seconds: 0.5,
};

describe('the relaunch screen while the plan is prepared', () => {
  it('shows each clean twin as it ends, escaped, and prepares once however often the parent draws', async () => {
    let calls = 0;
    let report: ((t: TrialRecord) => void) | undefined;
    const prepare: Props['prepare'] = (_signal, onTrial) => {
      calls++;
      report = onTrial;
      return new Promise<PreparedRelaunch>(() => undefined); // the twins are still running
    };
    const screen = (p: Props['prepare']) => (
      <RelaunchScreen
        prepare={p}
        execute={() => new Promise(() => undefined)}
        height={20}
        onBack={() => undefined}
      />
    );
    const ui = render(screen(prepare));
    await tick();
    expect(ui.lastFrame()).toMatch(/clean twins of the original image learn/);
    report!(trial);
    await tick();
    const frame = ui.lastFrame() ?? '';
    expect(frame).toMatch(
      /failed user 33:33, caps none, read-only root as planned: it exited with code 1/,
    );
    expect(frame).toContain('; last line: AH0001'); // truncated to the terminal's width
    expect(frame).not.toContain('\u001b]0;');
    // A new callback on each draw of the parent (a resize) must not start new twins.
    ui.rerender(screen((signal, onTrial) => prepare(signal, onTrial)));
    await tick();
    expect(calls).toBe(1);
    ui.unmount();
  });
});

describe('the relaunch screen for a Kubernetes pod', () => {
  const subject = podContainerOf(
    'c0ffee0123456789',
    {
      'io.kubernetes.pod.name': 'web-7d9f8c6b5-x2kqp',
      'io.kubernetes.pod.namespace': 'shop',
      'io.kubernetes.pod.uid': 'uid-1',
      'io.kubernetes.container.name': 'httpd',
    },
    'docker.io/library/web:1',
    { app: 'shop-web', 'pod-template-hash': '7d9f8c6b5', note: 'x\u001b]0;owned\u0007' },
    'node-a',
  );
  const podPlan = planKubernetesHardening(
    {
      subject,
      user: '0:0',
      writes: [{ path: '/run/httpd.pid', kind: 'A', from: 'a clean twin' }],
      learned: {
        user: '0:0',
        isUserProven: true,
        capAdd: [],
        isCapsProven: true,
        capReasons: [],
        writes: [{ path: '/run/httpd.pid', kind: 'A' }],
        traffic: 'a request to each port',
        isSharedMemorySeen: false,
        ports: [8080],
        trials: [{ ...trial, isUp: true, why: undefined, lastLine: undefined }],
        notes: [],
      },
      nonRootUser: '33:33',
      imageUsers: [{ name: 'www-data', uid: 33, gid: 33 }],
      imageHasContent: new Map([['/run', false]]),
      ports: [8080],
    },
    { memoryBytes: 256 * 2 ** 20, cpuShares: 512, tmpfs: [] },
  );
  const prepared: PreparedPodRelaunch = {
    podPlan,
    evidenceImages: ['coroner-evidence/shop/web-7d9f8c6b5-x2kqp/httpd:20261203t0900z'],
    proof: { ...trial, isUp: true, why: undefined, lastLine: undefined } as TrialRecord,
    networkPolicy: networkPolicyYaml(subject),
    patch: securityPatchYaml(podPlan),
  };

  it('shows the quarantine, the patch and the kubectl commands, and quarantines on y', async () => {
    let executed: unknown;
    const ui = render(
      <RelaunchScreen
        prepare={() => Promise.resolve(prepared)}
        execute={(p) => {
          executed = p;
          return Promise.resolve({
            podPlan,
            taskState: 'paused',
            files: {
              networkPolicy: '/cases/c/networkpolicy.yaml',
              patch: '/cases/c/security-patch.yaml',
              commands: '/cases/c/kubectl.txt',
            },
            commands: kubectlCommands(podPlan, {
              networkPolicy: '/cases/c/networkpolicy.yaml',
              patch: '/cases/c/security-patch.yaml',
            }),
            caseDir: '/cases/c',
          });
        }}
        height={200}
        onBack={() => undefined}
      />,
    );
    await tick();
    const plan = ui.lastFrame() ?? '';
    expect(plan).toContain('Kubernetes quarantine plan for shop/web-7d9f8c6b5-x2kqp/httpd');
    expect(plan).toMatch(/node: +node-a/);
    expect(plan).toContain('app=shop-web');
    expect(plan).not.toContain('\u001b]0;');
    expect(plan).toMatch(/pause the task and keep it/);
    expect(plan).toMatch(/runAsNonRoot, runAsUser 33, runAsGroup 33/);
    expect(plan).toContain('/run: a clean twin wrote /run/httpd.pid');
    expect(plan).toContain('kubectl apply -f networkpolicy.yaml');
    expect(plan).toContain('kubectl -n shop patch deployment web --type strategic');
    expect(plan).toContain('y pause and keep, write the NetworkPolicy and patch');
    expect(plan).not.toContain('docker run');
    // The handler for the frame just drawn is live after ink writes it: press until it is.
    const deadline = Date.now() + 5_000;
    while (executed === undefined && Date.now() < deadline) {
      ui.stdin.write('y');
      await tick();
    }
    expect(executed).toBe(prepared);
    await tick();
    const done = ui.lastFrame() ?? '';
    expect(done).toMatch(/Quarantined: shop\/web-7d9f8c6b5-x2kqp\/httpd: task paused, kept/);
    expect(done).toContain('kubectl apply -f /cases/c/networkpolicy.yaml');
    ui.unmount();
  });
});
