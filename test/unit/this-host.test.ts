import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { CustodyLog } from '../../src/case/custody.js';
import { captureOnHost } from '../../src/sources/docker-live/host-capture.js';
import type { ContainerInspect } from '../../src/sources/docker-live/types.js';
import { proveOnThisHost } from '../../src/sources/host-proc/this-host.js';

const isRoot = process.getuid?.() === 0;
const fakeId = 'f'.repeat(64);

/** What a hostile engine may claim: any id, any pid of this host, any folder. */
function claim(id: string, pid: number, mergedDir?: string, tmpfs: string[] = []) {
  return {
    Id: id,
    State: { Running: true, Pid: pid },
    GraphDriver: { Name: 'overlay2', Data: mergedDir ? { MergedDir: mergedDir } : {} },
    HostConfig: { IpcMode: 'host', Tmpfs: Object.fromEntries(tmpfs.map((t) => [t, ''])) },
    Mounts: [],
  } as unknown as ContainerInspect;
}

describe.runIf(isRoot)('proving the engine runs on this host', () => {
  it('refuses an id that is not a container id, though every cgroup path holds it', async () => {
    expect(await proveOnThisHost(claim('/', process.pid, '/'))).toMatchObject({
      reason: expect.stringMatching(/nothing proves the engine runs on this host/),
    });
  });

  it("refuses a pid of this host that is in no container's cgroup", async () => {
    expect(await proveOnThisHost(claim(fakeId, 1, '/'))).toMatchObject({
      reason: expect.stringMatching(/not in the container's cgroup/),
    });
  });

  it('reads none of the processes or folders a lying engine names', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'this-host-'));
    const hostOnly = path.join(base, 'host-only');
    await mkdir(hostOnly);
    const marker = `host-only-${process.pid}-${Date.now()}`;
    await writeFile(path.join(hostOnly, 'secret'), marker);
    const caseDir = path.join(base, 'case');
    const folder = await CaseFolder.create(caseDir);
    // An id every cgroup line "contains", coroner's own pid, and this host's folder as a tmpfs.
    const captured = await captureOnHost(
      claim('/', process.pid, '/', [hostOnly]),
      folder,
      new CustodyLog([]),
      { maxContentBytes: 1024 * 1024 },
    );
    expect(captured.processes).toBeUndefined();
    expect(captured.memoryMounts).toEqual([]);
    expect(captured.notCollected.map((n) => n.item)).toEqual([
      'processes (executables, open and mapped files, sockets)',
      '/dev/shm and tmpfs mounts',
    ]);
    for (const entry of await readdir(caseDir, { withFileTypes: true, recursive: true }))
      if (entry.isFile())
        expect((await readFile(path.join(entry.path, entry.name))).includes(marker)).toBe(false);
  });
});
