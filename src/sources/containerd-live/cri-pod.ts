/**
 * A Kubernetes pod's container as the kubelet's CRI plugin leaves it in containerd: which
 * pod and container it is, from the `io.kubernetes.*` labels the kubelet set, and the
 * pod's own labels from its sandbox (the pause container). Labels are whatever whoever
 * created the container wrote, so a name is taken only when it is one Kubernetes allows:
 * these names become folder names (the pod's log folder) and command lines.
 */

export const CRI_LABELS = {
  namespace: 'io.kubernetes.pod.namespace',
  pod: 'io.kubernetes.pod.name',
  uid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
  kind: 'io.cri-containerd.kind',
} as const;

export interface PodContainer {
  namespace: string;
  pod: string;
  container: string;
  /** The pod's uid, when it looks like one (names the pod's log folder). */
  uid?: string;
}

/** A DNS-1123 label: a namespace or a container name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain: a pod name. */
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const POD_UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The pod container the labels name, or undefined when they name none Kubernetes allows. */
export function podContainerOf(labels: Readonly<Record<string, string>>): PodContainer | undefined {
  const namespace = labels[CRI_LABELS.namespace];
  const pod = labels[CRI_LABELS.pod];
  const container = labels[CRI_LABELS.container];
  if (!namespace || !DNS_LABEL.test(namespace)) return undefined;
  if (!pod || !DNS_SUBDOMAIN.test(pod)) return undefined;
  if (!container || !DNS_LABEL.test(container)) return undefined;
  const uid = labels[CRI_LABELS.uid];
  return { namespace, pod, container, ...(uid && POD_UID.test(uid) ? { uid } : {}) };
}

/** `namespace/pod/container`: how a responder names it, and how `coroner list` shows it. */
export function podContainerName(p: PodContainer): string {
  return `${p.namespace}/${p.pod}/${p.container}`;
}

/** The CRI plugin's sandbox (the pod's pause container), not a container of the pod's spec. */
export function isSandbox(labels: Readonly<Record<string, string>>): boolean {
  return labels[CRI_LABELS.kind] === 'sandbox';
}

/**
 * The pod's own labels, as its sandbox holds them: the kubelet gives the sandbox the pod's
 * labels beside its `io.kubernetes.*` ones. Those of Kubernetes and containerd are left
 * out; only keys and values Kubernetes allows are kept (they go into a NetworkPolicy).
 */
export function podLabelsOf(
  sandboxLabels: Readonly<Record<string, string>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(sandboxLabels)) {
    if (/^io\.(kubernetes|cri-containerd)\./.test(key) || key.startsWith('io.containerd.'))
      continue;
    if (isLabelKey(key) && isLabelValue(value)) kept[key] = value;
  }
  return kept;
}

/** `[prefix/]name`: the prefix a DNS subdomain, the name 63 characters of [A-Za-z0-9._-]. */
function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  if (slash >= 0 && !DNS_SUBDOMAIN.test(key.slice(0, slash))) return false;
  return /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(name);
}

function isLabelValue(value: string): boolean {
  return value === '' || /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(value);
}
