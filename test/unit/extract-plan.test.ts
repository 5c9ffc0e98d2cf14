import { describe, expect, it } from 'vitest';
import { planTreeReads } from '../../src/sources/docker-live/archive-versions.js';
import { parseChanges } from '../../src/changes/change-list.js';

describe('planTreeReads', () => {
  it('reads a directory that is new as a whole in one request, covering everything under it', () => {
    const { entries } = parseChanges([
      { Path: '/tmp', Kind: 0 },
      { Path: '/tmp/.x', Kind: 1 },
      { Path: '/tmp/.x/a', Kind: 1 },
      { Path: '/tmp/.x/sub', Kind: 1 },
      { Path: '/tmp/.x/sub/b', Kind: 1 },
      { Path: '/tmp/y', Kind: 1 },
      { Path: '/etc/passwd', Kind: 0 },
    ]);
    const plan = planTreeReads(entries);
    expect([...plan.keys()]).toEqual(['/tmp/.x']);
    expect(plan.get('/tmp/.x')!.map((e) => e.path)).toEqual([
      '/tmp/.x',
      '/tmp/.x/a',
      '/tmp/.x/sub',
      '/tmp/.x/sub/b',
    ]);
  });

  it('never reads a changed directory whole: its unchanged files are not part of the change', () => {
    const { entries } = parseChanges([
      { Path: '/var/www', Kind: 0 },
      { Path: '/var/www/index.html', Kind: 0 },
    ]);
    expect(planTreeReads(entries).size).toBe(0);
  });

  it('reads a new empty-looking directory (no listed children) one by one', () => {
    const { entries } = parseChanges([{ Path: '/root/.ssh', Kind: 1 }]);
    expect(planTreeReads(entries).size).toBe(0);
  });
});
