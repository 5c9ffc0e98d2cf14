import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeContainerPath, resolveInside } from '../../src/case/container-path.js';

describe('encodeContainerPath', () => {
  it('keeps plain paths readable', () => {
    expect(encodeContainerPath('/var/www/index.html')).toBe('var/www/index.html');
  });

  it('never yields a component that climbs or is absolute', () => {
    for (const evil of ['/../../etc/passwd', '/a/../../b', '/./..', '//..//x']) {
      const encoded = encodeContainerPath(evil);
      expect(encoded.split('/')).not.toContain('..');
      expect(encoded.startsWith('/')).toBe(false);
      expect(resolveInside('/cases/x', encoded).startsWith('/cases/x/')).toBe(true);
    }
  });

  it('percent-encodes control characters, spaces and percent signs', () => {
    expect(encodeContainerPath('/tmp/a b\n\u001b[31m%')).toBe('tmp/a%20b%0A%1B%5B31m%25');
  });

  it('keeps distinct names distinct', () => {
    expect(encodeContainerPath('/a%2Fb')).not.toBe(encodeContainerPath('/a/b'));
    expect(encodeContainerPath('/x y')).not.toBe(encodeContainerPath('/x%20y'));
  });

  it('shortens very long names but keeps them unique', () => {
    const a = encodeContainerPath('/' + 'a'.repeat(300) + '1');
    const b = encodeContainerPath('/' + 'a'.repeat(300) + '2');
    expect(a.length).toBeLessThanOrEqual(200);
    expect(a).not.toBe(b);
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
