/**
 * Expected failures: each says what happened and what the responder can do
 * about it. The CLI prints `message` (and `hint`) and exits non-zero; anything
 * that is not a CoronerError is a bug and keeps its stack trace.
 */
export class CoronerError extends Error {
  /** What to do next, in one sentence. */
  readonly hint: string;
  /** Process exit code the CLI uses for this failure. */
  readonly exitCode: number = 1;

  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

export class EngineUnreachable extends CoronerError {}
export class EnginePermissionDenied extends CoronerError {}
export class EngineRequestFailed extends CoronerError {}
export class ContainerNotFound extends CoronerError {}
export class AmbiguousContainer extends CoronerError {
  constructor(
    readonly ref: string,
    readonly candidates: readonly { id: string; name: string }[],
  ) {
    super(
      `"${ref}" matches ${candidates.length} containers: ${candidates
        .map((c) => `${c.id.slice(0, 12)} (${c.name})`)
        .join(', ')}`,
      'Use a longer id prefix or the full container name.',
    );
  }
}
export class UsageError extends CoronerError {
  override readonly exitCode = 2;
}
export class Cancelled extends CoronerError {
  override readonly exitCode = 130;
  constructor(what: string) {
    super(`${what} was cancelled`, 'Nothing half-written was kept; run the command again.');
  }
}
export class CaseFolderError extends CoronerError {}

/** Why a write to the responder's disk failed, when the cause is the disk and not the data. */
export function diskProblem(e: unknown): 'full' | 'not writable' | 'no folder' | undefined {
  const { code, syscall } = (e ?? {}) as NodeJS.ErrnoException;
  if (!syscall) return undefined; // not a file-system call (an engine stream, say)
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'not writable';
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EEXIST') return 'no folder';
  return undefined;
}

export function isCoronerError(e: unknown): e is CoronerError {
  return e instanceof CoronerError;
}
