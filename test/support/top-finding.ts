/** What the change rules rank first for a page added with this text, for rule tests. */
import { evaluateChange } from '../../src/findings/change-rules.js';
import { addedFile } from './change-facts.js';

export const topFinding = (path: string, text: string) => evaluateChange(addedFile(path, text))[0];

/** Whether that first finding is an alarm: high or critical. */
export const isAlarm = (path: string, text: string) =>
  /critical|high/.test(topFinding(path, text)?.severity ?? 'info');
