import { AmbiguousContainer, ContainerNotFound, UsageError } from '../errors.js';
import type { ContainerSummary, ContainersPlace, EvidenceSource } from './evidence-source.js';

export interface ContainerRef {
  id: string;
  name: string;
}

/** Containers named in a "not found" line at most: enough to spot a typo, never a screenful. */
const NAMED_AT_MOST = 10;

/**
 * Finds the one container `ref` names, as the docker CLI does: full id, then
 * exact name, then a unique id prefix. Pure, so the rules are unit-tested.
 * `place` says where the containers are when no engine can be asked (a dead box):
 * a name that matches none is then answered with the containers that are there.
 */
export function pickContainer(
  ref: string,
  containers: readonly ContainerSummary[],
  place?: ContainersPlace,
): ContainerRef {
  const wanted = ref.trim().replace(/^\//, '');
  if (!wanted) {
    throw new UsageError(
      'no container was named',
      `Give a container name or id (${place ? place.listCommand : 'docker ps -a'} lists them).`,
    );
  }
  const asRef = (c: ContainerSummary): ContainerRef => ({
    id: c.id,
    name: c.names[0] ?? c.id.slice(0, 12),
  });

  const byId = containers.find((c) => c.id === wanted);
  if (byId) return asRef(byId);
  const byName = containers.find((c) => c.names.includes(wanted));
  if (byName) return asRef(byName);
  if (/^[0-9a-f]+$/.test(wanted)) {
    const byPrefix = containers.filter((c) => c.id.startsWith(wanted));
    if (byPrefix.length === 1) return asRef(byPrefix[0]!);
    if (byPrefix.length > 1) throw new AmbiguousContainer(wanted, byPrefix.map(asRef));
  }
  if (!place)
    throw new ContainerNotFound(
      `no container named or with id "${wanted}"`,
      'List containers with `docker ps -a` (or run `coroner` with no argument to pick one).',
    );
  const held = containers
    .slice(0, NAMED_AT_MOST)
    .map((c) => `${c.names[0] ?? '(no name)'} (${c.id.slice(0, 12)})`);
  const more = containers.length - held.length;
  throw new ContainerNotFound(
    `no container named or with id "${wanted}" in ${place.name}; ${
      held.length
        ? `it holds ${held.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
        : 'it holds no container'
    }`,
    `List them with \`${place.listCommand}\`.`,
  );
}

/** The container `ref` names among the source's, by the source's own rules where it has them. */
export async function pickSubject(
  source: Pick<EvidenceSource, 'listContainers' | 'containersPlace' | 'pick'>,
  ref: string,
): Promise<ContainerRef> {
  const containers = await source.listContainers();
  return source.pick
    ? source.pick(ref, containers)
    : pickContainer(ref, containers, source.containersPlace);
}
