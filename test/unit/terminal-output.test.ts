/**
 * What the command line prints, byte by byte: strings from a copied data root, a triage's
 * "not collected" items, a forged bundle manifest and an edited case folder never reach
 * the terminal as raw control bytes (issue 24). The commands run through `main`, as the
 * executable runs them, with no engine.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { main, type Io } from '../../src/cli.js';
import { bundleCheckText } from '../../src/present/bundle-check-text.js';
import { triageSummary } from '../../src/present/triage-summary.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { RecordedSource } from '../support/recorded-source.js';
import { makeTar } from '../support/tar-fixtures.js';
import { rawControls } from '../support/terminal-bytes.js';

/** An OSC title, a clear screen, a C1 CSI, a bidi override, a cursor-up-and-erase-line, a bell. */
const EVIL = '\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e\u001b[1A\u001b[2K\r';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-terminal-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Runs the command line, as bytes on stdout and stderr. */
async function coroner(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    outFile: () => Promise.resolve(),
    isErrTty: false,
  };
  const code = await main(argv, io);
  return {
    code,
    stdout,
    stderr,
    raw: rawControls(Buffer.from(stdout + stderr, 'utf8')),
  };
}

describe('coroner list on a copied data root', () => {
  it("shows a container's escape-laden Created, name and image as visible escapes", async () => {
    const root = path.join(work, 'data-root');
    const id = 'c'.repeat(64);
    await mkdir(path.join(root, 'containers', id), { recursive: true });
    await mkdir(path.join(root, 'image', 'overlay2'), { recursive: true });
    await writeFile(
      path.join(root, 'containers', id, 'config.v2.json'),
      JSON.stringify({
        ID: id,
        Image: `sha256:${'a'.repeat(64)}`,
        Name: `/web${EVIL}`,
        Created: `2026-11-01T00:00:00Z${EVIL}`,
        Config: { Image: `nginx${EVIL}` },
        State: { Running: false },
      }),
    );
    await writeFile(path.join(root, 'containers', id, 'hostconfig.json'), '{}');
    const run = await coroner('list', '--docker-root', root);
    expect(run).toMatchObject({ code: 0, raw: [] });
    expect(run.stdout).toContain('2026-11-01T00:00:00Z\\e]0;owned');
    expect(run.stdout).toContain('web\\e]0;owned');
  });
});

describe('the triage summary', () => {
  let report: TriageReport;
  beforeAll(async () => {
    const source = new RecordedSource({
      id: 'f'.repeat(64),
      name: 'web-1',
      changes: [{ path: '/tmp/x', kind: 'A' }],
      current: { '/tmp/x': { meta: {}, content: 'x\n' } },
    });
    report = await triage(source, 'web-1', {
      caseDir: path.join(work, 'case'),
      cacheDir: path.join(work, 'cache'),
    });
  });

  it('shows "not collected" and "not covered" items named after the container\'s mounts as visible escapes', () => {
    const shaped: TriageReport = {
      ...report,
      notCollected: [{ item: `the volume at /data${EVIL}`, reason: `unreadable${EVIL}` }],
      notCovered: [{ destination: `/srv${EVIL}`, type: 'bind', reason: `bound${EVIL}` }],
      problems: [{ path: `/p${EVIL}`, action: `read${EVIL}`, cause: 'c' }],
    } as TriageReport;
    const text = triageSummary(shaped).join('\n');
    expect(rawControls(Buffer.from(text))).toEqual([]);
    expect(text).toContain('the volume at /data\\e]0;owned\\x07');
  });

  it('names an edited case folder without letting its report.json write to the terminal', async () => {
    const file = path.join(report.caseDir, 'report.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as TriageReport;
    json.finishedAt = `2026-11-30${EVIL}`;
    json.container.name = `web${EVIL}`;
    (json.artifacts[0] as { sha256: string }).sha256 = EVIL;
    await writeFile(file, JSON.stringify(json));
    const run = await coroner('verify', report.caseDir);
    expect(run).toMatchObject({ code: 4, raw: [] });
    expect(run.stdout).toMatch(/^FAILED: .* finished 2026-11-30\\e\]0;owned/);
    expect(run.stdout).toContain('at acquisition');
  });
});

describe('coroner verify on a case folder whose report.json is wrongly typed', () => {
  it('says which field is malformed, with exit code 4 and no stack trace', async () => {
    const source = new RecordedSource({
      id: 'e'.repeat(64),
      name: 'web-2',
      changes: [{ path: '/tmp/y', kind: 'A' }],
      current: { '/tmp/y': { meta: {}, content: 'y\n' } },
    });
    const report = await triage(source, 'web-2', {
      caseDir: path.join(work, 'case-typed'),
      cacheDir: path.join(work, 'cache'),
    });
    const file = path.join(report.caseDir, 'report.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...json, changes: 5 }));
    const run = await coroner('verify', report.caseDir);
    expect(run).toMatchObject({ code: 4, raw: [], stdout: '' });
    expect(run.stderr).toMatch(/report\.json is malformed: changes is not a list/);
  });
});

describe('coroner verify on a forged manifest', () => {
  async function bundleWith(files: unknown[], name: string): Promise<string> {
    const tar = await makeTar([
      { name: 'report.md', content: '# all clear\n' },
      { name: 'manifest.json', content: JSON.stringify({ schemaVersion: 2, files }) },
    ]);
    const file = path.join(work, name);
    await writeFile(file, gzipSync(tar));
    return file;
  }

  it('refuses a sha256 that is an escape sequence as a malformed manifest, naming the field', async () => {
    const forged = await bundleWith(
      [{ path: 'report.md', sha256: `\r${EVIL}OK: all files match`, sizeBytes: 12 }],
      'sha.tar.gz',
    );
    const run = await coroner('verify', forged);
    expect(run).toMatchObject({ code: 1, raw: [], stdout: '' });
    expect(run.stderr).toMatch(/manifest of .* is malformed: files\[0\]\.sha256 is not 64/);
  });

  it('refuses a size that is a string, naming the field', async () => {
    const forged = await bundleWith(
      [{ path: 'report.md', sha256: 'a'.repeat(64), sizeBytes: `12${EVIL}` }],
      'size.tar.gz',
    );
    const run = await coroner('verify', forged);
    expect(run).toMatchObject({ code: 1, raw: [] });
    expect(run.stderr).toMatch(/files\[0\]\.sizeBytes is not a whole number/);
  });

  it('shows a listed path holding escapes as visible escapes on the FAILED lines', async () => {
    const forged = await bundleWith(
      [{ path: `report.md${EVIL}`, sha256: 'a'.repeat(64), sizeBytes: 12 }],
      'path.tar.gz',
    );
    const run = await coroner('verify', forged);
    expect(run).toMatchObject({ code: 4, raw: [] });
    expect(run.stdout).toMatch(/^FAILED: .*\n {2}missing: report\.md\\e\]0;owned/);
  });

  it('escapes every value of the verify lines, whatever the result holds', () => {
    const lines = bundleCheckText(`b${EVIL}.tar.gz`, {
      isIntact: false,
      missing: [],
      extra: [],
      altered: [
        {
          path: `r${EVIL}`,
          expectedSha256: EVIL,
          actualSha256: 'b'.repeat(64),
          expectedSize: EVIL as unknown as number,
          actualSize: 1,
        },
      ],
      duplicates: [],
      forged: [],
      signature: 'absent',
      fileCount: 1,
    });
    expect(rawControls(Buffer.from(lines.join('\n')))).toEqual([]);
  });
});
