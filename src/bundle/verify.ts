/**
 * coroner verify: recomputes every hash in a bundle and checks it against the
 * manifest (and the manifest against its signature, given the public key).
 * Reads the archive as a stream; nothing is extracted to disk.
 */
import { createReadStream } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { createHashTap } from '../case/hash-tap.js';
import { BundleUnreadable } from './bundle-errors.js';
import { MANIFEST_NAME, SIGNATURE_NAME, type Manifest } from './manifest.js';
import { isSignatureValid } from './signing.js';

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
  signature: 'valid' | 'invalid' | 'absent' | 'not-checked' | 'missing';
  manifest?: Manifest;
  fileCount: number;
}

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

export async function verifyBundle(
  bundlePath: string,
  opts: { publicKey?: KeyObject } = {},
): Promise<VerifyResult> {
  const source = createReadStream(bundlePath);
  const gunzip = createGunzip();
  const reader = extract();
  const fail = (e: unknown) => reader.destroy(e as Error);
  source.on('error', fail);
  gunzip.on('error', fail);
  source.pipe(gunzip).pipe(reader as unknown as NodeJS.WritableStream);

  const seen = new Map<string, { sha256: string; sizeBytes: number }>();
  const duplicates: string[] = [];
  let manifestBytes: Buffer | undefined;
  let signature: string | undefined;
  try {
    for await (const entry of reader) {
      const name = entry.header.name;
      if (entry.header.type !== 'file') {
        entry.resume();
        continue;
      }
      if (name === MANIFEST_NAME || name === SIGNATURE_NAME) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of entry as unknown as Readable) {
          size += (chunk as Buffer).length;
          if (size > MAX_MANIFEST_BYTES)
            throw new Error(`${name} is larger than ${MAX_MANIFEST_BYTES} bytes`);
          chunks.push(chunk as Buffer);
        }
        if (name === MANIFEST_NAME) manifestBytes = Buffer.concat(chunks);
        else signature = Buffer.concat(chunks).toString('utf8');
        continue;
      }
      const { tap, result } = createHashTap();
      (entry as unknown as Readable).pipe(tap);
      tap.resume();
      await new Promise<void>((resolve, reject) => {
        tap.on('end', resolve);
        tap.on('error', reject);
      });
      if (seen.has(name)) duplicates.push(name);
      seen.set(name, result());
    }
  } catch (e) {
    throw new BundleUnreadable(
      `${bundlePath} is not a readable coroner bundle: ${(e as Error).message}`,
      'It may be truncated or not a .tar.gz; compare its size with the one recorded when it was written.',
      { cause: e },
    );
  }
  if (!manifestBytes) {
    throw new BundleUnreadable(
      `${bundlePath} has no ${MANIFEST_NAME}`,
      'It is incomplete or not a coroner bundle: nothing in it can be trusted as evidence.',
    );
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
    if (!Array.isArray(manifest.files)) throw new Error('no file list');
  } catch (e) {
    throw new BundleUnreadable(
      `the manifest of ${bundlePath} is not valid (${(e as Error).message})`,
      'The bundle was altered or damaged.',
    );
  }

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
    signatureState !== 'invalid' &&
    signatureState !== 'missing';
  return {
    isIntact,
    missing,
    extra,
    altered,
    duplicates,
    signature: signatureState,
    manifest,
    fileCount: seen.size,
  };
}
