/**
 * What ranks a change, and what the suspect's own configuration exposed:
 * plain, JSON-able results that the summary, the reports and the console show.
 */
import type { Severity } from './severity.js';

export interface RuleHit {
  severity: Severity;
  reason: string;
  /** The MITRE ATT&CK technique id of what was seen (`T1505.003`), when one fits. */
  attack?: string;
}

export interface Finding extends RuleHit {
  rule: string;
  /** The path the finding is about (a process's executable for a process finding). */
  path: string;
  /** For findings about a running process: its pid on the engine's host. */
  pid?: number;
}

export interface ExposureCheck {
  /** CIS Docker Benchmark v1.6.0 item, e.g. "5.5". */
  cis: string;
  title: string;
  passed: boolean;
  severity: Severity;
  /** What was found in the runtime configuration. */
  detail: string;
  /** What a failure meant for this incident. */
  meaning: string;
  /** True when failing means the host itself must be treated as compromised. */
  isHostCompromise?: boolean;
}
