/**
 * coroner verify on a case folder: a finished triage is checked file by file
 * against the hashes taken at acquisition; an interrupted one (no report.json)
 * is named incomplete, with what it holds, so nobody takes it for a finished case.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { acquisitionHashes, isPartialFile, walkCaseFiles } from '../case/case-files.js';
import { loadCaseReport } from '../case/find-case.js';

export type CaseCheck =
  | {
      state: 'complete';
      isIntact: boolean;
      container: { id: string; name: string };
      finishedAt: string;
      checked: number;
      altered: { path: string; expectedSha256: string; actualSha256: string }[];
      missing: string[];
      /** Files no record names (report.json itself is covered by a bundle's manifest, not here). */
      extra: string[];
    }
  | {
      state: 'incomplete';
      files: string[];
      /** Writes cut off by the interruption (`.partial-<hex>-<name>`). */
      partial: string[];
      /** The evidence image, if the freeze got as far as the commit. */
      evidenceImage?: { id: string; repoTags: string[] };
    };

/** The file's hash, never read through a link (a case holds none): a link hashes as "a link". */
async function sha256Of(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ELOOP') return undefined;
      throw e;
    },
  );
  if (!handle) return 'a link, not a file';
  const hash = createHash('sha256');
  await pipeline(handle.createReadStream(), hash);
  return hash.digest('hex');
}

export async function isCaseFolder(dir: string): Promise<boolean> {
  for (const marker of ['report.json', 'container']) {
    try {
      await access(path.join(dir, marker));
      return true;
    } catch {
      // try the next marker
    }
  }
  return false;
}

export async function verifyCase(dir: string): Promise<CaseCheck> {
  const hasReport = await access(path.join(dir, 'report.json')).then(
    () => true,
    () => false,
  );
  if (!hasReport) return describeIncomplete(dir);

  const report = await loadCaseReport(dir);
  const expected = acquisitionHashes(report);
  const altered: { path: string; expectedSha256: string; actualSha256: string }[] = [];
  const extra: string[] = [];
  let checked = 0;
  for await (const rel of walkCaseFiles(dir)) {
    if (rel === 'report.json') continue;
    const acquired = expected.get(rel);
    if (!acquired) {
      extra.push(rel);
      continue;
    }
    expected.delete(rel);
    checked += 1;
    const actual = await sha256Of(path.join(dir, rel));
    if (actual !== acquired.sha256)
      altered.push({ path: rel, expectedSha256: acquired.sha256, actualSha256: actual });
  }
  const missing = [...expected.keys()].sort();
  return {
    state: 'complete',
    isIntact: altered.length === 0 && missing.length === 0 && extra.length === 0,
    container: { id: report.container.id, name: report.container.name },
    finishedAt: report.finishedAt,
    checked,
    altered,
    missing,
    extra,
  };
}

async function describeIncomplete(dir: string): Promise<CaseCheck> {
  const files: string[] = [];
  const partial: string[] = [];
  for await (const rel of walkCaseFiles(dir)) (isPartialFile(rel) ? partial : files).push(rel);
  let evidenceImage: { id: string; repoTags: string[] } | undefined;
  try {
    const inspect = JSON.parse(
      await readFile(path.join(dir, 'evidence-image/inspect.json'), 'utf8'),
    ) as { Id?: unknown; RepoTags?: unknown };
    if (typeof inspect.Id === 'string')
      evidenceImage = {
        id: inspect.Id,
        repoTags: Array.isArray(inspect.RepoTags) ? inspect.RepoTags.map(String) : [],
      };
  } catch {
    // the freeze ended before the commit was recorded
  }
  return { state: 'incomplete', files, partial, ...(evidenceImage ? { evidenceImage } : {}) };
}
