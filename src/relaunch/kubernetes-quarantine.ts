/**
 * What the responder applies to the cluster, written by coroner beside the case: a
 * NetworkPolicy that denies the pod all traffic, and a strategic merge patch that puts the
 * learnt securityContext, emptyDirs and limits on the pod template of the workload that
 * owns it, with the exact kubectl commands. Pure text; every value from the suspect host
 * (namespace, pod, labels, paths) is a double-quoted YAML scalar with everything outside
 * printable ASCII escaped, so no label can add a key, a document or a line.
 * (NetworkPolicy: https://kubernetes.io/docs/concepts/services-networking/network-policies/;
 * strategic merge patch: containers merge by name, volumes by name, volumeMounts by mountPath.)
 */
import type { KubernetesPlan } from './kubernetes-plan.js';
import type { PodContainer } from './kubernetes-pod.js';

/** A YAML double-quoted scalar (YAML 1.2 §7.3.1): only printable ASCII is left as it is. */
export function yamlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\\uFFFD'; // a lone surrogate
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** A shell word: single-quoted unless plainly safe. */
export function shellWord(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

// Kubernetes' own syntax for label keys and values (apimachinery validation).
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function isValidLabel(key: string, value: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return false;
  return LABEL_NAME.test(name) && (value === '' || LABEL_NAME.test(value));
}

/** The label coroner asks the responder to put on the pod when its own labels cannot select it. */
export const QUARANTINE_LABEL = 'coroner.io/quarantine';

/** A DNS-1123 name from untrusted text: lower case, other characters as `-`, bounded. */
export function dnsName(prefix: string, text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63 - prefix.length - 1)
    .replace(/-+$/, '');
  return slug ? `${prefix}-${slug}` : prefix;
}

export interface PodSelection {
  matchLabels: Record<string, string>;
  /** Set when the pod's labels cannot select it: the responder labels the pod with this first. */
  addLabel?: { key: string; value: string };
  /** Labels left out because Kubernetes would refuse them (the node's records were altered). */
  refused: string[];
}

/**
 * What selects the pod: its own labels (with its controller's revision hash among them, so
 * the pods a patched template starts are not selected); never an empty selector, which
 * would select every pod of the namespace.
 */
export function podSelection(subject: PodContainer): PodSelection {
  const valid = Object.entries(subject.podLabels).filter(([k, v]) => isValidLabel(k, v));
  const refused = Object.keys(subject.podLabels).filter((k) => !valid.some(([key]) => key === k));
  if (valid.length) return { matchLabels: Object.fromEntries(valid), refused };
  const addLabel = { key: QUARANTINE_LABEL, value: dnsName('pod', subject.podUid || subject.pod) };
  return { matchLabels: { [addLabel.key]: addLabel.value }, addLabel, refused };
}

export function networkPolicyName(subject: PodContainer): string {
  return dnsName('coroner-quarantine', subject.pod);
}

/** A NetworkPolicy that denies the pod every connection, in and out. */
export function networkPolicyYaml(subject: PodContainer): string {
  const selection = podSelection(subject);
  return [
    '# Written by coroner: denies all traffic to and from the quarantined pod.',
    `# Pod ${yamlString(`${subject.namespace}/${subject.pod}`)} on node ${yamlString(subject.node)}`,
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata:',
    `  name: ${yamlString(networkPolicyName(subject))}`,
    `  namespace: ${yamlString(subject.namespace)}`,
    '  labels:',
    `    ${yamlString('app.kubernetes.io/managed-by')}: ${yamlString('coroner')}`,
    'spec:',
    '  podSelector:',
    '    matchLabels:',
    ...Object.entries(selection.matchLabels).map(
      ([k, v]) => `      ${yamlString(k)}: ${yamlString(v)}`,
    ),
    '  policyTypes:',
    '    - Ingress',
    '    - Egress',
    '  ingress: []',
    '  egress: []',
    '',
  ].join('\n');
}

const MIB = 1024 * 1024;

/** The strategic merge patch: on the owner's pod template, else on the pod itself. */
export function securityPatchYaml(plan: KubernetesPlan): string {
  const { subject } = plan;
  const indent = subject.owner ? '      ' : '  ';
  const lines = [
    `# Written by coroner: the hardened settings clean twins proved for container ${yamlString(subject.container)}.`,
    `# Apply with: kubectl patch --type strategic --patch-file (see kubectl.txt).`,
    'spec:',
    ...(subject.owner ? ['  template:', '    spec:'] : []),
  ];
  const at = (depth: number, text: string) => lines.push(`${indent}${'  '.repeat(depth)}${text}`);
  at(0, 'containers:');
  at(1, `- name: ${yamlString(subject.container)}`);
  at(2, 'securityContext:');
  at(3, 'readOnlyRootFilesystem: true');
  at(3, 'allowPrivilegeEscalation: false');
  at(3, 'privileged: false');
  at(3, 'capabilities:');
  at(4, 'drop:');
  at(5, '- "ALL"');
  if (plan.capAdd.length) {
    at(4, 'add:');
    for (const cap of plan.capAdd) at(5, `- ${yamlString(cap)}`);
  }
  if (plan.isNonRoot && plan.user) {
    at(3, 'runAsNonRoot: true');
    at(3, `runAsUser: ${plan.user.uid}`);
    at(3, `runAsGroup: ${plan.user.gid}`);
  }
  at(2, 'resources:');
  at(3, 'limits:');
  at(4, `memory: ${yamlString(`${Math.max(1, Math.round(plan.memoryBytes / MIB))}Mi`)}`);
  at(4, `cpu: ${yamlString(`${plan.cpuMillis}m`)}`);
  if (plan.writable.length) {
    at(2, 'volumeMounts:');
    for (const w of plan.writable) {
      at(3, `- name: ${yamlString(w.volume)}`);
      at(4, `mountPath: ${yamlString(w.path)}`);
    }
  }
  const seeded = plan.writable.filter((w) => w.isSeeded);
  if (seeded.length) {
    // An emptyDir starts empty: copy what the image holds there first, from the same image.
    at(0, 'initContainers:');
    seeded.forEach((w, i) => {
      at(1, `- name: ${yamlString(`coroner-seed-${i}`)}`);
      at(2, `image: ${yamlString(subject.image)}`);
      at(
        2,
        `command: [${['cp', '-a', `${w.path}/.`, '/coroner-seed/'].map(yamlString).join(', ')}]`,
      );
      at(2, 'securityContext:');
      at(3, 'readOnlyRootFilesystem: true');
      at(3, 'allowPrivilegeEscalation: false');
      at(3, 'capabilities:');
      at(4, 'drop:');
      at(5, '- "ALL"');
      if (plan.isNonRoot && plan.user) {
        at(3, `runAsUser: ${plan.user.uid}`);
        at(3, `runAsGroup: ${plan.user.gid}`);
      }
      at(2, 'volumeMounts:');
      at(3, `- name: ${yamlString(w.volume)}`);
      at(4, 'mountPath: "/coroner-seed"');
    });
  }
  if (plan.writable.length) {
    at(0, 'volumes:');
    for (const w of plan.writable) {
      at(1, `- name: ${yamlString(w.volume)}`);
      at(2, 'emptyDir:');
      at(3, 'sizeLimit: "64Mi"');
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** Where the written files are, for the commands. */
export interface QuarantineFiles {
  networkPolicy: string;
  patch: string;
}

/** The kubectl commands, in the order to run them, each with why (shell-quoted, untrusted). */
export function kubectlCommands(plan: KubernetesPlan, files: QuarantineFiles): string[] {
  const { subject } = plan;
  const ns = `-n ${shellWord(subject.namespace)}`;
  const pod = shellWord(subject.pod);
  const selection = podSelection(subject);
  const lines = [
    `# 1. Check the pod is the one triaged: on node ${yamlString(subject.node)}, uid ${yamlString(subject.podUid)}, and its owner.`,
    `kubectl ${ns} get pod ${pod} -o wide --show-labels`,
    `kubectl ${ns} get pod ${pod} -o jsonpath='{.spec.nodeName} {.metadata.uid} {.metadata.ownerReferences[*].kind}/{.metadata.ownerReferences[*].name}{"\\n"}'`,
  ];
  if (selection.addLabel)
    lines.push(
      '# 2. The pod has no label a NetworkPolicy can select: label it first.',
      `kubectl ${ns} label pod ${pod} ${shellWord(`${selection.addLabel.key}=${selection.addLabel.value}`)}`,
    );
  lines.push(
    `# ${selection.addLabel ? 3 : 2}. Deny it all traffic, in and out (needs a network plugin that enforces NetworkPolicy).`,
    `kubectl apply -f ${shellWord(files.networkPolicy)}`,
  );
  const step = selection.addLabel ? 4 : 3;
  if (subject.owner) {
    const kind = subject.owner.kind.toLowerCase();
    lines.push(
      `# ${step}. Harden the ${subject.owner.kind} that owns it (by its ${yamlString(subject.owner.because)} label; the check above names the owner): its pods roll over to the hardened template.`,
      '#    The rollout replaces the old pods, this one too: the kubelet then kills its paused task. The evidence is in the case; to keep the paused container for memory forensics, run this step later.',
      `kubectl ${ns} patch ${kind} ${shellWord(subject.owner.name)} --type strategic --patch-file ${shellWord(files.patch)}`,
      `kubectl ${ns} rollout status ${kind} ${shellWord(subject.owner.name)}`,
    );
  } else {
    lines.push(
      `# ${step}. A pod's securityContext cannot be changed in place: write the hardened pod, then create it under a new name.`,
      `kubectl ${ns} get pod ${pod} -o yaml > pod.yaml`,
      `kubectl patch --local -f pod.yaml --type strategic --patch-file ${shellWord(files.patch)} -o yaml > pod-hardened.yaml`,
      '# edit metadata.name (and drop status, uid, resourceVersion) in pod-hardened.yaml, then:',
      'kubectl apply -f pod-hardened.yaml',
    );
  }
  return lines;
}
