/**
 * Which Engine API version coroner speaks to an engine: the engine's own newest, up to the
 * newest coroner has read every change of against the calls it makes, never below what the
 * engine accepts. Docker 29 refuses every client older than API 1.44; an engine older than
 * the oldest coroner supports is refused at once, in one line, rather than halfway through
 * a freeze. https://docs.docker.com/reference/api/engine/version-history/
 */
import { CoronerError } from '../../errors.js';

/**
 * The newest API version coroner speaks (Docker 26.1). Between 1.41 and 1.45, of what coroner
 * sends and reads: image inspect lost VirtualSize (1.44), Container and ContainerConfig
 * (1.45); a network's Aliases no longer hold the short id (1.45, relaunch already drops it).
 * Changes, commit, archive, export, save, events, top, logs, create and update are unchanged.
 */
export const NEWEST_API = '1.45';

/** The oldest API version coroner speaks (Docker 19.03); an older engine is refused. */
export const OLDEST_API = '1.40';

/** What the unversioned `GET /version` says of the engine's API. */
export interface EngineApiRange {
  /** The newest version the engine speaks. */
  ApiVersion?: string;
  /** The oldest it accepts; absent on engines that do not say (Podman's service, old Docker). */
  MinAPIVersion?: string;
}

/** The engine and coroner share no API version. */
export class EngineApiUnsupported extends CoronerError {}

function parts(version: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b`. */
export function compareApiVersions(a: string, b: string): number {
  const [a1, a2] = parts(a) ?? [0, 0];
  const [b1, b2] = parts(b) ?? [0, 0];
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/**
 * The version to speak to an engine, or why there is none. `where` names the engine
 * (DOCKER_HOST) in the refusal.
 */
export function negotiateApiVersion(engine: EngineApiRange, where: string): string {
  const newest = engine.ApiVersion && parts(engine.ApiVersion) ? engine.ApiVersion.trim() : '';
  if (!newest)
    throw new EngineApiUnsupported(
      `the engine at ${where} did not say which Engine API version it speaks (its /version answer has no ApiVersion)`,
      `Check DOCKER_HOST names a Docker engine (or Podman's Docker-compatible service); coroner speaks API ${OLDEST_API} to ${NEWEST_API}.`,
    );
  if (compareApiVersions(newest, OLDEST_API) < 0)
    throw new EngineApiUnsupported(
      `the engine at ${where} speaks Engine API ${newest} at most; coroner needs ${OLDEST_API} or newer (Docker 19.03)`,
      'Upgrade the engine, or triage a copy of its data root with --docker-root.',
    );
  const oldest = engine.MinAPIVersion && parts(engine.MinAPIVersion) ? engine.MinAPIVersion : '';
  if (oldest && compareApiVersions(oldest, NEWEST_API) > 0)
    throw new EngineApiUnsupported(
      `the engine at ${where} refuses Engine API versions older than ${oldest}; coroner speaks ${NEWEST_API} at most`,
      `Use a coroner that speaks API ${oldest}, or start the engine with DOCKER_MIN_API_VERSION=${NEWEST_API} (Docker 25 or later).`,
    );
  return compareApiVersions(newest, NEWEST_API) < 0 ? newest : NEWEST_API;
}

/**
 * The engine refused the version coroner speaks, though it accepted it when coroner
 * connected (restarted meanwhile with a higher floor, or another engine behind the address).
 */
export function apiRefused(action: string, spoken: string, engine: EngineApiRange, where: string) {
  return new EngineApiUnsupported(
    `the engine at ${where} refused ${action}: it now accepts Engine API ${engine.MinAPIVersion ?? '?'} to ${engine.ApiVersion ?? '?'}, and coroner spoke ${spoken}`,
    'The engine changed under coroner (restarted with another DOCKER_MIN_API_VERSION, or upgraded): run coroner again, and it speaks the version the engine takes now.',
  );
}
