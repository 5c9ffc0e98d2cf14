/**
 * A containerd that lies (issue 26; docs/hostile.md): the real test containerd, its answers
 * rewritten between it and the source, as a compromised node's daemon could write them.
 * coroner must check what containerd says against the kernel and against containerd's own
 * records: an upper dir the kernel did not mount, a folder outside every containerd root,
 * host pids claimed as the task's, an evidence image retargeted after the triage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { exportReport } from '../../src/app/export.js';
import { CustodyLog } from '../../src/case/custody.js';
import { connectContainerd } from '../../src/sources/containerd-api/containerd-client.js';
import type {
  ContainerdApi,
  MountSpec,
} from '../../src/sources/containerd-api/containerd-types.js';
import { ContainerdSource } from '../../src/sources/containerd-live/containerd-source.js';
import { webshellAttack } from '../support/engine.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';

/** The client, with some of its answers replaced. */
function lying(api: ContainerdApi, lies: Partial<ContainerdApi>): ContainerdApi {
  return new Proxy(api, {
    get: (target, key, receiver) =>
      key in lies
        ? lies[key as keyof ContainerdApi]
        : (Reflect.get(target, key, receiver) as unknown),
  });
}

const withUpper = (mounts: MountSpec[], upper: string): MountSpec[] =>
  mounts.map((m) => ({
    ...m,
    options: m.options.map((o) => (o.startsWith('upperdir=') ? `upperdir=${upper}` : o)),
  }));

describe('a containerd whose answers are rewritten', () => {
  let ctd: TestContainerd;
  let api: ContainerdApi;
  let web: PodContainer;
  let other: PodContainer;
  let cases: string;
  const subject = 'shop/web-7d9f/httpd';
  const upperOf = async (id: string) => {
    const c = (await api.container(id))!;
    const mounts = await api.snapshotMounts(c.snapshotter, c.snapshotKey);
    return mounts[0]!.options.find((o) => o.startsWith('upperdir='))!.slice('upperdir='.length);
  };
  const triageWith = (source: ContainerdSource, name: string) =>
    triage(source, subject, {
      caseDir: path.join(cases, name),
      cacheDir: path.join(cases, 'cache'),
    });

  beforeAll(async () => {
    ctd = await startTestContainerd();
    const image = await ctd.importFromSystem('coroner-sample/webshell:latest');
    const pod = (container: string, name: string) =>
      ctd.runPod({
        namespace: 'shop',
        pod: name,
        container,
        image,
        command: ['sh', '-c', 'exec /usr/local/bin/start-web'],
      });
    web = await pod('httpd', 'web-7d9f');
    other = await pod('httpd', 'other-1');
    await ctd.exec(web.id, 'sh', '-euc', webshellAttack());
    api = await connectContainerd({ address: ctd.address, namespace: 'k8s.io' });
    cases = await mkdtemp(path.join(os.tmpdir(), 'coroner-ctd-hostile-'));
  }, 300_000);

  afterAll(async () => {
    api?.close();
    await ctd?.destroy();
    if (cases) await rm(cases, { recursive: true, force: true });
  }, 120_000);

  it("refuses another container's upper dir, which the kernel did not mount as the task's root", async () => {
    const elsewhere = await upperOf(other.id);
    const source = new ContainerdSource(
      lying(api, {
        snapshotMounts: async (snapshotter, key) =>
          withUpper(await api.snapshotMounts(snapshotter, key), elsewhere),
      }),
      { podLogs: ctd.podLogs },
    );
    await expect(triageWith(source, 'other-upper')).rejects.toThrow(
      /the kernel mounted .* as its process's root: containerd's answers cannot be trusted/,
    );
    // The suspect was resumed all the same.
    expect((await api.task(web.id))?.status).toBe('running');
  });

  it('refuses a folder outside the root of every containerd on this host', async () => {
    const source = new ContainerdSource(
      lying(api, {
        snapshotMounts: async (snapshotter, key) =>
          withUpper(
            await api.snapshotMounts(snapshotter, key),
            '/etc/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs',
          ),
        // A stopped task: no kernel to ask, so containerd's roots and metadata must say no.
        task: async (id) => {
          const task = await api.task(id);
          return task && { ...task, pid: 0, status: 'stopped' as const };
        },
      }),
      { podLogs: ctd.podLogs },
    );
    await expect(triageWith(source, 'outside')).rejects.toThrow(
      /is not in the root of a containerd running on this host/,
    );
  });

  it("reads no host process containerd claims as the task's", async () => {
    const source = new ContainerdSource(
      lying(api, {
        taskPids: async (id) => [1, process.pid, ...(await api.taskPids(id))],
      }),
      { podLogs: ctd.podLogs },
    );
    const report = await triageWith(source, 'pids');
    const pids = (report.processes ?? []).map((p) => p.pid);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids).not.toContain(1);
    expect(pids).not.toContain(process.pid);
  });

  it('says the task is left paused, and how to resume it, when containerd will not resume it', async () => {
    const source = new ContainerdSource(
      lying(api, {
        resume: async () => {
          throw new Error('resume refused');
        },
      }),
      { podLogs: ctd.podLogs },
    );
    try {
      await expect(triageWith(source, 'no-resume')).rejects.toThrow(
        /task \S+ is left paused: resuming it failed \(resume refused\)/,
      );
      expect((await api.task(web.id))?.status).toBe('paused');
    } finally {
      await api.resume(web.id);
    }
  });

  it('refuses to export an evidence image whose record was retargeted after the triage', async () => {
    const source = new ContainerdSource(api, { podLogs: ctd.podLogs });
    const report = await triageWith(source, 'retarget');
    if (report.evidence.kind !== 'image') throw new Error('expected an evidence image');
    const name = `${report.evidence.repo}:${report.evidence.tag}`;
    const image = (await api.image(name))!;
    const original = (await api.image((await api.container(web.id))!.image))!;
    await api.putImage({ ...image, target: original.target });
    await expect(
      exportReport(source, report, {
        outPath: path.join(cases, 'retarget.tar.gz'),
        custody: new CustodyLog(),
      }),
    ).rejects.toThrow(/now names .*, not the .* the triage made: it was changed on the node/);
  });
});
