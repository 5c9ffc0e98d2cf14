import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import type { Finding } from '../../src/report/finding.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { safeLine } from '../../src/untrusted.js';
import { Footer } from '../components/Footer.js';
import { SEVERITY_COLOUR } from '../presentation/change-rows.js';
import { colour, windowStart } from '../presentation/colour.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { attackTag } from '../../src/findings/attack.js';

export interface Props {
  readonly report: TriageReport;
  readonly height: number;
  readonly onOpen: (finding: Finding) => void;
  readonly onBack: () => void;
}

/** Every finding, ranked, each with its reason and the exposure of the container itself. */
export function FindingsScreen({ report, height, onOpen, onBack }: Props) {
  const findings = report.findings.filter((f) => f.severity !== 'info');
  const exposure = report.exposure.filter((e) => !e.passed);
  const [selected, setSelected] = useState(0);
  useScreenKeys((input, key) => {
    if (key.escape || input === 'b') onBack();
    else if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
    else if (key.downArrow) setSelected((s) => Math.min(findings.length - 1, s + 1));
    else if (key.return && findings[selected]) onOpen(findings[selected]!);
  });
  const listHeight = Math.max(2, height - Math.min(exposure.length, 6) - 4);
  const start = windowStart(selected, listHeight, findings.length);
  return (
    <Box flexDirection="column">
      <Text bold>Findings, ranked ({findings.length})</Text>
      {findings.slice(start, start + listHeight).map((f, i) => (
        <Text key={start + i} inverse={start + i === selected} wrap="truncate">
          <Text color={colour(SEVERITY_COLOUR[f.severity])}>
            {f.severity.toUpperCase().padEnd(9)}
          </Text>
          {f.pid !== undefined ? `pid ${f.pid} ` : ''}
          {safeLine(f.path, 120)} — {safeLine(f.reason, 200)}
          {attackTag(f)}
        </Text>
      ))}
      <Text bold>Exposure (CIS Docker Benchmark v1.6.0)</Text>
      {exposure.slice(0, 6).map((e) => (
        <Text key={e.cis} wrap="truncate">
          <Text color={colour(SEVERITY_COLOUR[e.severity])}>{e.cis.padEnd(6)}</Text>
          {e.title}: {safeLine(e.detail, 200)}
        </Text>
      ))}
      <Footer
        keys={[
          ['↑↓', 'move'],
          ['enter', 'open file'],
          ['esc', 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
