import { describe, expect, it } from 'vitest';
import {
  comparePaths,
  normaliseChanges,
  pathsWithChangedChildren,
  withoutEngineFiles,
} from '../../src/changes/change-list.js';
import { changesFromEngine } from '../../src/sources/docker-live/engine-changes.js';

describe("the engine's change list", () => {
  it('maps the engine kinds 0/1/2 to C/A/D and sorts parents before children', () => {
    const { entries } = normaliseChanges(
      changesFromEngine([
        { Path: '/var/www/index.html', Kind: 0 },
        { Path: '/var', Kind: 0 },
        { Path: '/var/www/uploads/.x.php', Kind: 1 },
        { Path: '/var/log/app.log', Kind: 2 },
        { Path: '/var/www', Kind: 0 },
      ]).entries,
    );
    expect(entries).toEqual([
      { path: '/var', kind: 'C' },
      { path: '/var/log/app.log', kind: 'D' },
      { path: '/var/www', kind: 'C' },
      { path: '/var/www/index.html', kind: 'C' },
      { path: '/var/www/uploads/.x.php', kind: 'A' },
    ]);
  });

  it('sets apart rows that are not changes, and paths no source should give', () => {
    const { entries: listed, unreadable } = changesFromEngine([
      { Path: 'relative', Kind: 1 },
      { Path: '/a/../b', Kind: 1 },
      { Path: '/ok', Kind: 7 },
      { Path: 42, Kind: 1 },
      null,
      { Path: '/fine', Kind: 1 },
    ]);
    expect(unreadable).toHaveLength(3);
    const { entries, rejected } = normaliseChanges(listed);
    expect(entries.map((e) => e.path)).toEqual(['/fine']);
    expect(rejected.map((e) => e.path)).toEqual(['relative', '/a/../b']);
  });

  it('keeps one entry per path, the last word winning', () => {
    const { entries } = normaliseChanges([
      { path: '/a', kind: 'A' },
      { path: '/a', kind: 'C' },
    ]);
    expect(entries).toEqual([{ path: '/a', kind: 'C' }]);
  });
});

describe('comparePaths', () => {
  it('orders component by component', () => {
    expect(['/a-b', '/a/b', '/a'].sort(comparePaths)).toEqual(['/a', '/a/b', '/a-b']);
  });

  it('orders as comparing the split components would, whatever characters the names hold', () => {
    const bySplit = (a: string, b: string) => {
      const pa = a.split('/');
      const pb = b.split('/');
      for (let i = 0; i < Math.min(pa.length, pb.length); i++)
        if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
      return pa.length - pb.length;
    };
    // Names with characters below and above `/` (space, `-`, `.`, `0`, a control, non-ASCII).
    const names = ['a', 'a b', 'a-b', 'a.b', 'a0', 'ab', 'a\u0001', 'é', ''];
    const paths: string[] = [];
    for (const x of names) for (const y of names) paths.push(`/${x}`, `/${x}/${y}`);
    const sign = (n: number) => Math.sign(n);
    for (const a of paths)
      for (const b of paths)
        expect(sign(comparePaths(a, b)), `${a} ? ${b}`).toBe(sign(bySplit(a, b)));
  });
});

describe('pathsWithChangedChildren', () => {
  it('names every ancestor of a changed path', () => {
    const parents = pathsWithChangedChildren([{ path: '/var/www/uploads/x', kind: 'A' }]);
    expect([...parents].sort()).toEqual(['/var', '/var/www', '/var/www/uploads']);
  });
});

describe('withoutEngineFiles', () => {
  const podman = ['/etc/hosts', '/etc/hostname', '/etc/mtab', '/run/.containerenv'];
  it("drops the engine's own files and the folders listed only because of them", () => {
    const listed = [
      { path: '/etc', kind: 'C' as const },
      { path: '/etc/hosts', kind: 'C' as const },
      { path: '/run', kind: 'C' as const },
      { path: '/run/httpd.pid', kind: 'A' as const },
      { path: '/tmp', kind: 'C' as const },
    ];
    expect(withoutEngineFiles(listed, podman)).toEqual([
      { path: '/run', kind: 'C' },
      { path: '/run/httpd.pid', kind: 'A' },
      { path: '/tmp', kind: 'C' },
    ]);
  });
  it('keeps a folder the container changed itself, and everything for an engine without own files', () => {
    const listed = [
      { path: '/etc', kind: 'C' as const },
      { path: '/etc/cron.d', kind: 'A' as const },
      { path: '/etc/hostname', kind: 'A' as const },
    ];
    expect(withoutEngineFiles(listed, podman)).toEqual(listed.slice(0, 2));
    expect(withoutEngineFiles(listed, [])).toEqual(listed);
  });
});
