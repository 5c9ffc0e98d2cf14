import { useCallback, useEffect, useRef, useState } from 'react';

export type TaskState<T> =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; value: T }
  | { status: 'failed'; error: Error };

/**
 * Background work for a screen: start() runs it with an AbortSignal; starting
 * again cancels the previous run; leaving the screen cancels it too.
 */
export function useTask<T>(work: (signal: AbortSignal) => Promise<T>): {
  state: TaskState<T>;
  start: () => void;
  cancel: () => void;
} {
  const [state, setState] = useState<TaskState<T>>({ status: 'idle' });
  const controller = useRef<AbortController | undefined>(undefined);
  const cancel = useCallback(() => controller.current?.abort(), []);
  const start = useCallback(() => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setState({ status: 'running' });
    work(mine.signal).then(
      (value) => {
        if (!mine.signal.aborted) setState({ status: 'done', value });
      },
      (error: unknown) => {
        if (!mine.signal.aborted)
          setState({
            status: 'failed',
            error: error instanceof Error ? error : new Error(String(error)),
          });
      },
    );
  }, [work]);
  useEffect(() => () => controller.current?.abort(), []);
  return { state, start, cancel };
}
