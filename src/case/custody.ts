/**
 * Chain of custody: every action coroner takes on the engine, in order, with
 * its UTC time and outcome. Written into the case folder and the bundle.
 */
import os from 'node:os';

export interface CustodyAction {
  /** When it ended (or, for an action without a duration, happened). */
  at: string;
  /**
   * When it began, for an action that takes time (`step`): a freeze runs some of them at
   * once, in the same pause, so one action's end is not the next one's start.
   */
  startedAt?: string;
  action: string;
  target: string;
  result: 'ok' | 'failed' | 'skipped';
  detail?: string;
}

export interface CustodyHeader {
  user: string;
  uid: number | null;
  host: string;
  commandLine: string[];
  startedAt: string;
  clockSource: string;
}

export class CustodyLog {
  readonly header: CustodyHeader;
  readonly actions: CustodyAction[] = [];

  constructor(commandLine: readonly string[] = process.argv) {
    const info = os.userInfo();
    this.header = {
      user: info.username,
      uid: typeof process.getuid === 'function' ? process.getuid() : null,
      host: os.hostname(),
      commandLine: [...commandLine],
      startedAt: new Date().toISOString(),
      clockSource: 'system clock of the host running coroner (UTC, Date.now())',
    };
  }

  /** Takes in the actions of an earlier run on the same case (the triage before an export), keeping order. */
  adoptEarlier(earlier: { header: CustodyHeader; actions: CustodyAction[] }): void {
    const marker: CustodyAction = {
      at: earlier.header.startedAt,
      action: `earlier run by ${earlier.header.user} on ${earlier.header.host}: ${earlier.header.commandLine.join(' ')}`,
      target: '',
      result: 'ok',
    };
    this.actions.unshift(marker, ...earlier.actions);
  }

  record(
    action: string,
    target: string,
    result: CustodyAction['result'],
    detail?: string,
    startedAt?: Date,
  ): void {
    this.actions.push({
      at: new Date().toISOString(),
      ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
      action,
      target,
      result,
      ...(detail ? { detail } : {}),
    });
  }

  /** Runs `fn`, recording it as one action with its outcome. */
  async step<T>(
    action: string,
    target: string,
    fn: () => Promise<T>,
    describe?: (v: T) => string,
  ): Promise<T> {
    const startedAt = new Date();
    try {
      const value = await fn();
      this.record(action, target, 'ok', describe?.(value), startedAt);
      return value;
    } catch (e) {
      this.record(action, target, 'failed', e instanceof Error ? e.message : String(e), startedAt);
      throw e;
    }
  }
}
