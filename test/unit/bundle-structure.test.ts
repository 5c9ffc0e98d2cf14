/**
 * A bundle's archive as tar reads it: a signed bundle coroner wrote (from a recorded
 * container, no engine) is forged so that GNU tar extracts other bytes under report.md
 * than the ones verify hashes, and verify must refuse it, naming the entry (issue 24).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../../src/app/triage.js';
import { BundleForged } from '../../src/bundle/bundle-errors.js';
import { main } from '../../src/cli.js';
import type { Manifest } from '../../src/bundle/manifest.js';
import { loadPublicKey } from '../../src/bundle/signing.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeBundle } from '../../src/bundle/write-bundle.js';
import { CustodyLog } from '../../src/case/custody.js';
import {
  forgeRawBundle,
  padToBlocks,
  paxHeader,
  rawHeader,
  rewriteBundle,
} from '../support/bundle-tamper.js';
import { RecordedSource } from '../support/recorded-source.js';
import { CHUNKINGS, makeTar, streamOf } from '../support/tar-fixtures.js';
import { TarStructureCheck } from '../../src/bundle/tar-structure.js';

const run = promisify(execFile);
let work: string;
let bundle: string;
let publicKey: KeyObject;
let manifest: Manifest;
let reportMd: Buffer;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'coroner-bundle-structure-'));
  const source = new RecordedSource({
    id: 'f'.repeat(64),
    name: 'web-1',
    changes: [{ path: '/var/www/uploads/.x.php', kind: 'A' }],
    current: {
      '/var/www/uploads/.x.php': {
        meta: {},
        content: '<?php eval(base64_decode($_POST["p"])); ?>\n',
      },
    },
  });
  const report = await triage(source, 'web-1', {
    caseDir: path.join(work, 'case'),
    cacheDir: path.join(work, 'cache'),
  });
  bundle = path.join(work, 'signed.tar.gz');
  const key = path.join(work, 'key.pem');
  await writeBundle({}, report, {
    outPath: bundle,
    custody: new CustodyLog(),
    signingKeyPath: key,
  });
  publicKey = await loadPublicKey(`${key}.pub`);
  const out = await extracted(bundle);
  manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  reportMd = await readFile(path.join(out, 'report.md'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

let extractions = 0;
/** The folder GNU tar extracts the bundle into. */
async function extracted(file: string): Promise<string> {
  const out = path.join(work, `x-${extractions++}`);
  await mkdir(out);
  await run('tar', ['-xzf', file, '-C', out]);
  return out;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** report.md's stored bytes, unchanged (so its hash still matches the signed manifest), behind `header`. */
async function forgeReport(name: string, header: (data: Buffer) => Buffer): Promise<string> {
  const forged = path.join(work, name);
  await forgeRawBundle(bundle, forged, (entry, data) =>
    entry === 'report.md' ? Buffer.concat([header(data), padToBlocks(data)]) : undefined,
  );
  return forged;
}

/** The point in report.md where its findings begin: GNU tar is made to stop there. */
const beforeFindings = () => reportMd.indexOf('## Findings');

const oct = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';

describe('a signed bundle that GNU tar would extract other bytes from', () => {
  it('starts from a bundle that verifies, signature valid', async () => {
    expect(beforeFindings()).toBeGreaterThan(0);
    expect(await verifyBundle(bundle, { publicKey })).toMatchObject({
      isIntact: true,
      signature: 'valid',
    });
  });

  it('refuses report.md cut before its findings by pax GNU.sparse headers (format 0.0), naming it', async () => {
    const cut = beforeFindings();
    const forged = await forgeReport('sparse-0.0.tar.gz', (data) =>
      Buffer.concat([
        paxHeader({
          'GNU.sparse.size': String(cut),
          'GNU.sparse.numblocks': '1',
          'GNU.sparse.offset': '0',
          'GNU.sparse.numbytes': String(cut),
        }),
        rawHeader({ name: 'report.md', size: data.length, typeflag: '0' }),
      ]),
    );
    // The stored bytes are still the signed ones; GNU tar writes the report without its findings.
    const stored = manifest.files.find((f) => f.path === 'report.md')!;
    expect(sha256(reportMd)).toBe(stored.sha256);
    const onDisk = await readFile(path.join(await extracted(forged), 'report.md'));
    expect(onDisk.equals(reportMd.subarray(0, cut))).toBe(true);

    const verdict = verifyBundle(forged, { publicKey });
    await expect(verdict).rejects.toThrow(BundleForged);
    await expect(verdict).rejects.toThrow(
      /entry "report\.md" is a sparse file \(pax GNU\.sparse\.size\): GNU tar expands it/,
    );
  });

  it('says so through the command line, with exit code 4', async () => {
    const forged = await forgeReport('sparse-cli.tar.gz', (data) =>
      Buffer.concat([
        paxHeader({ 'GNU.sparse.size': '1', 'GNU.sparse.numblocks': '1', 'GNU.sparse.map': '0,1' }),
        rawHeader({ name: 'report.md', size: data.length, typeflag: '0' }),
      ]),
    );
    let stdout = '';
    let stderr = '';
    const code = await main(['verify', forged], {
      out: (text) => void (stdout += text),
      err: (text) => void (stderr += text),
      outFile: () => Promise.resolve(),
      isErrTty: false,
    });
    expect({ code, stdout }).toEqual({ code: 4, stdout: '' });
    expect(stderr).toMatch(
      /^coroner: .*sparse-cli\.tar\.gz: the bundle's entry "report\.md" is a sparse file .*Do not extract it/,
    );
  });

  it('refuses the same with the sparse map of format 0.1 and the sparse header of format 1.0', async () => {
    const cut = beforeFindings();
    const formats: Record<string, Record<string, string>> = {
      '0.1': {
        'GNU.sparse.major': '0',
        'GNU.sparse.minor': '1',
        'GNU.sparse.size': String(cut),
        'GNU.sparse.numblocks': '1',
        'GNU.sparse.map': `0,${cut}`,
      },
      '1.0': {
        'GNU.sparse.major': '1',
        'GNU.sparse.minor': '0',
        'GNU.sparse.name': 'report.md',
        'GNU.sparse.realsize': String(cut),
      },
    };
    for (const [format, records] of Object.entries(formats)) {
      const forged = await forgeReport(`sparse-${format}.tar.gz`, (data) =>
        Buffer.concat([
          paxHeader(records),
          rawHeader({ name: 'report.md', size: data.length, typeflag: '0' }),
        ]),
      );
      if (format === '0.1') {
        const onDisk = await readFile(path.join(await extracted(forged), 'report.md'));
        expect(onDisk.equals(reportMd.subarray(0, cut))).toBe(true);
      }
      await expect(verifyBundle(forged, { publicKey })).rejects.toThrow(
        /entry "report\.md" is a sparse file \(pax GNU\.sparse\.major\)/,
      );
    }
  });

  it('refuses report.md as an old-GNU sparse entry (type S) that GNU tar cuts before its findings', async () => {
    const cut = beforeFindings();
    const forged = await forgeReport('sparse-S.tar.gz', (data) =>
      rawHeader({
        name: 'report.md',
        size: data.length,
        typeflag: 'S',
        magic: 'gnu',
        // One sparse chunk (offset 0, `cut` bytes) at 386, the real size at 483.
        at: { 386: oct(0, 12) + oct(cut, 12), 483: oct(cut, 12) },
      }),
    );
    const onDisk = await readFile(path.join(await extracted(forged), 'report.md'));
    expect(onDisk.equals(reportMd.subarray(0, cut))).toBe(true);
    await expect(verifyBundle(forged, { publicKey })).rejects.toThrow(
      /entry "report\.md" is an old-GNU sparse entry \(type S\)/,
    );
  });
});

describe('headers verify refuses by name, whatever tar-stream makes of them', () => {
  /** A one-file archive: `header` blocks, then 'data', padded. */
  async function archive(name: string, blocks: Buffer[]): Promise<string> {
    const file = path.join(work, name);
    await writeFile(file, gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)])));
    return file;
  }
  const data = padToBlocks(Buffer.from('data'));
  const file = (name: string) => rawHeader({ name, size: 4, typeflag: '0' });
  const shapes: [string, Buffer[], RegExp][] = [
    ['pax size', [paxHeader({ size: '2' }), file('report.md'), data], /"report\.md".*"size"/],
    [
      'pax linkpath',
      [paxHeader({ linkpath: 'x' }), file('report.md'), data],
      /"report\.md".*"linkpath"/,
    ],
    ['pax hdrcharset', [paxHeader({ hdrcharset: 'BINARY' }), file('a'), data], /"hdrcharset"/],
    [
      'a malformed pax mtime',
      [paxHeader({ mtime: '1e9' }), file('report.md'), data],
      /"report\.md" is behind a pax header whose mtime is malformed/,
    ],
    [
      'a key named like an object property',
      [paxHeader({ constructor: 'x' }), file('a'), data],
      /"constructor"/,
    ],
    [
      'a global pax header',
      [Buffer.concat([rawHeader({ name: 'g', size: 0, typeflag: 'g' }), file('report.md'), data])],
      /"g" is a pax global header/,
    ],
    [
      'a GNU long link name',
      [rawHeader({ name: '././@LongLink', size: 0, typeflag: 'K', magic: 'gnu' })],
      /type K/,
    ],
    [
      'a folder carrying data (tar skips it, tar-stream reads it as headers)',
      [rawHeader({ name: 'case/', size: 512, typeflag: '5' }), file('report.md'), data],
      /"case\/" is a type 5 entry that carries 512 bytes/,
    ],
    [
      'two extended headers before one file',
      [paxHeader({ path: 'a' }), paxHeader({ path: 'report.md' }), file('x'), data],
      /two extended headers/,
    ],
    [
      'a file named like a folder',
      [paxHeader({ path: 'report.md' }), file('x/'), data],
      /"report\.md" is a file entry named like a folder/,
    ],
    ['an unknown type', [rawHeader({ name: 'v', size: 0, typeflag: 'V' })], /volume label/],
    [
      'a malformed pax record',
      [
        rawHeader({ name: 'PaxHeader', size: 10, typeflag: 'x' }),
        padToBlocks(Buffer.from('9 path=ab\n')),
        file('a'),
        data,
      ],
      /malformed pax header/,
    ],
  ];
  it.each(shapes)('refuses %s', async (label, blocks, message) => {
    const forged = await archive(`${label.replace(/\W+/g, '-')}.tar.gz`, blocks);
    const verdict = verifyBundle(forged);
    await expect(verdict).rejects.toThrow(BundleForged);
    await expect(verdict).rejects.toThrow(message);
  });

  it('refuses data after the end-of-archive marker, where GNU tar stops', async () => {
    const forged = path.join(work, 'after-end.tar.gz');
    await forgeRawBundle(bundle, forged, () => undefined, {
      after: Buffer.concat([file('report.md'), data]),
    });
    await expect(verifyBundle(forged, { publicKey })).rejects.toThrow(
      /data after the end-of-archive marker/,
    );
  });

  it('still reads a link appended to a bundle as a forged entry, not a refusal', async () => {
    const copy = path.join(work, 'symlink.tar.gz');
    await rewriteBundle(bundle, copy, () => undefined, [
      { name: 'report.html', type: 'symlink', linkname: '/tmp/forged.html' },
    ]);
    expect(await verifyBundle(copy, { publicKey })).toMatchObject({
      isIntact: false,
      forged: [{ path: 'report.html' }],
    });
  });
});

describe('bundles tar reads as verify does', () => {
  it('verifies a long and a non-ASCII name behind the pax path header tar-stream writes', async () => {
    const long = `case/${'d'.repeat(120)}/é-${'n'.repeat(110)}`;
    const tar = await makeTar([{ name: long, content: 'x' }]);
    const file = path.join(work, 'long.tar.gz');
    await writeFile(file, gzipSync(tar));
    // No manifest: unreadable, but past the structure check.
    await expect(verifyBundle(file)).rejects.toThrow(/has no manifest\.json/);
  });

  it.each(['gnu', 'posix', 'ustar'])(
    'verifies the bundle re-packed by GNU tar in its %s format',
    async (format) => {
      const out = await extracted(bundle);
      // A long name forces a GNU 'L' entry, or a pax path, or a ustar prefix.
      const longName = `${'l'.repeat(60)}/${'m'.repeat(60)}`;
      await mkdir(path.join(out, 'case', 'l'.repeat(60)), { recursive: true });
      await writeFile(path.join(out, 'case', longName), 'added\n');
      const repacked = path.join(work, `repacked-${format}.tar.gz`);
      await run('tar', [`--format=${format}`, '-czf', repacked, '-C', out, '.']);
      expect(await verifyBundle(repacked, { publicKey })).toMatchObject({
        isIntact: false,
        signature: 'valid',
        extra: [`case/${longName}`],
        forged: [],
        altered: [],
        missing: [],
      });
    },
  );
});

describe('the header check, fed whole and in odd-sized chunks', () => {
  it.each(CHUNKINGS)(
    'reads the same entries and refuses the same header (chunks of %s)',
    async (size) => {
      const long = `case/${'d'.repeat(120)}/é`;
      const tar = await makeTar([
        { name: 'case/report.json', content: '{}' },
        { name: long, content: 'x'.repeat(700) },
        { name: 'case/', type: 'directory' },
      ]);
      const check = new TarStructureCheck();
      await pipeline(streamOf(tar, size), check, new PassThrough().resume());
      expect(check.entries).toEqual([
        { name: 'case/report.json', typeflag: '0', sizeBytes: 2 },
        { name: long, typeflag: '0', sizeBytes: 700 },
        { name: 'case/', typeflag: '5', sizeBytes: 0 },
      ]);

      const sparse = Buffer.concat([
        tar.subarray(0, tar.length - 1024),
        rawHeader({ name: 'report.md', size: 0, typeflag: 'S', magic: 'gnu' }),
        Buffer.alloc(1024),
      ]);
      await expect(
        pipeline(streamOf(sparse, size), new TarStructureCheck(), new PassThrough().resume()),
      ).rejects.toThrow(/"report\.md" is an old-GNU sparse entry/);
    },
  );
});
