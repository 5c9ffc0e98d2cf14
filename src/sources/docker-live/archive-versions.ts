/**
 * Reads every changed path's original (from the original image) and current
 * version (from the evidence image) through never-started reader containers.
 * Cost grows with the change: one request per changed path, or one per
 * directory that is new as a whole. The engine serialises archive requests per
 * container, so each image gets a small pool of readers.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import { storedName } from '../../case/container-path.js';
import type { CustodyLog } from '../../case/custody.js';
import { pathsWithChangedChildren } from '../../changes/change-list.js';
import type { ChangeEntry, PathProblem, StoredVersion, VersionPair } from '../../report/change.js';
import { throwIfAborted, type Engine } from './engine.js';
import { Cancelled, EngineUnreachable } from '../../errors.js';
import { CORONER_VERSION } from '../../version.js';
import { access } from 'node:fs/promises';
import { hasReplacedBytes, readByRawName } from '../layer-store/raw-name.js';
import { readTree, readVersion } from './archive-reader.js';

export interface ExtractOptions {
  maxContentBytes: number;
  /** Reader containers per image; requests to one reader are serialised by the engine. */
  readersPerImage: number;
  /** Added to each reader's labels: which suspect it reads for, so a leftover one can be traced. */
  readerLabels?: Record<string, string>;
  /**
   * The suspect itself: a current version missing from the evidence image is looked up
   * there by stat (sockets are never archived, so only a stat can tell what they are).
   */
  liveContainerId?: string;
  /**
   * The evidence image's committed layer as a folder on this host (GraphDriver UpperDir), for
   * names the engine cannot be asked for (not UTF-8); used only when coroner can read it.
   */
  evidenceLayerDir?: string;
  /** Current versions acquired already (read from the suspect in the freeze): not read again. */
  acquired?: ReadonlyMap<string, StoredVersion>;
  signal?: AbortSignal;
  onProgress?: (pathsDone: number, bytes: number) => void;
  onProblem: (problem: PathProblem) => void;
}

type Side = 'original' | 'current';

/** Stats of the live container per triage: sockets are rare; a vanished tree is not. */
const MAX_LIVE_STATS = 1000;
type Task =
  | { kind: 'one'; side: Side; entry: ChangeEntry }
  | { kind: 'tree'; root: string; covered: ChangeEntry[] };

/** Engine trouble and cancellation end the triage; anything else is about one path. */
export function isPathLevel(e: unknown): boolean {
  return !(
    e instanceof EngineUnreachable ||
    e instanceof Cancelled ||
    (e as Error)?.name === 'AbortError'
  );
}

const describeError = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Added directories that hold other changes, topmost only, with the entries they cover. */
export function planTreeReads(entries: readonly ChangeEntry[]): Map<string, ChangeEntry[]> {
  const hasChildren = pathsWithChangedChildren(entries);
  const roots = new Map<string, ChangeEntry[]>();
  let root: string | undefined;
  for (const entry of entries) {
    if (root !== undefined && entry.path.startsWith(root + '/')) {
      roots.get(root)!.push(entry);
      continue;
    }
    root = entry.kind === 'A' && hasChildren.has(entry.path) ? entry.path : undefined;
    if (root !== undefined) roots.set(root, [entry]);
  }
  return roots;
}

class ReaderPool {
  private readonly free: string[] = [];
  private readonly waiting: ((id: string) => void)[] = [];
  readonly all: string[] = [];

  add(id: string): void {
    this.all.push(id);
    this.release(id);
  }

  acquire(): Promise<string> {
    const id = this.free.pop();
    return id ? Promise.resolve(id) : new Promise((resolve) => this.waiting.push(resolve));
  }

  release(id: string): void {
    const next = this.waiting.shift();
    if (next) next(id);
    else this.free.push(id);
  }
}

export async function extractVersions(
  engine: Engine,
  originalImageId: string,
  evidenceImageId: string,
  entries: readonly ChangeEntry[],
  folder: CaseFolder,
  custody: CustodyLog,
  opts: ExtractOptions,
): Promise<Map<string, VersionPair>> {
  const result = new Map<string, VersionPair>(entries.map((e) => [e.path, {}]));
  const acquired = opts.acquired ?? new Map<string, StoredVersion>();
  const trees = planTreeReads(entries);
  const covered = new Set([...trees.values()].flat().map((e) => e.path));
  for (const path of acquired.keys()) covered.add(path); // read already, nothing to plan
  const tasks: Task[] = [...trees].map(([root, entries]) => ({
    kind: 'tree' as const,
    root,
    covered: entries,
  }));
  for (const entry of entries) {
    if (entry.kind !== 'A') tasks.push({ kind: 'one', side: 'original', entry });
    if (entry.kind !== 'D' && !covered.has(entry.path))
      tasks.push({ kind: 'one', side: 'current', entry });
  }
  const tasksPerSide = {
    original: tasks.filter((t) => t.kind === 'one' && t.side === 'original').length,
    current: tasks.length,
  };
  tasksPerSide.current -= tasksPerSide.original;

  const pools: Record<Side, ReaderPool> = { original: new ReaderPool(), current: new ReaderPool() };
  const images: Record<Side, string> = { original: originalImageId, current: evidenceImageId };
  let pathsDone = 0;
  let bytes = 0;
  const store = (side: Side) => (path: string) => `${side}/${storedName(path)}`;
  const describe = (side: Side) => (path: string) => `${side} version of ${JSON.stringify(path)}`;
  const readOpts = {
    maxContentBytes: opts.maxContentBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const found = (side: Side, path: string, version: StoredVersion) => {
    result.get(path)![side] = version;
    bytes += version.content?.sizeBytes ?? 0;
    opts.onProgress?.(++pathsDone, bytes);
  };
  let statsLeft = MAX_LIVE_STATS;
  const missing = async (side: Side, path: string) => {
    // The engine's archives skip sockets: the change list names one, the image cannot hold it.
    const live =
      side === 'current' && opts.liveContainerId && statsLeft-- > 0
        ? await engine.statPath(opts.liveContainerId, path).catch(() => undefined)
        : undefined;
    if (live?.type === 'socket') return found(side, path, { meta: live });
    if (side === 'current' && hasReplacedBytes(path)) {
      const why = await readMangledName(path);
      if (why === undefined) return;
      return opts.onProblem({ path, action: 'read current version', cause: why });
    }
    opts.onProblem({
      path,
      action: `read ${side} version`,
      cause: `not found in the ${side === 'original' ? 'original' : 'evidence'} image`,
    });
  };

  /**
   * A name that is not UTF-8, which the engine's JSON mangled: read by its raw bytes from the
   * evidence layer on this host. Undefined when found; otherwise why not.
   */
  let layerReadable: Promise<boolean> | undefined;
  const isLayerReadable = () =>
    (layerReadable ??= access(opts.evidenceLayerDir ?? '').then(
      () => true,
      () => false,
    ));
  const readMangledName = async (path: string): Promise<string | undefined> => {
    const layerDir = opts.evidenceLayerDir;
    const unreadable =
      'its name is not UTF-8, so the engine reports it altered (U+FFFD) and cannot be asked for it';
    if (!layerDir || !(await isLayerReadable()))
      return `${unreadable}; reading it by its raw bytes needs coroner as root on the engine's host (the evidence image's layer folder)`;
    const match = await custody
      .step(
        `read ${JSON.stringify(path)} by its raw name bytes from the evidence image's layer on this host`,
        layerDir,
        () =>
          readByRawName(
            layerDir,
            path,
            folder,
            store('current')(path),
            `${describe('current')(path)}, read by its raw name bytes from the evidence layer`,
          ),
        (m) =>
          m ? `raw name ${m.rawPath.subarray(layerDir.length).toString('hex')} (hex)` : 'no match',
      )
      .catch((e: unknown) => {
        if (!isPathLevel(e)) throw e;
        return undefined;
      });
    if (!match) return `${unreadable}; no name in the evidence layer decodes to it`;
    found('current', path, match.version);
    return undefined;
  };

  const runTask = async (task: Task): Promise<void> => {
    const side: Side = task.kind === 'tree' ? 'current' : task.side;
    const reader = await pools[side].acquire();
    try {
      if (task.kind === 'one') {
        const version = await readVersion(
          engine,
          reader,
          task.entry.path,
          folder,
          store(side)(task.entry.path),
          describe(side)(task.entry.path),
          readOpts,
        );
        if (version) found(side, task.entry.path, version);
        else await missing(side, task.entry.path);
        return;
      }
      const wanted = new Set(task.covered.map((e) => e.path).filter((p) => !acquired.has(p)));
      const isThere = await readTree(
        engine,
        reader,
        task.root,
        folder,
        store('current'),
        describe('current'),
        (path) => wanted.delete(path),
        (path, version) => found('current', path, version),
        (name, why) =>
          opts.onProblem({
            path: task.root,
            action: 'read new directory',
            cause: `refused a tar entry named ${JSON.stringify(name)}: ${why}`,
          }),
        readOpts,
      );
      if (!isThere) await missing('current', task.root);
      for (const path of wanted) await missing('current', path);
    } catch (e) {
      if (!isPathLevel(e)) throw e;
      const path = task.kind === 'tree' ? task.root : task.entry.path;
      opts.onProblem({
        path,
        action: task.kind === 'tree' ? 'read new directory' : `read ${side} version`,
        cause: describeError(e),
      });
    } finally {
      pools[side].release(reader);
    }
  };

  for (const [path, version] of acquired) if (result.has(path)) found('current', path, version);
  try {
    const creations = (['original', 'current'] as const).flatMap((side) =>
      Array.from({ length: Math.min(opts.readersPerImage, tasksPerSide[side]) }, async () => {
        const id = await custody.step(
          `create reader container (never started) from the ${side === 'original' ? 'original' : 'evidence'} image`,
          images[side],
          () =>
            engine.createReader(images[side], {
              ...opts.readerLabels,
              'coroner.version': CORONER_VERSION,
            }),
        );
        pools[side].add(id);
      }),
    );
    // allSettled: every reader that was created is in a pool, so the finally removes it.
    const created = await Promise.allSettled(creations);
    const failed = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    let next = 0;
    const worker = async () => {
      while (next < tasks.length) {
        throwIfAborted(opts.signal, 'triage');
        await runTask(tasks[next++]!);
      }
    };
    const workers = Math.max(1, pools.original.all.length + pools.current.all.length);
    await Promise.all(Array.from({ length: workers }, worker));
    custody.record(
      'read original and current versions through the archive endpoint',
      `${entries.length} paths`,
      'ok',
      `${bytes} bytes`,
    );
    return result;
  } finally {
    await Promise.all(
      [...pools.original.all, ...pools.current.all].map(
        (reader) =>
          custody
            .step('remove reader container', reader, () =>
              engine.removeContainer(reader, { removeVolumes: true }),
            )
            .catch(() => undefined), // recorded as failed in the custody log; the evidence is untouched either way
      ),
    );
  }
}
