/**
 * Vitest's global setup: every temporary folder a test makes goes into one scratch folder
 * for the run, removed when the run ends. Tests make case folders, images and bundles in
 * the system's temporary folder (a quarter of a gigabyte a run); before, each run left them.
 *
 * The folder is kept when a test failed, so what it left can be read, or when
 * CORONER_KEEP_SCRATCH is set; it is never removed while something is mounted in it.
 * Daemons whose sockets must stay within a unix path's 108 bytes (dockerd, containerd,
 * podman) keep their short roots in the system's folder and remove them themselves.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

const SHORT_TMP = 'CORONER_TEST_SHORT_TMP';

/** The system's temporary folder, for roots that hold sockets: see above. */
export function shortTmpdir(): string {
  return process.env[SHORT_TMP] ?? os.tmpdir();
}

export default function setup(project: TestProject): () => void {
  const system = os.tmpdir();
  const scratch = mkdtempSync(path.join(system, 'coroner-tests-'));
  // Open to every user as the system's folder is, sticky: tests run coroner as nobody too.
  chmodSync(scratch, 0o1777);
  // Workers and the processes they start inherit the environment.
  process.env[SHORT_TMP] = system;
  process.env.TMPDIR = scratch;
  return () => {
    process.env.TMPDIR = system;
    const state = project.vitest.state;
    const failed = state.getCountOfFailedTests() > 0 || state.getFailedFilepaths().length > 0;
    const mounted = mountsUnder(scratch);
    if (failed || mounted.length > 0 || process.env.CORONER_KEEP_SCRATCH) {
      const why = mounted.length > 0 ? `, mounted: ${mounted.join(' ')}` : '';
      console.log(`test scratch kept in ${scratch}${why}`);
      return;
    }
    rmSync(scratch, { recursive: true, force: true });
  };
}

/** Mount points at or below `folder` in this mount namespace (mountinfo's fifth field). */
function mountsUnder(folder: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && (point + '/').startsWith(folder + '/'));
}
