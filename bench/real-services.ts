/**
 * The real-service part of the bench (issue 13): the php-links stack triaged against a
 * responder's manual equivalent, and a volume of 2,000 files of which 20 changed against
 * one of 200 files with the same 20 changed (cost must follow the change, not the volume).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIN, coroner, docker, LABEL, median, ROOT, run, timed } from './measure.js';

async function triage(name: string, cacheDir: string) {
  const caseDir = await mkdtemp(path.join(os.tmpdir(), 'bench-case-'));
  try {
    return await coroner(['triage', name, '--json', '--case-dir', caseDir], {
      CORONER_CACHE_DIR: cacheDir,
    });
  } finally {
    await rm(caseDir, { recursive: true, force: true });
  }
}

/** What a responder does by hand for the same: docker diff and cp, the processes' executables. */
async function manual(name: string): Promise<void> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'bench-manual-'));
  try {
    const changes = (await docker('diff', name)).split('\n').filter(Boolean);
    for (const line of changes) {
      if (line.startsWith('D')) continue;
      await docker(
        'cp',
        `${name}:${line.slice(2)}`,
        path.join(out, line.slice(2).replace(/\//g, '_')),
      ).catch(() => undefined);
    }
    const pids = (await docker('top', name, '-o', 'pid')).split('\n').slice(1).filter(Boolean);
    for (const pid of pids)
      await run('ls', ['-l', `/proc/${pid.trim()}/exe`]).catch(() => undefined);
    await docker('commit', '-p', name, `coroner-bench/manual:${Date.now()}`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** An image whose /data holds `files` files, as a volume filled from it at first start. */
async function volumeImage(files: number): Promise<string> {
  const tag = `coroner-bench/volume-${files}:latest`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-vol-'));
  await writeFile(
    path.join(dir, 'Dockerfile'),
    `FROM coroner-sample/base:busybox\nRUN mkdir -p /data && i=0; while [ $i -lt ${files} ]; do echo "file $i" > /data/f$i; i=$((i+1)); done\nVOLUME /data\nCMD ["sh", "-c", "while :; do sleep 3600; done"]\n`,
  );
  await run(
    'docker',
    ['build', '-q', '--network', 'none', '--label', `${LABEL}=1`, '-t', tag, dir],
    {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    },
  );
  await rm(dir, { recursive: true });
  return tag;
}

/**
 * The one key: from `coroner relaunch --yes` on the triaged front end to a replacement that
 * answered on its port, and how much of it the clean twins took.
 */
async function relaunchBench(name: string): Promise<void> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bench-relaunch-'));
  try {
    await run(process.execPath, [BIN, 'triage', name], { cwd }).catch((e: { code?: number }) => {
      if (e.code !== 3) throw e;
    });
    let out = { stdout: '', stderr: '' };
    const seconds = await timed(
      async () => (out = await run(process.execPath, [BIN, 'relaunch', name, '--yes'], { cwd })),
    );
    const twins = [...out.stderr.matchAll(/^coroner: clean twin .*\((\d+\.\d) s\)$/gm)].map((m) =>
      Number(m[1]),
    );
    const serving = /^Serving:\s+(.*)$/m.exec(out.stdout)?.[1] ?? 'no answer';
    console.log(
      `  relaunch, key to serving replacement: ${seconds.toFixed(2)} s, of which ${twins.length} clean twins ${twins.reduce((a, b) => a + b, 0).toFixed(1)} s (${serving})`,
    );
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

export async function realServicesBench(runs: number): Promise<void> {
  const cache = await mkdtemp(path.join(os.tmpdir(), 'bench-cache-'));
  try {
    console.log(
      '\nReal services (php-links: Apache + PHP, attacked over HTTP; building its Debian base once):',
    );
    const name = (
      await run(
        'bash',
        [
          path.join(ROOT, 'samples/run.sh'),
          'php-links',
          '--container',
          'coroner-bench-php',
          '--label',
          `${LABEL}=1`,
        ],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      )
    ).stdout
      .trim()
      .split('\n')
      .pop()!;
    await triage(name, cache); // first sight of the image: its layers are indexed once
    const ours: { seconds: number; peakMiB: number }[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await triage(name, cache));
      theirs.push(await timed(() => manual(name)));
    }
    const t = median(ours.map((o) => o.seconds));
    const m = median(theirs);
    console.log(
      `  coroner triage (processes, /dev/shm, events, change list): ${t.toFixed(3)} s, peak ${Math.max(...ours.map((o) => o.peakMiB)).toFixed(0)} MiB`,
    );
    console.log(`  manual (diff, cp each path, ls -l /proc/*/exe, commit):  ${m.toFixed(3)} s`);
    console.log(
      `  ratio triage/manual: ${(t / m).toFixed(2)}x   (the manual way sees neither /dev/shm nor the deleted binary's bytes)`,
    );

    await relaunchBench(name);

    console.log(
      '\nA volume compared with its image: 20 changed files among 200, then among 2,000:',
    );
    const times: Record<number, number> = {};
    for (const files of [200, 2000]) {
      const image = await volumeImage(files);
      const victim = `coroner-bench-volume-${files}`;
      await docker('rm', '-f', '-v', victim).catch(() => undefined);
      await docker(
        'run',
        '-d',
        '--name',
        victim,
        '--network',
        'none',
        '--label',
        `${LABEL}=1`,
        image,
      );
      await docker(
        'exec',
        victim,
        'sh',
        '-c',
        'for i in $(seq 0 19); do echo changed >> /data/f$((i * 7)); done',
      );
      await triage(victim, cache);
      const seconds: number[] = [];
      for (let i = 0; i < runs; i++) seconds.push((await triage(victim, cache)).seconds);
      times[files] = median(seconds);
      console.log(`  ${String(files).padStart(5)} files: ${times[files]!.toFixed(3)} s`);
    }
    console.log(
      `  ratio 2,000/200 files: ${(times[2000]! / times[200]!).toFixed(2)}x   (goal: near 1x; cost follows the change)`,
    );
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}
