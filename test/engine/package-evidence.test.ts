/**
 * Changed files judged by the image's own package database, on a real Debian 12 container:
 * a trojaned coreutils binary is a modified package file (as debsums reports it), a file
 * only touched is the package's own, and what a .deb installed inside the container is that
 * package's churn, while a unit written by hand beside it stays high. The same verdicts
 * whether the layers are read on the host, through the engine's archive readers, or from a
 * stopped engine's data root.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write-bundle.js';
import { CustodyLog } from '../../src/case/custody.js';
import type { ChangedPath } from '../../src/report/change.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';
import { runCoroner } from '../support/coroner-run.js';
import { cleanRun, debianBase, docker, newRunId, ROOT, runLabelled } from '../support/engine.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';

const runId = newRunId();
let work: string;
let container: string;
const reports: Record<'host' | 'archive', TriageReport> = {} as never;

// The attacker with a root shell: trojans `id`, touches `env`, installs a package of their
// own making (a unit, a cron conffile, a script) the way an admin would, and writes a unit by hand.
const ATTACK = String.raw`
set -eu
printf '\n#x' >> /usr/bin/id
touch /usr/bin/env
mkdir -p /tmp/p/DEBIAN /tmp/p/lib/systemd/system /tmp/p/etc/cron.d /tmp/p/usr/bin
printf 'Package: acme-agent\nVersion: 1.2\nArchitecture: all\nMaintainer: a <a@example.org>\nDescription: test\n' > /tmp/p/DEBIAN/control
printf '/etc/cron.d/acme-agent\n' > /tmp/p/DEBIAN/conffiles
printf '[Unit]\nDescription=acme\n[Service]\nExecStart=/usr/bin/acme-agent\n' > /tmp/p/lib/systemd/system/acme-agent.service
printf '*/5 * * * * root /usr/bin/acme-agent --report\n' > /tmp/p/etc/cron.d/acme-agent
printf '#!/bin/sh\necho ok\n' > /tmp/p/usr/bin/acme-agent
printf '#!/bin/sh\nexit 0\n' > /tmp/p/DEBIAN/postinst
chmod 755 /tmp/p/DEBIAN/postinst
chmod 755 /tmp/p/usr/bin/acme-agent
dpkg-deb --build /tmp/p /tmp/acme.deb >/dev/null
dpkg -i /tmp/acme.deb >/dev/null
rm -rf /tmp/p /tmp/acme.deb
printf '[Service]\nExecStart=/bin/sh -c "sleep 1"\n' > /etc/systemd/system/evil.service
printf '#!/bin/sh\n/bin/sh -c "sleep 1" &\n' > /var/lib/dpkg/info/coreutils.postrm
chmod 755 /var/lib/dpkg/info/coreutils.postrm
`;

let image: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-packages-'));
  // The base the php-links sample builds on: one Debian image for both tests.
  const packages = readFileSync(path.join(ROOT, 'samples/php-links/debian-packages'), 'utf8');
  image = await debianBase(packages.split('\n').filter(Boolean));
  container = `coroner-test-packages-${runId}`;
  await runLabelled(container, runId, image, 'sleep', 'infinity');
  await docker('exec', container, 'sh', '-c', ATTACK);
  for (const reads of ['host', 'archive'] as const)
    reports[reads] = await triage(
      await connectDockerLive(reads === 'host' ? 'auto' : 'archive'),
      container,
      {
        caseDir: path.join(work, reads),
        cacheDir: path.join(work, 'cache'),
      },
    );
}, 600_000);
afterAll(() => cleanRun(runId));

const changeAt = (report: TriageReport, p: string): ChangedPath => {
  const found = [...report.changes].find((c) => c.path === p);
  expect(found, p).toBeDefined();
  return found!;
};

describe.each(['host', 'archive'] as const)('package evidence (layers read: %s)', (reads) => {
  it('ranks a trojaned coreutils binary high as a modified package file, with its md5s', () => {
    const id = changeAt(reports[reads], '/usr/bin/id');
    expect(id.package).toMatchObject({
      manager: 'dpkg',
      package: 'coreutils',
      database: 'image',
      verdict: 'differs',
    });
    expect(id.package!.actual).not.toBe(id.package!.expected);
    expect(id.findings.find((f) => f.rule === 'package-modified')).toMatchObject({
      severity: 'high',
      attack: 'T1554',
    });
  });

  it('calls a binary that was only touched the package’s own, and ranks it low', () => {
    const env = changeAt(reports[reads], '/usr/bin/env');
    expect(env.package).toMatchObject({ package: 'coreutils', verdict: 'matches' });
    expect(env.severity).toBe('low');
  });

  it('lowers what a package installed inside the container, and names the package', () => {
    for (const p of [
      '/usr/lib/systemd/system/acme-agent.service',
      '/etc/cron.d/acme-agent',
      '/usr/bin/acme-agent',
    ]) {
      const c = changeAt(reports[reads], p);
      expect(c.package, p).toMatchObject({
        package: 'acme-agent',
        database: 'container',
        verdict: 'matches',
      });
      expect(c.severity, p).toBe('low');
    }
    expect(changeAt(reports[reads], '/etc/cron.d/acme-agent').package?.isConffile).toBe(true);
    // dpkg's own record of it: the maintainer script the package brought.
    const postinst = changeAt(reports[reads], '/var/lib/dpkg/info/acme-agent.postinst');
    expect(postinst.severity).toBe('low');
    expect(postinst.findings[0]!.reason).toMatch(/dpkg's record of package acme-agent/);
    const status = changeAt(reports[reads], '/var/lib/dpkg/status');
    expect(status.findings[0]).toMatchObject({ rule: 'packages-installed', severity: 'medium' });
    expect(reports[reads].packages?.installedInContainer).toEqual(['acme-agent 1.2']);
  });

  it('keeps the unit and the maintainer script written by hand beside them high', () => {
    const evil = changeAt(reports[reads], '/etc/systemd/system/evil.service');
    expect(evil.package).toBeUndefined();
    expect(evil.severity).toBe('high');
    const planted = changeAt(reports[reads], '/var/lib/dpkg/info/coreutils.postrm');
    expect(planted.findings[0]).toMatchObject({ rule: 'package-hook', severity: 'high' });
  });
});

describe('the package databases as evidence', () => {
  it('stores every database file it judged by in the case, and the bundle verifies', async () => {
    const report = reports.host;
    const files = report.packages!.files;
    expect(files.some((f) => f.path === '/var/lib/dpkg/info/coreutils.md5sums')).toBe(true);
    expect(files.filter((f) => f.path === '/var/lib/dpkg/status').map((f) => f.side)).toEqual([
      'current',
      'original',
    ]);
    const out = path.join(work, 'bundle.tar.gz');
    await writeBundle(await connectDockerLive(), report, {
      outPath: out,
      custody: new CustodyLog(),
      includeImage: false,
    });
    const verdict = await verifyBundle(out);
    expect(verdict.isIntact).toBe(true);
    const packed = new Set(verdict.manifest!.files.map((f) => f.path));
    for (const f of files)
      expect(packed.has(`case/${f.content!.path}`), `${f.side} ${f.path}`).toBe(true);
  });
});

describe("a dead box: the same judgement from a stopped engine's data root", () => {
  let engine: PrivateEngine;
  afterAll(() => engine?.destroy());

  it('reads the image database from the layer folders, with no engine', async () => {
    engine = await startPrivateEngine();
    await promisify(execFile)(
      'sh',
      ['-c', `docker save ${image} | DOCKER_HOST=${engine.dockerHost} docker load -q`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    await engine.docker(
      'run',
      '-d',
      '--name',
      'pk',
      '--network',
      'none',
      image,
      'sleep',
      'infinity',
    );
    await engine.docker('exec', 'pk', 'sh', '-c', ATTACK);
    await engine.stop();
    const { code, stdout, stderr } = await runCoroner(
      [
        'triage',
        'pk',
        '--docker-root',
        engine.dataRoot,
        '--json',
        '--case-dir',
        path.join(work, 'dead'),
      ],
      { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    );
    expect(code, stderr).toBe(3);
    const dead = JSON.parse(stdout) as TriageReport;
    expect(dead.source.kind).toBe('dead-box');
    const verdicts = (r: TriageReport) =>
      [...r.changes]
        .filter((c) => c.package)
        .map((c) => `${c.path} ${c.package!.database} ${c.package!.verdict} ${c.severity}`)
        .sort();
    expect(verdicts(dead)).toEqual(verdicts(reports.host));
    expect(verdicts(dead)).toContain('/usr/bin/id image differs high');
  }, 600_000);
});
