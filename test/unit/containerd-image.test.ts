import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chainId,
  holdsSomething,
  overlayDirs,
  readImageFile,
} from '../../src/relaunch/containerd-image.js';

const work = mkdtempSync(path.join(tmpdir(), 'coroner-layers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A layer folder as containerd's overlayfs snapshotter keeps it. */
function layer(name: string, files: Record<string, string | { link: string } | 'whiteout'>) {
  const dir = path.join(work, name);
  for (const [rel, what] of Object.entries(files)) {
    const full = path.join(dir, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    if (what === 'whiteout') execFileSync('mknod', [full, 'c', '0', '0']);
    else if (typeof what === 'string') writeFileSync(full, what);
    else symlinkSync(what.link, full);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const isRoot = process.getuid?.() === 0;

describe("the image's files, read from its layers", () => {
  const host = layer('host', { passwd: 'root:x:0:0::/:/bin/sh\nhost-secret:x:1:1::/:/bin/sh\n' });

  it('reads /etc/passwd from the top layer that has it', async () => {
    const low = layer('low', { 'etc/passwd': 'root:x:0:0::/:/bin/sh\n' });
    const top = layer('top', { 'etc/passwd': 'www-data:x:33:33::/:/bin/sh\n' });
    expect((await readImageFile([top, low], '/etc/passwd'))?.toString()).toContain('www-data');
    expect((await readImageFile([low], 'etc/passwd'))?.toString()).toContain('root');
  });

  it("never follows the image's links: a folder or file that is a link to the host reads as nothing", async () => {
    const linkedDir = layer('linked-dir', { etc: { link: host } });
    const linkedFile = layer('linked-file', { 'etc/passwd': { link: path.join(host, 'passwd') } });
    expect(await readImageFile([linkedDir], 'etc/passwd')).toBeUndefined();
    expect(await readImageFile([linkedFile], 'etc/passwd')).toBeUndefined();
    expect(await readImageFile([layer('dots', {})], '../host/passwd')).toBeUndefined();
    expect(await holdsSomething([linkedDir], '/etc')).toBe(false);
  });

  it.skipIf(!isRoot)(
    'honours a whiteout: a file or folder deleted in an upper layer is gone',
    async () => {
      const low = layer('wlow', {
        'etc/passwd': 'root:x:0:0::/:/bin/sh\n',
        'var/log/app/a.log': 'x',
      });
      const top = layer('wtop', { 'etc/passwd': 'whiteout', 'var/log/app/a.log': 'whiteout' });
      expect(await readImageFile([top, low], 'etc/passwd')).toBeUndefined();
      expect(await holdsSomething([low], '/var/log/app')).toBe(true);
      expect(await holdsSomething([top, low], '/var/log/app')).toBe(false);
    },
  );

  it('finds the upper and lower folders of an overlay mount, and a single layer bound', () => {
    expect(
      overlayDirs([
        {
          type: 'overlay',
          source: 'overlay',
          options: [
            'index=off',
            'workdir=/s/2/work',
            'upperdir=/s/2/fs',
            'lowerdir=/s/1/fs:/s/0/fs',
          ],
        },
      ]),
    ).toEqual({ upper: '/s/2/fs', lower: ['/s/1/fs', '/s/0/fs'] });
    expect(overlayDirs([{ type: 'bind', source: '/s/0/fs', options: ['ro', 'rbind'] }])).toEqual({
      lower: ['/s/0/fs'],
    });
  });

  it('chains layer ids as the OCI image spec says', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    expect(chainId([a])).toBe(a);
    // sha256("sha256:aaa… sha256:bbb…"), computed independently with sha256sum.
    const expected = execFileSync('sh', ['-c', `printf '%s %s' ${a} ${b} | sha256sum`])
      .toString()
      .split(' ')[0];
    expect(chainId([a, b])).toBe(`sha256:${expected}`);
  });
});
