import { describe, expect, it } from 'vitest';
import { planTreeReads } from '../../src/sources/docker-live/archive-versions.js';
import { normaliseChanges } from '../../src/changes/change-list.js';
import type { ChangeEntry, ChangeKind } from '../../src/report/change.js';

const listed = (rows: [string, ChangeKind][]): ChangeEntry[] =>
  normaliseChanges(rows.map(([path, kind]) => ({ path, kind }))).entries;

describe('planTreeReads', () => {
  it('reads a directory that is new as a whole in one request, covering everything under it', () => {
    const entries = listed([
      ['/tmp', 'C'],
      ['/tmp/.x', 'A'],
      ['/tmp/.x/a', 'A'],
      ['/tmp/.x/sub', 'A'],
      ['/tmp/.x/sub/b', 'A'],
      ['/tmp/y', 'A'],
      ['/etc/passwd', 'C'],
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
    const entries = listed([
      ['/var/www', 'C'],
      ['/var/www/index.html', 'C'],
    ]);
    expect(planTreeReads(entries).size).toBe(0);
  });

  it('reads a new empty-looking directory (no listed children) one by one', () => {
    const entries = listed([['/root/.ssh', 'A']]);
    expect(planTreeReads(entries).size).toBe(0);
  });
});
