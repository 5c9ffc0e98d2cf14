/**
 * What the twins learn is the same whichever engine runs them: fed a runner whose twins
 * come up only with given capabilities (a recorded behaviour, not an engine), the learning
 * finds the fewest, and names the engine whose defaults it searched.
 */
import { describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/case/custody.js';
import { DEFAULT_CAPABILITIES, learnFromTwins } from '../../src/relaunch/learn.js';
import type { TwinRunner, TwinTrial } from '../../src/relaunch/twin-runner.js';

function runnerNeeding(needed: string[] | 'never', defaultsOf = "containerd's") {
  const trials: TwinTrial[] = [];
  const runner: TwinRunner = {
    defaultsOf,
    runTwin: async (trial) => {
      trials.push(trial);
      const isUp = needed !== 'never' && needed.every((c) => trial.capAdd.includes(c));
      return {
        isUp,
        ...(isUp ? { listening: [8080] } : { why: 'it exited with code 1' }),
        writes: isUp ? [{ path: '/run/app.pid', kind: 'A' as const }] : [],
        isSharedMemorySeen: false,
        traffic: 'none',
        logTail: isUp ? [] : ['bind: permission denied'],
        seconds: 0.1,
      };
    },
    imageFacts: async () => ({ users: [], hasContent: new Map() }),
  };
  return { runner, trials };
}

const opts = {
  ports: [],
  windowMs: 1000,
  memoryBytes: 1,
  pidsLimit: 1,
  custody: new CustodyLog(['test']),
  maxTrials: 16,
};

describe('learning from twins through any runner', () => {
  it('proves none when a twin comes up with none, and learns its port and writes', async () => {
    const { runner, trials } = runnerNeeding([]);
    const learned = await learnFromTwins(runner, '0:0', opts);
    expect(learned).toMatchObject({ capAdd: [], isCapsProven: true, user: '0:0', ports: [8080] });
    expect(learned.writes).toEqual([{ path: '/run/app.pid', kind: 'A' }]);
    expect(trials).toHaveLength(1);
  });

  it('finds the fewest defaults the service needs, in a handful of twins', async () => {
    const { runner, trials } = runnerNeeding(['NET_BIND_SERVICE', 'SETUID']);
    const learned = await learnFromTwins(runner, '0:0', opts);
    expect([...learned.capAdd].sort()).toEqual(['NET_BIND_SERVICE', 'SETUID']);
    expect(trials.length).toBeLessThan(DEFAULT_CAPABILITIES.length);
    expect(learned.capReasons.map((r) => r.cap).sort()).toEqual(['NET_BIND_SERVICE', 'SETUID']);
  });

  it('says whose defaults did not suffice when nothing comes up, and keeps drop ALL', async () => {
    const { runner } = runnerNeeding('never');
    const learned = await learnFromTwins(runner, '0:0', opts);
    expect(learned.isCapsProven).toBe(false);
    expect(learned.capAdd).toEqual([]);
    expect(learned.notes.join(' ')).toMatch(/even with containerd's default capabilities/);
    expect(learned.notes.join(' ')).toContain('bind: permission denied');
  });
});
