/**
 * The engine's health probes are not an attacker's docker exec (issue 23: a probe caught while
 * runc still set it up was ranked high as a `runc init` command). Shapes recorded on Docker
 * 20.10 with containerd's runc shim: the process, its runtime parent, the engine's event.
 */
import { describe, expect, it } from 'vitest';
import { healthcheckCommand } from '../../src/findings/event-rules.js';
import { evaluateProcess, healthcheckProcesses } from '../../src/findings/process-rules.js';
import type { EngineEvent, ProcessRecord } from '../../src/report/process.js';
import { runtimeExecId } from '../../src/sources/host-proc/processes.js';

const CONTAINER = 'd76adb9fa53ecfd6288ad3715c8669ad38ae4052f6d9a3c88f6076c9abfe5bbb';
const PROBE = 'a093fd7ae74b6479610d98b98ac09204e944e815d382afaf6d0bf5c3efb52e49';
const OTHER = '970894ea3137e74ee89a1e2ba68528f040ef06337665e7aa6b04843c3c433a63';

/** /proc/<ppid>/cmdline of the `runc init` (NUL-separated), as read on the engine's host. */
const runtimeParent = [
  'runc',
  '--root',
  '/var/run/docker/runtime-runc/moby',
  '--log',
  `/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/${CONTAINER}/log.json`,
  '--log-format',
  'json',
  'exec',
  '--process',
  '/tmp/runc-process738536210',
  '--detach',
  '--pid-file',
  `/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/${CONTAINER}/${PROBE}.pid`,
  CONTAINER,
  '',
].join('\0');

/**
 * The probe caught mid-start: cmdline `runc init`, comm `runc:[2:INIT]`, its exe link `/`
 * (not a file of the image, so the image comparison says absent).
 */
const runcInit = (execId?: string): ProcessRecord => ({
  pid: 6232,
  ppid: 6214,
  name: 'runc:[2:INIT]',
  commandLine: ['runc', 'init'],
  uid: 0,
  gid: 0,
  exe: { path: '/', isDeleted: false, image: 'absent' },
  isFromExec: true,
  ...(execId ? { execId } : {}),
  loaderEnv: [],
  mappedFiles: [],
  deletedOpenFiles: [],
  sockets: [],
  findings: [],
});

const healthcheck = healthcheckCommand(['CMD-SHELL', 'true']);
const execCreate = (command: string, execID: string): EngineEvent => ({
  time: '2026-12-02T20:34:47.683Z',
  action: `exec_create: ${command}`,
  attributes: { execID, image: 'coroner-sample/base:busybox', name: 'elegant_shaw' },
});
const ranked = (p: ProcessRecord, events: EngineEvent[]) =>
  evaluateProcess(p, {
    written: new Set(),
    exposedPorts: new Set(),
    engineOwned: healthcheckProcesses([p], healthcheck, events),
  }).map((f) => `${f.rule} ${f.severity}`);

describe('a health probe caught while the runtime starts it', () => {
  it("reads the exec id from the runtime's command line", () => {
    expect(runtimeExecId(runtimeParent)).toBe(PROBE);
    expect(runtimeExecId(['/usr/bin/containerd-shim-runc-v2', '-id', CONTAINER].join('\0'))).toBe(
      undefined,
    );
  });

  it("is not ranked as an attacker's docker exec when the engine's event says it is the healthcheck", () => {
    const events = [execCreate('/bin/sh -c true', PROBE), execCreate('bash -i', OTHER)];
    expect(ranked(runcInit(PROBE), events)).toEqual([]);
  });

  it("is still ranked high when its exec is someone's else, or cannot be told", () => {
    const events = [execCreate('/bin/sh -c true', OTHER), execCreate('bash -i', PROBE)];
    expect(ranked(runcInit(PROBE), events)).toEqual([
      'process-executable-not-in-image high',
      'process-from-exec high',
    ]);
    expect(ranked(runcInit(), [execCreate('/bin/sh -c true', PROBE)])).toContain(
      'process-from-exec high',
    );
  });
});
