/**
 * The one way coroner reads a running container's files from its host: inside the
 * container's root, never against the host's. A path under /proc/<pid>/root is resolved
 * by the kernel with the reader's root, so an absolute link the container planted
 * (`/dev/shm -> /root/.ssh`) leads to the host's file; and a process that chrooted has
 * a root of its choosing. Here the root is found from the container's first process and
 * proved (its device and inode are those of the container's root folder the engine
 * mounted on this host), and every path is opened one component at a time from the
 * folder above it (`/proc/self/fd/<fd>/<name>`, O_NOFOLLOW): a link on the way to a mount
 * is resolved inside the root (openat2 RESOLVE_IN_ROOT semantics), a link met while
 * walking is recorded, never followed. Names are raw bytes.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, stat, type FileHandle } from 'node:fs/promises';
import { nameBytes } from '../../case/container-path.js';

/** Links followed while resolving one path, as the kernel allows (ELOOP beyond). */
const MAX_LINKS = 40;
/** Folders climbed from a process's root to the container's (a chroot is rarely deep). */
const MAX_CLIMB = 256;
/** Folders open at once while walking: a deeper tree is cut, not read. */
export const MAX_WALK_DEPTH = 128;

const SLASH = Buffer.from('/');
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** A failure a responder reads: why a path of the container could not be read. */
export class ContainerRootRefused extends Error {}

function at(dir: FileHandle, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${dir.fd}/`), name]);
}

const isSame = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

async function openDir(dir: FileHandle, name: Buffer): Promise<FileHandle> {
  return open(at(dir, name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
}

function components(raw: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === 0x2f) {
      if (i > start) parts.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** One entry met while walking a folder of the container. */
export interface RootEntry {
  /** The path below the walked folder, raw bytes, starting with `/`. */
  raw: Buffer;
  stat: Stats;
  /** Where it is, for `openFile` and `readLink` (valid until the walk moves on). */
  parent: FileHandle;
  name: Buffer;
}

export class ContainerRoot {
  private constructor(
    private readonly root: FileHandle,
    readonly rootStat: Stats,
  ) {}

  /**
   * The container's root, reached from `pid`'s root by climbing `..` (a chrooted process's
   * root is a folder below it) until the folder is `rootFolder` (the engine's MergedDir on
   * this host, compared by device and inode). Refused when no folder on the way is.
   */
  static async open(pid: number, rootFolder: string): Promise<ContainerRoot> {
    const expected = await lstat(rootFolder).catch(() => undefined);
    if (!expected?.isDirectory())
      throw new ContainerRootRefused(
        `the container's root folder ${JSON.stringify(rootFolder)} is not a folder on this host`,
      );
    if (isSame(expected, await stat('/')))
      throw new ContainerRootRefused(`the engine names this host's own root as the container's`);
    let current = await open(`/proc/${pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (let climbed = 0; climbed <= MAX_CLIMB; climbed++) {
        const here = await current.stat();
        if (isSame(here, expected)) return new ContainerRoot(current, here);
        const parent = await openDir(current, DOTDOT);
        const above = await parent.stat();
        await current.close();
        current = parent;
        // `..` of the topmost folder of a mount namespace is itself.
        if (isSame(above, here)) break;
      }
    } catch (e) {
      await current.close().catch(() => undefined);
      throw e;
    }
    await current.close();
    throw new ContainerRootRefused(
      `process ${pid}'s root is not inside the container's root folder on this host`,
    );
  }

  /**
   * The root of `pid`'s own mount namespace, reached from its root by climbing `..` until
   * it climbs no more: where the engine names no root folder (Docker's containerd image
   * store, containerd itself), the container's root is the top of the namespace it
   * pivoted into. The caller has proved the namespace is not this host's.
   */
  static async topOf(pid: number): Promise<ContainerRoot> {
    let current = await open(`/proc/${pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (let climbed = 0; climbed <= MAX_CLIMB; climbed++) {
        const here = await current.stat();
        const parent = await openDir(current, DOTDOT);
        const above = await parent.stat();
        if (isSame(above, here)) {
          await parent.close();
          return new ContainerRoot(current, here);
        }
        await current.close();
        current = parent;
      }
    } catch (e) {
      await current.close().catch(() => undefined);
      throw e;
    }
    await current.close();
    throw new ContainerRootRefused(`process ${pid}'s root is more than ${MAX_CLIMB} folders deep`);
  }

  /** A folder taken as a root as it is (a container's root copied off a host, a test's). */
  static async ofFolder(folder: string): Promise<ContainerRoot> {
    const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
    return new ContainerRoot(handle, await handle.stat());
  }

  close(): Promise<void> {
    return this.root.close();
  }

  /**
   * The folder at `containerPath` inside the root, links on the way resolved inside it
   * (an absolute target starts again from the root, `..` never climbs above it). The caller
   * closes it.
   */
  async openFolder(containerPath: string): Promise<FileHandle> {
    const held: FileHandle[] = [];
    const top = () => held.at(-1) ?? this.root;
    const pending = components(nameBytes(containerPath));
    let links = 0;
    try {
      while (pending.length > 0) {
        const name = pending.shift()!;
        if (name.equals(DOT)) continue;
        if (name.equals(DOTDOT)) {
          await held.pop()?.close();
          continue;
        }
        const info = await lstat(at(top(), name));
        if (info.isSymbolicLink()) {
          if (++links > MAX_LINKS)
            throw new ContainerRootRefused(
              `more than ${MAX_LINKS} links on the way to ${JSON.stringify(containerPath)}`,
            );
          const target = await readlink(at(top(), name), { encoding: 'buffer' });
          if (target[0] === 0x2f) while (held.length) await held.pop()!.close();
          pending.unshift(...components(target));
          continue;
        }
        if (!info.isDirectory())
          throw new ContainerRootRefused(
            `${JSON.stringify(containerPath)} is not a folder in the container`,
          );
        const next = await openDir(top(), name);
        held.push(next);
        if (!isSame(await next.stat(), info))
          throw new ContainerRootRefused('it changed meanwhile');
      }
      const found = held.pop() ?? (await openDir(this.root, DOT));
      return found;
    } finally {
      for (const h of held) await h.close();
    }
  }

  /**
   * Every entry under an open folder, parents before children, in byte order, never through
   * a link. `depthCut` hears of each folder left unread because it is too deep.
   */
  static async *walk(
    folder: FileHandle,
    depthCut: (raw: Buffer) => void,
    prefix: Buffer = Buffer.alloc(0),
    depth = 0,
  ): AsyncGenerator<RootEntry> {
    const names = (await readdir(`/proc/self/fd/${folder.fd}`, { encoding: 'buffer' })).sort(
      Buffer.compare,
    );
    for (const name of names) {
      const raw = Buffer.concat([prefix, SLASH, name]);
      const info = await lstat(at(folder, name)).catch(() => undefined);
      if (!info) continue; // gone meanwhile
      yield { raw, stat: info, parent: folder, name };
      if (!info.isDirectory()) continue;
      if (depth + 1 >= MAX_WALK_DEPTH) {
        depthCut(raw);
        continue;
      }
      const child = await openDir(folder, name).catch(() => undefined);
      if (!child) continue;
      try {
        if (isSame(await child.stat(), info))
          yield* ContainerRoot.walk(child, depthCut, raw, depth + 1);
      } finally {
        await child.close();
      }
    }
  }

  /**
   * A regular file met while walking, opened without following a link and without waiting
   * on a pipe swapped in for it; undefined when it is no longer that regular file.
   */
  static async openFile(entry: RootEntry): Promise<FileHandle | undefined> {
    const handle = await open(
      at(entry.parent, entry.name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    ).catch(() => undefined);
    if (!handle) return undefined;
    const info = await handle.stat();
    if (info.isFile() && isSame(info, entry.stat)) return handle;
    await handle.close();
    return undefined;
  }

  /** A link's target as text (its bytes kept by `nameFromBytes`), never followed. */
  static readLink(entry: RootEntry): Promise<Buffer> {
    return readlink(at(entry.parent, entry.name), { encoding: 'buffer' });
  }
}
