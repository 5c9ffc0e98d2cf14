/**
 * Which evidence source a command reads: the live engine named by DOCKER_HOST, unless a
 * copied Docker data root or a containerd (a Kubernetes node) is named.
 */
import { DeadBoxSource } from '../sources/dead-box/dead-box-source.js';
import { connectDockerLive } from '../sources/docker-live/live-source.js';
import type { EvidenceSource } from '../sources/evidence-source.js';

export interface SourceChoice {
  /** A copied Docker data root (`/var/lib/docker` of a dead box): no engine is contacted. */
  dockerRoot?: string;
  /** The copy of containerd's root beside it, for Docker's containerd image store. */
  containerdRoot?: string;
  /** A live containerd (a Kubernetes node): its socket, or '' for CONTAINERD_ADDRESS or the default. */
  containerd?: string;
  /** With containerd: the kubelet's pod log folder. */
  podLogs?: string;
}

export async function openSource(choice: SourceChoice = {}): Promise<EvidenceSource> {
  if (choice.containerd !== undefined) {
    const [{ ContainerdSource }, { containerdAddressFrom }] = await Promise.all([
      import('../sources/containerd-live/containerd-source.js'),
      import('../sources/containerd-api/containerd-client.js'),
    ]);
    return ContainerdSource.connect(
      containerdAddressFrom(process.env, choice.containerd || undefined),
      choice.podLogs !== undefined ? { podLogs: choice.podLogs } : {},
    );
  }
  return choice.dockerRoot
    ? DeadBoxSource.open(choice.dockerRoot, choice.containerdRoot)
    : connectDockerLive();
}
