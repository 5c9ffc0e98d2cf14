import { describe, expect, it } from 'vitest';
import type { ChangedPath } from '../../src/report/change.js';
import type { ContainerInspect } from '../../src/sources/docker-live/types.js';
import type { Learned } from '../../src/relaunch/learn.js';
import { DEFAULT_CAPABILITIES, smallestSet } from '../../src/relaunch/learn.js';
import {
  DEFAULT_RELAUNCH_OPTIONS,
  planRelaunch,
  tmpfsOwner,
  writableDirs,
  type Write,
} from '../../src/relaunch/plan.js';
import { legitimateWrites } from '../../src/relaunch/prepare.js';
import { parsePasswd } from '../../src/relaunch/twin-runner.js';

const inspect = (over: { Config?: object; HostConfig?: object; Mounts?: object[] } = {}) =>
  ({
    Id: 'f'.repeat(64),
    Name: '/web-1',
    Image: 'sha256:' + 'a'.repeat(64),
    Config: {
      Image: 'shop:latest',
      User: '',
      Env: ['DB_PASSWORD=x'],
      Cmd: ['httpd', '-f'],
      Entrypoint: null,
      WorkingDir: '/srv',
      Labels: { app: 'shop' },
      ...over.Config,
    },
    HostConfig: {
      NetworkMode: 'host',
      Privileged: true,
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
      ...over.HostConfig,
    },
    NetworkSettings: { Networks: { host: {} } },
    Mounts: over.Mounts ?? [
      {
        Type: 'volume',
        Name: 'data',
        Source: '/var/lib/docker/volumes/data/_data',
        Destination: '/data',
        RW: true,
      },
    ],
  }) as unknown as ContainerInspect;

const users = parsePasswd(
  'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\nnobody:x:65534:65534::/:/bin/false\nbroken line\n',
);
const churn = (...paths: string[]): Write[] =>
  paths.map((path) => ({ path, kind: 'A', from: "the triage's churn" }));
const plan = (over = {}, opts = {}, more: { learned?: Learned; writes?: Write[] } = {}) =>
  planRelaunch(
    {
      inspect: inspect(over),
      writes: more.writes ?? churn('/run/httpd.pid', '/var/cache/app/x'),
      ...(more.learned ? { learned: more.learned } : {}),
      imageUsers: users,
      imageHasContent: new Map([
        ['/run', false],
        ['/var/cache/app', false],
        ['/var/log/apache2', true],
      ]),
      mountFindings: new Map([['/data', ['critical: /data/.x.php']]]),
    },
    { ...DEFAULT_RELAUNCH_OPTIONS, stamp: '20261123t120000z', ...opts },
  );
const learned = (over: Partial<Learned> = {}): Learned => ({
  user: '',
  isUserProven: true,
  capAdd: ['NET_BIND_SERVICE', 'SETGID', 'SETUID'],
  isCapsProven: true,
  capReasons: [],
  isSharedMemorySeen: false,
  ports: [],
  writes: [],
  traffic: 'a request',
  trials: [],
  notes: [],
  ...over,
});

describe('planRelaunch', () => {
  it('builds the replacement from the original image id with the service configuration', () => {
    const p = plan();
    expect(p.createBody).toMatchObject({
      Image: 'sha256:' + 'a'.repeat(64),
      Cmd: ['httpd', '-f'],
      WorkingDir: '/srv',
      Env: ['DB_PASSWORD=x'],
    });
    expect((p.createBody['Labels'] as Record<string, string>)['coroner.replaces']).toBe(
      'f'.repeat(64),
    );
    expect(p.quarantineName).toBe('web-1-quarantined-20261123t120000z');
  });

  it('hardens it: read-only, no capabilities, no new privileges, limits, bounded restarts, never privileged', () => {
    expect(plan().createBody['HostConfig']).toMatchObject({
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      PidsLimit: 256,
      Memory: 512 * 1024 * 1024,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
    });
  });

  it('gives tmpfs only where the app legitimately wrote, owned by the non-root user it picks', () => {
    const p = plan();
    expect(p.writable.map((t) => [t.path, t.mount])).toEqual([
      ['/run', 'tmpfs'],
      ['/var/cache/app', 'tmpfs'],
    ]);
    expect((p.createBody as { User: string }).User).toBe('33:33');
    expect((p.createBody['HostConfig'] as { Tmpfs: Record<string, string> }).Tmpfs['/run']).toMatch(
      /noexec.*uid=33,gid=33/,
    );
  });

  it('names the decisions a human must make', () => {
    const warnings = plan().warnings.join('\n');
    expect(warnings).toMatch(/volume data at \/data is reused as it is/);
    expect(warnings).toMatch(/was privileged/);
    expect(warnings).toMatch(/host network mode is kept/);
    expect(plan({}, { freshVolumes: true }).volumes[0]).toMatchObject({ isReused: false });
  });

  it('audits before and after side by side', () => {
    const p = plan();
    const status = (list: typeof p.audit.before, cis: string) =>
      list.find((e) => e.cis === cis)?.passed;
    expect(status(p.audit.before, '5.5')).toBe(false);
    expect(status(p.audit.after, '5.5')).toBe(true);
    expect(status(p.audit.after, '5.13')).toBe(true);
    expect(status(p.audit.after, '5.10')).toBe(false);
  });

  it('asks for no new privileges in the bare form, not the colon separator dockerd warns is deprecated', () => {
    const p = plan();
    expect((p.createBody['HostConfig'] as { SecurityOpt: string[] }).SecurityOpt).toEqual([
      'no-new-privileges',
    ]);
    expect(p.dockerRun).toContain('--security-opt no-new-privileges ');
    expect(p.dockerRun).not.toMatch(/no-new-privileges:/);
  });

  it('prints an equivalent docker run line with the original image id', () => {
    const run = plan().dockerRun;
    expect(run).toMatch(/^docker run -d --name web-1 --read-only --cap-drop ALL /);
    expect(run).toContain('-p 127.0.0.1:8080:80/tcp');
    expect(run).toContain(`sha256:${'a'.repeat(64)} httpd -f`);
  });

  it('takes the user and capabilities the twins proved, and says they were proven', () => {
    const p = plan({}, {}, { learned: learned() });
    // It ran as the image's default (root): kept as it was, not rewritten.
    expect((p.createBody as { User: string }).User).toBe('');
    expect(p.dockerRun).not.toMatch(/--user/);
    expect((p.createBody['HostConfig'] as { CapAdd: string[] }).CapAdd).toEqual([
      'NET_BIND_SERVICE',
      'SETGID',
      'SETUID',
    ]);
    expect(p.hardened.find((h) => h.setting === 'capabilities')?.why).toMatch(
      /^proven: the fewest/,
    );
    expect(p.warnings.join('\n')).toMatch(/stays root: no twin ran the service as a non-root user/);
  });

  it('closes /dev/shm when a twin was seen writing nothing there, and leaves it writable when it wrote', () => {
    const tmpfsOf = (p: ReturnType<typeof plan>) =>
      (p.createBody['HostConfig'] as { Tmpfs: Record<string, string> }).Tmpfs;
    expect(tmpfsOf(plan({}, {}, { learned: learned({ isSharedMemorySeen: true }) }))).toMatchObject(
      { '/dev/shm': expect.stringMatching(/^ro,/) },
    );
    // Unseen (not root): Docker's own /dev/shm stays, as nothing was proven.
    expect(tmpfsOf(plan({}, {}, { learned: learned() }))['/dev/shm']).toBeUndefined();
    const writes: Write[] = [{ path: '/dev/shm/sem.app', kind: 'A', from: 'a clean twin' }];
    const p = plan({}, {}, { learned: learned({ isSharedMemorySeen: true, writes }), writes });
    expect(tmpfsOf(p)['/dev/shm']).toMatch(/^rw,/);
    expect(p.dockerRun).toMatch(/--tmpfs \/dev\/shm:rw,/);
  });

  it('gives a folder the image has content in a volume that starts with it, never an empty tmpfs over it', () => {
    const writes: Write[] = [
      { path: '/var/log/apache2/access.log', kind: 'C', from: 'a clean twin' },
      { path: '/run/apache2', kind: 'A', from: 'a clean twin' },
      { path: '/run/apache2/apache2.pid', kind: 'A', from: 'a clean twin' },
    ];
    const p = plan({}, {}, { learned: learned({ writes }), writes });
    expect(p.writable).toEqual([
      { path: '/run', mount: 'tmpfs', why: 'a clean twin wrote /run/apache2' },
      {
        path: '/var/log/apache2',
        mount: 'volume',
        why: expect.stringMatching(
          /a clean twin wrote \/var\/log\/apache2\/access.log; a volume, so it starts with what the image has there/,
        ),
      },
    ]);
    expect(p.createBody['Volumes']).toEqual({ '/var/log/apache2': {} });
    expect(p.dockerRun).toContain('-v /var/log/apache2');
  });

  it('mounts a volume the app never wrote to read-only, naming what the triage found in it', () => {
    const p = plan({}, { freshVolumes: true }, { learned: learned(), writes: [] });
    expect(p.volumes[0]).toMatchObject({
      destination: '/data',
      isReused: false,
      isReadOnly: true,
      findings: ['critical: /data/.x.php'],
    });
    expect((p.createBody['HostConfig'] as { Mounts: object[] }).Mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Target: '/data', ReadOnly: true }),
    ]);
    const reused = plan({}, {}, { learned: learned(), writes: [] });
    expect((reused.createBody['HostConfig'] as { Binds: string[] }).Binds).toEqual([
      'data:/data:ro',
    ]);
    expect(reused.warnings.join('\n')).toMatch(/the triage found in it: critical: \/data\/.x.php/);
  });

  it('keeps root only when told to, and says so', () => {
    const p = plan({}, { user: 'root' });
    expect((p.createBody as { User: string }).User).toBe('root');
    expect(p.warnings.join('\n')).toMatch(/runs as root because --user root was given/);
  });
});

describe('helpers', () => {
  it('derives the narrowest folders that hold the writes', () => {
    const w = (path: string, kind: 'A' | 'C' | 'D' = 'A'): Write => ({ path, kind, from: 'x' });
    expect([
      ...writableDirs([
        w('/run', 'C'),
        w('/run/apache2'),
        w('/run/apache2/a.pid'),
        w('/run/lock/b'),
        w('/var/log/apache2/error.log', 'C'),
        w('/var/cache/w/last'),
        w('/tmp/old', 'D'),
      ]).keys(),
    ]).toEqual(['/run', '/tmp', '/var/cache/w', '/var/log/apache2']);
  });

  it('finds the fewest capabilities with few twins', async () => {
    const needed = ['NET_BIND_SERVICE', 'SETGID', 'SETUID'];
    let twins = 0;
    const kept = await smallestSet([...DEFAULT_CAPABILITIES], async (set) => {
      twins++;
      return needed.every((c) => set.includes(c));
    });
    expect(kept.sort()).toEqual(needed);
    // One twin per capability would be 14.
    expect(twins).toBeLessThanOrEqual(11);
  });
  it('resolves tmpfs owners from uid, uid:gid or a user name', () => {
    expect(tmpfsOwner('33', users)).toEqual({ uid: 33, gid: 33 });
    expect(tmpfsOwner('www-data', users)).toEqual({ uid: 33, gid: 33 });
    expect(tmpfsOwner('1000:5', users)).toEqual({ uid: 1000, gid: 5 });
    expect(tmpfsOwner('root', users)).toBeUndefined();
    expect(tmpfsOwner('ghost', users)).toBeUndefined();
  });
  it('takes as legitimate writes only what the triage ranked as churn alone', () => {
    const change = (path: string, kind: 'A' | 'C' | 'D', rules: string[], isParentOnly = false) =>
      ({
        path,
        kind,
        isParentOnly,
        findings: rules.map((rule) => ({ rule, path, severity: 'low', reason: '' })),
      }) as unknown as ChangedPath;
    expect(
      legitimateWrites({
        changes: [
          change('/run', 'C', ['parent-only'], true),
          change('/run/httpd.pid', 'A', ['legitimate-churn']),
          change('/run/lock/x.lock', 'D', ['legitimate-churn']),
          change('/tmp/.x', 'A', ['hidden-name', 'temp-payload']),
          change('/var/cache/app/y', 'A', ['legitimate-churn', 'new-executable']),
          change('/var/www/index.html', 'C', ['web-content']),
        ],
      }),
    ).toEqual([
      { path: '/run/httpd.pid', kind: 'A', from: "the triage's churn" },
      { path: '/run/lock/x.lock', kind: 'D', from: "the triage's churn" },
    ]);
  });
});
