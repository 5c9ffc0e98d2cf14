import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  nameBytes,
  nameFromBytes,
  resolveInside,
  safeFileName,
  storedName,
} from '../../src/case/container-path.js';

describe('storedName', () => {
  it('keeps the base name readable after the hash', () => {
    expect(storedName('/var/www/index.html')).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}-index\.html$/);
  });

  it('never yields a component that climbs, is absolute or starts with a dot', () => {
    for (const evil of [
      '/../../etc/passwd',
      '/a/../../b',
      '/./..',
      '//..//x',
      '/x/.partial-0a-y',
    ]) {
      const stored = storedName(evil);
      expect(stored.split('/')).not.toContain('..');
      expect(stored.split('/').every((c) => !c.startsWith('.'))).toBe(true);
      expect(resolveInside('/cases/x', stored).startsWith('/cases/x/')).toBe(true);
    }
  });

  it('holds only characters every file system keeps as they are', () => {
    const stored = storedName('/tmp/a b\n\u001b[31m%\u202e.txt.');
    expect(stored).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}-[A-Za-z0-9._-]*[A-Za-z0-9]$/);
  });

  it('keeps names apart that a file system would fold together, or that the old shortening forged', () => {
    const twins = [
      ['/a%2Fb', '/a/b'],
      ['/x y', '/x%20y'],
      ['/var/www/Shell.php', '/var/www/shell.php'],
      ['/srv/caf\u00e9', '/srv/cafe\u0301'], // NFC and NFD of one name
      ['/' + 'a'.repeat(300) + '1', '/' + 'a'.repeat(300) + '2'],
      // The shortened form of a long name was its head, `~` and a hash prefix: plantable.
      ['/' + 'a'.repeat(300), '/' + 'a'.repeat(182) + '~0123456789abcdef'],
    ];
    for (const [a, b] of twins) {
      expect(storedName(a!).toLowerCase()).not.toBe(storedName(b!).toLowerCase());
      expect(storedName(a!).normalize('NFC')).not.toBe(storedName(b!).normalize('NFC'));
    }
  });

  it('stays short whatever the length of the path', () => {
    expect(storedName('/' + 'd/'.repeat(3000) + 'x'.repeat(250)).length).toBeLessThanOrEqual(108);
  });
});

describe('safeFileName', () => {
  it('keeps a container name and replaces anything else', () => {
    expect(safeFileName('web-1')).toBe('web-1');
    expect(safeFileName('a/../b\u001b')).toBe('a_.._b_');
  });
});

describe('resolveInside', () => {
  it('refuses a relative path that leaves the folder', () => {
    expect(() => resolveInside('/cases/x', '../y')).toThrow(/outside/);
    expect(() => resolveInside('/cases/x', '/etc/passwd')).toThrow(/outside/);
    expect(() => resolveInside('/cases/x', 'a\0b')).toThrow(/NUL/);
  });
  it('accepts a path inside', () => {
    expect(resolveInside('/cases/x', 'current/etc/passwd')).toBe(
      path.join('/cases/x', 'current/etc/passwd'),
    );
  });
});

describe('names read as raw bytes', () => {
  /** A small deterministic generator: the same bytes on every run. */
  function* randomNames(count: number): Generator<Buffer> {
    let seed = 0x2545f491;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < count; i++) {
      const length = 1 + (next() % 12);
      yield Buffer.from(
        Array.from({ length }, () => (next() % 3 === 0 ? 0x80 + (next() % 128) : next())),
      );
    }
  }

  it('gives back every name its bytes, and keeps names that differ in any byte apart', () => {
    const seen = new Map<string, string>();
    const wrong: string[] = [];
    for (const raw of randomNames(20_000)) {
      const name = nameFromBytes(raw);
      const hex = raw.toString('hex');
      if (!nameBytes(name).equals(raw) || (seen.get(name) ?? hex) !== hex) wrong.push(hex);
      seen.set(name, hex);
    }
    expect(wrong).toEqual([]);
  });

  it('reads well-formed UTF-8 as the text it is', () => {
    const text = '/srv/café/日本/😀.php';
    expect(nameFromBytes(Buffer.from(text))).toBe(text);
    expect(storedName(nameFromBytes(Buffer.from(text)))).toBe(storedName(text));
  });

  it('stores two names that differ only in bytes that are not UTF-8 apart', () => {
    const a = nameFromBytes(Buffer.from('/dev/shm/sh\xff', 'latin1'));
    const b = nameFromBytes(Buffer.from('/dev/shm/sh\xfe', 'latin1'));
    expect(a).not.toBe(b);
    expect(storedName(a)).not.toBe(storedName(b));
    // Overlong and surrogate forms are not UTF-8 either: each byte stays itself.
    for (const raw of [Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80])])
      expect(nameBytes(nameFromBytes(raw)).equals(raw)).toBe(true);
  });
});
