import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  podPlanText,
  podQuarantineText,
  relaunchPlanText,
  relaunchResultText,
  trialLine,
} from '../../src/present/relaunch-text.js';
import type { AnyPreparedRelaunch } from '../../src/app/relaunch.js';
import type { PodQuarantineResult } from '../../src/relaunch/kubernetes-relaunch.js';
import type { TrialRecord } from '../../src/relaunch/learn.js';
import type { RelaunchResult } from '../../src/relaunch/relaunch.js';
import { ErrorPane } from '../components/ErrorPane.js';
import { Footer } from '../components/Footer.js';
import { useTask } from '../hooks/use-task.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';

export interface Props {
  /** Prepares the plan, reporting each clean twin as it ends. */
  readonly prepare: (
    signal: AbortSignal,
    onTrial: (trial: TrialRecord) => void,
  ) => Promise<AnyPreparedRelaunch>;
  /** Runs what `prepare` planned (a method, so a caller may take only the kind it prepares). */
  execute(
    prepared: AnyPreparedRelaunch,
    onStep: (step: string) => void,
  ): Promise<RelaunchResult | PodQuarantineResult>;
  readonly height: number;
  readonly onBack: () => void;
}

/** Shows the relaunch plan, asks to confirm with y, runs it with progress, shows the result or why it failed. */
export function RelaunchScreen({ prepare, execute, height, onBack }: Props) {
  const [trials, setTrials] = useState<string[]>([]);
  // Prepared once per visit, whatever re-renders the parent: the twins are real containers.
  const prepareOnce = useRef(prepare);
  const learn = useCallback(
    (signal: AbortSignal) =>
      prepareOnce.current(signal, (t) => setTrials((shown) => [...shown, trialLine(t)])),
    [],
  );
  const plan = useTask(learn);
  const [step, setStep] = useState('');
  const [top, setTop] = useState(0);
  const run = useCallback(
    (_signal: AbortSignal) => {
      if (plan.state.status !== 'done') return Promise.reject(new Error('no plan yet'));
      return execute(plan.state.value, setStep);
    },
    [plan.state, execute],
  );
  const outcome = useTask(run);
  useEffect(() => plan.start(), [plan.start]);
  const isConfirming = plan.state.status === 'done' && outcome.state.status === 'idle';

  const isPod = plan.state.status === 'done' && 'podPlan' in plan.state.value;
  const lines =
    outcome.state.status === 'done'
      ? 'podPlan' in outcome.state.value
        ? podQuarantineText(outcome.state.value)
        : relaunchResultText(outcome.state.value)
      : plan.state.status === 'done'
        ? 'podPlan' in plan.state.value
          ? podPlanText(plan.state.value)
          : relaunchPlanText(
              plan.state.value.plan,
              plan.state.value.evidenceImages,
              plan.state.value,
            )
        : [];
  const page = Math.max(3, height - 4);
  useScreenKeys((input, key) => {
    // Once the relaunch runs it is not interrupted half-way: the quarantine must complete.
    if (outcome.state.status === 'running') return;
    if (isConfirming && input === 'y') outcome.start();
    else if (key.escape || input === 'n' || input === 'b') onBack();
    else if (key.downArrow) setTop((t) => Math.min(t + 1, Math.max(0, lines.length - page)));
    else if (key.upArrow) setTop((t) => Math.max(0, t - 1));
    else if (key.pageDown) setTop((t) => Math.min(t + page, Math.max(0, lines.length - page)));
    else if (key.pageUp) setTop((t) => Math.max(0, t - page));
  });
  return (
    <Box flexDirection="column">
      <Text bold>Restart clean</Text>
      {plan.state.status === 'running' ? (
        <>
          <Text>
            Preparing the plan: clean twins of the original image learn what the service needs…
          </Text>
          {trials.slice(-page).map((line, i) => (
            <Text key={i} wrap="truncate">
              {'  '}
              {line}
            </Text>
          ))}
        </>
      ) : null}
      {lines.slice(top, top + page).map((line, i) => (
        <Text key={top + i} wrap="truncate">
          {line || ' '}
        </Text>
      ))}
      {outcome.state.status === 'running' ? (
        <Text>
          {isPod ? 'Quarantining' : 'Relaunching'}: {step}
        </Text>
      ) : null}
      {plan.state.status === 'failed' ? <ErrorPane error={plan.state.error} /> : null}
      {outcome.state.status === 'failed' ? <ErrorPane error={outcome.state.error} /> : null}
      <Footer
        keys={
          isConfirming
            ? [
                isPod
                  ? ['y', 'pause and keep, write the NetworkPolicy and patch']
                  : ['y', 'quarantine and relaunch'],
                ['n/esc', 'cancel'],
                ['↑↓', 'scroll'],
              ]
            : [
                ['esc', 'back'],
                ['↑↓', 'scroll'],
                ['q', 'quit'],
              ]
        }
      />
    </Box>
  );
}
