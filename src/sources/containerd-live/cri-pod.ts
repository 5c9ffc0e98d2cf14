/**
 * A Kubernetes pod as the kubelet's CRI plugin leaves it in containerd: a container's name
 * (`namespace/pod/container`, from cri-names.ts), its sandbox (the pause container), and
 * the pod's own labels, which the sandbox holds. Labels are whatever whoever created the
 * container wrote: only keys and values Kubernetes allows are kept.
 */
import { CRI_KIND_LABEL } from '../containerd-api/cri-names.js';

export type { CriName as PodContainer } from '../containerd-api/cri-names.js';

/** `namespace/pod/container`: how a responder names it, and how `coroner list` shows it. */
export function podContainerName(p: { namespace: string; pod: string; container: string }): string {
  return `${p.namespace}/${p.pod}/${p.container}`;
}

/** The CRI plugin's sandbox (the pod's pause container), not a container of the pod's spec. */
export function isSandbox(labels: Readonly<Record<string, string>>): boolean {
  return labels[CRI_KIND_LABEL] === 'sandbox';
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
/** A DNS-1123 subdomain: a label key's prefix. */
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  if (slash >= 0 && !DNS_SUBDOMAIN.test(key.slice(0, slash))) return false;
  return /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(name);
}

function isLabelValue(value: string): boolean {
  return value === '' || /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(value);
}
