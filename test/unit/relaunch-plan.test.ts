import { describe, expect, it } from 'vitest';
import type { TriageReport } from '../../src/report/triage-report.js';
import type { ContainerInspect } from '../../src/sources/docker-live/types.js';
import {
  DEFAULT_RELAUNCH_OPTIONS,
  planRelaunch,
  tmpfsForWrites,
  tmpfsOwner,
} from '../../src/relaunch/plan.js';
import { legitimateWrites, parsePasswd } from '../../src/relaunch/relaunch.js';

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
const plan = (over = {}, opts = {}) =>
  planRelaunch(
    {
      inspect: inspect(over),
      legitimateWrites: ['/run/httpd.pid', '/var/cache/app/x'],
      imageUsers: users,
    },
    { ...DEFAULT_RELAUNCH_OPTIONS, stamp: '20261123t120000z', ...opts },
  );

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
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      PidsLimit: 256,
      Memory: 512 * 1024 * 1024,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
    });
  });

  it('gives tmpfs only where the app legitimately wrote, owned by the non-root user it picks', () => {
    const p = plan();
    expect(p.tmpfs.map((t) => t.path)).toEqual(['/run', '/var/cache/app']);
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

  it('prints an equivalent docker run line with the original image id', () => {
    const run = plan().dockerRun;
    expect(run).toMatch(/^docker run -d --name web-1 --read-only --cap-drop ALL /);
    expect(run).toContain('-p 127.0.0.1:8080:80/tcp');
    expect(run).toContain(`sha256:${'a'.repeat(64)} httpd -f`);
  });

  it('keeps root only when told to, and says so', () => {
    const p = plan({}, { user: 'root' });
    expect((p.createBody as { User: string }).User).toBe('root');
    expect(p.warnings.join('\n')).toMatch(/runs as root because --user root was given/);
  });
});

describe('helpers', () => {
  it('derives tmpfs directories from churn', () => {
    expect(
      tmpfsForWrites(['/run/a.pid', '/run/lock/b', '/var/lock/x.lock', '/var/cache/w/last']),
    ).toEqual([
      { path: '/run', why: expect.any(String) },
      { path: '/var/lock', why: expect.any(String) },
      { path: '/var/cache/w', why: expect.any(String) },
    ]);
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
      }) as unknown as TriageReport['changes'][number];
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
    ).toEqual(['/run/httpd.pid']);
  });
});
