import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  planKubernetesHardening,
  type KubernetesPlan,
} from '../../src/relaunch/kubernetes-plan.js';
import {
  podContainerOf,
  probableOwner,
  type PodContainer,
} from '../../src/relaunch/kubernetes-pod.js';
import {
  kubectlCommands,
  networkPolicyYaml,
  podSelection,
  securityPatchYaml,
  yamlString,
} from '../../src/relaunch/kubernetes-quarantine.js';

// kubectl reads YAML and applies a strategic merge patch offline (--local): the files are
// checked by the tool the responder runs, not by a parser of ours.
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'coroner-k8s-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function kubectlJson(file: string, patchFile?: string): Record<string, any> {
  const args = patchFile
    ? [
        'patch',
        '--local',
        '-f',
        file,
        '--type',
        'strategic',
        '--patch-file',
        patchFile,
        '-o',
        'json',
      ]
    : ['patch', '--local', '-f', file, '--type', 'merge', '-p', '{}', '-o', 'json'];
  return JSON.parse(execFileSync('kubectl', args, { encoding: 'utf8', timeout: 20_000 }));
}

function writeTemp(name: string, text: string): string {
  const file = path.join(work, name);
  writeFileSync(file, text);
  return file;
}

const sandbox = {
  app: 'shop',
  tier: 'web',
  'pod-template-hash': '7d9f8c6b5',
  'io.kubernetes.pod.name': 'web-7d9f8c6b5-x2kqp',
  'io.kubernetes.pod.namespace': 'shop',
  'io.kubernetes.pod.uid': '0b7c1a2e-1111-2222-3333-444455556666',
  'io.cri-containerd.kind': 'sandbox',
};
const containerLabels = {
  'io.kubernetes.pod.name': 'web-7d9f8c6b5-x2kqp',
  'io.kubernetes.pod.namespace': 'shop',
  'io.kubernetes.pod.uid': '0b7c1a2e-1111-2222-3333-444455556666',
  'io.kubernetes.container.name': 'php',
  'io.cri-containerd.kind': 'container',
};

const subject: PodContainer = podContainerOf(
  'c0ffee',
  containerLabels,
  'docker.io/library/web:1',
  sandbox,
  'node-a',
);

function plan(over: Partial<PodContainer> = {}, nonRoot = true): KubernetesPlan {
  return planKubernetesHardening(
    {
      subject: { ...subject, ...over },
      user: '0:0',
      writes: [
        { path: '/run/httpd.pid', kind: 'A', from: 'a clean twin' },
        { path: '/var/log/app/x.log', kind: 'A', from: "the triage's churn" },
      ],
      learned: {
        user: '0:0',
        isUserProven: true,
        capAdd: ['NET_BIND_SERVICE'],
        isCapsProven: true,
        capReasons: [{ cap: 'NET_BIND_SERVICE', why: 'a twin without it did not come up' }],
        writes: [],
        traffic: 'none',
        isSharedMemorySeen: false,
        ports: [8080],
        trials: [],
        notes: [],
      },
      ...(nonRoot ? { nonRootUser: '33:33' } : {}),
      imageUsers: [{ name: 'www-data', uid: 33, gid: 33 }],
      imageHasContent: new Map([
        ['/run', false],
        ['/var/log/app', true],
      ]),
      ports: [8080],
    },
    { memoryBytes: 512 * 1024 * 1024, cpuShares: 512, tmpfs: [] },
  );
}

describe('the pod from containerd records', () => {
  it('names the pod by its CRI labels, takes its labels from the sandbox, less what the kubelet adds', () => {
    expect(subject).toMatchObject({
      namespace: 'shop',
      pod: 'web-7d9f8c6b5-x2kqp',
      container: 'php',
    });
    expect(subject.podLabels).toEqual({
      app: 'shop',
      tier: 'web',
      'pod-template-hash': '7d9f8c6b5',
    });
  });

  it("leaves out the sandbox image's config labels and containerd's own, which the pod never had", () => {
    const pod = podContainerOf(
      'c0ffee',
      containerLabels,
      'web:1',
      { ...sandbox, maintainer: 'pause', 'io.containerd.image.config.stop-signal': 'SIGTERM' },
      'node-a',
      { maintainer: 'pause' },
    );
    expect(pod.podLabels).toEqual({ app: 'shop', tier: 'web', 'pod-template-hash': '7d9f8c6b5' });
  });

  it("finds the Deployment, StatefulSet or DaemonSet from its controller's labels, else none", () => {
    expect(subject.owner).toMatchObject({ kind: 'Deployment', name: 'web' });
    expect(probableOwner('db-2', { 'statefulset.kubernetes.io/pod-name': 'db-2' })).toMatchObject({
      kind: 'StatefulSet',
      name: 'db',
    });
    expect(
      probableOwner('agent-x7k2p', {
        'controller-revision-hash': 'a',
        'pod-template-generation': '1',
      }),
    ).toMatchObject({ kind: 'DaemonSet', name: 'agent' });
    expect(probableOwner('lonely', { app: 'x' })).toBeUndefined();
    // A hash label that does not fit the pod's name says nothing.
    expect(probableOwner('web-1', { 'pod-template-hash': 'zzz' })).toBeUndefined();
  });
});

describe('the NetworkPolicy', () => {
  it.skipIf(!hasKubectl)('denies the pod all traffic, selected by its own labels', () => {
    const np = kubectlJson(writeTemp('np.yaml', networkPolicyYaml(subject)));
    expect(np.kind).toBe('NetworkPolicy');
    expect(np.metadata).toMatchObject({
      name: 'coroner-quarantine-web-7d9f8c6b5-x2kqp',
      namespace: 'shop',
    });
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { app: 'shop', tier: 'web', 'pod-template-hash': '7d9f8c6b5' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [],
    });
  });

  const hostileLabels = {
    app: 'x"\n  ingress:\n  - {}\n#',
    'evil\n  egress: [{}]\nfoo': 'v',
    'new\u2028line\u0085': 'bell\u0007\u001b[2J',
    emoji: '😀',
  };

  it.skipIf(!hasKubectl)(
    'keeps hostile labels values, never structure: no rule, key or document is added',
    () => {
      const hostile = {
        ...subject,
        namespace: 'shop\n---\nkind: Secret',
        pod: 'web\n  egress: [{}]',
        podLabels: hostileLabels,
      };
      const yaml = networkPolicyYaml(hostile);
      // Every line is printable ASCII: nothing a terminal or a YAML parser would break on.
      expect(yaml).toMatch(/^[\x20-\x7e\n]*$/);
      const np = kubectlJson(writeTemp('hostile.yaml', yaml));
      expect(np.spec.ingress).toEqual([]);
      expect(np.spec.egress).toEqual([]);
      expect(np.metadata.namespace).toBe('shop\n---\nkind: Secret');
      expect(np.metadata.name).toMatch(/^[a-z0-9-]+$/);
      // Labels Kubernetes would refuse stay out of the selector (the API server would reject the
      // policy); with none left, the pod is selected by a label the responder puts on it first.
      expect(Object.keys(np.spec.podSelector.matchLabels)).toEqual(['coroner.io/quarantine']);
      expect(podSelection(hostile).refused.length).toBe(4);
    },
  );

  it('never writes an empty selector, which would select every pod of the namespace', () => {
    const bare = { ...subject, podLabels: {} };
    const sel = podSelection(bare);
    expect(Object.keys(sel.matchLabels)).toHaveLength(1);
    expect(sel.addLabel?.key).toBe('coroner.io/quarantine');
    const cmds = kubectlCommands(plan({ podLabels: {} }), {
      networkPolicy: 'np.yaml',
      patch: 'p.yaml',
    });
    expect(cmds.join('\n')).toContain(
      'kubectl -n shop label pod web-7d9f8c6b5-x2kqp coroner.io/quarantine=pod-0b7c1a2e',
    );
  });

  it('escapes every character outside printable ASCII in a scalar', () => {
    expect(yamlString('a"b\\c\nd\u2028é😀')).toBe('"a\\"b\\\\c\\u000ad\\u2028\\u00e9\\U0001f600"');
    expect(yamlString('\ud800')).toBe('"\\uFFFD"');
  });
});

describe('the securityContext patch', () => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      volumes: [{name: data, emptyDir: {}}]
      containers:
        - name: php
          image: web:1
          volumeMounts: [{name: data, mountPath: /data}]
        - name: sidecar
          image: log:1
`;

  it.skipIf(!hasKubectl)(
    "hardens only the suspect's container in the owner's template, keeping its other mounts",
    () => {
      const patched = kubectlJson(
        writeTemp('deploy.yaml', deployment),
        writeTemp('patch.yaml', securityPatchYaml(plan())),
      );
      const spec = patched.spec.template.spec;
      const php = spec.containers.find((c: { name: string }) => c.name === 'php');
      const sidecar = spec.containers.find((c: { name: string }) => c.name === 'sidecar');
      expect(php.securityContext).toEqual({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        runAsNonRoot: true,
        runAsUser: 33,
        runAsGroup: 33,
      });
      expect(php.resources).toEqual({ limits: { memory: '512Mi', cpu: '500m' } });
      expect(php.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual([
        '/data',
        '/run',
        '/var/log/app',
      ]);
      expect(sidecar.securityContext).toBeUndefined();
      expect(spec.volumes.map((v: { name: string }) => v.name).sort()).toEqual([
        'coroner-writable-0',
        'coroner-writable-1',
        'data',
      ]);
      // /var/log/app holds files in the image: an init container copies them into its emptyDir.
      expect(spec.initContainers).toEqual([
        expect.objectContaining({
          name: 'coroner-seed-0',
          image: 'docker.io/library/web:1',
          command: ['cp', '-a', '/var/log/app/.', '/coroner-seed/'],
          volumeMounts: [{ name: 'coroner-writable-1', mountPath: '/coroner-seed' }],
        }),
      ]);
    },
  );

  it.skipIf(!hasKubectl)(
    'patches the pod itself when no owner is known, and keeps root when no non-root twin came up',
    () => {
      const pod = `apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: shop}
spec:
  containers: [{name: php, image: web:1}]
`;
      const p = plan({ owner: undefined }, false);
      const patched = kubectlJson(
        writeTemp('pod.yaml', pod),
        writeTemp('pod-patch.yaml', securityPatchYaml(p)),
      );
      const sc = patched.spec.containers[0].securityContext;
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.runAsNonRoot).toBeUndefined();
      expect(p.warnings.join(' ')).toMatch(/stays root/);
      expect(
        kubectlCommands(p, { networkPolicy: 'np.yaml', patch: 'p.yaml' }).join('\n'),
      ).toContain('kubectl patch --local -f pod.yaml --type strategic --patch-file p.yaml');
    },
  );

  it.skipIf(!hasKubectl)('keeps a hostile container name or path a value of the patch', () => {
    const p = plan({ container: 'php"\n      privileged: true', image: 'x\n  hostPID: true' });
    p.writable.push({
      path: '/tmp\n  hostNetwork: true',
      volume: 'coroner-writable-9',
      isSeeded: false,
      why: 'x',
    });
    const yaml = securityPatchYaml(p);
    expect(yaml).toMatch(/^[\x20-\x7e\n]*$/);
    const patched = kubectlJson(
      writeTemp('deploy2.yaml', deployment),
      writeTemp('hostile-patch.yaml', yaml),
    );
    const spec = patched.spec.template.spec;
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.hostPID).toBeUndefined();
    const added = spec.containers.find((c: { name: string }) => c.name.startsWith('php"'));
    expect(added.securityContext.privileged).toBe(false);
  });

  it('names the owner and the node in the commands, shell-quoted', () => {
    const cmds = kubectlCommands(plan({ pod: "web'; rm -rf /" }), {
      networkPolicy: '/cases/x/np.yaml',
      patch: '/cases/x/patch.yaml',
    });
    const text = cmds.join('\n');
    expect(text).toContain(
      'kubectl -n shop patch deployment web --type strategic --patch-file /cases/x/patch.yaml',
    );
    expect(text).toContain(`kubectl -n shop get pod 'web'\\''; rm -rf /' -o wide --show-labels`);
    expect(text).toContain('"node-a"');
  });
});
