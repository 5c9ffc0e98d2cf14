import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { compareMetadata, compareVersions } from '../../src/compare/compare.js';
import type { StoredVersion } from '../../src/compare/read-version.js';
import type { FileMeta } from '../../src/layers/file-meta.js';

const meta = (over: Partial<FileMeta> = {}): FileMeta => ({
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  sizeBytes: 0,
  ...over,
});

async function stored(
  folder: CaseFolder,
  name: string,
  content: string | Buffer,
  over: Partial<FileMeta> = {},
): Promise<StoredVersion> {
  const r = await folder.writeStream(name, Readable.from([Buffer.from(content)]), {
    description: name,
  });
  return {
    meta: meta({ sizeBytes: r.sizeBytes, ...over }),
    content: {
      path: r.path,
      sha256: r.sha256,
      sizeBytes: r.sizeBytes,
      isTruncated: false,
      storedSha256: r.sha256,
    },
  };
}

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
  it('gives a unified diff of text', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'cmp-')));
    const result = await compareVersions(
      folder,
      '/etc/passwd',
      await stored(folder, 'o', 'root\n'),
      await stored(folder, 'c', 'root\nevil\n'),
    );
    expect(result.content).toMatchObject({
      kind: 'text-diff',
      addedLines: 1,
      removedLines: 0,
      isTruncated: false,
    });
    expect(result.content.kind === 'text-diff' && result.content.patch).toMatch(/\n\+evil\n/);
  });

  it('summarises binaries by type, size and hash', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'cmp-')));
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]);
    const result = await compareVersions(
      folder,
      '/bin/ps',
      await stored(folder, 'o', '#!/bin/sh\n'),
      await stored(folder, 'c', elf),
    );
    expect(result.content).toEqual({ kind: 'summary', reason: 'binary content (script -> elf)' });
    expect(result.current).toMatchObject({ type: 'elf', sizeBytes: 7 });
  });

  it('caps a long diff with a visible marker', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'cmp-')));
    const many = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    const result = await compareVersions(folder, '/x', undefined, await stored(folder, 'c', many), {
      maxDiffInputBytes: 1 << 20,
      maxPatchBytes: 1000,
    });
    expect(result.content.kind === 'text-diff' && result.content.isTruncated).toBe(true);
    expect(result.content.kind === 'text-diff' && result.content.patch).toMatch(
      /\[diff truncated at 1000 bytes\]/,
    );
  });

  it('refuses to line-diff files over the input cap', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'cmp-')));
    const result = await compareVersions(
      folder,
      '/x',
      await stored(folder, 'o', 'a'.repeat(100)),
      await stored(folder, 'c', 'b'.repeat(100)),
      {
        maxDiffInputBytes: 50,
        maxPatchBytes: 1000,
      },
    );
    expect(result.content).toMatchObject({
      kind: 'summary',
      reason: expect.stringMatching(/too large/),
    });
  });
});
