import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  compareMetadata,
  compareVersions,
  DEFAULT_COMPARE_LIMITS,
} from '../../src/compare/compare.js';
import type { StoredVersion } from '../../src/report/change.js';
import type { FileMeta } from '../../src/report/file-meta.js';

const meta = (over: Partial<FileMeta> = {}): FileMeta => ({
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  sizeBytes: 0,
  ...over,
});

describe('compareMetadata', () => {
  it('lists mode, owner, type and link-target changes, noting setuid', () => {
    const changes = compareMetadata(
      meta({ type: 'symlink', mode: 0o777, linkTarget: '/bin/busybox' }),
      meta({ type: 'file', mode: 0o4755, uid: 1000, gid: 1000 }),
    );
    expect(changes.map((c) => c.field)).toEqual(['type', 'mode', 'owner', 'link-target']);
    expect(changes[1]).toMatchObject({
      before: 'lrwxrwxrwx',
      after: '-rwsr-xr-x',
      note: 'gained setuid',
    });
  });
  it('reports a metadata-only change even when the content is the same', () => {
    expect(compareMetadata(meta({ mode: 0o644 }), meta({ mode: 0o600 }))).toEqual([
      { field: 'mode', before: '-rw-r--r--', after: '-rw-------' },
    ]);
  });
});

describe('compareVersions', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  function version(content: string | Buffer): { version: StoredVersion; sample: Buffer } {
    const sample = Buffer.from(content);
    const digest = sha(sample);
    return {
      version: {
        meta: meta({ sizeBytes: sample.length }),
        content: {
          path: 'x',
          sha256: digest,
          sizeBytes: sample.length,
          isTruncated: false,
          capturedAt: '2026-11-23T00:00:00.000Z',
          storedSha256: digest,
        },
      },
      sample,
    };
  }
  const compare = (
    path: string,
    o: ReturnType<typeof version> | undefined,
    c: ReturnType<typeof version> | undefined,
    limits?: Parameters<typeof compareVersions>[4],
  ) =>
    compareVersions(
      path,
      o?.version,
      c?.version,
      { original: o?.sample, current: c?.sample },
      limits,
    );

  it('gives a unified diff of text', () => {
    const result = compare('/etc/passwd', version('root\n'), version('root\n++ evil\n'));
    expect(result.content).toMatchObject({
      kind: 'text-diff',
      addedLines: 1,
      removedLines: 0,
      isTruncated: false,
    });
    expect(result.content.kind === 'text-diff' && result.content.patch).toMatch(/\n\+\+\+ evil\n/);
  });

  it('says when the content is the same', () => {
    expect(compare('/a', version('same'), version('same')).content).toEqual({ kind: 'same' });
  });

  it('summarises binaries by type, size and hash', () => {
    const result = compare(
      '/bin/ps',
      version('#!/bin/sh\n'),
      version(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0])),
    );
    expect(result.content).toEqual({ kind: 'summary', reason: 'binary content (script -> elf)' });
    expect(result.current).toMatchObject({ type: 'elf', sizeBytes: 7 });
    expect(result.metadata.map((m) => m.field)).toEqual(['size', 'content']);
  });

  it('caps a long diff with a visible marker', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    const result = compare('/x', undefined, version(many), {
      ...DEFAULT_COMPARE_LIMITS,
      maxDiffInputBytes: 1 << 20,
      maxPatchBytes: 1000,
    });
    expect(result.content.kind === 'text-diff' && result.content.isTruncated).toBe(true);
    expect(result.content.kind === 'text-diff' && result.content.patch).toMatch(
      /\[diff truncated at 1000 bytes\]/,
    );
  });

  it('refuses to line-diff files over the input cap', () => {
    const result = compare('/x', version('a'.repeat(100)), version('b'.repeat(100)), {
      ...DEFAULT_COMPARE_LIMITS,
      maxDiffInputBytes: 50,
      maxPatchBytes: 1000,
    });
    expect(result.content).toMatchObject({
      kind: 'summary',
      reason: expect.stringMatching(/too large/),
    });
  });

  it('gives up a line diff of two large, very different texts within its time limit', () => {
    // 1 MiB each, no line in common: jsdiff alone works on it for tens of seconds.
    const lines = (seed: string) =>
      Array.from({ length: 60_000 }, (_, i) => `${seed}${(i * 7919) % 60_000}`).join('\n');
    const result = compare('/var/log/app.log', version(lines('a')), version(lines('b')), {
      ...DEFAULT_COMPARE_LIMITS,
      diffTimeoutMs: 200,
    });
    expect(result.content).toMatchObject({
      kind: 'summary',
      reason: expect.stringMatching(/too different for a line diff \(.* or 200 ms\)/),
    });
  });

  it('summarises once the triage has no time left for line diffs', () => {
    const result = compare('/etc/passwd', version('root\n'), version('root\nevil\n'), {
      ...DEFAULT_COMPARE_LIMITS,
      diffTimeoutMs: 0,
    });
    expect(result.content).toMatchObject({
      kind: 'summary',
      reason: expect.stringMatching(/spent/),
    });
  });
});
