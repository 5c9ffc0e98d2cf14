/**
 * What a case folder holds, and what it should hold: the files on disk in a
 * stable order, and the hash each one had when it was captured (from the
 * folder's report.json). Shared by `coroner export` and `coroner verify`.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TriageReport } from '../report/triage-report.js';
import { TEMP_PREFIX } from './case-folder.js';

/** A file a CaseFolder was writing when it was interrupted: `.partial-<hex>-<name>`. */
export function isPartialFile(relative: string): boolean {
  return path.posix.basename(relative).startsWith(TEMP_PREFIX);
}

/**
 * Everything under `root` but its folders (files, and any link or other entry, which a
 * case never holds), relative with posix separators, in byte order.
 */
export async function* walkCaseFiles(root: string, relative = ''): AsyncGenerator<string> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walkCaseFiles(root, rel);
    else yield rel;
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
    const content = change.comparison?.content;
    if (content?.kind === 'text-diff' && content.patchFile)
      hashes.set(content.patchFile.path, content.patchFile);
  }
  // The package databases the changes were judged by.
  for (const { content } of report.packages?.files ?? [])
    if (content)
      hashes.set(content.path, { sha256: content.storedSha256, capturedAt: content.capturedAt });
  return hashes;
}
