/**
 * A pod container's log as the kubelet keeps it: `/var/log/pods/<ns>_<pod>_<uid>/<container>/
 * <restarts>.log` (older ones rotated beside it), each line in the CRI log format,
 * `<RFC 3339 time> <stdout|stderr> <F|P> <text>`, where P marks a piece of a line the
 * runtime split and F its last piece (kubernetes' pkg/kubelet/kuberuntime/logs). The
 * folder's names come from the pod's labels (checked by cri-pod.ts); the folder and the
 * files in it are the kubelet's, and are read without following a link.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { LogTail } from './json-file-log.js';
import { readTailLines } from './log-tail-lines.js';

export const DEFAULT_POD_LOGS = '/var/log/pods';
/** Log files kept of one container at most (the kubelet keeps 5 by default). */
const MAX_LOG_FILES = 32;

/**
 * The container's log folder under `podLogs`: the folder of the log path the CRI plugin
 * recorded for it when that lies two levels under `podLogs`, else named by the pod's uid,
 * else the one folder of that namespace and pod (a second is ambiguous: none).
 */
export async function podLogFolder(
  podLogs: string,
  pod: { namespace: string; pod: string; container: string; uid?: string },
  recordedLogPath?: string,
): Promise<string | undefined> {
  let podFolder: string | undefined;
  const recorded = recordedLogPath
    ? path.relative(podLogs, path.dirname(recordedLogPath)).split('/')
    : [];
  if (
    recordedLogPath &&
    path.isAbsolute(recordedLogPath) &&
    recorded.length === 2 &&
    recorded.every((part) => part && part !== '..' && part !== '.')
  ) {
    podFolder = recorded[0]!;
    pod = { ...pod, container: recorded[1]! };
  } else if (pod.uid) podFolder = `${pod.namespace}_${pod.pod}_${pod.uid}`;
  else {
    const prefix = `${pod.namespace}_${pod.pod}_`;
    const names = (await readdir(podLogs).catch(() => [] as string[])).filter(
      (n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('_'),
    );
    if (names.length !== 1) return undefined;
    podFolder = names[0];
  }
  const folder = path.join(podLogs, podFolder!, pod.container);
  for (const dir of [path.join(podLogs, podFolder!), folder]) {
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return undefined;
  }
  return folder;
}

export interface PodLogFile {
  name: string;
  file: string;
  /** The restart it belongs to (`3.log` is the fourth run); rotated pieces carry theirs. */
  restart: number;
  isRotated: boolean;
}

/** The log files in the folder, the current one (the highest restart, not rotated) last. */
export async function podLogFiles(folder: string): Promise<PodLogFile[]> {
  const found: PodLogFile[] = [];
  for (const name of await readdir(folder)) {
    const m = /^(\d{1,9})\.log(\..+)?$/.exec(name);
    if (!m) continue;
    const file = path.join(folder, name);
    if (!(await lstat(file).catch(() => undefined))?.isFile()) continue;
    found.push({ name, file, restart: Number(m[1]), isRotated: m[2] !== undefined });
  }
  found.sort((a, b) =>
    a.restart !== b.restart
      ? a.restart - b.restart
      : a.isRotated !== b.isRotated
        ? a.isRotated
          ? -1
          : 1
        : a.name.localeCompare(b.name),
  );
  return found.slice(-MAX_LOG_FILES);
}

export interface CriLine {
  time: string;
  stream: 'stdout' | 'stderr';
  isPartial: boolean;
  text: string;
}

/** One CRI log line, or undefined when it is not one. */
export function parseCriLine(line: string): CriLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/s.exec(line);
  if (!m) return undefined;
  return {
    time: m[1]!,
    stream: m[2] as 'stdout' | 'stderr',
    isPartial: m[3] === 'P',
    text: m[4] ?? '',
  };
}

/**
 * The last `lines` lines of a CRI log, split into stdout and stderr with each line's time
 * in front (as a live triage keeps a Docker log), pieces of one line joined.
 */
export async function readCriLogTail(
  file: string,
  lines: number,
  maxBytes: number,
): Promise<LogTail> {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  const pending = { stdout: '', stderr: '' };
  let unreadable = 0;
  for (const raw of await readTailLines(file, lines, maxBytes)) {
    const line = parseCriLine(raw);
    if (!line) {
      unreadable++;
      continue;
    }
    if (line.isPartial) {
      pending[line.stream] ||= `${line.time} `;
      pending[line.stream] += line.text;
      continue;
    }
    out[line.stream].push(`${pending[line.stream] || `${line.time} `}${line.text}\n`);
    pending[line.stream] = '';
  }
  for (const stream of ['stdout', 'stderr'] as const)
    if (pending[stream]) out[stream].push(`${pending[stream]}\n`);
  return {
    stdout: Buffer.from(out.stdout.join('')),
    stderr: Buffer.from(out.stderr.join('')),
    unreadable,
  };
}

/** A recorded container metadata is small; a larger one is not read. */
const MAX_METADATA_BYTES = 1024 * 1024;

/**
 * The log path the CRI plugin recorded for a container (the `io.cri-containerd.container.
 * metadata` extension: JSON `{Version: "v1", Metadata: {LogPath}}`, containerd 1.7
 * pkg/cri/store/container/metadata.go), when it holds one.
 */
export function recordedLogPath(metadata: Buffer | undefined): string | undefined {
  if (!metadata || metadata.length > MAX_METADATA_BYTES) return undefined;
  try {
    const record = JSON.parse(metadata.toString('utf8')) as { Metadata?: { LogPath?: unknown } };
    const logPath = record?.Metadata?.LogPath;
    return typeof logPath === 'string' && logPath ? logPath : undefined;
  } catch {
    return undefined;
  }
}
