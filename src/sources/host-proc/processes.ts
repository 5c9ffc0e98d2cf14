/**
 * The container's processes, read from /proc on the engine's host (as root): who
 * they are, what they run (the executable's bytes, recovered through
 * /proc/<pid>/exe when the file was deleted), what they map and hold open
 * (deleted files recovered), their sockets from their own network namespace.
 * Nothing runs in the container; every value read is the attacker's to shape
 * (names, command lines), so it is bounded and kept as data.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readlink, stat } from 'node:fs/promises';
import type { CaseFolder } from '../../case/case-folder.js';
import type { CustodyLog } from '../../case/custody.js';
import type { ProcessRecord, RecoveredFile } from '../../report/process.js';
import { parseInetTable, parseUnixTable, type TableSocket } from './proc-net.js';

export interface CaptureOptions {
  maxContentBytes: number;
  signal?: AbortSignal;
}

/** At most this many processes and recovered files per triage (a fork bomb is not a reason to fill the disk). */
const MAX_PROCESSES = 512;
const MAX_RECOVERED = 128;
const MAX_FDS_PER_PROCESS = 1024;
const LOADER_ENV = /^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT)=/;

async function readBounded(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, maxBytes - length, null);
      if (bytesRead === 0 || (length += bytesRead) >= maxBytes) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

const text = (file: string, maxBytes = 64 * 1024) =>
  readBounded(file, maxBytes).then((b) => b.toString('utf8'));

/**
 * True when `pid` is in the container's cgroup: a line of its /proc/<pid>/cgroup names the
 * container's full id as a word of its own (`docker-<id>.scope`, `/docker/<id>`), never a
 * mere substring (an id of `/` would match every process of the host).
 */
export async function isInContainer(pid: number, containerId: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(containerId)) return false;
  const cgroups = await text(`/proc/${pid}/cgroup`).catch(() => '');
  return new RegExp(`(^|[^0-9a-z])${containerId}([^0-9a-z]|$)`, 'm').test(cgroups);
}

/**
 * The pids on this host in the container's cgroup, `initPid` first when it is; at most
 * MAX_PROCESSES. Whether the container runs on this host at all is this-host.ts's to prove.
 */
export async function containerPids(containerId: string, initPid: number): Promise<number[]> {
  if (!(await isInContainer(initPid, containerId))) return [];
  const pids: number[] = [initPid];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === initPid) continue;
    if (pids.length >= MAX_PROCESSES) break;
    if (await isInContainer(Number(name), containerId)) pids.push(Number(name));
  }
  return [initPid, ...pids.slice(1).sort((a, b) => a - b)];
}

/** `pid (comm) state ppid …`: comm may hold spaces and parentheses, so it ends at the last ')'. */
export function parseStat(stat: string): { name: string; ppid: number } {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return { name: stat.slice(open + 1, close), ppid: Number(rest[1]) };
}

const DELETED = ' (deleted)';

/** A link in /proc that names a file: its path, and whether it was deleted. */
function linkTarget(target: string): { path: string; isDeleted: boolean } {
  return target.endsWith(DELETED)
    ? { path: target.slice(0, -DELETED.length), isDeleted: true }
    : { path: target, isDeleted: false };
}

export class ProcessCapture {
  private readonly stored = new Map<string, RecoveredFile['stored']>();
  private recovered = 0;
  private readonly tables = new Map<string, TableSocket[]>();

  constructor(
    private readonly folder: CaseFolder,
    private readonly custody: CustodyLog,
    private readonly opts: CaptureOptions,
  ) {}

  /** Every process of the container, its findings left for the rules. */
  async capture(pids: readonly number[], initPid: number): Promise<ProcessRecord[]> {
    const records: ProcessRecord[] = [];
    for (const pid of pids) {
      if (this.opts.signal?.aborted) break;
      const record = await this.custody
        .step(`read process ${pid} from /proc on the engine's host`, String(pid), () =>
          this.one(pid),
        )
        .catch(() => undefined); // it exited meanwhile: the custody log says so
      if (record) records.push(record);
    }
    const inContainer = new Map(records.map((r) => [r.pid, r]));
    for (const r of records) {
      r.isFromExec = !descendsFrom(r.pid, initPid, inContainer);
      // Its parent is the host's runtime, setting up an exec: which exec, it says.
      if (r.isFromExec && !inContainer.has(r.ppid)) {
        const execId = runtimeExecId(await text(`/proc/${r.ppid}/cmdline`).catch(() => ''));
        if (execId) r.execId = execId;
      }
    }
    return records;
  }

  private async one(pid: number): Promise<ProcessRecord> {
    const base = `/proc/${pid}`;
    const { name, ppid } = parseStat(await text(`${base}/stat`, 4096));
    const commandLine = (await text(`${base}/cmdline`))
      .split('\0')
      .filter((a, i, all) => a || i < all.length - 1);
    const status = await text(`${base}/status`);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const gid = Number(/^Gid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const cwd = await readlink(`${base}/cwd`).catch(() => undefined);
    const exeLink = linkTarget(await readlink(`${base}/exe`));
    const exe: RecoveredFile = { ...exeLink, stored: await this.recover(`${base}/exe`, 'exe') };
    const loaderEnv = (await text(`${base}/environ`, 256 * 1024).catch(() => ''))
      .split('\0')
      .filter((e) => LOADER_ENV.test(e));
    const maps = await text(`${base}/maps`, 1024 * 1024).catch(() => '');
    const mapped = new Set<string>();
    for (const line of maps.split('\n')) {
      const file = line.split(/\s+/).slice(5).join(' ');
      if (file.startsWith('/')) mapped.add(file);
    }
    const deletedOpenFiles: RecoveredFile[] = [];
    const socketInodes = new Set<number>();
    // Which of the standard descriptors (0, 1, 2) each socket is.
    const stdioOf = new Map<number, number[]>();
    const fds = (await readdir(`${base}/fd`).catch(() => [] as string[])).slice(
      0,
      MAX_FDS_PER_PROCESS,
    );
    for (const fd of fds) {
      const target = await readlink(`${base}/fd/${fd}`).catch(() => '');
      const socket = /^socket:\[(\d+)\]$/.exec(target);
      if (socket) {
        const inode = Number(socket[1]);
        socketInodes.add(inode);
        if (/^[012]$/.test(fd)) stdioOf.set(inode, [...(stdioOf.get(inode) ?? []), Number(fd)]);
      } else if (target.startsWith('/') && target.endsWith(DELETED)) {
        const info = await stat(`${base}/fd/${fd}`).catch(() => undefined);
        if (info?.isFile())
          deletedOpenFiles.push({
            ...linkTarget(target),
            stored: await this.recover(`${base}/fd/${fd}`, 'open-file'),
          });
      }
    }
    const sockets = (await this.socketTable(pid))
      .filter((s) => socketInodes.has(s.inode))
      .map(({ inode, ...s }) =>
        stdioOf.has(inode) ? { ...s, stdio: stdioOf.get(inode)!.sort() } : s,
      );
    return {
      pid,
      ppid,
      name,
      commandLine,
      uid,
      gid,
      ...(cwd ? { cwd } : {}),
      exe,
      isFromExec: false,
      loaderEnv,
      mappedFiles: [...mapped].slice(0, 256),
      deletedOpenFiles,
      sockets,
      findings: [],
    };
  }

  /** The sockets of the process's network namespace, read once per namespace. */
  private async socketTable(pid: number): Promise<TableSocket[]> {
    const namespace = await readlink(`/proc/${pid}/ns/net`).catch(() => `pid ${pid}`);
    let table = this.tables.get(namespace);
    if (!table) {
      table = [];
      for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
        const content = await text(`/proc/${pid}/net/${protocol}`, 4 * 1024 * 1024).catch(() => '');
        table.push(...parseInetTable(content, protocol));
      }
      table.push(
        ...parseUnixTable(await text(`/proc/${pid}/net/unix`, 4 * 1024 * 1024).catch(() => '')),
      );
      this.tables.set(namespace, table);
    }
    return table;
  }

  /**
   * The bytes behind a /proc link (an executable, an open file), stored once per file (by
   * device and inode: seven workers of one server share one copy).
   */
  private async recover(link: string, what: string): Promise<RecoveredFile['stored']> {
    const info = await stat(link).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const key = `${info.dev}-${info.ino}`;
    if (this.stored.has(key)) return this.stored.get(key);
    if (this.recovered >= MAX_RECOVERED) return undefined;
    this.recovered++;
    const record = await this.folder.writeStream(
      `processes/${what}-${key}`,
      createReadStream(link),
      {
        description: `${what === 'exe' ? 'executable' : 'open file'} of a container process, read through ${link}`,
        maxBytes: this.opts.maxContentBytes,
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      },
    );
    const stored = {
      path: record.path,
      sha256: record.source?.sha256 ?? record.sha256,
      sizeBytes: record.source?.sizeBytes ?? record.sizeBytes,
      isTruncated: record.isTruncated ?? false,
    };
    this.stored.set(key, stored);
    return stored;
  }
}

/**
 * The exec id in a runtime's command line (`runc … exec --process … --pid-file
 * …/<exec id>.pid <container>`, as containerd's shim runs it for the engine), or undefined.
 */
export function runtimeExecId(cmdline: string): string | undefined {
  const args = cmdline.split('\0');
  const at = args.indexOf('--pid-file');
  const file = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--pid-file='))?.slice(11);
  return file ? /\/([0-9a-f]{64})\.pid$/.exec(file)?.[1] : undefined;
}

/** True when `pid`'s parents lead to the container's first process without leaving it. */
function descendsFrom(
  pid: number,
  initPid: number,
  inContainer: Map<number, ProcessRecord>,
): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 1024; hops++) {
    if (p === initPid) return true;
    p = inContainer.get(p)?.ppid;
  }
  return false;
}

/**
 * Files the processes hold open for writing (fdinfo flags not O_RDONLY), deleted ones
 * included: what an app writes and removes again leaves no trace in a change list.
 * Paths under /proc, /sys and /dev are the kernel's, not the app's.
 */
export async function filesOpenForWriting(pids: readonly number[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pid of pids) {
    const fds = (await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])).slice(
      0,
      MAX_FDS_PER_PROCESS,
    );
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (!target.startsWith('/') || /^\/(proc|sys|dev)(\/|$)/.test(target)) continue;
      const flags = /^flags:\s+([0-7]+)/m.exec(
        await text(`/proc/${pid}/fdinfo/${fd}`, 4096).catch(() => ''),
      );
      if (flags && (parseInt(flags[1]!, 8) & 3) !== 0) found.add(linkTarget(target).path);
    }
  }
  return [...found].sort();
}
