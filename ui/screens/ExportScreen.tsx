import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useCallback, useEffect, useState } from 'react';
import type { BundleResult } from '../../src/bundle/write-bundle.js';
import { ErrorPane } from '../components/ErrorPane.js';
import { Footer } from '../components/Footer.js';
import { useTask } from '../hooks/use-task.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';

export interface Props {
  /** Writes the bundle; reports progress; honours the signal (leaving cancels it cleanly). */
  readonly exportBundle: (
    signal: AbortSignal,
    onProgress: (step: string, bytes: number) => void,
  ) => Promise<BundleResult>;
  readonly width: number;
  readonly onBack: () => void;
}

function bar(bytes: number, width: number): string {
  // The total is unknown until the image is saved: show a moving meter, not a fake percentage.
  const mib = bytes / 2 ** 20;
  const cells = Math.max(10, Math.min(40, width - 30));
  const filled = Math.floor(mib) % (cells + 1);
  return `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}] ${mib.toFixed(1)} MiB`;
}

/** Writes the evidence bundle with progress, then shows where it is and its manifest hash. */
export function ExportScreen({ exportBundle, width, onBack }: Props) {
  const [progress, setProgress] = useState({ step: 'starting', bytes: 0 });
  const work = useCallback(
    (signal: AbortSignal) => exportBundle(signal, (step, bytes) => setProgress({ step, bytes })),
    [exportBundle],
  );
  const { state, start, cancel } = useTask(work);
  useEffect(() => start(), [start]);
  useScreenKeys((input, key) => {
    if (key.escape || input === 'b') {
      cancel();
      onBack();
    }
  });
  return (
    <Box flexDirection="column">
      <Text bold>Export evidence bundle</Text>
      {state.status === 'running' || state.status === 'idle' ? (
        <Text>
          {progress.step}: {bar(progress.bytes, width)}
        </Text>
      ) : null}
      {state.status === 'done' ? (
        <Box flexDirection="column">
          <Text>Bundle written: {state.value.path}</Text>
          <Text>
            {state.value.fileCount} files, {state.value.sizeBytes} bytes; evidence image{' '}
            {state.value.isImageIncluded ? 'included' : 'not included'}
          </Text>
          <Text>Manifest sha256: {state.value.manifestSha256}</Text>
          <Text dimColor>Check it later: coroner verify {state.value.path}</Text>
        </Box>
      ) : null}
      {state.status === 'failed' ? <ErrorPane error={state.error} /> : null}
      <Footer
        keys={[
          ['esc', state.status === 'running' ? 'cancel and go back' : 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
