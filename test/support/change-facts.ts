/** The facts a change rule is given, for rule tests: a regular file by default. */
import type { ChangeFacts } from '../../src/findings/change-rules.js';
import type { FileMeta } from '../../src/report/file-meta.js';

export const fileMeta = (over: Partial<FileMeta> = {}): FileMeta => ({
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  sizeBytes: 10,
  ...over,
});

/** A file added at `path`, holding `currentText` when given. */
export const addedFile = (
  path: string,
  currentText?: string,
  over: Partial<ChangeFacts> = {},
): ChangeFacts => ({
  path,
  kind: 'A',
  current: fileMeta(),
  ...(currentText !== undefined ? { currentText } : {}),
  ...over,
});
