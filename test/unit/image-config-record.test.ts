import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataRootDamaged,
  ImageConfigAltered,
  readImageConfig,
} from '../../src/sources/docker-store/image-store.js';

let work: string;
let root: { path: string; storageDriver: string };
const idOf = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const store = async (id: string, bytes: string) =>
  writeFile(
    path.join(root.path, 'image/overlay2/imagedb/content/sha256', id.replace('sha256:', '')),
    bytes,
  );

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-imagedb-'));
  root = { path: work, storageDriver: 'overlay2' };
  await mkdir(path.join(work, 'image/overlay2/imagedb/content/sha256'), { recursive: true });
});
afterEach(() => rm(work, { recursive: true, force: true }));

describe("an image config in a data root's image database", () => {
  const good = JSON.stringify({ rootfs: { diff_ids: [] }, history: [] });

  it('reads a config that hashes to its id', async () => {
    const id = idOf(good);
    await store(id, good);
    expect((await readImageConfig(root, id)).config.rootfs?.diff_ids).toEqual([]);
  });

  it('says a config that no longer hashes to its id was altered, and still hands it over', async () => {
    const id = idOf(good);
    await store(id, good + '\n');
    const error = await readImageConfig(root, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageConfigAltered);
    expect((error as ImageConfigAltered).record.config.rootfs?.diff_ids).toEqual([]);
  });

  it('says an altered config was altered even when its fields are wrongly typed', async () => {
    const id = idOf(good);
    await store(id, JSON.stringify({ rootfs: { diff_ids: 'x' } }));
    await expect(readImageConfig(root, id)).rejects.toThrow(ImageConfigAltered);
  });

  it('names the field of a wrongly typed config that hashes to its id (an image built that way)', async () => {
    const typed = JSON.stringify({ history: [{ empty_layer: 'yes' }] });
    const id = idOf(typed);
    await store(id, typed);
    const reading = readImageConfig(root, id);
    await expect(reading).rejects.toThrow(DataRootDamaged);
    await expect(reading).rejects.toThrow(/: history\[0\]\.empty_layer is a string, not a boolean/);
  });
});
