/**
 * Extended attributes of layer folders: overlayfs marks a folder that hides everything
 * below it with `trusted.overlay.opaque` (`user.overlay.opaque` when mounted with
 * userxattr), and `security.capability` gives a file's runner privileges. Node cannot
 * read extended attributes, so they are listed by getfattr (Debian's package `attr`): one
 * process for a whole layer folder (the container's own: cost proportional to the change)
 * or for a list of files, nothing is written.
 * https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
 */
import { spawn } from 'node:child_process';

export interface OpaqueDirs {
  /** Container paths of the opaque folders. */
  dirs: Set<string>;
  /** Why they could not be read, when they could not. */
  problem?: string;
}

/** getfattr's name quoting: a backslash as `\\`, other unprintable bytes as `\ooo`. */
export function unquoteGetfattrName(quoted: string): Buffer {
  const bytes: number[] = [];
  const text = Buffer.from(quoted, 'latin1');
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === 0x5c && text[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i++;
    } else if (b === 0x5c && /^[0-7]{3}$/.test(text.subarray(i + 1, i + 4).toString('latin1'))) {
      bytes.push(parseInt(text.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else bytes.push(b);
  }
  return Buffer.from(bytes);
}

/** The opaque folders of a layer folder, from getfattr's dump of matching attributes. */
export function parseOpaqueDump(dump: Buffer, layerDir: string): Set<string> {
  const dirs = new Set<string>();
  let file: Buffer | undefined;
  const root = Buffer.from(layerDir);
  for (const line of dump.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) file = unquoteGetfattrName(line.slice(8));
    else if (file && /^(trusted|user)\.overlay\.opaque="y"$/.test(line)) {
      if (file.subarray(0, root.length).equals(root) && file.length > root.length)
        dirs.add(file.subarray(root.length).toString('utf8'));
    }
  }
  return dirs;
}

interface Dump {
  out: Buffer;
  problem?: string;
}

/**
 * getfattr's dump of the attributes matching `match`, for `paths` (each folder walked
 * when `isRecursive`): one process, links never followed. A file without a matching
 * attribute is simply absent from the dump.
 */
function dumpAttributes(
  paths: readonly string[],
  match: string,
  encoding: 'text' | 'hex',
  isRecursive: boolean,
): Promise<Dump> {
  return new Promise((resolve) => {
    const child = spawn(
      'getfattr',
      [
        '--absolute-names',
        ...(isRecursive ? ['--recursive', '--physical'] : []),
        '--no-dereference',
        '--dump',
        `--match=${match}`,
        `--encoding=${encoding}`,
        '--',
        ...paths,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        out: Buffer.alloc(0),
        problem:
          e.code === 'ENOENT'
            ? 'getfattr is not installed (Debian: apt-get install attr)'
            : `getfattr failed to start (${e.message})`,
      }),
    );
    child.on('close', (code) => {
      // Exit 1 with "No such attribute" is a file without one: not a failure.
      const isAbsence = code === 1 && /No such attribute|No data available/.test(err);
      resolve(
        code === 0 || isAbsence
          ? { out: Buffer.concat(out) }
          : {
              out: Buffer.concat(out),
              problem: `getfattr exited ${code}: ${err.trim().split('\n').pop() ?? ''}`,
            },
      );
    });
  });
}

export async function readOpaqueDirs(layerDir: string): Promise<OpaqueDirs> {
  const { out, problem } = await dumpAttributes(
    [layerDir],
    '^(trusted|user)\\.overlay\\.opaque$',
    'text',
    true,
  );
  const dirs = parseOpaqueDump(out, layerDir);
  return problem
    ? {
        dirs,
        problem: problem.startsWith('getfattr is not installed')
          ? `${problem}, so folders the container replaced as a whole (opaque) cannot be told apart`
          : problem,
      }
    : { dirs };
}

/** `security.capability` values by file (raw host path, latin1), from a hex dump. */
export function parseCapabilityDump(dump: Buffer): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  let file: Buffer | undefined;
  for (const line of dump.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) file = unquoteGetfattrName(line.slice(8));
    else if (file) {
      const m = /^security\.capability=0x([0-9a-f]+)$/.exec(line);
      if (m) found.set(file.toString('latin1'), Buffer.from(m[1]!, 'hex'));
    }
  }
  return found;
}

export interface Capabilities {
  /** Raw values by container path. */
  byPath: Map<string, Buffer>;
  problem?: string;
}

/**
 * The files with capabilities in a layer folder (recursive: for the container's own layer,
 * whose size is the change's), or among given files (an original's, where one was gained).
 */
export async function readCapabilities(
  layerDir: string,
  files?: readonly Buffer[],
): Promise<Capabilities> {
  const paths = files ? files.map((f) => f.toString('latin1')) : [layerDir];
  if (paths.length === 0) return { byPath: new Map() };
  const { out, problem } = await dumpAttributes(
    paths,
    '^security\\.capability$',
    'hex',
    files === undefined,
  );
  const root = Buffer.from(layerDir);
  const byPath = new Map<string, Buffer>();
  for (const [raw, value] of parseCapabilityDump(out)) {
    const file = Buffer.from(raw, 'latin1');
    if (file.subarray(0, root.length).equals(root) && file.length > root.length)
      byPath.set(file.subarray(root.length).toString('utf8'), value);
  }
  return problem ? { byPath, problem } : { byPath };
}

export interface AllAttributes {
  /** Every extended attribute by entry: key the raw path under the folder (latin1), `/` for itself. */
  byPath: Map<string, Map<string, Buffer>>;
  problem?: string;
}

/** getfattr's hex dump of every attribute: `# file:` lines, then `name=0x…` lines. */
export function parseAttributeDump(
  dump: Buffer,
  layerDir: string,
): Map<string, Map<string, Buffer>> {
  const byPath = new Map<string, Map<string, Buffer>>();
  const root = Buffer.from(layerDir);
  let current: Map<string, Buffer> | undefined;
  for (const line of dump.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      const file = unquoteGetfattrName(line.slice(8));
      current = undefined;
      if (!file.subarray(0, root.length).equals(root)) continue;
      const rest = file.subarray(root.length);
      if (rest.length > 0 && rest[0] !== 0x2f) continue;
      current = new Map();
      byPath.set(rest.length === 0 ? '/' : rest.toString('latin1'), current);
    } else if (current && line) {
      const m = /^(.+?)(?:=0x([0-9a-f]*))?$/.exec(line);
      if (m) current.set(m[1]!, Buffer.from(m[2] ?? '', 'hex'));
    }
  }
  return byPath;
}

/**
 * Every extended attribute of every entry of a layer folder, in one getfattr process (the
 * folder walked, links never followed). Without root, `trusted.*` (overlay's own) is not
 * listed at all: that is a problem, not an absence.
 */
export async function readAllAttributes(layerDir: string): Promise<AllAttributes> {
  const { out, problem } = await dumpAttributes([layerDir], '-', 'hex', true);
  const byPath = parseAttributeDump(out, layerDir);
  const notRoot =
    process.getuid?.() !== 0
      ? "coroner is not root, so overlay's trusted.* attributes cannot be read"
      : undefined;
  const why = problem ?? notRoot;
  return why ? { byPath, problem: why } : { byPath };
}
