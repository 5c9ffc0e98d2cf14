import { Box } from 'ink';
import { Text } from './Text.js';
import { isCoronerError } from '../../src/errors.js';
import { safeLine } from '../../src/untrusted.js';

export interface Props {
  readonly error: Error;
}

/** An engine or task failure as a readable message with what to do, never a crash. */
export function ErrorPane({ error }: Props) {
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>Error: {safeLine(error.message, 500)}</Text>
      {isCoronerError(error) ? (
        <Text>{error.hint}</Text>
      ) : (
        <Text dimColor>This looks like a bug in coroner; please report it.</Text>
      )}
    </Box>
  );
}
