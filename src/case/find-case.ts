/**
 * Finds the case folder an earlier `coroner triage` left for a container, so
 * `coroner export` packs that evidence (and `coroner relaunch` plans from it)
 * instead of freezing the container again.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  TRIAGE_SCHEMA_VERSION,
  type SourceIdentity,
  type TriageReport,
} from '../report/triage-report.js';
import { CoronerError } from '../errors.js';

/** No finished case folder where one was named or expected. */
export class CaseNotFound extends CoronerError {}

async function readPrefix(file: string, bytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The `source` block of report.json, from the text at its top (it precedes the container). */
function sourceOf(head: string): SourceIdentity | undefined {
  const key = '\n  "source": ';
  const start = head.indexOf(key);
  const end = head.indexOf('\n  }', start);
  if (start < 0 || end < 0) return undefined;
  try {
    return JSON.parse(head.slice(start + key.length, end + 4)) as SourceIdentity;
  } catch {
    return undefined;
  }
}

/**
 * The newest case folder under `casesRoot` whose report is about `containerId`, if any;
 * with `isFrom`, only a case made from that source (a copied data root's container has
 * the id it had live).
 */
export async function findLatestCase(
  casesRoot: string,
  containerId: string,
  isFrom?: (source: SourceIdentity) => boolean,
): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(casesRoot);
  } catch {
    return undefined;
  }
  let best: { dir: string; finishedAt: string } | undefined;
  for (const name of names) {
    const dir = path.join(casesRoot, name);
    try {
      // The container block sits near the top of report.json; no need to parse 50 MB to match it.
      const head = await readPrefix(path.join(dir, 'report.json'), 16 * 1024);
      const id = /"container": \{\s*"id": "([0-9a-f]{64})"/.exec(head)?.[1];
      const finishedAt = /"finishedAt": "([^"]+)"/.exec(head)?.[1];
      if (id !== containerId || !finishedAt || (best && finishedAt <= best.finishedAt)) continue;
      const source = sourceOf(head);
      if (isFrom && !(source && isFrom(source))) continue;
      best = { dir, finishedAt };
    } catch {
      // not a finished case folder
    }
  }
  return best?.dir;
}

export async function loadCaseReport(caseDir: string): Promise<TriageReport> {
  let report: TriageReport;
  try {
    report = JSON.parse(await readFile(path.join(caseDir, 'report.json'), 'utf8')) as TriageReport;
  } catch (e) {
    throw new CaseNotFound(
      `${caseDir} holds no readable report.json (${(e as Error).message})`,
      'Name the folder a finished `coroner triage` wrote, or leave --case out to triage afresh.',
    );
  }
  if (report.schemaVersion !== TRIAGE_SCHEMA_VERSION) {
    throw new CaseNotFound(
      `${caseDir}/report.json has schema version ${String(report.schemaVersion)}`,
      'Export it with the coroner version that wrote it.',
    );
  }
  // The folder may have moved since triage: read it where it is now.
  return { ...report, caseDir: path.resolve(caseDir) };
}
