/**
 * overlayfs marks a folder that hides everything below it with the extended
 * attribute `trusted.overlay.opaque` (`user.overlay.opaque` when mounted with
 * userxattr). Node cannot read extended attributes, so they are listed once for
 * a whole layer folder by getfattr (Debian's package `attr`): one process, cost
 * proportional to the layer, nothing is written.
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

export async function readOpaqueDirs(layerDir: string): Promise<OpaqueDirs> {
  return new Promise((resolve) => {
    const child = spawn(
      'getfattr',
      [
        '--absolute-names',
        '--recursive',
        '--physical',
        '--no-dereference',
        '--dump',
        '--match=^(trusted|user)\\.overlay\\.opaque$',
        '--encoding=text',
        layerDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        dirs: new Set(),
        problem:
          e.code === 'ENOENT'
            ? 'getfattr is not installed (Debian: apt-get install attr), so folders the container replaced as a whole (opaque) cannot be told apart'
            : `getfattr failed to start (${e.message})`,
      }),
    );
    child.on('close', (code) => {
      const dirs = parseOpaqueDump(Buffer.concat(out), layerDir);
      resolve(
        code === 0
          ? { dirs }
          : { dirs, problem: `getfattr exited ${code}: ${err.trim().split('\n').pop() ?? ''}` },
      );
    });
  });
}
