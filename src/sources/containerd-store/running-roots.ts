/**
 * The roots of the containerd daemons running on this host, from their command lines
 * (`--root`, or `root = "…"` in the `--config` file, else /var/lib/containerd): where
 * Docker's containerd image store, and the kubelet's, keep snapshots and content. Read
 * from /proc only; a root that is not there is left out by whoever opens it.
 */
import { constants } from 'node:fs';
import { open, readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ContainerdRoot, type SnapshotFolder } from './containerd-root.js';

export const DEFAULT_CONTAINERD_ROOT = '/var/lib/containerd';
const DEFAULT_CONFIG = '/etc/containerd/config.toml';
/** A config beyond this is not containerd's. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface RunningContainerd {
  pid: number;
  /** Its root, links resolved where it exists. */
  root: string;
}

/** Each running containerd and its root. */
export async function runningContainerds(): Promise<RunningContainerd[]> {
  const found: RunningContainerd[] = [];
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
      .split('\0')
      .filter(Boolean);
    if (!argv[0] || path.basename(argv[0]) !== 'containerd') continue;
    const named =
      option(argv, '--root') ??
      (await rootOfConfig(Number(pid), option(argv, '--config') ?? option(argv, '-c')));
    const root = named ?? DEFAULT_CONTAINERD_ROOT;
    found.push({ pid: Number(pid), root: await realpath(root).catch(() => root) });
  }
  return found;
}

/** `--flag X` or `--flag=X`. */
function option(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return undefined;
}

/** The first `max` bytes of a regular file, as text; empty when it cannot be read. */
async function readHead(file: string, max: number): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return '';
  try {
    if (!(await handle.stat()).isFile()) return '';
    const bytes = Buffer.alloc(max);
    const { bytesRead } = await handle.read(bytes, 0, max, 0);
    return bytes.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * The top-level `root = "…"` of containerd `pid`'s config (TOML), when it names one. The
 * file is read as containerd sees it, through its own root and working folder in /proc:
 * coroner in a node job shares the node's pids, not its /etc.
 */
async function rootOfConfig(pid: number, file: string | undefined): Promise<string | undefined> {
  const named = file ?? DEFAULT_CONFIG;
  const text = await readHead(
    path.isAbsolute(named) ? `/proc/${pid}/root${named}` : `/proc/${pid}/cwd/${named}`,
    MAX_CONFIG_BYTES,
  );
  for (const line of text.split('\n')) {
    if (/^\s*\[/.test(line)) break; // past the top level: a table's `root` is not containerd's
    const m =
      /^\s*root\s*=\s*"([^"]*)"\s*$/.exec(line) ?? /^\s*root\s*=\s*'([^']*)'\s*$/.exec(line);
    if (m?.[1] && path.isAbsolute(m[1])) return m[1];
  }
  return undefined;
}

/**
 * The snapshot of container `id` in the roots of the running containerds: its folders, top
 * first (its own writable one, then `<id>-init`, then the image's), for a container that
 * has no mount to read them from (stopped). Docker's namespace is tried first.
 */
export async function snapshotOfContainer(
  id: string,
): Promise<{ root: string; namespace: string; chain: SnapshotFolder[] } | undefined> {
  const roots = [...new Set((await runningContainerds()).map((c) => c.root))];
  for (const root of roots) {
    const store = await ContainerdRoot.open(root, { isLive: true }).catch(() => undefined);
    if (!store) continue;
    try {
      const found = await store.containerSnapshot(id);
      if (found) return { root, ...found };
    } finally {
      await store.close();
    }
  }
  return undefined;
}
