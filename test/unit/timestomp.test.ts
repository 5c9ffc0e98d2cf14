import { describe, expect, it } from 'vitest';
import { crossCheck, whyNotInEngineList } from '../../src/changes/cross-check.js';
import { rotatedFrom, timestompFindings } from '../../src/findings/timestomp-rules.js';
import type { FileMeta } from '../../src/report/file-meta.js';

const file = (over: Partial<FileMeta>): FileMeta => ({
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  sizeBytes: 234,
  mtime: '2026-12-02T20:32:45.000Z',
  ...over,
});

describe('the writable layer checked against the engine', () => {
  it("names a file the layer holds and the engine's list lacks, not the folder copied up to hold it", () => {
    const check = crossCheck(
      [
        { path: '/etc', kind: 'C' },
        { path: '/etc/passwd', kind: 'C' },
      ],
      [],
      (p) => p === '/etc',
    );
    expect(check).toEqual({
      notInEngineList: [{ path: '/etc/passwd', kind: 'C' }],
      notInWritableLayer: [],
    });
  });

  it('names what only the engine listed, but not a folder it lists for what the layer holds inside', () => {
    const check = crossCheck(
      [{ path: '/var/www/x.php', kind: 'A' }],
      [
        { path: '/var/www', kind: 'C' },
        { path: '/var/www/x.php', kind: 'A' },
        { path: '/tmp/ghost', kind: 'A' },
      ],
      () => false,
    );
    expect(check.notInWritableLayer).toEqual([{ path: '/tmp/ghost', kind: 'A' }]);
    expect(check.notInEngineList).toEqual([]);
  });

  it('says a same-size edit had its time put back', () => {
    expect(
      whyNotInEngineList('C', file({}), file({ mtime: '2026-12-02T20:32:45.400Z' }), true),
    ).toBe('same size, modification time put back');
    expect(whyNotInEngineList('C', file({}), file({ capabilities: 'cap_setuid=ep' }), false)).toBe(
      'only its file capabilities changed (same size and modification time)',
    );
  });
});

describe('a file copied up unchanged (opened for writing, left as it was)', () => {
  it('is named as such, and is no finding', () => {
    const log = file({ sizeBytes: 0, mode: 0o640 });
    expect(whyNotInEngineList('C', log, log, false, true)).toBe(
      'unchanged: opened for writing, copied up as it was',
    );
    expect(
      timestompFindings({
        path: '/var/log/apache2/other_vhosts_access.log',
        kind: 'C',
        original: log,
        current: { ...log, ctime: '2026-12-02T22:00:00.000Z' },
        isContentChanged: false,
        isContentSame: true,
        notInEngineList: 'unchanged: opened for writing, copied up as it was',
      }),
    ).toEqual([]);
  });

  it('still ranks one whose capabilities alone changed, or whose content was not compared', () => {
    const was = file({});
    const now = file({ capabilities: 'cap_setuid=ep' });
    expect(whyNotInEngineList('C', was, now, false, true)).toBe(
      'only its file capabilities changed (same size and modification time)',
    );
    for (const [current, isContentSame] of [
      [now, true],
      [was, false],
    ] as const)
      expect(
        timestompFindings({
          path: '/usr/bin/x',
          kind: 'C',
          original: was,
          current,
          isContentChanged: false,
          isContentSame,
          notInEngineList: 'same size and modification time',
        }).map((f) => f.rule),
      ).toEqual(['not-in-docker-diff']);
  });
});

describe('timestomp (T1070.006)', () => {
  it('ranks new content under the original modification time high', () => {
    const [finding] = timestompFindings({
      path: '/etc/passwd',
      kind: 'C',
      original: file({}),
      current: file({ ctime: '2026-12-02T20:33:15.803Z' }),
      isContentChanged: true,
      notInEngineList: 'same size, modification time put back',
    });
    expect(finding).toMatchObject({ rule: 'timestomp', severity: 'high', attack: 'T1070.006' });
    expect(finding!.reason).toMatch(/not in docker diff \(same size, modification time put back\)/);
  });

  it('ranks a modification time older than the change time of rewritten content', () => {
    const [finding] = timestompFindings({
      path: '/usr/local/bin/start-web',
      kind: 'C',
      original: file({ mtime: '2024-01-01T00:00:00.000Z' }),
      current: file({ mtime: '2025-06-01T00:00:00.000Z', ctime: '2026-12-02T20:33:15.000Z' }),
      isContentChanged: true,
    });
    expect(finding).toMatchObject({ rule: 'timestomp', severity: 'medium' });
  });

  it('leaves alone a change of attributes alone (chmod moves the change time only), and a fresh write', () => {
    expect(
      timestompFindings({
        path: '/x',
        kind: 'C',
        original: file({}),
        current: file({ mode: 0o755, ctime: '2026-12-02T22:00:00.000Z' }),
        isContentChanged: false,
      }),
    ).toEqual([]);
    expect(
      timestompFindings({
        path: '/y',
        kind: 'A',
        current: file({ mtime: '2026-12-02T22:00:00.000Z', ctime: '2026-12-02T22:00:00.500Z' }),
        isContentChanged: false,
      }),
    ).toEqual([]);
  });
});

const stored = (sha: string) => ({
  path: `content/${sha.slice(0, 8)}`,
  sha256: sha.repeat(64),
  sizeBytes: 9000,
  isTruncated: false,
  storedSha256: sha.repeat(64),
  capturedAt: '2026-12-02T20:41:00.000Z',
});

describe("a package database rotated by its own tool (dpkg's status becomes status-old)", () => {
  // The image: status and status-old written in the same second of the build.
  const STATUS_IN_IMAGE = file({ mtime: '2026-11-20T10:00:07.000Z', sizeBytes: 9000 });
  const status = {
    pair: {
      original: { meta: STATUS_IN_IMAGE, content: stored('a') },
      current: {
        meta: file({ mtime: '2026-12-02T20:40:00.000Z' }),
        content: stored('b'),
      },
    },
  };
  const databases = new Map([['/var/lib/dpkg/status', status]]);
  // In the container dpkg ran: status-old is now the image's status, its time with it.
  const statusOld = {
    meta: file({
      mtime: '2026-11-20T10:00:07.412Z',
      ctime: '2026-12-02T20:40:00.000Z',
      sizeBytes: 9000,
    }),
    content: stored('a'),
  };
  const judged = (originalOf?: string) =>
    timestompFindings({
      path: '/var/lib/dpkg/status-old',
      kind: 'C',
      original: file({ mtime: '2026-11-20T10:00:07.000Z', sizeBytes: 8000 }),
      current: statusOld.meta,
      isContentChanged: true,
      ...(originalOf ? { originalOf } : {}),
    });

  it("is not timestomp: its content and time are the image's status file's", () => {
    const from = rotatedFrom('/var/lib/dpkg/status-old', statusOld, databases);
    expect(from).toBe('/var/lib/dpkg/status');
    expect(judged(from)).toEqual([]);
  });

  it('still ranks high new content under the old time when no database file held it', () => {
    const edited = { ...statusOld, content: stored('c') };
    expect(rotatedFrom('/var/lib/dpkg/status-old', edited, databases)).toBeUndefined();
    // The image's content but another time: put back from elsewhere, not rotated.
    const otherTime = { ...statusOld, meta: file({ mtime: '2026-11-19T09:00:00.000Z' }) };
    expect(rotatedFrom('/var/lib/dpkg/status-old', otherTime, databases)).toBeUndefined();
    // A database file is not its own rotation.
    expect(rotatedFrom('/var/lib/dpkg/status', status.pair.original, databases)).toBeUndefined();
    expect(judged(undefined)[0]).toMatchObject({ rule: 'timestomp', severity: 'high' });
  });
});
