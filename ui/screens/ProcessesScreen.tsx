import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import type { TriageReport } from '../../src/report/triage-report.js';
import { Footer } from '../components/Footer.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { SEVERITY_COLOUR } from '../presentation/change-rows.js';
import { colour } from '../presentation/colour.js';
import { processViewLines } from '../presentation/process-lines.js';

export interface Props {
  readonly report: TriageReport;
  readonly width: number;
  readonly height: number;
  readonly onBack: () => void;
}

/** What ran in the container, its sockets, the engine's events and the mounts read. */
export function ProcessesScreen({ report, width, height, onBack }: Props) {
  const lines = processViewLines(report, width);
  const pageHeight = Math.max(3, height - 2);
  const [top, setTop] = useState(0);
  const last = Math.max(0, lines.length - pageHeight);
  useScreenKeys((input, key) => {
    if (key.escape || input === 'b') onBack();
    else if (key.upArrow) setTop((t) => Math.max(0, t - 1));
    else if (key.downArrow) setTop((t) => Math.min(last, t + 1));
    else if (key.pageUp) setTop((t) => Math.max(0, t - pageHeight));
    else if (key.pageDown) setTop((t) => Math.min(last, t + pageHeight));
  });
  return (
    <Box flexDirection="column">
      {lines.length === 0 ? <Text>Nothing was read beyond the change list.</Text> : null}
      {lines.slice(top, top + pageHeight).map((line) => (
        <Text key={line.key} bold={line.isHeading ?? false} wrap="truncate">
          {line.severity ? (
            <Text color={colour(SEVERITY_COLOUR[line.severity])}>
              {line.severity.toUpperCase().padEnd(9)}
            </Text>
          ) : null}
          {line.text}
        </Text>
      ))}
      <Footer
        keys={[
          ['↑↓ PgUp/PgDn', 'scroll'],
          ['esc', 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
