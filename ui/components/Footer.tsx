import { Box, Text } from 'ink';

export interface Props {
  readonly keys: readonly (readonly [string, string])[];
  readonly status?: string;
}

/** The key legend every screen shows at the bottom. */
export function Footer({ keys, status }: Props) {
  return (
    <Box flexDirection="column">
      {status ? <Text wrap="truncate">{status}</Text> : null}
      <Text wrap="truncate" dimColor>
        {keys.map(([key, what]) => `${key} ${what}`).join('  ')}
      </Text>
    </Box>
  );
}
