import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../../src/relaunch/learn.js';
import type { PreparedRelaunch } from '../../src/relaunch/prepare.js';
import { RelaunchScreen, type Props } from '../../ui/screens/RelaunchScreen.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const trial: TrialRecord = {
  user: '33:33',
  capAdd: [],
  isReadOnly: true,
  isUp: false,
  why: 'it exited with code 1',
  // A twin's log is the image's: still escaped before it reaches the terminal.
  lastLine: 'AH00015: Unable to open logs\u001b]0;owned\u0007',
  seconds: 0.5,
};

describe('the relaunch screen while the plan is prepared', () => {
  it('shows each clean twin as it ends, escaped, and prepares once however often the parent draws', async () => {
    let calls = 0;
    let report: ((t: TrialRecord) => void) | undefined;
    const prepare: Props['prepare'] = (_signal, onTrial) => {
      calls++;
      report = onTrial;
      return new Promise<PreparedRelaunch>(() => undefined); // the twins are still running
    };
    const screen = (p: Props['prepare']) => (
      <RelaunchScreen
        prepare={p}
        execute={() => new Promise(() => undefined)}
        height={20}
        onBack={() => undefined}
      />
    );
    const ui = render(screen(prepare));
    await tick();
    expect(ui.lastFrame()).toMatch(/clean twins of the original image learn/);
    report!(trial);
    await tick();
    const frame = ui.lastFrame() ?? '';
    expect(frame).toMatch(
      /failed user 33:33, caps none, read-only root as planned: it exited with code 1/,
    );
    expect(frame).toContain('; last line: AH0001'); // truncated to the terminal's width
    expect(frame).not.toContain('\u001b]0;');
    // A new callback on each draw of the parent (a resize) must not start new twins.
    ui.rerender(screen((signal, onTrial) => prepare(signal, onTrial)));
    await tick();
    expect(calls).toBe(1);
    ui.unmount();
  });
});
