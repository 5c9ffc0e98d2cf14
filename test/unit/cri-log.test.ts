import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseCriLine,
  podLogFiles,
  podLogFolder,
  readCriLogTail,
  recordedLogPath,
} from '../../src/sources/log-files/cri-log.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cri-log-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the CRI log format', () => {
  it('parses a full line, a partial one and an empty one', () => {
    expect(parseCriLine('2026-12-03T09:00:00.123456789Z stdout F hello world')).toEqual({
      time: '2026-12-03T09:00:00.123456789Z',
      stream: 'stdout',
      isPartial: false,
      text: 'hello world',
    });
    expect(parseCriLine('2026-12-03T09:00:00Z stderr P part')?.isPartial).toBe(true);
    expect(parseCriLine('2026-12-03T09:00:00Z stdout F')?.text).toBe('');
    expect(parseCriLine('{"log":"docker json"}')).toBeUndefined();
  });

  it('joins the pieces of a long line and splits the streams', async () => {
    const file = path.join(dir, '0.log');
    await writeFile(
      file,
      [
        '2026-12-03T09:00:00Z stdout F first',
        '2026-12-03T09:00:01Z stdout P sec',
        '2026-12-03T09:00:01Z stdout F ond',
        '2026-12-03T09:00:02Z stderr F oops',
        'not a CRI line',
        '',
      ].join('\n'),
    );
    const tail = await readCriLogTail(file, 100, 1 << 20);
    expect(tail.stdout.toString()).toBe(
      '2026-12-03T09:00:00Z first\n2026-12-03T09:00:01Z second\n',
    );
    expect(tail.stderr.toString()).toBe('2026-12-03T09:00:02Z oops\n');
    expect(tail.unreadable).toBe(1);
  });
});

describe("the kubelet's log folder", () => {
  const pod = { namespace: 'shop', pod: 'web-1', container: 'php' };

  it('is found by uid, or as the one folder of the pod; its files come current last', async () => {
    const logs = path.join(dir, 'pods');
    const folder = path.join(logs, 'shop_web-1_0b6c2d1e-8f3a-4c5b-9d7e-112233445566', 'php');
    await mkdir(folder, { recursive: true });
    for (const name of ['0.log', '1.log.20261203-090000', '1.log', 'notes.txt'])
      await writeFile(path.join(folder, name), 'x');
    await symlink('/etc/shadow', path.join(folder, '2.log'));
    expect(await podLogFolder(logs, pod)).toBe(folder);
    expect(await podLogFolder(logs, { ...pod, uid: '0b6c2d1e-8f3a-4c5b-9d7e-112233445566' })).toBe(
      folder,
    );
    // A link is never read as a log file.
    expect((await podLogFiles(folder)).map((f) => f.name)).toEqual([
      '0.log',
      '1.log.20261203-090000',
      '1.log',
    ]);
    await mkdir(path.join(logs, 'shop_web-1_ffffffff-8f3a-4c5b-9d7e-112233445566', 'php'), {
      recursive: true,
    });
    expect(await podLogFolder(logs, pod)).toBeUndefined();
  });

  it('is the folder of the log path the CRI plugin recorded, only when it lies in the pod logs', async () => {
    const logs = path.join(dir, 'recorded');
    const folder = path.join(logs, 'shop_web-3_11111111-2222-3333-4444-555555555555', 'php');
    await mkdir(folder, { recursive: true });
    const record = (logPath: string) =>
      recordedLogPath(
        Buffer.from(JSON.stringify({ Version: 'v1', Metadata: { LogPath: logPath } })),
      );
    expect(
      await podLogFolder(logs, { ...pod, pod: 'web-3' }, record(path.join(folder, '0.log'))),
    ).toBe(folder);
    // Outside the pod logs, or climbing out of them: not taken; the labels name the folder.
    for (const elsewhere of [
      '/etc/ssh/x/0.log',
      path.join(logs, '../../etc/0.log'),
      'relative/x/0.log',
    ])
      expect(await podLogFolder(logs, { ...pod, pod: 'web-3' }, record(elsewhere))).toBe(folder);
    expect(recordedLogPath(Buffer.from('not json'))).toBeUndefined();
  });

  it('is not followed through a link', async () => {
    const logs = path.join(dir, 'linked');
    await mkdir(logs);
    await symlink('/etc', path.join(logs, 'shop_web-2_0b6c2d1e-8f3a-4c5b-9d7e-112233445566'));
    expect(await podLogFolder(logs, { ...pod, pod: 'web-2' })).toBeUndefined();
  });
});
