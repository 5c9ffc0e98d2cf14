import { describe, expect, it } from 'vitest';
import { formatMode, formatOwner, metaFromPathStat } from '../../src/report/file-meta.js';

describe("metaFromPathStat (the engine's Go FileMode)", () => {
  it('reads the type bits above the permissions', () => {
    // As the engine sent them for a socket, a directory, a symlink and a setuid file.
    expect(metaFromPathStat({ mode: 16777654, size: 0 })).toMatchObject({
      type: 'socket',
      mode: 0o666,
    });
    expect(metaFromPathStat({ mode: 2147484141, size: 4096 })).toMatchObject({
      type: 'directory',
      mode: 0o755,
      sizeBytes: 0,
    });
    expect(
      metaFromPathStat({ mode: 134218239, size: 11, linkTarget: '/etc/shadow' }),
    ).toMatchObject({ type: 'symlink', linkTarget: '/etc/shadow' });
    const setuid = metaFromPathStat({ mode: 8389101, size: 5, mtime: '2026-11-23T15:58:01.5Z' });
    expect(setuid).toMatchObject({ type: 'file', mode: 0o4755, sizeBytes: 5 });
    expect(formatMode(setuid)).toBe('-rwsr-xr-x');
    expect(setuid.mtime).toBe('2026-11-23T15:58:01.500Z');
  });

  it('says the owner is unknown, since a stat reports none', () => {
    const m = metaFromPathStat({ mode: 16777654, size: 0 });
    expect(formatOwner(m)).toBe('owner unknown');
    expect(formatMode(m)).toBe('srw-rw-rw-');
    expect(formatOwner({ uid: 33, gid: 33 })).toBe('33:33');
  });
});
