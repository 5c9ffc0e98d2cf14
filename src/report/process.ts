/**
 * What ran in the container when it was frozen, read from the engine's host
 * (/proc), and what the engine recorded about the container (its events).
 */
import type { Finding } from './finding.js';

export interface SocketRecord {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';
  state: 'listen' | 'established' | 'other';
  /** `address:port`, or a unix socket's path. */
  local: string;
  remote?: string;
  /** True when the remote address is routable on the internet (not private, loopback, link-local). */
  isRemotePublic?: boolean;
  /**
   * The process's standard descriptors this socket is (0 its input, 1 its output, 2 its
   * errors): a shell reading commands from the network has 0 and 1 here.
   */
  stdio?: number[];
}

/** A file a process holds open or mapped, recovered from /proc when it was deleted. */
export interface RecoveredFile {
  /** The path as the process saw it. */
  path: string;
  isDeleted: boolean;
  /** Its bytes, stored in the case folder and hashed (when deleted, or the executable). */
  stored?: { path: string; sha256: string; sizeBytes: number; isTruncated: boolean };
}

export interface ProcessRecord {
  /** On the engine's host. */
  pid: number;
  ppid: number;
  /** The kernel's name for it (attacker-chosen: any process may rename itself). */
  name: string;
  commandLine: string[];
  uid: number;
  gid: number;
  cwd?: string;
  exe: RecoveredFile & {
    /** The image's file at the same path: absent from the image, or the same bytes or not. */
    image?: 'absent' | 'same' | 'different';
  };
  /** Not a descendant of the container's first process: started through the engine (docker exec). */
  isFromExec: boolean;
  /**
   * The engine's exec this process was started for, read from its parent on the host (the
   * runtime's `exec … --pid-file …/<exec id>.pid`): a `runc init` caught mid-start says no
   * more about itself. Matched to the engine's `exec_create` events (their `execID`).
   */
  execId?: string;
  /** Dynamic loader variables of its environment (`LD_PRELOAD=…`); other values are never kept. */
  loaderEnv: string[];
  /** The files it maps (libraries…), at most 256; a deleted one ends in ` (deleted)`, as /proc says. */
  mappedFiles: string[];
  /** Open files that were deleted, with their recovered bytes. */
  deletedOpenFiles: RecoveredFile[];
  sockets: SocketRecord[];
  findings: Finding[];
}

/** One event the engine kept about the container (`docker events`). */
export interface EngineEvent {
  time: string;
  /** `exec_create: bash -c …`, `start`, `kill`, `extract-to-dir`… */
  action: string;
  attributes: Record<string, string>;
}
