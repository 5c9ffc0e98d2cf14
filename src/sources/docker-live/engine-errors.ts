import {
  CoronerError,
  EnginePermissionDenied,
  EngineRequestFailed,
  EngineUnreachable,
  UsageError,
} from '../../errors.js';

interface LowLevelError {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The engine's address, as coroner names it to the responder. */
export function engineAddress(): string {
  return process.env['DOCKER_HOST'] || 'unix:///var/run/docker.sock';
}

/**
 * Turns a dockerode/socket failure into a typed error a responder can act on.
 * Decided by errno and HTTP status, never by matching the daemon's text.
 */
export function translateEngineError(e: unknown, action: string): Error {
  if (e instanceof CoronerError) return e;
  const err = (e ?? {}) as LowLevelError;
  const where = engineAddress();
  switch (err.code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EPIPE':
      return new EngineUnreachable(
        `no Docker engine answers at ${where} (${err.code} while ${action})`,
        'Start the engine (as root: dockerd, or npm run engine), or point DOCKER_HOST at a running one.',
        { cause: e },
      );
    case 'EACCES':
    case 'EPERM':
      return new EnginePermissionDenied(
        `permission denied on ${where} while ${action}`,
        'Run coroner as root or as a member of the docker group (the socket is root-equivalent).',
        { cause: e },
      );
  }
  if (typeof err.statusCode === 'number') {
    const detail = err.json?.message ?? err.reason ?? 'no detail';
    return new EngineRequestFailed(
      `the engine refused ${action}: HTTP ${err.statusCode}, ${detail}`,
      hintForStatus(err.statusCode),
      { cause: e },
    );
  }
  if (e instanceof Error && /DOCKER_HOST/.test(e.message)) {
    return new EngineUnreachable(
      `DOCKER_HOST=${where} is not an address coroner understands`,
      'Use unix:///path/to/docker.sock or tcp://host:port.',
      { cause: e },
    );
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** What to do about an engine's refusal, by its HTTP status (never by its text). */
function hintForStatus(status: number): string {
  if (status >= 500)
    return 'Check the engine log (journalctl -u docker or the dockerd output) and try again.';
  if (status === 404)
    return 'Check the container or image still exists (docker ps -a, docker images) and try again.';
  if (status === 409)
    return 'The container is not in a state that allows it (check docker ps -a: paused, stopped, removed meanwhile), then try again.';
  return "The engine refused the request itself (its reason is above): check the engine's version and settings (docker version, docker info), then try again.";
}

/** HTTP status of an engine failure, if it was one (e.g. 404 for a container removed meanwhile). */
export function engineStatus(e: unknown): number | undefined {
  const cause = (e as { cause?: LowLevelError }).cause;
  return cause?.statusCode ?? (e as LowLevelError).statusCode;
}

/** A commit of a very large container is silent until done: minutes, not tens of them. */
const DEFAULT_ENGINE_TIMEOUT_SECONDS = 600;
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** How long one request may go without a byte from the engine: CORONER_ENGINE_TIMEOUT seconds. */
export function engineTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['CORONER_ENGINE_TIMEOUT'];
  if (text === undefined || text === '') return DEFAULT_ENGINE_TIMEOUT_SECONDS * 1000;
  const seconds = Number(text);
  // Node's timers take at most 2^31-1 ms; a longer one would fire at once.
  if (!(seconds > 0 && seconds <= MAX_TIMER_SECONDS))
    throw new UsageError(
      `CORONER_ENGINE_TIMEOUT=${text} is not a number of seconds`,
      `Set it to a positive number up to ${MAX_TIMER_SECONDS} (default ${DEFAULT_ENGINE_TIMEOUT_SECONDS}), or unset it.`,
    );
  return seconds * 1000;
}

export function isConnectionReset(e: unknown): boolean {
  return (e as LowLevelError | null)?.code === 'ECONNRESET';
}

export function engineStoppedAnswering(action: string, idleMs: number): EngineUnreachable {
  const seconds = idleMs / 1000;
  return new EngineUnreachable(
    `the Docker engine at ${engineAddress()} stopped answering: nothing for ${seconds} s while ${action}`,
    `It may be hung (try \`docker info\`; read the dockerd log); restart it, or for a slow engine raise CORONER_ENGINE_TIMEOUT (seconds, now ${seconds}).`,
  );
}
