/**
 * Ed25519 signatures over the manifest, through node:crypto. A key file that
 * does not exist yet is created (private key 0600, public key beside it).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { CoronerError } from '../errors.js';

export class SigningKeyError extends CoronerError {}

export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  /** True when coroner generated the key on this run. */
  isNew: boolean;
  publicKeyPath?: string;
}

export async function loadOrCreateSigningKey(path: string): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SigningKeyError(
        `cannot read signing key ${path}: ${(e as Error).message}`,
        'Check the path and its permissions.',
      );
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
      flag: 'wx',
    });
    // Never through a link, never over a stale .pub that would not match the new key.
    await writeFile(`${path}.pub`, publicKeyPem, { mode: 0o644, flag: 'wx' }).catch(
      async (e: NodeJS.ErrnoException) => {
        await rm(path, { force: true }); // the key made on this run; nothing else used it
        throw new SigningKeyError(
          `cannot write the public key ${path}.pub (${e.code}); the new key was not kept`,
          e.code === 'EEXIST'
            ? `${path}.pub exists already (and ${path} did not): move it away or choose another key path.`
            : 'Choose a writable key path.',
        );
      },
    );
    return { privateKey, publicKeyPem, isNew: true, publicKeyPath: `${path}.pub` };
  }
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`a ${privateKey.asymmetricKeyType} key`);
    return {
      privateKey,
      publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
      isNew: false,
    };
  } catch (e) {
    throw new SigningKeyError(
      `${path} is not an Ed25519 private key (${(e as Error).message})`,
      'Give a PEM Ed25519 private key, or a path that does not exist yet to have one made.',
    );
  }
}

export function signManifest(manifest: Buffer, key: KeyObject): string {
  return sign(null, manifest, key).toString('base64');
}

export async function loadPublicKey(path: string): Promise<KeyObject> {
  try {
    const key = createPublicKey(await readFile(path, 'utf8'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (e) {
    throw new SigningKeyError(
      `cannot use ${path} as an Ed25519 public key: ${(e as Error).message}`,
      'Pass the .pub file written next to the signing key.',
    );
  }
}

export function isSignatureValid(
  manifest: Buffer,
  signatureBase64: string,
  key: KeyObject,
): boolean {
  try {
    return verify(null, manifest, key, Buffer.from(signatureBase64.trim(), 'base64'));
  } catch {
    return false;
  }
}
