import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataRootLink,
  imageLayers,
  readContainer,
} from '../../src/sources/docker-store/image-store.js';

const DIFF_ID = `sha256:${'d'.repeat(64)}`;
const CACHE_ID = 'c'.repeat(64);
const CONTAINER_ID = 'a'.repeat(64);
let work: string;
let root: { path: string; storageDriver: string };
/** A folder of the responder's own, which no link in a data root may lead coroner into. */
let own: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-links-'));
  own = path.join(work, 'own');
  await mkdir(own);
  await writeFile(path.join(own, 'diff'), DIFF_ID);
  await writeFile(path.join(own, 'cache-id'), CACHE_ID);
  root = { path: path.join(work, 'root'), storageDriver: 'overlay2' };
  await mkdir(path.join(root.path, 'image/overlay2/layerdb/sha256'), { recursive: true });
  await mkdir(path.join(root.path, 'overlay2'), { recursive: true });
  await mkdir(path.join(root.path, 'containers'), { recursive: true });
});
afterEach(() => rm(work, { recursive: true, force: true }));

const layerDb = () => path.join(root.path, 'image/overlay2/layerdb/sha256', 'd'.repeat(64));

describe('a data root whose folders are links', () => {
  it('reads an image layer whose folders are folders', async () => {
    await mkdir(layerDb());
    await writeFile(path.join(layerDb(), 'diff'), DIFF_ID);
    await writeFile(path.join(layerDb(), 'cache-id'), CACHE_ID);
    await mkdir(path.join(root.path, 'overlay2', CACHE_ID, 'diff'), { recursive: true });
    const [layer] = await imageLayers(root, [DIFF_ID]);
    expect(layer!.dir).toBe(path.join(root.path, 'overlay2', CACHE_ID, 'diff'));
  });

  it('refuses an image layer folder that is a link, naming it', async () => {
    await mkdir(layerDb());
    await writeFile(path.join(layerDb(), 'diff'), DIFF_ID);
    await writeFile(path.join(layerDb(), 'cache-id'), CACHE_ID);
    await symlink(own, path.join(root.path, 'overlay2', CACHE_ID));
    const reading = imageLayers(root, [DIFF_ID]);
    await expect(reading).rejects.toThrow(DataRootLink);
    await expect(reading).rejects.toThrow(
      `overlay2/${CACHE_ID} is a symbolic link (to ${own}) in the data root`,
    );
  });

  it("refuses a layer database entry that is a link, though its records would read as the layer's", async () => {
    await symlink(own, layerDb());
    await expect(imageLayers(root, [DIFF_ID])).rejects.toThrow(DataRootLink);
  });

  it("refuses a container's folder that is a link", async () => {
    await writeFile(path.join(own, 'config.v2.json'), '{}');
    await symlink(own, path.join(root.path, 'containers', CONTAINER_ID));
    await expect(readContainer(root, CONTAINER_ID)).rejects.toThrow(
      `containers/${CONTAINER_ID} is a symbolic link`,
    );
  });
});
