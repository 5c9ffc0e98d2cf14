/**
 * npm run bench: triage cost against image size and change size, measured side
 * by side in one run. Prints ratios; asserts nothing (goals are in issue 7):
 *  - triage on a >= 1 GiB image within 1.3x of the same compromise on a small one
 *    (first sight of an image indexes its layers once; later triages read none);
 *  - triage at most half the time of the manual workflow (docker diff, commit, cp);
 *  - peak memory under 200 MiB with 1 GiB of changed data and with 50,000 changed files.
 *
 * Options: --skip-memory (timing only), --runs N (repetitions of the fast measurements),
 * --only-real-services (the php-links stack and the volume scaling, issue 13);
 * `npm run bench -- detection [--webshells DIR]` runs the detection benchmark instead, and
 * `npm run bench -- layouts [--runs N]` the engine layouts' figures (issue 25).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { coroner, docker, LABEL, median, ROOT, run, timed } from './measure.js';
import { realServicesBench } from './real-services.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 3;

async function sh(script: string): Promise<void> {
  await run('bash', ['-c', script], { maxBuffer: 64 * 1024 * 1024 });
}

const BASE = 'coroner-sample/base:busybox';

async function buildImage(tag: string, withBulk: boolean): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-ctx-'));
  const bulk = withBulk
    ? 'RUN mkdir -p /opt/bulk && for i in $(seq 1 64); do head -c 16777216 /dev/urandom > /opt/bulk/blob$i; done\n'
    : '';
  await writeFile(
    path.join(dir, 'Dockerfile'),
    `FROM ${BASE}\n${bulk}RUN mkdir -p /app/conf && for i in $(seq 1 30); do echo "setting $i = value $i" > /app/conf/c$i.conf; done\nCMD ["sh", "-c", "while :; do sleep 3600; done"]\n`,
  );
  await run(
    'docker',
    ['build', '-q', '--network', 'none', '--label', `${LABEL}=1`, '-t', tag, dir],
    {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    },
  );
  await rm(dir, { recursive: true });
}

// The same compromise on both images: a few dozen changes, like the samples.
const COMPROMISE = `
for i in 1 2 3 4 5 6 7 8 9 10; do echo "tampered $i" >> /app/conf/c$i.conf; done
for i in 11 12 13 14 15; do rm /app/conf/c$i.conf; done
mkdir -p /tmp/.drop
for i in $(seq 1 20); do echo "payload part $i" > /tmp/.drop/p$i; done
cp /bin/busybox /tmp/.drop/kworker && chmod 4755 /tmp/.drop/kworker
echo 'x:x:0:0::/root:/bin/sh' >> /etc/passwd
`;

async function startVictim(image: string, name: string, script: string): Promise<void> {
  await docker('rm', '-f', name).catch(() => undefined);
  await docker('run', '-d', '--name', name, '--network', 'none', '--label', `${LABEL}=1`, image);
  await run('docker', ['exec', name, 'sh', '-c', script], { maxBuffer: 16 * 1024 * 1024 });
}

async function changedPaths(name: string): Promise<{ kind: string; path: string }[]> {
  return (await docker('diff', name))
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ kind: line[0]!, path: line.slice(2) }));
}

/** What a responder would script by hand: diff, commit, then docker cp of each current and original. */
async function manualWorkflow(name: string, image: string): Promise<void> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'bench-manual-'));
  const changes = await changedPaths(name);
  await docker('commit', '-p', name, `coroner-bench/manual:${Date.now()}`);
  const original = (await docker('create', '--label', `${LABEL}=1`, image)).trim();
  try {
    for (const c of changes) {
      const safe = c.path.replace(/\//g, '_');
      if (c.kind !== 'D')
        await docker('cp', `${name}:${c.path}`, path.join(out, `cur${safe}`)).catch(
          () => undefined,
        );
      if (c.kind !== 'A')
        await docker('cp', `${original}:${c.path}`, path.join(out, `orig${safe}`)).catch(
          () => undefined,
        );
    }
  } finally {
    await docker('rm', '-f', original);
    await rm(out, { recursive: true, force: true });
  }
}

async function triageOnce(name: string, cacheDir: string, env: Record<string, string> = {}) {
  const caseDir = await mkdtemp(path.join(os.tmpdir(), 'bench-case-'));
  try {
    return await coroner(['triage', name, '--json', '--case-dir', caseDir], {
      CORONER_CACHE_DIR: cacheDir,
      ...env,
    });
  } finally {
    await rm(caseDir, { recursive: true, force: true });
  }
}

function row(label: string, small: number, large: number, unit = 's'): string {
  const f = (x: number) => `${x.toFixed(3)} ${unit}`.padStart(12);
  return `${label.padEnd(44)}${f(small)}${f(large)}${(large / small).toFixed(2).padStart(10)}x`;
}

async function cleanup(): Promise<void> {
  const containers = (await docker('ps', '-aq', '--filter', `label=${LABEL}`))
    .split('\n')
    .filter(Boolean);
  if (containers.length) await docker('rm', '-f', '-v', ...containers);
  const evidence = (await docker('images', '-q', '--filter', `label=${LABEL}`))
    .split('\n')
    .filter(Boolean);
  if (evidence.length) await docker('rmi', '-f', ...new Set(evidence)).catch(() => undefined);
  for (const kind of ['network', 'volume']) {
    const ids = (await docker(kind, 'ls', '-q', '--filter', `label=${LABEL}`))
      .split('\n')
      .filter(Boolean);
    if (ids.length) await docker(kind, 'rm', ...ids).catch(() => undefined);
  }
  const manual = (await docker('images', '-q', 'coroner-bench/manual')).split('\n').filter(Boolean);
  if (manual.length) await docker('rmi', '-f', ...new Set(manual)).catch(() => undefined);
}

/** Export throughput on the 1 GiB image, beside `docker save | gzip -1` of the same evidence image. */
async function exportBench(cacheDir: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-export-'));
  try {
    const caseDir = path.join(dir, 'case');
    await coroner(['triage', 'coroner-bench-large', '--case-dir', caseDir], {
      CORONER_CACHE_DIR: cacheDir,
    });
    const report = JSON.parse(await readFile(path.join(caseDir, 'report.json'), 'utf8')) as {
      evidence: { id: string };
    };
    const imageBytes = Number(
      (await docker('image', 'inspect', '-f', '{{.Size}}', report.evidence.id)).trim(),
    );
    const ours = await coroner(
      [
        'export',
        'coroner-bench-large',
        '--case',
        caseDir,
        '--out',
        path.join(dir, 'bundle.tar.gz'),
      ],
      {},
    );
    const baseline = await timed(() =>
      sh(`docker save ${report.evidence.id} | gzip -1 > ${path.join(dir, 'save.tar.gz')}`),
    );
    const mbps = (s: number) => imageBytes / 1e6 / s;
    console.log(
      `\nExport of the ${(imageBytes / 2 ** 20).toFixed(0)} MiB evidence image (goal >= 0.8x of docker save | gzip -1):`,
    );
    console.log(
      `  coroner export (bundle, image included):  ${ours.seconds.toFixed(2)} s, ${mbps(ours.seconds).toFixed(0)} MB/s, ${ours.peakMiB.toFixed(0)} MiB peak`,
    );
    console.log(
      `  docker save | gzip -1 > file:             ${baseline.toFixed(2)} s, ${mbps(baseline).toFixed(0)} MB/s`,
    );
    console.log(
      `  ratio export/baseline throughput:         ${(baseline / ours.seconds).toFixed(2)}x`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (args.includes('--only-real-services')) {
    await sh(
      `docker image inspect ${BASE} >/dev/null 2>&1 || bash ${path.join(ROOT, 'samples/base/build.sh')} ${BASE}`,
    );
    return realServicesBench(RUNS);
  }
  await sh(
    `docker image inspect ${BASE} >/dev/null 2>&1 || bash ${path.join(ROOT, 'samples/base/build.sh')} ${BASE}`,
  );
  console.log(
    'bench: building the small image and the 1 GiB image (once; the engine caches the build)…',
  );
  await buildImage('coroner-bench/small:latest', false);
  await buildImage('coroner-bench/large:latest', true);
  const sizes = await Promise.all(
    ['small', 'large'].map(async (s) =>
      Number(
        (await docker('image', 'inspect', '-f', '{{.Size}}', `coroner-bench/${s}:latest`)).trim(),
      ),
    ),
  );
  await startVictim('coroner-bench/small:latest', 'coroner-bench-small', COMPROMISE);
  await startVictim('coroner-bench/large:latest', 'coroner-bench-large', COMPROMISE);
  const changeCount = (await changedPaths('coroner-bench-small')).length;

  const results: Record<string, [number, number]> = {};
  const cacheSmall = await mkdtemp(path.join(os.tmpdir(), 'bench-cache-'));
  const cacheLarge = await mkdtemp(path.join(os.tmpdir(), 'bench-cache-'));
  results['coroner triage, first sight of the image'] = [
    (await triageOnce('coroner-bench-small', cacheSmall)).seconds,
    (await triageOnce('coroner-bench-large', cacheLarge)).seconds,
  ];
  const cached: [number[], number[]] = [[], []];
  const bare: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    cached[0].push((await triageOnce('coroner-bench-small', cacheSmall)).seconds);
    cached[1].push((await triageOnce('coroner-bench-large', cacheLarge)).seconds);
    for (const [j, name] of ['coroner-bench-small', 'coroner-bench-large'].entries()) {
      bare[j]!.push(
        await timed(async () => {
          await docker('diff', name);
          await docker('commit', '-p', name, `coroner-bench/manual:${Date.now()}`);
        }),
      );
    }
  }
  results[`coroner triage, layers cached (median of ${RUNS})`] = [
    median(cached[0]),
    median(cached[1]),
  ];
  results[`bare docker diff + docker commit (median of ${RUNS})`] = [
    median(bare[0]),
    median(bare[1]),
  ];
  results['manual: diff, commit, docker cp each file'] = [
    await timed(() => manualWorkflow('coroner-bench-small', 'coroner-bench/small:latest')),
    await timed(() => manualWorkflow('coroner-bench-large', 'coroner-bench/large:latest')),
  ];

  console.log(
    `\nSame compromise (${changeCount} changed paths) on a small image (${(sizes[0]! / 2 ** 20).toFixed(0)} MiB) and a large one (${(sizes[1]! / 2 ** 20).toFixed(0)} MiB):\n`,
  );
  console.log(
    `${''.padEnd(44)}${'small'.padStart(12)}${'large'.padStart(12)}${'large/small'.padStart(11)}`,
  );
  for (const [label, [small, large]] of Object.entries(results))
    console.log(row(label, small, large));
  const [cs, cl] = results[`coroner triage, layers cached (median of ${RUNS})`]!;
  const [ms, ml] = results['manual: diff, commit, docker cp each file']!;
  console.log(`\nratio triage large/small (cached): ${(cl / cs).toFixed(2)}x   (goal <= 1.3x)`);
  console.log(
    `ratio triage/manual workflow:      small ${(cs / ms).toFixed(2)}x, large ${(cl / ml).toFixed(2)}x   (goal <= 0.5x)`,
  );
  const [bs, bl] = results[`bare docker diff + docker commit (median of ${RUNS})`]!;
  console.log(
    `ratio triage/bare diff + commit:   small ${(cs / bs).toFixed(2)}x, large ${(cl / bl).toFixed(2)}x   (goal <= 3x; issue 16)`,
  );
  // The same triage through reader containers, the path for remote engines.
  const archive: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++)
    for (const [j, name] of ['coroner-bench-small', 'coroner-bench-large'].entries())
      archive[j]!.push(
        (await triageOnce(name, j ? cacheLarge : cacheSmall, { CORONER_LAYER_READS: 'archive' }))
          .seconds,
      );
  console.log(
    `ratio triage/bare, reader containers (CORONER_LAYER_READS=archive): small ${(median(archive[0]) / bs).toFixed(2)}x, large ${(median(archive[1]) / bl).toFixed(2)}x`,
  );

  await exportBench(cacheLarge);

  if (!args.includes('--skip-memory')) {
    console.log('\nPeak memory of coroner triage (goal < 200 MiB):');
    await startVictim(
      'coroner-bench/small:latest',
      'coroner-bench-bigdata',
      'mkdir -p /data && for i in $(seq 1 16); do head -c 67108864 /dev/urandom > /data/chunk$i; done',
    );
    const big = await triageOnce('coroner-bench-bigdata', cacheSmall);
    console.log(
      `  1 GiB of changed data (16 x 64 MiB):   ${big.peakMiB.toFixed(0)} MiB peak, ${big.seconds.toFixed(1)} s`,
    );
    await startVictim(
      'coroner-bench/small:latest',
      'coroner-bench-manyfiles',
      'mkdir -p /many && cd /many && i=0; while [ $i -lt 50000 ]; do echo $i > f$i; i=$((i+1)); done',
    );
    const many = await triageOnce('coroner-bench-manyfiles', cacheSmall);
    console.log(
      `  50,000 changed files:                   ${many.peakMiB.toFixed(0)} MiB peak, ${many.seconds.toFixed(1)} s`,
    );
  }
  await rm(cacheSmall, { recursive: true, force: true });
  await rm(cacheLarge, { recursive: true, force: true });
  await realServicesBench(RUNS);
}

/**
 * The likeness trainer holds every tuning page's features at once: 10,437 shells and 27,215
 * benign pages since survey v8, past Node's default heap of about 4 GB (it ran out after 25
 * minutes). It runs in a Node of its own, given 16 GiB.
 */
async function trainWithRoom(): Promise<void> {
  const trainer = spawn(
    process.execPath,
    [
      '--max-old-space-size=16384',
      '--import',
      'tsx',
      path.join(ROOT, 'bench', 'train-likeness.ts'),
      ...args.slice(1),
    ],
    { stdio: 'inherit', cwd: ROOT },
  );
  process.exitCode = await new Promise<number>((resolve) =>
    trainer.on('close', (code) => resolve(code ?? 1)),
  );
}

// `npm run bench -- detection`: the detection benchmark alone (bench/detection.ts);
// `npm run bench -- layouts`: issue 25's figures on three engines (bench/layouts.ts);
// `npm run bench -- train-likeness`: the web-shell likeness model (bench/train-likeness.ts);
// `npm run bench -- remote-shells`: public generators' reverse shells (bench/remote-shells.ts);
// `npm run bench -- lay-corpora`: fetches what those read (bench/lay-corpora.ts).
if (args[0] === 'detection') await import('./detection.js');
else if (args[0] === 'remote-shells') await import('./remote-shells.js');
else if (args[0] === 'lay-corpora') await import('./lay-corpora.js');
else if (args[0] === 'layouts') await import('./layouts.js');
else if (args[0] === 'train-likeness') await trainWithRoom();
else
  main()
    .catch((e) => {
      console.error('bench failed:', e);
      process.exitCode = 1;
    })
    .finally(cleanup);
