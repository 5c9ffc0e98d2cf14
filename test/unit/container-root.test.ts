import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { CustodyLog } from '../../src/case/custody.js';
import { ContainerRoot } from '../../src/sources/host-proc/container-root.js';
import { readMemoryMounts } from '../../src/sources/host-proc/memory-mounts.js';

/** Every byte the case folder holds, as one buffer (to look for a marker anywhere in it). */
async function allBytes(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push(await readFile(path.join(entry.path, entry.name)));
  }
  return Buffer.concat(parts);
}

/** A container root in a temporary folder, with /dev/shm, and a host-only folder beside it. */
async function fixture() {
  const base = await mkdtemp(path.join(os.tmpdir(), 'container-root-'));
  const root = path.join(base, 'root');
  await mkdir(path.join(root, 'dev', 'shm'), { recursive: true });
  const hostOnly = path.join(base, 'host-only');
  await mkdir(hostOnly);
  const marker = `host-only-${process.pid}-${Date.now()}`;
  await writeFile(path.join(hostOnly, 'secret'), marker);
  const caseDir = path.join(base, 'case');
  return { base, root, hostOnly, marker, caseDir, folder: await CaseFolder.create(caseDir) };
}

async function read(root: string, folder: CaseFolder, destinations = ['/dev/shm']) {
  const at = await ContainerRoot.ofFolder(root);
  try {
    return await readMemoryMounts(at, destinations, folder, new CustodyLog([]), {
      maxContentBytes: 1024 * 1024,
    });
  } finally {
    await at.close();
  }
}

describe('reading a tmpfs inside the container root', () => {
  it('resolves an absolute link on the way to the mount inside the root, never on the host', async () => {
    const f = await fixture();
    // /dev/shm -> <the host-only folder's absolute path>: on the host that is a real folder.
    await mkdir(path.join(f.root, 'run'));
    await symlink(f.hostOnly, path.join(f.root, 'run', 'shm'));
    const { changes, notCollected, read: wasRead } = await read(f.root, f.folder, ['/run/shm']);
    expect(changes).toEqual([]);
    expect(wasRead).toEqual([]);
    expect(notCollected.map((n) => n.item)).toEqual(['all of /run/shm']);
    expect((await allBytes(f.caseDir)).includes(f.marker)).toBe(false);
  });

  it('follows a link on the way to the mount as the container would, inside its root', async () => {
    const f = await fixture();
    await mkdir(path.join(f.root, 'run'));
    await symlink('/dev/shm', path.join(f.root, 'run', 'shm'));
    await writeFile(path.join(f.root, 'dev', 'shm', 'payload'), 'in the container');
    const { changes, read: wasRead } = await read(f.root, f.folder, ['/run/shm']);
    expect(changes.map((c) => c.entry.path)).toEqual(['/run/shm/payload']);
    expect(wasRead).toEqual(['/run/shm']);
  });

  it('records a link inside the tmpfs as a link, without reading what it names', async () => {
    const f = await fixture();
    await symlink(path.join(f.hostOnly, 'secret'), path.join(f.root, 'dev', 'shm', 'link'));
    await symlink(f.hostOnly, path.join(f.root, 'dev', 'shm', 'folder-link'));
    const { changes } = await read(f.root, f.folder);
    expect(changes.map((c) => [c.entry.path, c.versions.current?.meta.type])).toEqual([
      ['/dev/shm/folder-link', 'symlink'],
      ['/dev/shm/link', 'symlink'],
    ]);
    expect(changes[1]!.versions.current?.meta.linkTarget).toBe(path.join(f.hostOnly, 'secret'));
    expect((await allBytes(f.caseDir)).includes(f.marker)).toBe(false);
  });

  it('never climbs above the root through `..` on the way to the mount', async () => {
    const f = await fixture();
    await symlink('../../../../../../..' + f.hostOnly, path.join(f.root, 'dev', 'up'));
    const { changes, notCollected } = await read(f.root, f.folder, ['/dev/up']);
    expect(changes).toEqual([]);
    expect(notCollected).toHaveLength(1);
    expect((await allBytes(f.caseDir)).includes(f.marker)).toBe(false);
  });

  it('keeps two files whose names differ only in bytes that are not UTF-8, each with its own content', async () => {
    const f = await fixture();
    const shm = Buffer.from(path.join(f.root, 'dev', 'shm/'));
    const decoy = Buffer.concat([shm, Buffer.from([0x73, 0x68, 0xff])]); // "sh\xff"
    const shell = Buffer.concat([shm, Buffer.from([0x73, 0x68, 0xfe])]); // "sh\xfe"
    await writeFile(decoy, 'decoy');
    await writeFile(shell, '<?php system($_GET[1]);');
    const { changes, notCollected } = await read(f.root, f.folder);
    expect(notCollected).toEqual([]);
    expect(changes).toHaveLength(2);
    const [a, b] = changes;
    expect(a!.entry.path).not.toBe(b!.entry.path);
    expect(a!.versions.current?.content?.path).not.toBe(b!.versions.current?.content?.path);
    const stored = await Promise.all(
      changes.map((c) => readFile(path.join(f.caseDir, c.versions.current!.content!.path), 'utf8')),
    );
    expect(stored.sort()).toEqual(['<?php system($_GET[1]);', 'decoy']);
  });

  it('names a file it cannot store as not collected and reads the rest', async () => {
    const f = await fixture();
    await writeFile(path.join(f.root, 'dev', 'shm', 'a'), 'first');
    await writeFile(path.join(f.root, 'dev', 'shm', 'b'), 'second');
    // A stored file already in the way of the first: the case folder refuses to overwrite it.
    const first = await read(f.root, f.folder);
    expect(first.changes).toHaveLength(2);
    const again = await read(f.root, f.folder);
    expect(again.notCollected.map((n) => n.item)).toEqual(['/dev/shm/a', '/dev/shm/b']);
  });
});
