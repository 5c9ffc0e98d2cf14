/**
 * How a responder names a container on a Kubernetes node: `namespace/pod/container`, from
 * the labels the kubelet's CRI plugin puts on it (issue 26). The labels are whatever the
 * container's creator wrote, so only values that could be Kubernetes names are taken as
 * names: a label that is not one (a path, an escape sequence, 4 MiB of text) names nothing.
 */
import { AmbiguousContainer, ContainerNotFound, UsageError } from '../../errors.js';
import { safeLine } from '../../untrusted.js';

export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
export const CRI_KIND_LABEL = 'io.cri-containerd.kind';

export interface CriName {
  namespace: string;
  pod: string;
  container: string;
  uid: string;
}

/** RFC 1123 label, as Kubernetes validates namespaces and container names: at most 63. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain, as Kubernetes validates pod names: dot-separated labels, at most 253. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A pod's UID: a UUID, or the hash a static pod gets; never a path. */
const POD_UID = /^[A-Za-z0-9-]{1,253}$/;

/** The container's Kubernetes name, or undefined when it has none (a sandbox, a container not made by the kubelet, a label that is not a name). */
export function criName(labels: Readonly<Record<string, string>>): CriName | undefined {
  if (labels[CRI_KIND_LABEL] === 'sandbox') return undefined;
  const namespace = labels[POD_NAMESPACE_LABEL] ?? '';
  const pod = labels[POD_NAME_LABEL] ?? '';
  const container = labels[CONTAINER_NAME_LABEL] ?? '';
  const uid = labels[POD_UID_LABEL] ?? '';
  if (!DNS_LABEL.test(namespace) || !DNS_LABEL.test(container)) return undefined;
  if (pod.length > 253 || !DNS_SUBDOMAIN.test(pod)) return undefined;
  if (!POD_UID.test(uid)) return undefined;
  return { namespace, pod, container, uid };
}

export interface NamedContainer {
  id: string;
  labels: Readonly<Record<string, string>>;
}

/** Containers named in a "not found" line at most. */
const NAMED_AT_MOST = 10;

/**
 * The one container `query` names: its full id, `namespace/pod/container`, `pod/container`
 * when only one namespace has it, or a unique id prefix. The kubelet keeps a pod's exited
 * container beside its restart under the same name: when several match and `running` holds
 * exactly one of them, that one is meant.
 */
export function matchSubject<C extends NamedContainer>(
  query: string,
  containers: readonly C[],
  opts: { running?: ReadonlySet<string> } = {},
): C {
  const wanted = query.trim();
  if (!wanted)
    throw new UsageError(
      'no container was named',
      'Give namespace/pod/container or a container id (`coroner list` shows them).',
    );
  const byId = containers.find((c) => c.id === wanted);
  if (byId) return byId;

  const parts = wanted.split('/');
  let matches: C[];
  if (parts.length === 3 || parts.length === 2) {
    const [namespace, pod, container] = parts.length === 3 ? parts : [undefined, ...parts];
    matches = containers.filter((c) => {
      const name = criName(c.labels);
      return (
        !!name &&
        (namespace === undefined || name.namespace === namespace) &&
        name.pod === pod &&
        name.container === container
      );
    });
  } else if (parts.length === 1) {
    matches = containers.filter((c) => c.id.startsWith(wanted));
  } else matches = [];

  if (matches.length > 1 && opts.running) {
    const running = matches.filter((c) => opts.running!.has(c.id));
    if (running.length === 1) return running[0]!;
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new AmbiguousContainer(safeLine(wanted), matches.map(described));

  const held = containers.slice(0, NAMED_AT_MOST).map((c) => {
    const d = described(c);
    return `${d.name} (${d.id.slice(0, 12)})`;
  });
  const more = containers.length - held.length;
  throw new ContainerNotFound(
    `no container is "${safeLine(wanted)}"; ${
      held.length
        ? `containerd holds ${held.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
        : 'containerd holds no container in this namespace'
    }`,
    'Name it as namespace/pod/container, pod/container or by id (`coroner list` shows them).',
  );
}

function described(c: NamedContainer): { id: string; name: string } {
  const name = criName(c.labels);
  return {
    id: safeLine(c.id, 80),
    name: name ? `${name.namespace}/${name.pod}/${name.container}` : '(no Kubernetes name)',
  };
}
