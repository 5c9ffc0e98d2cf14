import { lstat, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../src/bundle/signing.js';

describe('loadOrCreateSigningKey', () => {
  it('makes a key and its .pub, private to the responder', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'key-'));
    const key = await loadOrCreateSigningKey(path.join(dir, 'k.pem'));
    expect(key.isNew).toBe(true);
    expect((await lstat(path.join(dir, 'k.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, 'k.pem.pub'), 'utf8')).toBe(key.publicKeyPem);
  });

  it('never writes the public key through a link, and keeps no key it could not finish', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'key-'));
    const victim = path.join(dir, 'authorized_keys');
    await writeFile(victim, 'ssh-ed25519 AAAA responder\n');
    await symlink(victim, path.join(dir, 'k.pem.pub'));
    await expect(loadOrCreateSigningKey(path.join(dir, 'k.pem'))).rejects.toMatchObject({
      name: 'SigningKeyError',
      message: expect.stringMatching(/cannot write the public key .*k\.pem\.pub \(EEXIST\)/),
    });
    expect(await readFile(victim, 'utf8')).toBe('ssh-ed25519 AAAA responder\n');
    expect((await readdir(dir)).sort()).toEqual(['authorized_keys', 'k.pem.pub']);
  });
});
