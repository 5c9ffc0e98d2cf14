import { describe, expect, it } from 'vitest';
import { rootOverlayOf } from '../../src/sources/host-proc/root-overlay.js';

const SNAP = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots';

describe("a container's root overlay, from its init's mountinfo", () => {
  it('takes the upper dir and the lower dirs, top first, of the overlay on /', () => {
    const text = [
      `1050 990 0:120 / / rw,relatime master:300 - overlay overlay rw,lowerdir=${SNAP}/30/fs:${SNAP}/17/fs:${SNAP}/1/fs,upperdir=${SNAP}/31/fs,workdir=${SNAP}/31/work`,
      '1051 1050 0:122 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
      '1052 1050 0:123 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755',
    ].join('\n');
    expect(rootOverlayOf(text)).toEqual({
      upperDir: `${SNAP}/31/fs`,
      lowerDirs: [`${SNAP}/30/fs`, `${SNAP}/17/fs`, `${SNAP}/1/fs`],
      workDir: `${SNAP}/31/work`,
    });
  });

  it('decodes escaped spaces and colons in folder names', () => {
    const text =
      '7 6 0:1 / / rw - overlay overlay rw,lowerdir=/d/a\\040b:/d/c\\:d,upperdir=/d/up\\134x,workdir=/d/w';
    expect(rootOverlayOf(text)).toMatchObject({
      upperDir: '/d/up\\x',
      lowerDirs: ['/d/a b', '/d/c:d'],
    });
  });

  it('finds none where the root is not an overlay, or an overlay is mounted elsewhere', () => {
    const text = [
      '1 0 8:1 / / rw - ext4 /dev/vda rw',
      '2 1 0:50 / /mnt rw - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
    ].join('\n');
    expect(rootOverlayOf(text)).toBeUndefined();
  });
});
