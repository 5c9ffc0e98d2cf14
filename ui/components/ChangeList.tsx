import { Box, Text } from 'ink';
import type { ChangedPath } from '../../src/triage.js';
import { changeRows, SEVERITY_COLOUR } from '../presentation/change-rows.js';

export interface Props {
  readonly changes: readonly ChangedPath[];
  readonly width?: number;
  readonly selected?: number;
}

/** The ranked change list: marker, severity, path, and the top reason. */
export function ChangeList({ changes, width = 80, selected = 0 }: Props) {
  const rows = changeRows(changes, width);
  if (rows.length === 0) return <Text>No changes.</Text>;
  return (
    <Box flexDirection="column">
      {rows.map((row, i) => (
        <Box key={row.key} flexDirection="column">
          <Text inverse={i === selected}>
            {row.marker}{' '}
            <Text color={SEVERITY_COLOUR[row.severity]}>
              {row.severity.toUpperCase().padEnd(9)}
            </Text>
            {row.path}
          </Text>
          <Text dimColor>{'    ' + row.reason}</Text>
        </Box>
      ))}
    </Box>
  );
}
