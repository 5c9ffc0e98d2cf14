import { AmbiguousContainer, ContainerNotFound, UsageError } from '../errors.js';
import type { ContainerSummary } from './evidence-source.js';

export interface ContainerRef {
  id: string;
  name: string;
}

/**
 * Finds the one container `ref` names, as the docker CLI does: full id, then
 * exact name, then a unique id prefix. Pure, so the rules are unit-tested.
 */
export function pickContainer(ref: string, containers: readonly ContainerSummary[]): ContainerRef {
  const wanted = ref.trim().replace(/^\//, '');
  if (!wanted) {
    throw new UsageError(
      'no container was named',
      'Give a container name or id (docker ps -a lists them).',
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
  throw new ContainerNotFound(
    `no container named or with id "${wanted}"`,
    'List containers with `docker ps -a` (or run `coroner` with no argument to pick one).',
  );
}
