/**
 * coroner verify: recomputes every hash in a bundle and checks it against the
 * manifest (and the manifest against its signature, given the public key).
 * A bundle is checked as a .tar.gz, read as a stream with nothing extracted, or
 * as the folder a person extracted it into. Either way every entry that is not a
 * folder must be a regular file the manifest lists: a link, a device or a
 * "contiguous file" (which GNU tar extracts as a regular file) under a listed
 * name is a forgery, since it is what an analyst would open in place of the evidence.
 * An archive is read twice over, by tar-stream and by a strict check of every header
 * (tar-structure.ts): an entry tar would extract otherwise than tar-stream reads it (a
 * sparse file, a pax key tar-stream ignores…) refuses the whole bundle (`BundleForged`).
 */
import { constants, createReadStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { createHashTap } from '../case/hash-tap.js';
import { BundleForged, BundleUnreadable } from './bundle-errors.js';
import { MANIFEST_NAME, SIGNATURE_NAME, type Manifest } from './manifest.js';
import { isSignatureValid } from './signing.js';
import { checkReadAlike, TarStructureCheck } from './tar-structure.js';

export interface VerifyResult {
  isIntact: boolean;
  missing: string[];
  extra: string[];
  altered: {
    path: string;
    expectedSha256: string;
    actualSha256: string;
    expectedSize: number;
    actualSize: number;
  }[];
  duplicates: string[];
  /** Entries that are neither a regular file nor a folder, or whose name is unsafe to extract. */
  forged: { path: string; why: string }[];
  signature: 'valid' | 'invalid' | 'absent' | 'not-checked' | 'missing';
  manifest?: Manifest;
  fileCount: number;
}

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/** One entry of a bundle, from its archive or its extracted folder. */
interface BundleEntry {
  name: string;
  /** tar-stream's type names: 'file', 'directory', 'symlink', 'link', 'contiguous-file'… */
  type: string;
  /** The content of a regular file; undefined for anything else. */
  body?: Readable;
}

/**
 * The name an entry extracts to, relative and with posix separators: `./a` and `a` are one
 * name (a person re-packing a bundle with `tar -czf b.tar.gz .` writes the first). Undefined
 * for the top folder itself; `unsafe` for a name that extracts outside the folder.
 */
export function entryName(raw: string): string | undefined | 'unsafe' {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (raw.startsWith('/') || parts.includes('..')) return 'unsafe';
  return parts.length ? parts.join('/') : undefined;
}

export function verifyBundle(
  bundlePath: string,
  opts: { publicKey?: KeyObject } = {},
): Promise<VerifyResult> {
  return verifyEntries(bundlePath, archiveEntries(bundlePath), opts);
}

/** A bundle a person extracted: the same checks, on the files as they are on disk. */
export function verifyBundleFolder(
  dir: string,
  opts: { publicKey?: KeyObject } = {},
): Promise<VerifyResult> {
  return verifyEntries(dir, folderEntries(dir), opts);
}

/** A folder holding a manifest.json: a bundle someone extracted (a case folder holds none). */
export async function isBundleFolder(dir: string): Promise<boolean> {
  return (await lstat(path.join(dir, MANIFEST_NAME)).catch(() => undefined))?.isFile() ?? false;
}

async function* archiveEntries(bundlePath: string): AsyncGenerator<BundleEntry> {
  const reader = extract();
  const source = createReadStream(bundlePath);
  const structure = new TarStructureCheck();
  pipeline(source, createGunzip(), structure, reader as unknown as NodeJS.WritableStream).catch(
    (e: unknown) => reader.destroy(e as Error),
  );
  for await (const entry of reader) {
    const body = entry as unknown as Readable;
    checkReadAlike(structure.entries.shift(), entry.header);
    const type = entry.header.type!; // checked: one of the types tar-structure lets through
    yield { name: entry.header.name, type, ...(type === 'file' ? { body } : {}) };
    body.resume(); // whatever the consumer left unread
  }
}

function typeOf(entry: import('node:fs').Dirent): string {
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  return entry.isCharacterDevice() ? 'character-device' : 'block-device';
}

async function* folderEntries(root: string, relative = ''): AsyncGenerator<BundleEntry> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    const name = relative ? `${relative}/${entry.name}` : entry.name;
    const type = typeOf(entry);
    if (type === 'directory') {
      yield { name, type };
      yield* folderEntries(root, name);
    } else if (type === 'file') {
      // O_NOFOLLOW: a file swapped for a link since it was listed is not read through.
      const handle = await open(
        path.join(root, name),
        constants.O_RDONLY | constants.O_NOFOLLOW,
      ).catch(() => undefined);
      if (!handle) yield { name, type: 'symlink' };
      else yield { name, type, body: handle.createReadStream() };
    } else yield { name, type };
  }
}

async function readSmall(body: Readable, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_MANIFEST_BYTES)
      throw new Error(`${name} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function hashOf(body: Readable): Promise<{ sha256: string; sizeBytes: number }> {
  const { tap, result } = createHashTap();
  tap.resume();
  await pipeline(body, tap);
  return result();
}

/**
 * The first field of a manifest that is not what coroner writes, or undefined. Its paths,
 * hashes and sizes are printed and compared: a forged manifest could hold anything there
 * (an escape sequence in place of a hash, a string in place of a size).
 */
function malformedField(manifest: unknown): string | undefined {
  const files = (manifest as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return 'files is not a list';
  for (const [i, file] of files.entries()) {
    const { path, sha256, sizeBytes } = (file ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || path === '') return `files[${i}].path is not a name`;
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
      return `files[${i}].sha256 is not 64 hexadecimal digits`;
    if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0)
      return `files[${i}].sizeBytes is not a whole number of bytes`;
  }
  return undefined;
}

async function verifyEntries(
  where: string,
  entries: AsyncIterable<BundleEntry>,
  opts: { publicKey?: KeyObject },
): Promise<VerifyResult> {
  const seen = new Map<string, { sha256: string; sizeBytes: number }>();
  const names = new Set<string>();
  const duplicates: string[] = [];
  const forged: VerifyResult['forged'] = [];
  let manifestBytes: Buffer | undefined;
  let signature: string | undefined;
  try {
    for await (const entry of entries) {
      const name = entryName(entry.name);
      if (name === undefined && entry.type === 'directory') continue;
      if (name === undefined || name === 'unsafe') {
        forged.push({ path: entry.name, why: 'its name extracts outside the bundle folder' });
        continue;
      }
      if (entry.type === 'directory') continue;
      if (entry.type !== 'file' || !entry.body) {
        forged.push({
          path: name,
          why: `a ${entry.type} entry, not a regular file: extracting it writes what no hash covers`,
        });
        continue;
      }
      if (names.has(name)) duplicates.push(name);
      names.add(name);
      if (name === MANIFEST_NAME || name === SIGNATURE_NAME) {
        const bytes = await readSmall(entry.body, name);
        if (name === MANIFEST_NAME) manifestBytes ??= bytes;
        else signature ??= bytes.toString('utf8');
        continue;
      }
      seen.set(name, await hashOf(entry.body));
    }
  } catch (e) {
    if (e instanceof BundleForged) throw new BundleForged(`${where}: ${e.message}`, e.hint);
    throw new BundleUnreadable(
      `${where} is not a readable coroner bundle: ${(e as Error).message}`,
      'It may be truncated or not a .tar.gz; compare its size with the one recorded when it was written.',
      { cause: e },
    );
  }
  if (!manifestBytes) {
    throw new BundleUnreadable(
      `${where} has no ${MANIFEST_NAME}`,
      'It is incomplete or not a coroner bundle: nothing in it can be trusted as evidence.',
    );
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  } catch (e) {
    throw new BundleUnreadable(
      `the manifest of ${where} is not valid (${(e as Error).message})`,
      'The bundle was altered or damaged.',
    );
  }
  const malformed = malformedField(manifest);
  if (malformed)
    throw new BundleUnreadable(
      `the manifest of ${where} is malformed: ${malformed}`,
      'The bundle was altered or damaged: nothing in it can be trusted as evidence.',
    );

  const missing: string[] = [];
  const altered: VerifyResult['altered'] = [];
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const actual = seen.get(file.path);
    if (!actual) missing.push(file.path);
    else if (actual.sha256 !== file.sha256 || actual.sizeBytes !== file.sizeBytes) {
      altered.push({
        path: file.path,
        expectedSha256: file.sha256,
        actualSha256: actual.sha256,
        expectedSize: file.sizeBytes,
        actualSize: actual.sizeBytes,
      });
    }
  }
  const extra = [...seen.keys()].filter((name) => !listed.has(name));
  let signatureState: VerifyResult['signature'];
  if (!opts.publicKey) signatureState = signature ? 'not-checked' : 'absent';
  else if (!signature) signatureState = 'missing';
  else
    signatureState = isSignatureValid(manifestBytes, signature, opts.publicKey)
      ? 'valid'
      : 'invalid';

  const isIntact =
    missing.length === 0 &&
    extra.length === 0 &&
    altered.length === 0 &&
    duplicates.length === 0 &&
    forged.length === 0 &&
    signatureState !== 'invalid' &&
    signatureState !== 'missing';
  return {
    isIntact,
    missing,
    extra,
    altered,
    duplicates,
    forged,
    signature: signatureState,
    manifest,
    fileCount: seen.size,
  };
}
