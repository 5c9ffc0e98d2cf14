/**
 * coroner's containerd client against a real containerd 1.7 holding a Kubernetes-style pod
 * (test/support/test-containerd.ts): every call of ContainerdApi, on the CRI plugin's
 * layout, and a second container run start to finish through the client alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContainerd } from '../../src/sources/containerd-api/containerd-client.js';
import type { ContainerdApi } from '../../src/sources/containerd-api/containerd-types.js';
import { defaultSpec, SPEC_TYPE_URL } from '../../src/sources/containerd-api/oci-spec.js';
import {
  startTestContainerd,
  type PodContainer,
  type TestContainerd,
} from '../support/test-containerd.js';

/** `<RFC3339Nano> <stdout|stderr> <F|P> <content>` (kubernetes pkg/kubelet/kuberuntime/logs). */
const CRI_LINE =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (stdout|stderr) (F|P) (.*)$/;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs = 20_000,
): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const args = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (args.includes(text)) found.push(args.replaceAll('\0', ' '));
  }
  return found;
}

describe('the containerd client on a containerd holding pods', () => {
  let ctd: TestContainerd;
  let api: ContainerdApi;
  let image: string;
  let web: PodContainer;

  beforeAll(async () => {
    ctd = await startTestContainerd();
    image = await ctd.importFromSystem('coroner-sample/webshell:latest');
    web = await ctd.runPod({
      namespace: 'shop',
      pod: 'web-7d9f',
      container: 'httpd',
      image,
      command: ['sh', '-c', 'echo started; echo oops >&2; exec /usr/local/bin/start-web'],
      podLabels: { app: 'shop-web' },
    });
    api = await connectContainerd({ address: ctd.address, namespace: 'k8s.io' });
  }, 180_000);

  afterAll(async () => {
    api?.close();
    if (!ctd) return;
    const base = path.dirname(ctd.root);
    await ctd.destroy();
    // Nothing is left: no folder, and (a second later) no process started from it.
    await expect(stat(base)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await processesMentioning(base)).toEqual([]);
  }, 120_000);

  it('answers version and lists the k8s.io namespace', async () => {
    expect((await api.version()).version).toMatch(/^1\.7\./);
    expect(await api.namespaces()).toContain('k8s.io');
  });

  it('lists the pod container with the CRI labels, and its sandbox with the pod labels', async () => {
    const all = await api.containers();
    const c = all.find((x) => x.id === web.id)!;
    expect(c.labels).toMatchObject({
      'io.kubernetes.pod.namespace': 'shop',
      'io.kubernetes.pod.name': 'web-7d9f',
      'io.kubernetes.pod.uid': web.podUid,
      'io.kubernetes.container.name': 'httpd',
      'io.cri-containerd.kind': 'container',
    });
    expect(c.image).toBe(image);
    expect(c.snapshotter).toBe('overlayfs');
    expect(c.runtime.name).toBe('io.containerd.runc.v2');
    expect(c.spec?.typeUrl).toBe(SPEC_TYPE_URL);
    const { process, annotations, mounts } = JSON.parse(c.spec!.value.toString());
    // Shaped as the CRI plugin's: the image's own /run, no open-files limit.
    expect(mounts.map((m: { destination: string }) => m.destination)).not.toContain('/run');
    expect(process.rlimits).toBeUndefined();
    expect(annotations).toMatchObject({
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': web.sandboxId,
      'io.kubernetes.cri.sandbox-name': 'web-7d9f',
      'io.kubernetes.cri.container-name': 'httpd',
    });
    expect(process.args[0]).toBe('sh');
    // As the kubelet leaves it when allowPrivilegeEscalation is unset.
    expect(process.noNewPrivileges ?? false).toBe(false);
    expect(c.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{9})?Z$/);
    // The CRI plugin's own record, where a node keeps the log path.
    const record = c.extensions['io.cri-containerd.container.metadata']!;
    expect(record.typeUrl).toBe('github.com/containerd/cri/pkg/store/container/Metadata');
    expect(JSON.parse(record.value.toString())).toMatchObject({
      Version: 'v1',
      Metadata: { ID: web.id, SandboxID: web.sandboxId, LogPath: web.logPath },
    });
    // containerd's own view (ctr) agrees with what the client decoded.
    const seenByCtr = JSON.parse(await ctd.ctr('-n', 'k8s.io', 'containers', 'info', web.id));
    expect(seenByCtr).toMatchObject({
      Labels: c.labels,
      SnapshotKey: c.snapshotKey,
      Image: c.image,
    });
    const sandbox = all.find((x) => x.id === web.sandboxId)!;
    expect(sandbox.labels).toMatchObject({ app: 'shop-web', 'io.cri-containerd.kind': 'sandbox' });
    expect((await api.container(web.id))?.snapshotKey).toBe(c.snapshotKey);
    expect(await api.container('no-such-container')).toBeUndefined();
  });

  it('runs a second container of the pod in the sandbox, sharing its network', async () => {
    const sidecar = await ctd.runPod({
      namespace: 'shop',
      pod: 'web-7d9f',
      container: 'sidecar',
      image,
      command: ['sleep', '600'],
    });
    expect(sidecar.sandboxId).toBe(web.sandboxId);
    expect(sidecar.podUid).toBe(web.podUid);
    const sandboxPid = (await api.task(web.sandboxId))!.pid;
    const net = (pid: number) => readlink(`/proc/${pid}/ns/net`);
    expect(await net(sidecar.pid)).toBe(await net(sandboxPid));
    expect(await net(web.pid)).toBe(await net(sandboxPid));
    expect(await net(web.pid)).not.toBe(await readlink('/proc/self/ns/net'));
    expect((await ctd.exec(sidecar.id, 'hostname')).trim()).toBe('web-7d9f');
  });

  it('reads the task, its pids, and pauses and resumes it', async () => {
    const task = await api.task(web.id);
    expect(task).toMatchObject({ containerId: web.id, pid: web.pid, status: 'running' });
    expect(await api.taskPids(web.id)).toContain(web.pid);
    await api.pause(web.id);
    expect((await api.task(web.id))?.status).toBe('paused');
    await api.resume(web.id);
    expect((await api.task(web.id))?.status).toBe('running');
    expect(await api.task('no-such-container')).toBeUndefined();
  });

  it('gives the overlay mount of the container snapshot, with its upper dir', async () => {
    const c = (await api.container(web.id))!;
    const mounts = await api.snapshotMounts(c.snapshotter, c.snapshotKey);
    expect(mounts[0]?.type).toBe('overlay');
    const upper = mounts[0]!.options.find((o) => o.startsWith('upperdir='))!;
    expect(upper).toBeDefined();
    // The attacker's write lands in that upper dir, which the host reads without entering the container.
    await ctd.exec(
      web.id,
      'sh',
      '-c',
      'echo "<?php system(\\$_GET[1]); ?>" > /var/www/uploads/x.php',
    );
    const onHost = path.join(upper.slice('upperdir='.length), 'var/www/uploads/x.php');
    expect(await readFile(onHost, 'utf8')).toContain('system');
    const info = await api.snapshotStat(c.snapshotter, c.snapshotKey);
    expect(info).toMatchObject({ name: c.snapshotKey, kind: 'active' });
    expect(info!.parent).not.toBe('');
    expect(await api.snapshotStat(c.snapshotter, 'no-such-snapshot')).toBeUndefined();
  });

  it('names the image with a manifest or index target', async () => {
    const img = (await api.image(image))!;
    expect(img.target.mediaType).toMatch(/manifest|index/);
    expect(img.target.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img.target.size).toBeGreaterThan(0);
    expect((await api.images()).map((i) => i.name)).toContain(image);
    expect(await api.image('docker.io/library/no-such-image:latest')).toBeUndefined();
  });

  it('writes a blob under a lease, names it in an image and reads the same bytes back', async () => {
    const lease = `coroner-test-${randomBytes(4).toString('hex')}`;
    await api.createLease(lease, { 'coroner.test': 'true' });
    // Three chunks and a bit: the write is streamed in pieces of at most 1 MiB.
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const expected = { mediaType: 'application/octet-stream', digest, size: blob.length };
    await api.writeContent(blob, expected, { lease, ref: `coroner-test-${digest}` });
    // Written again: an existing blob is fine.
    await api.writeContent(blob, expected, { lease, ref: `coroner-test-${digest}` });
    const name = `coroner-evidence/shop/web-7d9f/httpd:test-${lease}`;
    await api.putImage({ name, labels: { 'coroner.test': 'true' }, target: expected });
    await api.putImage({ name, labels: { 'coroner.test': 'again' }, target: expected });
    expect((await api.image(name))?.labels).toEqual({ 'coroner.test': 'again' });
    const chunks: Buffer[] = [];
    for await (const chunk of api.readContent(digest)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    // A blob whose bytes do not match its digest is refused by containerd.
    const wrong = { ...expected, digest: `sha256:${'0'.repeat(64)}` };
    await expect(
      api.writeContent(blob, wrong, { lease, ref: 'coroner-test-wrong' }),
    ).rejects.toThrow(/containerd refused/);
    await ctd.ctr('-n', 'k8s.io', 'images', 'rm', name);
    await api.deleteLease(lease);
  });

  it('writes the container output to its pod log in the CRI format', async () => {
    const lines = await until('the pod log', async () => {
      const text = await readFile(web.logPath, 'utf8').catch(() => '');
      return text.includes('oops') ? text.split('\n').filter(Boolean) : undefined;
    });
    expect(web.logPath).toBe(
      path.join(ctd.podLogs, `shop_web-7d9f_${web.podUid}`, 'httpd', '0.log'),
    );
    for (const line of lines) expect(line).toMatch(CRI_LINE);
    expect(lines.map((l) => l.match(CRI_LINE)!.slice(2).join(' '))).toEqual(
      expect.arrayContaining(['stdout F started', 'stderr F oops']),
    );
  });

  it('runs a second container from the same image through the client alone', async () => {
    const id = `coroner-twin-${randomBytes(4).toString('hex')}`;
    const parent = (await api.snapshotStat(
      'overlayfs',
      (await api.container(web.id))!.snapshotKey,
    ))!.parent;
    // Under a lease, as containerd's own client does: garbage collection cannot take the
    // new snapshot before the container names it.
    const lease = `coroner-test-${id}`;
    await api.createLease(lease);
    const leased = api.withLease(lease);
    const rootfs = await leased.prepareSnapshot('overlayfs', id, parent, {
      'coroner.test': 'true',
    });
    const spec = defaultSpec({
      args: ['sh', '-c', 'echo twin > /tmp/out; cat /tmp/out; exit 3'],
      readOnlyRoot: false,
    });
    await leased.createContainer({
      id,
      labels: { 'coroner.test': 'true' },
      image,
      runtime: { name: 'io.containerd.runc.v2' },
      spec: { typeUrl: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) },
      snapshotter: 'overlayfs',
      snapshotKey: id,
      extensions: {},
    });
    const out = await mkdtemp(path.join(os.tmpdir(), 'twin-'));
    try {
      const stdout = path.join(out, 'stdout');
      const pid = await api.createTask(id, rootfs, {
        stdout: `file://${stdout}`,
        stderr: `file://${path.join(out, 'stderr')}`,
      });
      expect(pid).toBeGreaterThan(0);
      expect((await api.task(id))?.status).toBe('created');
      const exited = api.waitTask(id);
      expect(await api.startTask(id)).toBe(pid);
      expect(await exited).toEqual({ exitStatus: 3 });
      expect((await api.task(id))?.status).toBe('stopped');
      expect(await readFile(stdout, 'utf8')).toBe('twin\n');
      expect(await api.deleteTask(id)).toEqual({ exitStatus: 3 });
      await api.updateContainer(id, { labels: { 'coroner.test': 'done' } });
      expect((await api.container(id))?.labels).toEqual({ 'coroner.test': 'done' });
      expect((await api.container(id))?.spec?.value.toString()).toBe(JSON.stringify(spec));
    } finally {
      await api.deleteContainer(id).catch(() => undefined);
      await api.removeSnapshot('overlayfs', id).catch(() => undefined);
      await api.deleteLease(lease);
      await rm(out, { recursive: true, force: true });
    }
    expect(await api.container(id)).toBeUndefined();
    expect(await api.snapshotStat('overlayfs', id)).toBeUndefined();
  });

  it('kills a long-running task and stops waiting when asked', async () => {
    const id = `coroner-twin-${randomBytes(4).toString('hex')}`;
    const parent = (await api.snapshotStat(
      'overlayfs',
      (await api.container(web.id))!.snapshotKey,
    ))!.parent;
    // Held from garbage collection until the container names it (see above).
    const rootfs = await api.prepareSnapshot('overlayfs', id, parent, {
      'containerd.io/gc.root': new Date().toISOString(),
    });
    await api.createContainer({
      id,
      labels: {},
      image,
      runtime: { name: 'io.containerd.runc.v2' },
      spec: {
        typeUrl: SPEC_TYPE_URL,
        value: Buffer.from(JSON.stringify(defaultSpec({ args: ['sleep', '600'] }))),
      },
      snapshotter: 'overlayfs',
      snapshotKey: id,
      extensions: {},
    });
    try {
      await api.createTask(id, rootfs, {});
      await api.startTask(id);
      const abort = new AbortController();
      const waiting = api.waitTask(id, abort.signal);
      abort.abort();
      await expect(waiting).rejects.toThrow(/cancelled/);
      const exited = api.waitTask(id);
      await api.killTask(id, 9);
      expect((await exited).exitStatus).toBe(137);
      await api.deleteTask(id);
    } finally {
      await api.deleteContainer(id).catch(() => undefined);
      await api.removeSnapshot('overlayfs', id).catch(() => undefined);
    }
  });

  it('refuses a missing socket with a hint, as an expected failure', async () => {
    const missing = path.join(os.tmpdir(), `no-containerd-${randomBytes(4).toString('hex')}.sock`);
    await expect(stat(missing)).rejects.toThrow();
    const failure = connectContainerd({ address: `unix://${missing}`, namespace: 'k8s.io' });
    await expect(failure).rejects.toMatchObject({
      name: 'ContainerdUnreachable',
      hint: expect.stringContaining('--containerd ADDRESS'),
    });
  });
});
