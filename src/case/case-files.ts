/**
 * What a case folder holds, and what it should hold: the files on disk in a
 * stable order, and the hash each one had when it was captured (from the
 * folder's report.json). Shared by `coroner export` and `coroner verify`.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TriageReport } from '../triage.js';

/** A file a CaseFolder was writing when it was interrupted: `<name>.partial-<hex>`. */
export const PARTIAL_FILE = /\.partial-[0-9a-f]+$/;

/** Every regular file under `root`, relative with posix separators, in byte order. */
export async function* walkCaseFiles(
  root: string,
  opts: { includePartial?: boolean } = {},
  relative = '',
): AsyncGenerator<string> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walkCaseFiles(root, opts, rel);
    else if (entry.isFile() && (opts.includePartial || !PARTIAL_FILE.test(entry.name))) yield rel;
  }
}

export interface AcquiredFile {
  sha256: string;
  capturedAt: string;
}

/** Hashes taken when each case file was captured, by path inside the case folder. */
export function acquisitionHashes(report: TriageReport): Map<string, AcquiredFile> {
  const hashes = new Map<string, AcquiredFile>();
  for (const a of report.artifacts)
    hashes.set(a.path, { sha256: a.sha256, capturedAt: a.capturedAt });
  for (const change of report.changes) {
    for (const v of [change.original, change.current]) {
      if (v?.content)
        hashes.set(v.content.path, {
          sha256: v.content.storedSha256,
          capturedAt: v.content.capturedAt,
        });
    }
  }
  return hashes;
}
