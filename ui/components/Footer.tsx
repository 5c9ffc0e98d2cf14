import { Box } from 'ink';
import { Text } from './Text.js';
import { footerLines } from '../presentation/footer-lines.js';

export interface Props {
  readonly keys: readonly (readonly [string, string])[];
  readonly status?: string;
  /** The terminal's width: the legend wraps to fit it, whole keys only (else one line). */
  readonly width?: number;
}

/** The key legend every screen shows at the bottom. */
export function Footer({ keys, status, width }: Props) {
  const lines = width
    ? footerLines(keys, width)
    : [keys.map(([key, what]) => `${key} ${what}`).join('  ')];
  return (
    <Box flexDirection="column">
      {status ? <Text wrap="truncate">{status}</Text> : null}
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate" dimColor>
          {line}
        </Text>
      ))}
    </Box>
  );
}
