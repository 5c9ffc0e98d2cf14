/**
 * Files the attacker names like image-layer whiteouts (`.wh.<name>`, `.wh..wh..opq`): the
 * engine's own commit turns them into deletions, so the evidence image lacks them, hides
 * /etc/passwd, and cannot be saved. coroner names them, reads them from the suspect while it
 * is frozen, and exports a verifiable bundle holding the container's filesystem instead.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write-bundle.js';
import { CustodyLog } from '../../src/case/custody.js';
import { connectEngine, type Engine } from '../../src/sources/docker-live/engine.js';
import { triage } from '../../src/app/triage.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import { cleanRun, docker, newRunId, startSample, evidenceImage } from '../support/engine.js';
import { DockerLiveSource } from '../../src/sources/docker-live/live-source.js';

const runId = newRunId();
let engine: Engine;
let work: string;
let container: string;
let report: TriageReport;
const custody = new CustodyLog();
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  engine = await connectEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'whiteout-'));
  container = await startSample('webshell', runId, '-whiteout');
  await docker(
    'exec',
    container,
    'sh',
    '-c',
    'echo "<?php system(\\$_GET[1]); ?>" > /etc/.wh.passwd && mkdir -p /srv/drop && echo payload > /srv/drop/.wh.payload && echo opq > /srv/drop/.wh..wh..opq',
  );
  report = await triage(new DockerLiveSource(engine), container, {
    caseDir: path.join(work, 'case'),
    cacheDir: path.join(work, 'cache'),
    custody,
  });
});
afterAll(() => cleanRun(runId));

describe('files named like layer whiteouts', () => {
  it('really break the evidence image: it lacks them, hides /etc/passwd, and cannot be saved', async () => {
    const listing = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '0:0',
      '--entrypoint',
      '/bin/busybox',
      evidenceImage(report).id,
      'sh',
      '-c',
      'ls -a /etc /srv/drop 2>/dev/null; true', // the whiteout itself makes ls complain
    );
    expect(listing).not.toMatch(/\.wh\.|^passwd$/m);
    await expect(
      docker('save', '-o', path.join(work, 'x.tar'), evidenceImage(report).id),
    ).rejects.toThrow();
  });

  it('are named as anti-forensics, and their content is read from the suspect itself', async () => {
    const expected: Record<string, string> = {
      '/etc/.wh.passwd': '<?php system($_GET[1]); ?>\n',
      '/srv/drop/.wh.payload': 'payload\n',
      '/srv/drop/.wh..wh..opq': 'opq\n',
    };
    for (const [p, content] of Object.entries(expected)) {
      const change = [...report.changes].find((c) => c.path === p)!;
      expect(change.findings.map((f) => f.rule)).toContain('layer-whiteout-name');
      expect(change.severity).toMatch(/high|critical/);
      expect(change.current?.content?.sha256).toBe(sha(content));
      expect(await readFile(path.join(report.caseDir, change.current!.content!.path), 'utf8')).toBe(
        content,
      );
    }
    expect(report.problems).toEqual([]);
    expect(custody.actions.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'read "/etc/.wh.passwd" from the suspect itself (a layer-whiteout name)',
        'export the container filesystem (docker export) while frozen: the evidence image cannot be saved',
      ]),
    );
  });

  it('export a complete bundle that verifies and says what it holds in place of the image', async () => {
    const out = path.join(work, 'bundle.tar.gz');
    const result = await writeBundle(new DockerLiveSource(engine), report, {
      outPath: out,
      custody: new CustodyLog(),
    });
    expect(result.isImageIncluded).toBe(false);
    const verdict = await verifyBundle(out);
    expect(verdict.isIntact).toBe(true);
    expect(verdict.manifest!.evidence).toMatchObject({
      isIncluded: false,
      substituteFile: 'case/container/filesystem.tar',
      note: expect.stringMatching(/cannot save the evidence image/),
    });
    expect(verdict.manifest!.files.map((f) => f.path)).toContain('case/container/filesystem.tar');
  });
});
