import { CoronerError } from '../errors.js';

export class BundleOutputExists extends CoronerError {}
export class BundleWriteFailed extends CoronerError {}
export class CaseFileChanged extends CoronerError {}
export class BundleUnreadable extends CoronerError {}
