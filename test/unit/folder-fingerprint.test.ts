/**
 * A checked layer folder's fingerprint (layer-tree.ts): the same from either walk, the same
 * while nothing changes, and different after any change a tamperer could make without
 * touching the layer's record: content rewritten to the same size with its time put back,
 * a mode, an owner, an added file, a link retargeted.
 */
import { chmod, chown, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fingerprintFolder,
  folderFingerprint,
  walkLayerFolder,
} from '../../src/sources/layer-store/layer-tree.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fingerprint-'));
  await writeFile(path.join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await symlink('passwd', path.join(dir, 'link'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** ctime has a clock's resolution: a change right after the first reading must still show. */
const later = () => new Promise((r) => setTimeout(r, 20));

describe('a layer folder fingerprint', () => {
  it('is the same from the awaited walk and the one-go walk, and while nothing changes', async () => {
    const first = fingerprintFolder(dir);
    expect(folderFingerprint(await walkLayerFolder(dir))).toBe(first);
    expect(fingerprintFolder(dir)).toBe(first);
  });

  it.each([
    [
      'a same-size edit with its times put back',
      async () => {
        await writeFile(path.join(dir, 'passwd'), 'toor:x:0:0::/root:/bin/sh\n');
        await utimes(path.join(dir, 'passwd'), 0, 0);
      },
    ],
    ['setuid added', () => chmod(path.join(dir, 'passwd'), 0o4755)],
    ['an owner changed', () => chown(path.join(dir, 'passwd'), 1000, 1000)],
    ['a file added', () => writeFile(path.join(dir, 'added'), 'x')],
    [
      'a link retargeted',
      async () => {
        await unlink(path.join(dir, 'link'));
        await symlink('shadow', path.join(dir, 'link'));
      },
    ],
  ])('changes with %s', async (_, tamper) => {
    const before = fingerprintFolder(dir);
    await later();
    await tamper();
    expect(fingerprintFolder(dir)).not.toBe(before);
  });
});
