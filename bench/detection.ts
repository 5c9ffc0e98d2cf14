/**
 * npm run bench -- detection: how well coroner ranks real attacks first, measured side by
 * side in one run (issue 15's goals: >= 95% of persistence techniques and web shells at
 * high or above, each with its true reason; <= 0.1% of benign changed files at high+).
 *
 *  - techniques: each script of detection-techniques.ts run in a fresh container of a
 *    Debian 12 base; recall is the share whose change ranks high+ by the expected rule;
 *  - web shells (--webshells DIR, a public collection checked out by you; nothing of it is
 *    in this repository): every PHP, JSP and ASP(X) file copied into a container outside
 *    any web root, so only content counts; recall is the share ranked high+;
 *  - benign churn: real applications from Debian's packages (WordPress, phpMyAdmin,
 *    Roundcube, Tomcat's JSP examples and manager, Mono's ASP.NET examples), fetched with
 *    apt-get download at run time and unpacked into a container (WordPress also into the
 *    web root), and two of them installed by the container's own dpkg; the false-positive
 *    rate is the share of changed files ranked high+.
 * Options: --webshells DIR, --only techniques|webshells|benign.
 * With --heldout, issue 27's measure runs instead, in process and without containers: the
 * tuning and held-out sides of the collections and packages (bench/detection-heldout.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TriageReport } from '../src/report/triage-report.js';
import { BIN, docker, LABEL, ROOT } from './measure.js';
import { TECHNIQUES } from './detection-techniques.js';

const exec = promisify(execFile);
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option('--only');
const HIGH = new Set(['high', 'critical']);

async function debianBase(): Promise<string> {
  const { stdout } = await exec(
    'bash',
    [path.join(ROOT, 'samples/base/debian.sh'), 'cron', 'libcap2-bin'],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout.trim();
}

async function startContainer(image: string, name: string): Promise<string> {
  await docker('rm', '-f', name).catch(() => undefined);
  await docker(
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'none',
    '--label',
    `${LABEL}=detection`,
    image,
    'sleep',
    'infinity',
  );
  return name;
}

async function triageJson(container: string, work: string): Promise<TriageReport> {
  const caseDir = await mkdtemp(path.join(work, 'case-'));
  const { stdout } = await exec(
    process.execPath,
    [BIN, 'triage', container, '--json', '--case-dir', caseDir],
    {
      maxBuffer: 512 * 1024 * 1024,
    },
  ).catch((e: { code?: number; stdout?: string; stderr?: string }) => {
    if (e.code === 3 || e.code === 0) return { stdout: e.stdout ?? '' };
    throw new Error(`triage of ${container} failed: ${e.stderr}`);
  });
  await docker('rm', '-f', container);
  return JSON.parse(stdout) as TriageReport;
}

const pct = (n: number, d: number, digits = 1) =>
  d ? `${((100 * n) / d).toFixed(digits)}%` : 'n/a';

async function techniques(image: string, work: string): Promise<string[]> {
  const lines: string[] = [];
  let hits = 0;
  for (const [i, t] of TECHNIQUES.entries()) {
    const name = `coroner-bench-tech-${i}`;
    await startContainer(image, name);
    await exec('docker', ['exec', name, 'sh', '-c', t.script]);
    const report = await triageJson(name, work);
    const change = [...report.changes].find((c) => c.path === t.path);
    const finding = change?.findings.find((f) => f.rule === t.rule);
    const ok = finding !== undefined && HIGH.has(finding.severity) && finding.attack !== undefined;
    if (ok) hits++;
    lines.push(
      `  ${ok ? 'ok  ' : 'MISS'} ${t.id.padEnd(36)} ${t.attack.padEnd(10)} ${change ? `${change.severity} ${change.findings[0]?.rule}${finding ? '' : ` (no ${t.rule})`}` : 'not listed'}`,
    );
  }
  return [
    `Techniques (${TECHNIQUES.length}, each in a fresh Debian 12 container): ${hits} at high+ by their true reason, recall ${pct(hits, TECHNIQUES.length)} (goal >= 95%)`,
    ...lines,
  ];
}

const SHELL_FILE = /\.(php\d?|phtml|inc|jsp|jspx|asp|aspx|ashx|asmx|cer|cgi|pl|py)$/i;

async function webshells(image: string, work: string, dir: string): Promise<string[]> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && SHELL_FILE.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  // Each under a plain numbered name, keeping its extension: the collection's names are no signal.
  const staged = path.join(work, 'webshells');
  await mkdir(staged, { recursive: true });
  const family = new Map<string, string>();
  for (const [i, file] of files.entries()) {
    const ext = path.extname(file).toLowerCase();
    const name = `s${String(i).padStart(4, '0')}${ext}`;
    await copyFile(file, path.join(staged, name));
    family.set(`/opt/collected/${name}`, ext.replace(/\d$/, '').slice(1));
  }
  const name = 'coroner-bench-webshells';
  await startContainer(image, name);
  await docker('cp', `${staged}/.`, `${name}:/opt/collected`);
  const report = await triageJson(name, work);
  const byFamily = new Map<string, { n: number; hit: number; misses: string[] }>();
  for (const c of report.changes) {
    const kind = family.get(c.path);
    if (!kind) continue;
    const f = byFamily.get(kind) ?? { n: 0, hit: 0, misses: [] };
    f.n++;
    if (HIGH.has(c.severity)) f.hit++;
    else f.misses.push(c.path);
    byFamily.set(kind, f);
  }
  const total = [...byFamily.values()].reduce((a, f) => ({ n: a.n + f.n, hit: a.hit + f.hit }), {
    n: 0,
    hit: 0,
  });
  return [
    `Web shells (${files.length} files of ${dir}, outside any web root): recall ${pct(total.hit, total.n)} at high+ (goal >= 95%)`,
    ...[...byFamily.entries()]
      .sort()
      .map(
        ([k, f]) =>
          `  ${k.padEnd(6)} ${String(f.hit).padStart(4)} / ${String(f.n).padEnd(4)} ${pct(f.hit, f.n)}`,
      ),
  ];
}

// Unpacked by tar (no package database knows the files), or installed by the container's
// own dpkg (`dpkg --unpack`: the files, their md5sums and the status entry, without running
// a configure step that would need the packages they depend on).
const BENIGN = [
  { pkg: 'wordpress', how: 'tar', also: [{ from: 'usr/share/wordpress', to: '/var/www/html' }] },
  { pkg: 'phpmyadmin', how: 'tar', also: [] },
  { pkg: 'roundcube-core', how: 'tar', also: [] },
  // Server pages of other kinds: Tomcat's JSP examples and manager, Mono's ASP.NET examples.
  { pkg: 'tomcat10-examples', how: 'tar', also: [] },
  { pkg: 'tomcat10-admin', how: 'tar', also: [] },
  { pkg: 'asp.net-examples', how: 'tar', also: [] },
  { pkg: 'roundcube-core', how: 'dpkg', also: [] },
  { pkg: 'wordpress', how: 'dpkg', also: [] },
] as const;

async function benign(image: string, work: string): Promise<string[]> {
  const debs = path.join(work, 'debs');
  await mkdir(debs, { recursive: true });
  await exec('apt-get', ['download', ...new Set(BENIGN.map((b) => b.pkg))], { cwd: debs });
  const lines: string[] = [];
  let files = 0;
  let high = 0;
  for (const b of BENIGN) {
    const deb = (await readdir(debs)).find((f) => f.startsWith(`${b.pkg}_`))!;
    const root = path.join(work, `root-${b.pkg}`);
    const name = `coroner-bench-benign-${b.pkg}-${b.how}`;
    await startContainer(image, name);
    if (b.how === 'dpkg') {
      await exec('sh', [
        '-c',
        `docker exec -i ${name} sh -c 'cat > /tmp/p.deb' < ${path.join(debs, deb)}`,
      ]);
      await docker(
        'exec',
        name,
        'sh',
        '-c',
        'dpkg --unpack /tmp/p.deb >/dev/null && rm /tmp/p.deb',
      );
    } else {
      await exec('dpkg-deb', ['-x', path.join(debs, deb), root]);
      // Unpacked where the package puts it (and where a site serves it from), as dpkg would:
      // by the container's own tar, which follows its /lib -> usr/lib link as dpkg does.
      await exec('sh', [
        '-c',
        `tar -C ${root} -c . | docker exec -i ${name} tar -x -C / --keep-directory-symlink`,
      ]);
    }
    // The served copy is made inside the container: the package's links stay links.
    for (const extra of b.also)
      await docker(
        'exec',
        name,
        'sh',
        '-c',
        `mkdir -p ${extra.to} && cp -a /${extra.from}/. ${extra.to}/`,
      );
    const report = await triageJson(name, work);
    const changed = [...report.changes].filter(
      (c) => !c.isParentOnly && c.current?.meta.type === 'file',
    );
    const flagged = changed.filter((c) => HIGH.has(c.severity));
    files += changed.length;
    high += flagged.length;
    lines.push(
      `  ${`${b.pkg} (${b.how === 'dpkg' ? 'dpkg --unpack' : 'tar'})`.padEnd(30)} ${String(changed.length).padStart(6)} files, ${flagged.length} high+ (${pct(flagged.length, changed.length)})`,
    );
    for (const c of flagged.slice(0, 8))
      lines.push(`      ${c.severity} ${c.path}: ${c.findings[0]?.reason}`);
    await rm(root, { recursive: true, force: true });
  }
  return [
    `Benign churn from Debian packages: false positives ${pct(high, files, 2)} of ${files} changed files at high+ (goal <= 0.1%)`,
    ...lines,
  ];
}

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'coroner-detection-'));
  const image = await debianBase();
  const out: string[] = [];
  const say = (lines: string[]) => {
    console.log(lines.join('\n'));
    out.push(...lines);
  };
  say([
    `Detection benchmark (coroner ${JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version}, base ${image})`,
    '',
  ]);
  try {
    if (!only || only === 'techniques') say([...(await techniques(image, work)), '']);
    const shells = option('--webshells');
    if (!only || only === 'webshells')
      say([
        ...(shells
          ? await webshells(image, work, shells)
          : ['Web shells: not measured (give --webshells DIR, a public collection)']),
        '',
      ]);
    if (!only || only === 'benign') say([...(await benign(image, work)), '']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await writeFile(path.join(os.tmpdir(), 'coroner-detection-last.txt'), out.join('\n'));
}

if (args.includes('--heldout')) await import('./detection-heldout.js');
else
  main().catch((e) => {
    console.error('detection bench failed:', e);
    process.exitCode = 1;
  });
