import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/iso-time.js';

describe('isoTime', () => {
  it('is the ISO 8601 UTC text of the instant, for repeated and new instants alike', () => {
    const instants = [0, 1, -1, 1_700_000_000_123, 253_402_300_799_999, -62_198_755_200_000];
    // Twice through, past the size of its memory of recent instants: every answer still right.
    for (let round = 0; round < 2; round++) {
      for (const ms of instants) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      for (let i = 0; i < 5000; i++)
        expect(isoTime(new Date(i * 997))).toBe(new Date(i * 997).toISOString());
    }
  });
});
