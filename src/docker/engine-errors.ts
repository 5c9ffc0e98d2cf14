import {
  CoronerError,
  EnginePermissionDenied,
  EngineRequestFailed,
  EngineUnreachable,
} from '../errors.js';

interface LowLevelError {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

function engineAddress(): string {
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
      err.statusCode >= 500
        ? 'Check the engine log (journalctl -u docker or the dockerd output) and try again.'
        : 'Check the container or image still exists (docker ps -a, docker images) and try again.',
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

/** HTTP status of an engine failure, if it was one (e.g. 404 for a container removed meanwhile). */
export function engineStatus(e: unknown): number | undefined {
  const cause = (e as { cause?: LowLevelError }).cause;
  return cause?.statusCode ?? (e as LowLevelError).statusCode;
}
