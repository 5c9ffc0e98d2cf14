import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { hasReplacedBytes, readByRawName } from '../../src/sources/layer-store/raw-name.js';

const raw = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('readByRawName', () => {
  it('finds a file whose name is not UTF-8 by the name the engine reported, and stores it', async () => {
    const layer = await mkdtemp(path.join(os.tmpdir(), 'layer-'));
    await mkdir(path.join(layer, 'tmp'));
    await writeFile(raw(layer, '/tmp/', 'bad-utf8-', [0xff, 0xfe]), 'hidden payload');
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    const reported = '/tmp/bad-utf8-\uFFFD\uFFFD';
    expect(hasReplacedBytes(reported)).toBe(true);
    const match = await readByRawName(layer, reported, folder, 'current/x', 'x');
    expect(match?.rawPath.subarray(layer.length).toString('hex')).toBe(
      raw('/tmp/bad-utf8-', [0xff, 0xfe]).toString('hex'),
    );
    expect(match?.version.content?.sha256).toBe(
      createHash('sha256').update('hidden payload').digest('hex'),
    );
    expect(match?.version.meta).toMatchObject({ type: 'file', sizeBytes: 14 });
  });

  it('finds nothing for a name no raw name decodes to, and never walks through a link', async () => {
    const layer = await mkdtemp(path.join(os.tmpdir(), 'layer-'));
    const outside = await mkdtemp(path.join(os.tmpdir(), 'outside-'));
    await writeFile(raw(outside, '/', 'x', [0xff]), 'outside the layer');
    await symlink(outside, path.join(layer, 'tmp'));
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'case-')));
    expect(await readByRawName(layer, '/tmp/x\uFFFD', folder, 'current/y', 'y')).toBeUndefined();
    expect(await readByRawName(layer, '/nothing\uFFFD', folder, 'current/z', 'z')).toBeUndefined();
  });
});
