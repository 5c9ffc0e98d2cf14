import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseFolder } from '../../src/case/case-folder.js';
import { toVersion } from '../../src/case/stored-version.js';
import { analyseChange, newAnalysisBudget } from '../../src/findings/analyse-change.js';
import type { StoredVersion } from '../../src/report/change.js';

async function stored(folder: CaseFolder, name: string, text: string): Promise<StoredVersion> {
  const record = await folder.writeBuffer(name, Buffer.from(text), name, false);
  return toVersion(
    { type: 'file', mode: 0o644, uid: 0, gid: 0, sizeBytes: record.sizeBytes },
    record,
  );
}

describe('analyseChange with a budget', () => {
  it('keeps the whole diff as a case file and only a bounded excerpt in the report', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'analyse-')));
    const budget = { ...newAnalysisBudget(), excerptBytesLeft: 40 * 1024 };
    const before = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n');
    const after = before.replace(/line (\d+)/g, 'LINE $1 changed');
    let carried = 0;
    for (let i = 0; i < 6; i++) {
      const entry = { path: `/var/log/app-${i}.log`, kind: 'C' as const };
      const change = await analyseChange(
        folder,
        entry,
        {
          original: await stored(folder, `original/${i}`, before),
          current: await stored(folder, `current/${i}`, after),
        },
        undefined,
        false,
        {},
        budget,
      );
      const content = change.comparison!.content;
      if (content.kind !== 'text-diff') throw new Error(`no diff: ${content.kind}`);
      expect(content.isExcerpt).toBe(true);
      expect(Buffer.byteLength(content.patch)).toBeLessThanOrEqual(16 * 1024);
      carried += Buffer.byteLength(content.patch);
      // The whole diff is in the case folder, hashed; the excerpt is its start.
      const whole = await readFile(folder.locate(content.patchFile!.path), 'utf8');
      expect(whole.length).toBeGreaterThan(40_000);
      expect(whole.startsWith(content.patch)).toBe(true);
      expect(content.patchFile!.sizeBytes).toBe(Buffer.byteLength(whole));
    }
    expect(carried).toBeLessThanOrEqual(40 * 1024);
    expect(budget.excerptBytesLeft).toBeGreaterThanOrEqual(0);
  });

  it('summarises instead of diffing once the time for line diffs is spent', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'analyse-')));
    const change = await analyseChange(
      folder,
      { path: '/etc/passwd', kind: 'C' },
      {
        original: await stored(folder, 'original/p', 'root\n'),
        current: await stored(folder, 'current/p', 'root\nevil\n'),
      },
      undefined,
      false,
      {},
      { ...newAnalysisBudget(), diffMsLeft: 0, excerptBytesLeft: 1024 },
    );
    expect(change.comparison!.content).toMatchObject({ kind: 'summary' });
  });

  it('judges a long page on its start, its middle and its end, and says what lies between was not read', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'analyse-')));
    const judge = async (name: string, text: string, budget = newAnalysisBudget()) => {
      const change = await analyseChange(
        folder,
        { path: `/var/www/html/${name}.php`, kind: 'A' },
        { current: await stored(folder, `current/${name}`, text) },
        undefined,
        false,
        {},
        budget,
      );
      return {
        isHigh: change.severity === 'high' || change.severity === 'critical',
        top: change.findings[0],
        note: change.findings.find((f) => f.rule === 'content-budget'),
      };
    };
    // A web shell parked between 80 KiB of comment lines and 80 more: in the middle, whose
    // windows are read too, and said to be there.
    const padding = '// padding\n'.repeat(8000);
    const shell = `<?php\n${padding}system($_GET['c']);\n${padding}`;
    const middle = await judge('middle', shell);
    expect(middle.isHigh).toBe(true);
    expect(middle.top?.reason).toMatch(/\(in the file's bytes \d+–\d+\)$/);
    expect(middle.note).toBeUndefined();
    // Once the triage's budget for middles is spent, the middle is said to be unjudged.
    const spent = { ...newAnalysisBudget(), middleBytesLeft: 0 };
    const unread = await judge('unread', shell, spent);
    expect(unread.isHigh).toBe(false);
    expect(unread.note?.severity).toBe('low');
    expect(unread.note?.reason).toMatch(
      /the first 64 KiB and the last \d+ bytes of this \d+-byte file: the \d+ bytes between/,
    );
    // A budget part spent reads part of the middle, and says so.
    const part = await judge('part', shell, { ...newAnalysisBudget(), middleBytesLeft: 20_000 });
    expect(part.isHigh).toBe(false);
    expect(part.note?.reason).toMatch(/the first 81\d{3} bytes and the last/);
    // Its end, past the megabyte the comparison samples: read from the stored file, with or
    // without the middle's budget.
    const long = `<?php\n${padding.repeat(15)}system($_GET['c']);\n`;
    const end = await judge('end', long, spent);
    expect(end.isHigh).toBe(true);
    expect(end.top?.reason).toMatch(/\(in the file's last \d+ bytes\)$/);
    expect(end.note?.reason).toMatch(/of this 1\d{6}-byte file/);
    const whole = await judge('whole', long);
    expect(whole.isHigh).toBe(true);
    expect(whole.note).toBeUndefined();
  });
});
