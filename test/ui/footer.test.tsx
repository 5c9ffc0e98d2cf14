/**
 * The key legend at 80 columns (issue 23: the change list's was cut at `… ? h…`, so a new
 * user did not see how to quit).
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Footer } from '../../ui/components/Footer.js';
import { footerLines } from '../../ui/presentation/footer-lines.js';
import { TRIAGE_KEYS } from '../../ui/screens/TriageScreen.js';

describe('the footer', () => {
  it('shows every key of the change list at 80 columns, q and ? included, none cut', () => {
    const { lastFrame } = render(<Footer keys={TRIAGE_KEYS} width={80} />);
    const lines = lastFrame()!.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const shown = lines.join('  ');
    for (const [key, what] of TRIAGE_KEYS) expect(shown).toContain(`${key} ${what}`);
    expect(shown).not.toContain('…');
  });

  it('stays on one line where the keys fit', () => {
    expect(footerLines(TRIAGE_KEYS, 200)).toHaveLength(1);
    expect(footerLines([['q', 'quit']], 10)).toEqual(['q quit']);
  });
});
