import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerTar, type LayerTarNotes } from '../../src/sources/layer-store/layer-tar.js';
import { tarEntries, readBounded } from '../../src/tar-entries.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-tar-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function entriesOf(upper: string, opaque: Set<string> = new Set()) {
  const notes: LayerTarNotes = { left: [], entries: 0 };
  const found: Record<string, { type: string; linkname?: string; mode: number; body?: string }> =
    {};
  for await (const e of tarEntries(layerTar(upper, opaque, notes))) {
    const body =
      e.header.type === 'file' ? (await readBounded(e, 1 << 20)).data.toString() : undefined;
    if (e.header.type !== 'file') e.resume();
    found[e.header.name] = {
      type: e.header.type!,
      mode: e.header.mode!,
      ...(e.header.linkname ? { linkname: e.header.linkname } : {}),
      ...(body !== undefined ? { body } : {}),
    };
  }
  return { found, notes };
}

describe('an overlay upper dir as an OCI layer tar', () => {
  it.runIf(isRoot)(
    'writes deletions as .wh. files, opaque folders, links and modes as they are',
    async () => {
      const upper = path.join(dir, 'upper');
      await mkdir(path.join(upper, 'var/www/html'), { recursive: true });
      await mkdir(path.join(upper, 'opt/app'), { recursive: true });
      await writeFile(path.join(upper, 'var/www/html/shell.php'), '<?php system($_GET[1]);');
      await writeFile(path.join(upper, 'usr-bin-x'), 'ELF');
      await chmod(path.join(upper, 'usr-bin-x'), 0o4755);
      await link(path.join(upper, 'usr-bin-x'), path.join(upper, 'hard'));
      await symlink('/etc/shadow', path.join(upper, 'var/www/html/leak'));
      execFileSync('mknod', [path.join(upper, 'var/www/html/index.html'), 'c', '0', '0']);
      const { found, notes } = await entriesOf(upper, new Set(['/opt/app']));
      expect(found['var/www/html/shell.php']).toMatchObject({
        type: 'file',
        body: '<?php system($_GET[1]);',
      });
      expect(found['var/www/html/.wh.index.html']).toMatchObject({ type: 'file', body: '' });
      expect(found['var/www/html/index.html']).toBeUndefined();
      expect(found['opt/app/']).toMatchObject({ type: 'directory' });
      expect(found['opt/app/.wh..wh..opq']).toMatchObject({ type: 'file' });
      expect(found['var/www/html/leak']).toMatchObject({
        type: 'symlink',
        linkname: '/etc/shadow',
      });
      expect(found['hard'] ?? found['usr-bin-x']).toBeDefined();
      const [first, second] = ['hard', 'usr-bin-x'].sort();
      expect(found[first!]).toMatchObject({ type: 'file', mode: 0o4755, body: 'ELF' });
      expect(found[second!]).toMatchObject({ type: 'link', linkname: first });
      expect(notes.left).toEqual([]);
    },
  );

  it('reads nothing through a link the container made', async () => {
    const upper = path.join(dir, 'links');
    await mkdir(upper);
    await symlink('/etc', path.join(upper, 'etc'));
    const { found } = await entriesOf(upper);
    expect(found['etc']).toMatchObject({ type: 'symlink', linkname: '/etc' });
    expect(Object.keys(found)).toEqual(['etc']);
  });
});
