import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ContainerdRoot,
  ContainerdRootError,
} from '../../src/sources/containerd-store/containerd-root.js';
import { buildBolt, type BoltTree } from '../support/bolt-pages.js';

const OVERLAYFS = 'io.containerd.snapshotter.v1.overlayfs';
const sha = (b: string | Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A containerd root with these snapshots (key → parent key) and, optionally, blobs. */
async function makeRoot(
  snapshots: Record<string, string | undefined>,
  opts: { blobs?: Record<string, Buffer>; images?: BoltTree } = {},
): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'containerd-root-'));
  const meta: BoltTree = {};
  const backend: BoltTree = {};
  Object.entries(snapshots).forEach(([key, parent], i) => {
    const name = `moby/${i + 1}/${key}`;
    meta[key] = parent === undefined ? { name } : { name, parent };
    backend[name] = { id: Buffer.from([i + 1]), kind: Buffer.from([parent ? 2 : 3]) };
  });
  await mkdir(path.join(root, 'io.containerd.metadata.v1.bolt'), { recursive: true });
  await mkdir(path.join(root, OVERLAYFS, 'snapshots'), { recursive: true });
  await writeFile(
    path.join(root, 'io.containerd.metadata.v1.bolt/meta.db'),
    buildBolt({
      v1: {
        moby: { snapshots: { overlayfs: meta }, ...(opts.images ? { images: opts.images } : {}) },
      },
    }).bytes,
  );
  await writeFile(
    path.join(root, OVERLAYFS, 'metadata.db'),
    buildBolt({ v1: { snapshots: backend } }).bytes,
  );
  for (const [digest, bytes] of Object.entries(opts.blobs ?? {})) {
    await mkdir(path.join(root, 'io.containerd.content.v1.content/blobs/sha256'), {
      recursive: true,
    });
    await writeFile(
      path.join(root, 'io.containerd.content.v1.content/blobs/sha256', digest.slice(7)),
      bytes,
    );
  }
  return root;
}

async function chainError(root: string, key: string): Promise<string> {
  const r = await ContainerdRoot.open(root);
  try {
    await r.snapshotChain('moby', key);
  } catch (e) {
    expect(e).toBeInstanceOf(ContainerdRootError);
    return (e as Error).message;
  } finally {
    await r.close();
  }
  throw new Error('the forged chain was read without complaint');
}

describe("a containerd root's snapshots and images", () => {
  it("follows a container's snapshot to its image's layers, top first, with their folders", async () => {
    const root = await makeRoot({ c1: 'c1-init', 'c1-init': 'sha256:l1', 'sha256:l1': undefined });
    const r = await ContainerdRoot.open(root);
    const chain = await r.snapshotChain('moby', 'c1');
    await r.close();
    expect(chain.map((s) => [s.key, s.kind])).toEqual([
      ['c1', 'active'],
      ['c1-init', 'active'],
      ['sha256:l1', 'committed'],
    ]);
    expect(chain[0]!.dir).toBe(path.join(root, OVERLAYFS, 'snapshots/1/fs'));
  });

  it('stops a chain that loops back on itself', async () => {
    const root = await makeRoot({ a: 'b', b: 'a' });
    expect(await chainError(root, 'a')).toMatch(/its own ancestor/);
  });

  it('names a parent the metadata lacks (an incomplete copy), and a root with no metadata', async () => {
    const root = await makeRoot({ a: 'gone' });
    expect(await chainError(root, 'a')).toMatch(/no snapshot "gone".*the parent of "a"/);
    const empty = await mkdtemp(path.join(os.tmpdir(), 'not-containerd-'));
    await expect(ContainerdRoot.open(empty)).rejects.toThrow(/is not a containerd root/);
  });

  it("refuses a snapshot folder that is a link (it would lead into the responder's files)", async () => {
    const root = await makeRoot({ a: undefined });
    await symlink('/etc', path.join(root, OVERLAYFS, 'snapshots/1'));
    expect(await chainError(root, 'a')).toMatch(/is a symbolic link/);
  });

  it("refuses a layer blob reached through a linked folder of the content store (it would lead into the responder's files)", async () => {
    const root = await makeRoot({ a: undefined });
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'elsewhere-'));
    await mkdir(path.join(root, 'io.containerd.content.v1.content'), { recursive: true });
    await symlink(elsewhere, path.join(root, 'io.containerd.content.v1.content/blobs'));
    const r = await ContainerdRoot.open(root);
    await expect(r.layerBlobFile(sha('layer'))).rejects.toThrow(/is a symbolic link/);
    await r.close();
  });

  it('refuses a manifest whose bytes no longer match its digest', async () => {
    const manifest = Buffer.from(JSON.stringify({ config: { digest: sha('x') }, layers: [] }));
    const digest = sha(manifest);
    const root = await makeRoot(
      { 'sha256:l1': undefined },
      { blobs: { [digest]: Buffer.concat([manifest, Buffer.from(' ')]) } },
    );
    const r = await ContainerdRoot.open(root);
    await expect(r.imageLayers('moby', digest)).rejects.toThrow(/does not match its digest/);
    await r.close();
  });

  it("finds an image's layers by chain id from its manifest and config", async () => {
    const d1 = sha('layer one'),
      d2 = sha('layer two');
    const chain2 = sha(`${d1} ${d2}`);
    const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [d1, d2] } }));
    const manifest = Buffer.from(
      JSON.stringify({
        config: { digest: sha(config) },
        layers: [{ digest: sha('blob one') }, { digest: sha('blob two') }],
      }),
    );
    const root = await makeRoot(
      { [chain2]: d1, [d1]: undefined },
      { blobs: { [sha(config)]: config, [sha(manifest)]: manifest } },
    );
    const r = await ContainerdRoot.open(root);
    const found = await r.imageLayers('moby', sha(manifest));
    await r.close();
    expect(found.layers.map((l) => [l.diffId, l.chainId, l.snapshot?.key])).toEqual([
      [d1, d1, d1],
      [d2, chain2, chain2],
    ]);
  });
});
