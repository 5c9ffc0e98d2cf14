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
      { diffMsLeft: 0, excerptBytesLeft: 1024 },
    );
    expect(change.comparison!.content).toMatchObject({ kind: 'summary' });
  });

  it('says a script longer than the rules read was judged on its start only', async () => {
    const folder = await CaseFolder.create(await mkdtemp(path.join(os.tmpdir(), 'analyse-')));
    // A web shell parked behind 80 KiB of comment lines: past the rules' 64 KiB.
    const padded = `<?php\n${'// padding\n'.repeat(8000)}system($_GET['c']);\n`;
    const change = await analyseChange(
      folder,
      { path: '/var/www/html/big.php', kind: 'A' },
      { current: await stored(folder, 'current/big', padded) },
      undefined,
      false,
    );
    const note = change.findings.find((f) => f.rule === 'content-budget');
    expect(note?.severity).toBe('low');
    expect(note?.reason).toMatch(/only the first 64 KiB of this \d+-byte file/);
  });
});
