/** The chain-of-custody log as plain text, one action per line, times in UTC. */
import type { CustodyLog } from '../case/custody.js';
import { safeLine } from '../untrusted.js';

export function custodyText(custody: CustodyLog): string {
  const h = custody.header;
  const lines = [
    'coroner chain of custody',
    `operator: ${h.user} (uid ${h.uid ?? 'n/a'}) on ${h.host}`,
    `command:  ${h.commandLine.map((a) => JSON.stringify(a)).join(' ')}`,
    `started:  ${h.startedAt}`,
    `clock:    ${h.clockSource}`,
    '',
    'time (UTC)                | result  | action | target | detail',
  ];
  for (const a of custody.actions) {
    lines.push(
      `${a.at} | ${a.result.padEnd(7)} | ${a.action} | ${safeLine(a.target, 300)}${a.detail ? ` | ${safeLine(a.detail, 500)}` : ''}`,
    );
  }
  return lines.join('\n') + '\n';
}
