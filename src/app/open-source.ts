/**
 * Which evidence source a command reads: the live engine named by DOCKER_HOST,
 * unless a copied Docker data root is named.
 */
import { DeadBoxSource } from '../sources/dead-box/dead-box-source.js';
import { connectDockerLive } from '../sources/docker-live/live-source.js';
import type { EvidenceSource } from '../sources/evidence-source.js';

export interface SourceChoice {
  /** A copied Docker data root (`/var/lib/docker` of a dead box): no engine is contacted. */
  dockerRoot?: string;
  /** The copy of containerd's root beside it, for Docker's containerd image store. */
  containerdRoot?: string;
}

export async function openSource(choice: SourceChoice = {}): Promise<EvidenceSource> {
  return choice.dockerRoot
    ? DeadBoxSource.open(choice.dockerRoot, choice.containerdRoot)
    : connectDockerLive();
}
