/**
 * The names coroner gives what it writes for a container, the same from the CLI
 * and the console: case folders, bundles, relaunch case folders.
 */
import path from 'node:path';
import { nameSlug, safeFileName } from '../case/container-path.js';
import { utcStamp } from '../iso-time.js';

/** Where case folders go unless told otherwise (relative to the working directory). */
export const DEFAULT_CASES_ROOT = 'coroner-cases';

/** `coroner-cases/<name>-<utc>`: one triage's case folder. */
export function caseDirFor(name: string, at: Date, casesRoot = DEFAULT_CASES_ROOT): string {
  return path.join(casesRoot, `${safeFileName(name)}-${utcStamp(at)}`);
}

/** `coroner-cases/<name>-<utc>-relaunch`: evidence a relaunch had to commit itself. */
export function relaunchCaseDirFor(name: string, at: Date, casesRoot = DEFAULT_CASES_ROOT): string {
  return `${caseDirFor(name, at, casesRoot)}-relaunch`;
}

/** `coroner-evidence-<name>-<utc>.tar.gz`, in `dir`. */
export function bundlePathFor(name: string, at: Date, dir = '.'): string {
  return path.join(dir, `coroner-evidence-${nameSlug(name)}-${utcStamp(at)}.tar.gz`);
}
