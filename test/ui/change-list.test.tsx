import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ChangedPath } from '../../src/report/change.js';
import { ChangeList } from '../../ui/components/ChangeList.js';

const change = (
  path: string,
  severity: ChangedPath['severity'],
  reason: string,
  over: Partial<ChangedPath> = {},
): ChangedPath => ({
  path,
  kind: 'A',
  isParentOnly: false,
  severity,
  findings: [{ rule: 'r', path, severity, reason }],
  ...over,
});

describe('ChangeList', () => {
  it('renders ranked changes with their marker, severity and reason', () => {
    const { lastFrame } = render(
      <ChangeList
        changes={[
          change('/var/www/uploads/.cache.php', 'critical', 'web shell pattern'),
          change('/run/httpd.pid', 'low', 'pid or lock file'),
          change('/var/www', 'info', 'parent', { kind: 'C', isParentOnly: true }),
        ]}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/A CRITICAL\s+\/var\/www\/uploads\/\.cache\.php/);
    expect(frame).toContain('web shell pattern');
    expect(frame.indexOf('.cache.php')).toBeLessThan(frame.indexOf('httpd.pid'));
    expect(frame).not.toMatch(/\/var\/www\n/);
  });

  it('shows escape sequences in names visibly instead of sending them to the terminal', () => {
    const { lastFrame } = render(
      <ChangeList
        changes={[change('/tmp/\u001b]0;pwned\u0007\u202Eevil', 'medium', 'hidden \u001b[2J')]}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('/tmp/\\e]0;pwned\\x07\\u202eevil');
    expect(frame).toContain('hidden \\e[2J');
    expect(frame).not.toMatch(/\u0007|\u202e|\u001b\]|\u001b\[2J/);
  });
});
