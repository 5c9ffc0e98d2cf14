import { describe, expect, it } from 'vitest';
import {
  EngineApiUnsupported,
  NEWEST_API,
  negotiateApiVersion,
} from '../../src/sources/docker-live/api-version.js';

const at = 'unix:///run/test.sock';

describe('the Engine API version coroner speaks', () => {
  it("is the engine's own when coroner knows it", () => {
    expect(negotiateApiVersion({ ApiVersion: '1.41', MinAPIVersion: '1.12' }, at)).toBe('1.41');
  });

  it("is coroner's newest for a newer engine that still takes it (Docker 29: 1.44 to 1.52)", () => {
    expect(negotiateApiVersion({ ApiVersion: '1.52', MinAPIVersion: '1.44' }, at)).toBe(NEWEST_API);
  });

  it('compares versions as numbers, not text (1.9 is older than 1.45)', () => {
    expect(() => negotiateApiVersion({ ApiVersion: '1.9' }, at)).toThrow(EngineApiUnsupported);
    expect(negotiateApiVersion({ ApiVersion: '1.100', MinAPIVersion: '1.24' }, at)).toBe(
      NEWEST_API,
    );
  });

  it('takes an engine that does not say its oldest version (Podman)', () => {
    expect(negotiateApiVersion({ ApiVersion: '1.41' }, at)).toBe('1.41');
  });

  it('refuses an engine whose oldest version is newer than coroner speaks, naming both', () => {
    expect(() => negotiateApiVersion({ ApiVersion: '1.60', MinAPIVersion: '1.50' }, at)).toThrow(
      /refuses Engine API versions older than 1\.50; coroner speaks 1\.45 at most/,
    );
  });

  it('refuses an answer without a version', () => {
    expect(() => negotiateApiVersion({}, at)).toThrow(/did not say which Engine API version/);
    expect(() => negotiateApiVersion({ ApiVersion: 'latest' }, at)).toThrow(EngineApiUnsupported);
  });
});
