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
import { CoronerError } from '../errors.js';
import type { TriageReport } from '../report/triage-report.js';

/** A case folder whose report.json does not hold what a triage writes: altered or damaged (exit 4). */
export class CaseReportMalformed extends CoronerError {
  override readonly exitCode = 4;
}

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
  const malformed = malformedField(report);
  if (malformed)
    throw new CaseReportMalformed(
      `${dir}/report.json is malformed: ${malformed}`,
      'The case folder was altered or damaged: nothing in it can be trusted; run the triage again to capture the evidence afresh.',
    );
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

const isText = (v: unknown) => typeof v === 'string';
const isList = (v: unknown): v is unknown[] => Array.isArray(v);
const fields = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/**
 * The first field verify reads that is not what a triage writes, or undefined: the record of
 * every hash, and what the lines name. An edited report.json could hold anything there.
 */
function malformedField(report: TriageReport): string | undefined {
  const r = fields(report);
  if (!isText(fields(r['container'])['name'])) return 'container.name is not text';
  if (!isText(r['finishedAt'])) return 'finishedAt is not text';
  const artifacts = r['artifacts'];
  if (!isList(artifacts)) return 'artifacts is not a list';
  for (const [i, a] of artifacts.entries())
    if (!isText(fields(a)['path']) || !isText(fields(a)['sha256']))
      return `artifacts[${i}] has no path and sha256`;
  const changes = r['changes'];
  if (!isList(changes)) return 'changes is not a list';
  for (const [i, c] of changes.entries()) {
    for (const side of ['original', 'current']) {
      const version = fields(c)[side];
      if (version === undefined) continue;
      const content = fields(version)['content'];
      if (
        content !== undefined &&
        (!isText(fields(content)['path']) || !isText(fields(content)['storedSha256']))
      )
        return `changes[${i}].${side}.content has no path and storedSha256`;
    }
    const patchFile = fields(fields(fields(c)['comparison'])['content'])['patchFile'];
    if (
      patchFile !== undefined &&
      (!isText(fields(patchFile)['path']) || !isText(fields(patchFile)['sha256']))
    )
      return `changes[${i}].comparison.content.patchFile has no path and sha256`;
  }
  const packages = r['packages'];
  if (packages !== undefined) {
    const files = fields(packages)['files'];
    if (!isList(files)) return 'packages.files is not a list';
    for (const [i, f] of files.entries()) {
      const content = fields(f)['content'];
      if (
        content !== undefined &&
        (!isText(fields(content)['path']) || !isText(fields(content)['storedSha256']))
      )
        return `packages.files[${i}].content has no path and storedSha256`;
    }
  }
  return undefined;
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
