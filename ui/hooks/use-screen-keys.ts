import { useInput, type Key } from 'ink';
import { createContext, useContext, useLayoutEffect, useRef } from 'react';

export type KeyHandler = (input: string, key: Key) => void;

/** Where the console's one input subscription finds the screen drawn last. */
export const ScreenKeysContext = createContext<{ current: KeyHandler | undefined } | undefined>(
  undefined,
);

/**
 * The console's one input subscription, for its whole life: the global keys first, then
 * the keys of the screen drawn last. Provide the returned ref as ScreenKeysContext.
 */
export function useKeyRouter(global: KeyHandler): { current: KeyHandler | undefined } {
  const screen = useRef<KeyHandler | undefined>(undefined);
  useInput((input, key) => {
    global(input, key);
    screen.current?.(input, key);
  });
  return screen;
}

/**
 * A screen's keys. ink subscribes a useInput handler in an effect that runs after the
 * frame is drawn, so a key typed as a screen appeared was lost; this handler is live from
 * the commit that draws the screen (a layout effect runs before any further input is
 * read). Without a router (a screen rendered alone) it falls back to useInput.
 */
export function useScreenKeys(handler: KeyHandler): void {
  const router = useContext(ScreenKeysContext);
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useLayoutEffect(() => {
    if (!router) return;
    const forward: KeyHandler = (input, key) => latest.current(input, key);
    router.current = forward;
    return () => {
      if (router.current === forward) router.current = undefined;
    };
  }, [router]);
  useInput(handler, { isActive: !router });
}
