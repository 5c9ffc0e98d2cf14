import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useEffect, useState } from 'react';
import type { ContainerSummary } from '../../src/sources/evidence-source.js';
import { safeLine } from '../../src/untrusted.js';
import { ErrorPane } from '../components/ErrorPane.js';
import { Footer } from '../components/Footer.js';
import { windowStart } from '../presentation/colour.js';
import { useTask } from '../hooks/use-task.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';

export interface Props {
  readonly listContainers: (signal: AbortSignal) => Promise<ContainerSummary[]>;
  readonly height: number;
  readonly onPick: (id: string) => void;
}

function uptime(c: ContainerSummary): string {
  return safeLine(c.status, 40);
}

/** Running and stopped containers, type to filter, Enter to triage. */
export function PickScreen({ listContainers, height, onPick }: Props) {
  const { state, start } = useTask(listContainers);
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState(0);
  useEffect(() => start(), [start]);
  const all =
    state.status === 'done' ? state.value.filter((c) => c.labels['coroner.role'] !== 'reader') : [];
  const shown = all.filter((c) =>
    `${c.names.join(' ')} ${c.image} ${c.id}`.toLowerCase().includes(filter.toLowerCase()),
  );
  useScreenKeys((input, key) => {
    if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
    else if (key.downArrow) setSelected((s) => Math.min(shown.length - 1, s + 1));
    else if (key.return && shown[selected]) onPick(shown[selected]!.id);
    else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1));
    else if (input && !key.ctrl && !key.meta && input !== 'q') {
      setFilter((f) => f + input);
      setSelected(0);
    }
  });
  const listHeight = Math.max(2, height - 4);
  const begin = windowStart(selected, listHeight, shown.length);
  return (
    <Box flexDirection="column">
      <Text bold>Pick a container to triage · filter: {filter || '(type to filter)'}</Text>
      {state.status === 'running' ? <Text>Listing containers…</Text> : null}
      {state.status === 'failed' ? <ErrorPane error={state.error} /> : null}
      {state.status === 'done' && shown.length === 0 ? <Text>No containers match.</Text> : null}
      {shown.slice(begin, begin + listHeight).map((c, i) => (
        <Text key={c.id} inverse={begin + i === selected} wrap="truncate">
          {safeLine(c.names[0] ?? c.id.slice(0, 12), 40).padEnd(28)} {c.state.padEnd(8)}{' '}
          {uptime(c).padEnd(22)} {safeLine(c.image, 60)}
        </Text>
      ))}
      <Footer
        keys={[
          ['type', 'filter'],
          ['↑↓', 'move'],
          ['enter', 'triage'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
