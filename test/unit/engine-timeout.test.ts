import { describe, expect, it } from 'vitest';
import { engineTimeoutMs } from '../../src/sources/docker-live/engine-errors.js';
import { UsageError } from '../../src/errors.js';

describe('engineTimeoutMs', () => {
  it('reads CORONER_ENGINE_TIMEOUT in seconds, 600 when unset or empty', () => {
    expect(engineTimeoutMs({})).toBe(600_000);
    expect(engineTimeoutMs({ CORONER_ENGINE_TIMEOUT: '' })).toBe(600_000);
    expect(engineTimeoutMs({ CORONER_ENGINE_TIMEOUT: '2.5' })).toBe(2_500);
    expect(engineTimeoutMs({ CORONER_ENGINE_TIMEOUT: '2147483' })).toBe(2_147_483_000);
  });

  it('refuses what is not a positive number of seconds a timer can wait', () => {
    // 2147484 s is past the longest timer Node keeps: it would fire at once.
    for (const text of ['5m', '0', '-1', 'NaN', 'Infinity', '2147484', '1e12'])
      expect(() => engineTimeoutMs({ CORONER_ENGINE_TIMEOUT: text }), text).toThrow(UsageError);
  });
});
