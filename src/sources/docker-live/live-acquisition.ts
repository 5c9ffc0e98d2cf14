/**
 * What one live acquisition's parts share once the freeze is done: the engine, the subject,
 * what the freeze kept, the case, and the layer folders on this host (or why not).
 */
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import type { NotCollected } from '../../report/triage-report.js';
import type { AcquireOptions } from '../evidence-source.js';
import type { ContainerRef } from '../pick-container.js';
import type { Engine } from './engine.js';
import type { FrozenEvidence } from './freeze.js';
import type { HostLayers } from './host-layers.js';

export interface LiveAcquisition {
  engine: Engine;
  container: ContainerRef;
  frozen: FrozenEvidence;
  folder: CaseFolder;
  custody: CustodyLog;
  opts: AcquireOptions;
  /** Where what could not be read is said. */
  notCollected: NotCollected[];
  /** The layer folders on this host, and why not where they cannot be read. */
  host: HostLayers | undefined;
  hostReason: string;
}
