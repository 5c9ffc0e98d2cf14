/**
 * The overlay filesystem a container's root is, as the kernel reports it in
 * `/proc/<pid>/mountinfo` of the container's init (proc(5)): its upper dir (the writable
 * layer: the evidence) and its lower dirs, top first. Docker's overlay2 also names these
 * in `docker inspect`; its containerd image store and containerd itself do not, and the
 * kernel's word does not depend on what the engine says.
 */
import { readFile } from 'node:fs/promises';

export interface RootOverlay {
  upperDir: string;
  /** Top first, as overlayfs stacks them. */
  lowerDirs: string[];
  workDir?: string;
}

/** The root overlay of process `pid`, or why there is none (not overlay, not readable). */
export async function readRootOverlay(pid: number): Promise<RootOverlay | { reason: string }> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/mountinfo`, 'utf8');
  } catch (e) {
    return { reason: `cannot read /proc/${pid}/mountinfo (${(e as NodeJS.ErrnoException).code})` };
  }
  return rootOverlayOf(text) ?? { reason: `process ${pid}'s root is not an overlay mount` };
}

/** The overlay mounted on `/` in a mountinfo text (the last one: later mounts cover earlier). */
export function rootOverlayOf(mountinfo: string): RootOverlay | undefined {
  let found: RootOverlay | undefined;
  for (const line of mountinfo.split('\n')) {
    const [mountFields, fsFields] = line.split(' - ');
    if (!mountFields || !fsFields) continue;
    const mountPoint = mountFields.split(' ')[4];
    const [fsType, , superOptions] = fsFields.split(' ');
    if (mountPoint !== '/' || fsType !== 'overlay' || !superOptions) continue;
    const options = new Map<string, string>();
    for (const option of superOptions.split(',')) {
      const eq = option.indexOf('=');
      if (eq > 0) options.set(option.slice(0, eq), option.slice(eq + 1));
    }
    const upper = options.get('upperdir');
    const lower = options.get('lowerdir');
    if (!upper || !lower) continue;
    const work = options.get('workdir');
    found = {
      upperDir: unescapeMount(upper),
      // Colons separate the lower dirs; a colon inside one is written "\:".
      lowerDirs: lower.split(/(?<!\\):/).map((d) => unescapeMount(d.replace(/\\:/g, ':'))),
      ...(work ? { workDir: unescapeMount(work) } : {}),
    };
  }
  return found;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes (\040…). */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}
