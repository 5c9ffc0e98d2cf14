import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/bundle/report-text.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { cleanRun, newRunId, startSample, evidenceImage } from '../support/engine.js';
import { connectDockerLive } from '../../src/sources/docker-live/live-source.js';

const run = promisify(execFile);
const runId = newRunId();
let work: string;
let report: TriageReport;
let htmlFile: string;

// As the workplace notes say: no background networking, a fresh profile, no sandbox as root.
function chromium(...args: string[]) {
  return run(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${path.join(work, 'profile')}`,
      ...args,
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
  );
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'render-'));
  const container = await startSample('webshell', runId);
  report = await triage(await connectDockerLive(), container, {
    caseDir: path.join(work, 'case'),
    cacheDir: path.join(work, 'cache'),
  });
  htmlFile = path.join(work, 'report.html');
  const ctx = {
    createdAt: new Date().toISOString(),
    redaction: { isEnvRedacted: false, redactedFiles: [] },
    evidence: {
      kind: 'image' as const,
      id: evidenceImage(report).id,
      name: 'x:y',
      isIncluded: true,
      file: 'evidence-image.tar',
    },
  };
  await writeFile(htmlFile, [...reportHtml(report, ctx)].join(''));
});
afterAll(() => cleanRun(runId));

describe('the HTML report in a browser', () => {
  it('renders offline with the findings ranked and the diffs shown', async () => {
    const { stdout: dom } = await chromium('--dump-dom', `file://${htmlFile}`);
    const shell = dom.indexOf('/var/www/uploads/.cache.php');
    const pid = dom.indexOf('/run/httpd.pid');
    expect(shell).toBeGreaterThan(0);
    expect(shell).toBeLessThan(pid);
    expect(dom).toMatch(/web shell pattern/);
    expect(dom).toMatch(/HACKED BY xX_sh4d0w_Xx/);
  });

  it('makes a screenshot of a real page, not a blank one', async () => {
    const png = path.join(work, 'report.png');
    await chromium('--window-size=1100,1400', `--screenshot=${png}`, `file://${htmlFile}`);
    const bytes = await readFile(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    // A blank 1100x1400 page compresses to a few KB; the rendered report is far larger.
    expect((await stat(png)).size).toBeGreaterThan(50_000);
  });
});
