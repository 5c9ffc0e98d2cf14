import { Box, useApp } from 'ink';
import { Text } from './components/Text.js';
import { Component, useCallback, useEffect, useState, type ReactNode } from 'react';
import type { BundleResult } from '../src/bundle/write-bundle.js';
import type { ContainerSummary } from '../src/sources/evidence-source.js';
import type { TrialRecord } from '../src/relaunch/learn.js';
import type { AnyPreparedRelaunch } from '../src/app/relaunch.js';
import type { PodQuarantineResult } from '../src/relaunch/kubernetes-relaunch.js';
import type { RelaunchResult } from '../src/relaunch/relaunch.js';
import { type TriageEvent } from '../src/app/triage.js';
import type { TriageReport } from '../src/report/triage-report.js';
import { safeLine } from '../src/untrusted.js';
import { ErrorPane } from './components/ErrorPane.js';
import { Footer } from './components/Footer.js';
import { ScreenKeysContext, useKeyRouter } from './hooks/use-screen-keys.js';
import { useTask, type TaskState } from './hooks/use-task.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { ExportScreen } from './screens/ExportScreen.js';
import { FileScreen } from './screens/FileScreen.js';
import { FindingsScreen } from './screens/FindingsScreen.js';
import { PickScreen } from './screens/PickScreen.js';
import {
  INITIAL_PROGRESS,
  ProgressScreen,
  reduceProgress,
  type TriageProgress,
} from './screens/ProgressScreen.js';
import { ProcessesScreen } from './screens/ProcessesScreen.js';
import { RelaunchScreen } from './screens/RelaunchScreen.js';
import { TRIAGE_KEYS, TriageScreen } from './screens/TriageScreen.js';
import { findChange } from './presentation/change-filter.js';

/** What the console may ask of the engine side: intents, no forensic logic here. */
export interface ConsoleActions {
  listContainers(signal: AbortSignal): Promise<ContainerSummary[]>;
  triage(
    ref: string,
    signal: AbortSignal,
    onEvent: (e: TriageEvent) => void,
  ): Promise<TriageReport>;
  exportBundle(
    report: TriageReport,
    signal: AbortSignal,
    onProgress: (step: string, bytes: number) => void,
  ): Promise<BundleResult>;
  prepareRelaunch(
    report: TriageReport,
    signal: AbortSignal,
    onTrial: (trial: TrialRecord) => void,
  ): Promise<AnyPreparedRelaunch>;
  executeRelaunch(
    prepared: AnyPreparedRelaunch,
    onStep: (step: string) => void,
  ): Promise<RelaunchResult | PodQuarantineResult>;
}

export interface Props {
  readonly actions: ConsoleActions;
  readonly initialContainer?: string;
}

type Screen =
  | { name: 'pick' }
  | { name: 'triage' }
  | { name: 'file'; path: string; back: 'triage' | 'findings' }
  | { name: 'findings' }
  | { name: 'processes' }
  | { name: 'export' }
  | { name: 'relaunch' };

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function Console({ actions, initialContainer }: Props) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [screen, setScreen] = useState<Screen>(
    initialContainer ? { name: 'triage' } : { name: 'pick' },
  );
  const [container, setContainer] = useState(initialContainer);
  const [isHelp, setHelp] = useState(false);
  const [progress, setProgress] = useState<TriageProgress>(INITIAL_PROGRESS);
  const [tick, setTick] = useState(0);

  const runTriage = useCallback(
    (signal: AbortSignal) =>
      actions.triage(container ?? '', signal, (e) => setProgress((p) => reduceProgress(p, e))),
    [actions, container],
  );
  const triage = useTask(runTriage);
  useEffect(() => {
    if (container) triage.start();
  }, [container, triage.start]);
  useEffect(() => {
    if (triage.state.status !== 'running') return;
    const timer = setInterval(() => setTick((t) => t + 1), 120);
    return () => clearInterval(timer);
  }, [triage.state.status]);

  const screenKeys = useKeyRouter((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      triage.cancel(); // leaving cancels the work; nothing half-written is kept
      exit();
    } else if (input === '?') setHelp((h) => !h);
    else if (isHelp && key.escape) setHelp(false);
  });
  return (
    <ScreenKeysContext.Provider value={screenKeys}>
      <CurrentScreen
        actions={actions}
        container={container}
        screen={screen}
        isHelp={isHelp}
        height={rows - 1}
        columns={columns}
        progress={progress}
        spinner={SPINNER[tick % SPINNER.length]!}
        triage={triage.state}
        onPick={(id) => {
          setContainer(id);
          setScreen({ name: 'triage' });
        }}
        setScreen={setScreen}
      />
    </ScreenKeysContext.Provider>
  );
}

interface ScreenProps {
  readonly actions: ConsoleActions;
  readonly container: string | undefined;
  readonly screen: Screen;
  readonly isHelp: boolean;
  readonly height: number;
  readonly columns: number;
  readonly progress: TriageProgress;
  readonly spinner: string;
  readonly triage: TaskState<TriageReport>;
  readonly onPick: (id: string) => void;
  readonly setScreen: (screen: Screen) => void;
}

/** The screen for the console's state: a function of it, nothing more. */
function CurrentScreen({
  actions,
  container,
  screen,
  isHelp,
  height,
  columns,
  progress,
  spinner,
  triage,
  onPick,
  setScreen,
}: ScreenProps) {
  const report = triage.status === 'done' ? triage.value : undefined;
  if (isHelp) return <Help />;
  if (screen.name === 'pick' || !container)
    return <PickScreen listContainers={actions.listContainers} height={height} onPick={onPick} />;
  if (triage.status === 'failed') {
    return (
      <Box flexDirection="column">
        <ErrorPane error={triage.error} />
        <Footer keys={[['q', 'quit']]} />
      </Box>
    );
  }
  if (!report)
    return <ProgressScreen name={safeLine(container, 100)} progress={progress} spinner={spinner} />;

  switch (screen.name) {
    case 'file': {
      const change = findChange(report.changes, screen.path);
      return change ? (
        <FileScreen
          change={change}
          height={height}
          onBack={() =>
            setScreen(screen.back === 'findings' ? { name: 'findings' } : { name: 'triage' })
          }
        />
      ) : (
        <Text>Not found.</Text>
      );
    }
    case 'findings':
      return (
        <FindingsScreen
          report={report}
          height={height}
          onOpen={(f) =>
            setScreen(
              f.pid !== undefined || f.rule.startsWith('engine-')
                ? { name: 'processes' }
                : { name: 'file', path: f.path, back: 'findings' },
            )
          }
          onBack={() => setScreen({ name: 'triage' })}
        />
      );
    case 'processes':
      return (
        <ProcessesScreen
          report={report}
          width={columns}
          height={height}
          onBack={() => setScreen({ name: 'triage' })}
        />
      );
    case 'export':
      return (
        <ExportScreen
          exportBundle={(signal, onProgress) => actions.exportBundle(report, signal, onProgress)}
          width={columns}
          onBack={() => setScreen({ name: 'triage' })}
        />
      );
    case 'relaunch':
      return (
        <RelaunchScreen
          prepare={(signal, onTrial) => actions.prepareRelaunch(report, signal, onTrial)}
          execute={actions.executeRelaunch}
          height={height}
          onBack={() => setScreen({ name: 'triage' })}
        />
      );
    default:
      return (
        <TriageScreen
          report={report}
          width={columns}
          height={height}
          onOpen={(path) => setScreen({ name: 'file', path, back: 'triage' })}
          onFindings={() => setScreen({ name: 'findings' })}
          onProcesses={() => setScreen({ name: 'processes' })}
          onExport={() => setScreen({ name: 'export' })}
          onRelaunch={() => setScreen({ name: 'relaunch' })}
        />
      );
  }
}

function Help() {
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      <Text>Change list: {TRIAGE_KEYS.map(([k, w]) => `${k} ${w}`).join(' · ')}</Text>
      <Text>File: ↑↓ scroll · PgUp/PgDn page · g/G top/bottom · esc back</Text>
      <Text>Findings: ↑↓ move · enter open the file (or the processes) · esc back</Text>
      <Text>Processes: ↑↓ PgUp/PgDn scroll · esc back</Text>
      <Text>Export: esc cancels a running export (no half-written bundle is kept)</Text>
      <Text>Restart clean: y quarantine and relaunch · n/esc cancel</Text>
      <Text>Everywhere: ? this help · q or Ctrl-C quit</Text>
      <Footer keys={[['?/esc', 'close help']]} />
    </Box>
  );
}

interface BoundaryState {
  error?: Error;
}

/** The one error boundary at the root: a bug shows as a message, not a broken terminal. */
class ErrorBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  override state: BoundaryState = {};
  static getDerivedStateFromError(error: Error): BoundaryState {
    return { error };
  }
  override render() {
    return this.state.error ? <ErrorPane error={this.state.error} /> : this.props.children;
  }
}

export function App(props: Props) {
  return (
    <ErrorBoundary>
      <Console {...props} />
    </ErrorBoundary>
  );
}
