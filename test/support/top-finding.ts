/** What the change rules rank first for a page added with this text, for rule tests. */
import { evaluateChange } from '../../src/findings/change-rules.js';
import { LIKENESS_REASON } from '../../src/findings/web-shell/likeness.js';
import { addedFile } from './change-facts.js';

export const topFinding = (path: string, text: string) => evaluateChange(addedFile(path, text))[0];

/** Whether that first finding is an alarm: high or critical. */
export const isAlarm = (path: string, text: string) =>
  /critical|high/.test(topFinding(path, text)?.severity ?? 'info');

/**
 * Whether a rule raises an alarm: the learned likeness set aside. For a rule's benign near
 * miss, a sketch of a few lines: the likeness is measured on real benign pages by the
 * bench, and a ten-line sketch of a shell's class can read like one to it.
 */
export const isRuleAlarm = (path: string, text: string) =>
  evaluateChange(addedFile(path, text)).some(
    (f) => /critical|high/.test(f.severity) && !f.reason.startsWith(LIKENESS_REASON),
  );
