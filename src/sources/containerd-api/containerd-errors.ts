/** containerd's expected failures: each says what happened and what the responder can do. */
import { CoronerError } from '../../errors.js';

const REACH_HINT =
  'Is containerd running? Name its socket with --containerd ADDRESS or CONTAINERD_ADDRESS; run as root.';

export class ContainerdUnreachable extends CoronerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, REACH_HINT, options);
  }
}

export class ContainerdPermissionDenied extends CoronerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, REACH_HINT, options);
  }
}

/** containerd answered, but refused or failed the call (its gRPC status is kept). */
export class ContainerdRequestFailed extends CoronerError {
  constructor(
    message: string,
    readonly code: number,
    options?: { cause?: unknown },
  ) {
    super(message, "See containerd's log on the node for why; the call can be retried.", options);
  }
}

/** The daemon's reply broke a bound coroner keeps (too many entries, a spec too large). */
export class ContainerdReplyRefused extends CoronerError {
  constructor(message: string) {
    super(
      message,
      'The containerd on this host may be compromised or misbehaving: triage it from a copy of its root (dead box) instead.',
    );
  }
}
