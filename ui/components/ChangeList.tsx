import { Box } from 'ink';
import { Text } from './Text.js';
import type { ChangedPath } from '../../src/report/change.js';
import { depthOf } from '../presentation/change-filter.js';
import { changeRows, SEVERITY_COLOUR } from '../presentation/change-rows.js';
import { colour, windowStart } from '../presentation/colour.js';

export interface Props {
  readonly changes: readonly ChangedPath[];
  readonly width?: number;
  readonly height?: number;
  readonly selected?: number;
  readonly isTree?: boolean;
}

/** The change list: A/C/D marker, severity, path and top reason; flat (ranked) or as a tree. */
export function ChangeList({
  changes,
  width = 80,
  height = 40,
  selected = 0,
  isTree = false,
}: Props) {
  const rows = changeRows(changes, width, isTree);
  if (rows.length === 0) return <Text>No changes match.</Text>;
  const perRow = isTree ? 1 : 2;
  const visible = Math.max(1, Math.floor(height / perRow));
  const start = windowStart(selected, visible, rows.length);
  return (
    <Box flexDirection="column">
      {rows.slice(start, start + visible).map((row, i) => (
        <Box key={row.key} flexDirection="column">
          <Text inverse={start + i === selected} wrap="truncate" dimColor={row.isParentOnly}>
            {isTree ? '  '.repeat(Math.max(0, depthOf(row.key))) : ''}
            {row.marker}{' '}
            <Text color={colour(SEVERITY_COLOUR[row.severity])}>
              {row.severity.toUpperCase().padEnd(9)}
            </Text>
            {row.path}
          </Text>
          {isTree ? null : (
            <Text dimColor wrap="truncate">
              {'    ' + row.reason}
            </Text>
          )}
        </Box>
      ))}
    </Box>
  );
}
