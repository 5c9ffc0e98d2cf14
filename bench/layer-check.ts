/**
 * `tsx bench/layer-check.ts [IMAGE…] [--runs N]`: the cost of the image-layer check
 * (issue 23) on this host's engine, read only: each layer of each image rebuilt from its
 * folder and tar-split record and held entry by entry against the record, as a live
 * triage on the engine's host and a dead-box triage do. Needs root (the layer store is
 * root's). Prints per image the entries, the median wall time and each layer's status.
 */
import { rebuildLayer } from '../src/sources/layer-store/tar-split.js';
import { imageLayers } from '../src/sources/docker-store/image-store.js';
import { docker, median, timed } from './measure.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const images = args.filter((a, i) => !a.startsWith('--') && i !== runsAt + 1);

const root = {
  path: (await docker('info', '--format', '{{.DockerRootDir}}')).trim(),
  storageDriver: 'overlay2',
};
for (const image of images.length ? images : ['coroner-sample/base:busybox']) {
  const diffIds = JSON.parse(
    await docker('image', 'inspect', image, '--format', '{{json .RootFS.Layers}}'),
  ) as string[];
  const layers = await imageLayers(root, diffIds);
  let statuses: string[] = [];
  let entries = 0;
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++)
    seconds.push(
      await timed(async () => {
        statuses = [];
        entries = 0;
        for (const [i, layer] of layers.entries()) {
          const { index, check } = await rebuildLayer(layer.tarSplit, layer.dir, layer.diffId, i);
          entries += index.entries.size;
          statuses.push(
            check.status === 'verified' ? 'verified' : `${check.status}: ${check.detail}`,
          );
        }
      }),
    );
  console.log(
    `${image}: ${layers.length} layers, ${entries} entries, median ${median(seconds).toFixed(2)} s over ${RUNS} runs`,
  );
  for (const s of statuses) console.log(`  ${s}`);
}
