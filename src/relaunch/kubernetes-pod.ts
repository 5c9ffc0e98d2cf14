/**
 * A Kubernetes pod's container as containerd's CRI plugin records it: who it is (the
 * `io.kubernetes.*` labels the kubelet sets), the pod's own labels (its sandbox
 * container's labels, less those the kubelet and containerd add), and which workload
 * probably owns it (from the labels its controller adds). Pure: the values come from the
 * containerd source, and every one of them is the suspect host's, so untrusted text.
 */

/** The CRI labels the kubelet puts on a pod's containers (kubelet's labels.go). */
export const CRI_LABELS = {
  namespace: 'io.kubernetes.pod.namespace',
  pod: 'io.kubernetes.pod.name',
  podUid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
  /** containerd's CRI plugin: `sandbox` on the pause container, `container` on the others. */
  kind: 'io.cri-containerd.kind',
} as const;

/** The workload whose pod template the patch belongs on, as far as the pod's labels tell. */
export interface PodOwner {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
  /** The label that told (the responder checks it with `kubectl get pod -o jsonpath`). */
  because: string;
}

export interface PodContainer {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  /** containerd's id of the container. */
  containerId: string;
  /** The pod's labels (what a NetworkPolicy selects on). */
  podLabels: Record<string, string>;
  /** The node's name, as the kubelet registers it (its host name unless --hostname-override). */
  node: string;
  /** The image the container was created from, as containerd names it. */
  image: string;
  owner?: PodOwner;
}

/** Labels the kubelet and containerd add to a sandbox, which the pod's spec never had. */
const isAddedLabel = (key: string) =>
  key.startsWith('io.kubernetes.') ||
  key.startsWith('io.cri-containerd.') ||
  key.startsWith('io.containerd.');

/**
 * The pod's own labels, from its sandbox (pause) container's labels: containerd's CRI plugin
 * puts there the pod's labels over the sandbox image's config labels (pkg/cri buildLabels),
 * and its own; a label the API server never saw would make the policy select nothing.
 */
export function podLabelsFromSandbox(
  sandboxLabels: Record<string, string>,
  sandboxImageLabels: Record<string, string> = {},
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(sandboxLabels).filter(
      ([k, v]) => !isAddedLabel(k) && sandboxImageLabels[k] !== v,
    ),
  );
}

/** Whether a container's labels say it is a Kubernetes pod's container (not its sandbox). */
export function isPodContainer(labels: Record<string, string>): boolean {
  return (
    Boolean(
      labels[CRI_LABELS.pod] && labels[CRI_LABELS.namespace] && labels[CRI_LABELS.container],
    ) && labels[CRI_LABELS.kind] !== 'sandbox'
  );
}

/**
 * The workload that probably owns the pod, from the labels its controller adds: a
 * Deployment's ReplicaSet adds `pod-template-hash` and names the pod `<deployment>-<hash>-<x>`;
 * a StatefulSet adds `statefulset.kubernetes.io/pod-name` and names it `<set>-<n>`; a
 * DaemonSet adds `controller-revision-hash` and `pod-template-generation` and names it
 * `<set>-<x>`. Undefined for a bare pod or one these do not describe (a Job's pods, whose
 * template cannot be patched): the patch then goes on the pod.
 */
export function probableOwner(pod: string, labels: Record<string, string>): PodOwner | undefined {
  const hash = labels['pod-template-hash'];
  if (hash) {
    const suffix = `-${hash}-`;
    const at = pod.lastIndexOf(suffix);
    if (at > 0 && /^[a-z0-9]+$/.test(pod.slice(at + suffix.length)))
      return { kind: 'Deployment', name: pod.slice(0, at), because: `pod-template-hash=${hash}` };
  }
  if (labels['statefulset.kubernetes.io/pod-name'] === pod) {
    const m = /^(.+)-\d+$/.exec(pod);
    if (m)
      return {
        kind: 'StatefulSet',
        name: m[1]!,
        because: 'statefulset.kubernetes.io/pod-name',
      };
  }
  if (labels['controller-revision-hash'] && labels['pod-template-generation']) {
    const m = /^(.+)-[a-z0-9]{5}$/.exec(pod);
    if (m) return { kind: 'DaemonSet', name: m[1]!, because: 'pod-template-generation' };
  }
  return undefined;
}

/**
 * The pod's container from containerd's records: its labels, and its pod's sandbox
 * container's labels (undefined when the sandbox is not found: the pod's labels are then
 * unknown, and the quarantine must label the pod itself).
 */
export function podContainerOf(
  containerId: string,
  labels: Record<string, string>,
  image: string,
  sandboxLabels: Record<string, string> | undefined,
  node: string,
  sandboxImageLabels: Record<string, string> = {},
): PodContainer {
  const podLabels = sandboxLabels ? podLabelsFromSandbox(sandboxLabels, sandboxImageLabels) : {};
  const pod = labels[CRI_LABELS.pod] ?? '';
  const owner = probableOwner(pod, podLabels);
  return {
    namespace: labels[CRI_LABELS.namespace] ?? '',
    pod,
    podUid: labels[CRI_LABELS.podUid] ?? '',
    container: labels[CRI_LABELS.container] ?? '',
    containerId,
    podLabels,
    node,
    image,
    ...(owner ? { owner } : {}),
  };
}
