import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { type TriageEvent } from '../../src/app/triage.js';
import { Footer } from '../components/Footer.js';

export interface TriageProgress {
  phase: string;
  step?: string;
  filesDone: number;
  filesTotal: number;
  bytes: number;
  problems: number;
}

export const INITIAL_PROGRESS: TriageProgress = {
  phase: 'resolve',
  filesDone: 0,
  filesTotal: 0,
  bytes: 0,
  problems: 0,
};

/** Folds triage events into what the progress view shows. */
export function reduceProgress(p: TriageProgress, e: TriageEvent): TriageProgress {
  switch (e.type) {
    case 'phase':
      return {
        ...p,
        phase: e.phase,
        ...(e.step ? { step: e.step } : { step: undefined }),
      } as TriageProgress;
    case 'progress':
      return {
        ...p,
        filesDone: e.filesDone,
        filesTotal: e.filesTotal || p.filesTotal,
        bytes: e.bytes,
      };
    case 'problem':
      return { ...p, problems: p.problems + 1 };
    case 'case':
      return p;
  }
}

const PHASES: Record<string, string> = {
  resolve: 'finding the container',
  freeze: 'freezing evidence (events, inspect, processes, logs, paused commit)',
  changes: 'listing what changed',
  layers: 'indexing the original image layers',
  extract: 'reading originals and current versions',
  mounts: 'comparing volumes and binds with the image',
  rank: 'comparing and ranking',
  done: 'done',
};

export interface Props {
  readonly name: string;
  readonly progress: TriageProgress;
  readonly spinner: string;
}

/** The live view while evidence is frozen and read: phase, files, bytes; never looks stuck. */
export function ProgressScreen({ name, progress, spinner }: Props) {
  return (
    <Box flexDirection="column">
      <Text bold>Triage of {name}</Text>
      <Text>
        {spinner} {PHASES[progress.phase] ?? progress.phase}
        {progress.step ? ` — ${progress.step}` : ''}
      </Text>
      <Text>
        files {progress.filesDone}
        {progress.filesTotal ? `/${progress.filesTotal}` : ''} ·{' '}
        {(progress.bytes / 2 ** 20).toFixed(1)} MiB
        {progress.problems ? ` · ${progress.problems} problems` : ''}
      </Text>
      <Footer keys={[['q', 'cancel and quit (nothing half-written is kept)']]} />
    </Box>
  );
}
