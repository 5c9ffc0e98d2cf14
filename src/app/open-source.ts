/**
 * Which evidence source a command reads: the live engine named by DOCKER_HOST, unless a
 * copied Docker data root, a containerd (a Kubernetes node) or a checkpoint archive is named.
 */
import { CheckpointSource } from '../sources/checkpoint/checkpoint-source.js';
import { localImageStore } from './local-image-store.js';
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
  /** A container checkpoint archive (the kubelet's or podman's): no engine is contacted. */
  checkpoint?: string;
  /** With checkpoint: the image it ran from, as a `docker save` or OCI layout archive. */
  image?: string;
}

export async function openSource(choice: SourceChoice = {}): Promise<EvidenceSource> {
  if (choice.checkpoint) {
    // Without an image archive, the local engine's store is asked for the checkpoint's image.
    const store = choice.image ? undefined : localImageStore();
    return CheckpointSource.open(choice.checkpoint, {
      ...(choice.image ? { archive: choice.image } : {}),
      ...(store ? { store } : {}),
    });
  }
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
