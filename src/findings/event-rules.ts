/**
 * Rules on what the engine recorded about the container (`docker events`): a command
 * run in it through the engine, files copied into it. The engine's own healthchecks
 * are not the attacker's.
 */
import type { Finding } from '../report/finding.js';
import type { EngineEvent } from '../report/process.js';
import { withTechnique } from './change-rules.js';

/** The command line of a healthcheck as the engine's exec events write it. */
export function healthcheckCommand(test: readonly string[] | undefined): string | undefined {
  if (!test?.length || test[0] === 'NONE') return undefined;
  return test[0] === 'CMD-SHELL'
    ? `/bin/sh -c ${test.slice(1).join(' ')}`
    : test.slice(1).join(' ');
}

export function evaluateEvents(events: readonly EngineEvent[], healthcheck?: string): Finding[] {
  const findings: Finding[] = [];
  for (const e of events) {
    const [verb = '', ...rest] = e.action.split(': ');
    const detail = rest.join(': ');
    if (verb === 'exec_create' && detail !== healthcheck)
      findings.push({
        rule: 'engine-exec',
        path: '/',
        severity: 'high',
        reason: `a command was run in the container through the engine (docker exec) at ${e.time}: ${detail.slice(0, 300)}`,
      });
    else if (verb === 'extract-to-dir')
      findings.push({
        rule: 'engine-copy-in',
        path: e.attributes['path'] ?? '/',
        severity: 'medium',
        reason: `files were copied into the container through the engine (docker cp) at ${e.time}`,
      });
    else if (verb === 'attach')
      findings.push({
        rule: 'engine-attach',
        path: '/',
        severity: 'low',
        reason: `someone attached to the container's console through the engine at ${e.time}`,
      });
  }
  return findings.map((f) => withTechnique(f.rule, f.path, f));
}
