/**
 * Times put back to hide a change (ATT&CK T1070.006, timestomp): a file whose content
 * changed while its modification time is still the original's, or whose modification time
 * is older than its change time (which no tool can set back), and a path the engine's own
 * change list lacks though the writable layer holds it.
 * https://attack.mitre.org/techniques/T1070/006/
 */
import type { ChangeKind } from '../report/change.js';
import type { FileMeta } from '../report/file-meta.js';
import type { Finding } from '../report/finding.js';
import type { VersionPair } from '../report/change.js';

export interface TimestompInput {
  path: string;
  kind: ChangeKind;
  original?: FileMeta;
  current?: FileMeta;
  /** Both versions' content was hashed and differs. */
  isContentChanged: boolean;
  /** Both versions' content was hashed and is the same. */
  isContentSame?: boolean;
  /** The writable layer holds the path and `docker diff` does not list it, and why. */
  notInEngineList?: string;
  /**
   * Another path whose original (the image's) content and modification time the current
   * version carries: the file was moved or linked here from it, times and all, not edited in
   * place. dpkg does this to its database on every run (`status` becomes `status-old`, its
   * time with it), and debconf and apt rotate theirs the same way.
   */
  originalOf?: string;
}

/** A change time this far past the modification time is not the same write. */
const CTIME_SLACK_MS = 2000;

const ATTACK = 'T1070.006';

export function timestompFindings(c: TimestompInput): Finding[] {
  const { original, current } = c;
  if (!current || current.type === 'directory') return [];
  const hidden = c.notInEngineList ? `; not in docker diff (${c.notInEngineList})` : '';
  const mtime = current.mtime ? Date.parse(current.mtime) : NaN;
  if (
    // The time is the one the image gave the file it came from: nothing was put back.
    !c.originalOf &&
    c.kind === 'C' &&
    c.isContentChanged &&
    original?.mtime &&
    Math.floor(Date.parse(original.mtime) / 1000) === Math.floor(mtime / 1000)
  )
    return [
      {
        rule: 'timestomp',
        path: c.path,
        severity: 'high',
        reason: `content changed, yet its modification time is the original's (${current.mtime}): put back to hide the edit${hidden}`,
        attack: ATTACK,
      },
    ];
  const ctime = current.ctime ? Date.parse(current.ctime) : NaN;
  // A change of attributes alone (chmod, setcap) moves the change time only: not a sign.
  const isWritten = c.kind === 'A' || (c.kind === 'C' && c.isContentChanged);
  if (isWritten && !c.originalOf && ctime - mtime > CTIME_SLACK_MS)
    return [
      {
        rule: 'timestomp',
        path: c.path,
        // Copies that keep their times (cp -p, tar, dpkg) do this to new files too.
        severity: c.kind === 'C' ? 'medium' : 'low',
        reason: `modification time ${current.mtime} is older than its change time ${current.ctime}: set back after it was written, or copied with its times kept${hidden}`,
        attack: ATTACK,
      },
    ];
  // Opened for writing and left as it was (a log opened for append): overlayfs copies a
  // file up on open, and nothing of it changed, so there is nothing the engine hid.
  if (c.notInEngineList && c.isContentSame && isSameMeta(original, current)) return [];
  if (c.notInEngineList)
    return [
      {
        rule: 'not-in-docker-diff',
        path: c.path,
        severity: 'medium',
        reason: `the writable layer holds it, the engine's change list does not (${c.notInEngineList})`,
        attack: ATTACK,
      },
    ];
  return [];
}

/**
 * The package database file whose original (the image's) content and modification time a
 * path's current version carries, if any: a database rotated, as dpkg turns `status` into
 * `status-old` on every run. The database files that changed are read before other paths,
 * so their pairs are at hand.
 */
export function rotatedFrom(
  path: string,
  current: VersionPair['current'],
  databases: ReadonlyMap<string, { pair: VersionPair }>,
): string | undefined {
  const sha256 = current?.content?.sha256;
  if (!sha256) return undefined;
  for (const [other, { pair }] of databases)
    if (
      other !== path &&
      pair.original?.content?.sha256 === sha256 &&
      isSameSecond(pair.original.meta.mtime, current.meta.mtime)
    )
      return other;
  return undefined;
}

/** Two times in the same second (layers' tar headers keep whole seconds, disks more). */
const isSameSecond = (a?: string, b?: string) =>
  !!a && !!b && Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000);

/** Same type, permissions, owner, size and capabilities (times aside). */
export function isSameMeta(a: FileMeta | undefined, b: FileMeta | undefined): boolean {
  return (
    !!a &&
    !!b &&
    a.type === b.type &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.sizeBytes === b.sizeBytes &&
    a.capabilities === b.capabilities
  );
}
