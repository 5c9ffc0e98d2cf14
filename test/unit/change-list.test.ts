import { describe, expect, it } from 'vitest';
import {
  comparePaths,
  parseChanges,
  pathsWithChangedChildren,
} from '../../src/changes/change-list.js';

describe('parseChanges', () => {
  it('maps the engine kinds 0/1/2 to C/A/D and sorts parents before children', () => {
    const { entries } = parseChanges([
      { Path: '/var/www/index.html', Kind: 0 },
      { Path: '/var', Kind: 0 },
      { Path: '/var/www/uploads/.x.php', Kind: 1 },
      { Path: '/var/log/app.log', Kind: 2 },
      { Path: '/var/www', Kind: 0 },
    ]);
    expect(entries).toEqual([
      { path: '/var', kind: 'C' },
      { path: '/var/log/app.log', kind: 'D' },
      { path: '/var/www', kind: 'C' },
      { path: '/var/www/index.html', kind: 'C' },
      { path: '/var/www/uploads/.x.php', kind: 'A' },
    ]);
  });

  it('sets apart paths the engine should never send', () => {
    const { entries, rejected } = parseChanges([
      { Path: 'relative', Kind: 1 },
      { Path: '/a/../b', Kind: 1 },
      { Path: '/ok', Kind: 7 as 0 },
      { Path: '/fine', Kind: 1 },
    ]);
    expect(entries.map((e) => e.path)).toEqual(['/fine']);
    expect(rejected).toHaveLength(3);
  });

  it('keeps one entry per path', () => {
    const { entries } = parseChanges([
      { Path: '/a', Kind: 1 },
      { Path: '/a', Kind: 0 },
    ]);
    expect(entries).toEqual([{ path: '/a', kind: 'C' }]);
  });
});

describe('comparePaths', () => {
  it('orders component by component', () => {
    expect(['/a-b', '/a/b', '/a'].sort(comparePaths)).toEqual(['/a', '/a/b', '/a-b']);
  });
});

describe('pathsWithChangedChildren', () => {
  it('names every ancestor of a changed path', () => {
    const parents = pathsWithChangedChildren([{ path: '/var/www/uploads/x', kind: 'A' }]);
    expect([...parents].sort()).toEqual(['/var', '/var/www', '/var/www/uploads']);
  });
});
