import { describe, expect, it } from 'vitest';
import type { ChangedPath } from '../../src/report/change.js';
import { fileLines } from '../../ui/presentation/file-lines.js';

const change = (over: Partial<ChangedPath>): ChangedPath => ({
  path: '/usr/bin/id',
  kind: 'C',
  isParentOnly: false,
  severity: 'high',
  findings: [],
  ...over,
});

describe('the file view', () => {
  it("shows what the package database says of the file, the container's text escaped", () => {
    const lines = fileLines(
      change({
        package: {
          manager: 'dpkg',
          package: 'acme\u001b[2Jagent',
          database: 'container',
          algorithm: 'md5',
          expected: 'a'.repeat(32),
          actual: 'b'.repeat(32),
          verdict: 'differs',
        },
      }),
    ).map((l) => l.text);
    const line = lines.find((l) => l.startsWith('package: '));
    expect(line).toMatch(
      /dpkg package acme.*agent \(per the container's own database\): content differs/,
    );
    expect(line).toMatch(/md5 listed a{32}, now b{32}/);
    expect(line).not.toContain('\u001b');
  });

  it('has no package line for a file no package lists', () => {
    expect(fileLines(change({})).some((l) => l.text.startsWith('package: '))).toBe(false);
  });
});
