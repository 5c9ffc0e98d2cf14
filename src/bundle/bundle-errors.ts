import { CoronerError } from '../errors.js';

export class BundleOutputExists extends CoronerError {}
export class BundleWriteFailed extends CoronerError {}
export class CaseFileChanged extends CoronerError {}
export class BundleUnreadable extends CoronerError {}
/** A bundle whose archive tar would read otherwise than verify did: refused whole, exit code 4 (tampered). */
export class BundleForged extends CoronerError {
  override readonly exitCode = 4;
}
