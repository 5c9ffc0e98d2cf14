/**
 * Reads the package databases a triage judges changed files by: the original image's
 * (every md5sums file, dpkg's status, apk's installed list, rpm's database, as the
 * layer indexes show them) and the container's own where it changed. They are read through
 * the source like any version, so each is stored in the case folder, hashed and in
 * custody: a verdict in the report can be checked against the very list it came from.
 */
import { createReadStream } from 'node:fs';
import { boundedLines } from '../bounded-lines.js';
import type { CaseFolder } from '../case/case-folder.js';
import type { ImageLayers } from '../layers/image-layers.js';
import { findOriginLayer } from '../layers/layer-index.js';
import type { ChangeEntry, StoredVersion, VersionPair } from '../report/change.js';
import type { PackageDatabases, PackageManager } from '../report/package.js';
import type { Acquisition } from '../sources/evidence-source.js';
import {
  databaseFileAt,
  DatabaseReader,
  type DatabaseFile,
  type ListedFile,
} from './package-db.js';
import { PackageIndex } from './package-index.js';
import { readRpmDatabase } from './rpm-database.js';

const MAX_DATABASE_BYTES = 64 * 1024 * 1024;
// RPM's is read a page at a time, and a large Fedora's is tens of MiB.
const MAX_RPM_DATABASE_BYTES = 512 * 1024 * 1024;
// A path is at most 4 KiB; a longer line lists nothing coroner could match.
const MAX_LINE_BYTES = 16 * 1024;

export interface PackageDatabasesRead {
  index: PackageIndex;
  /** Absent when neither the image nor the container has a package database. */
  summary?: PackageDatabases;
  /** Listed changes read here (database files that changed): analyse these pairs, do not read them again. */
  pairs: Map<string, { entry: ChangeEntry; pair: VersionPair }>;
}

/** The database files the original image holds, as its layer indexes show them. */
function imageDatabaseFiles(layers: ImageLayers): string[] {
  const found = new Set<string>();
  for (const index of layers.indexes)
    for (const [path, type] of index.entries)
      // File lists are read where they changed only: they name links of packages installed in
      // the container; a link of the image's packages that changed is no longer theirs.
      if (type === 'file' && databaseFileAt(path) && databaseFileAt(path)?.kind !== 'list')
        found.add(path);
  return [...found].filter((p) => findOriginLayer(layers.indexes, p) !== undefined).sort();
}

/** True when the image's /bin is a link (Debian 12's merged /usr): its databases list /bin/… */
function isUsrMerged(layers: ImageLayers): boolean {
  const at = findOriginLayer(layers.indexes, '/bin');
  return at !== undefined && layers.indexes[at]!.entries.get('/bin') === 'symlink';
}

/** What reading one stored database file gave. */
interface DatabaseRead {
  /** The packages it lists as installed, as `name version`. */
  packages: Set<string>;
  /** Why it was read only in part: the files before the fault were listed. */
  problem?: string;
}

/**
 * Reads a stored database file, each file it lists to `onListed`; undefined when it was not
 * stored whole (or is too large to be a real one).
 */
async function readStored(
  folder: CaseFolder,
  version: StoredVersion | undefined,
  file: DatabaseFile,
  onListed: (listed: ListedFile) => void,
): Promise<DatabaseRead | undefined> {
  const content = version?.content;
  // A database is megabytes; one of hundreds is the container's own doing, not read.
  const most = file.manager === 'rpm' ? MAX_RPM_DATABASE_BYTES : MAX_DATABASE_BYTES;
  if (!content || content.isTruncated || content.sizeBytes > most) return undefined;
  if (file.manager === 'rpm')
    return readRpmDatabase(folder.locate(content.path), file.kind, onListed);
  const reader = new DatabaseReader(file);
  const lines = boundedLines(createReadStream(folder.locate(content.path)), MAX_LINE_BYTES);
  for await (const line of lines) {
    const listed = reader.line(line);
    if (listed) onListed(listed);
  }
  reader.end();
  return { packages: reader.packages };
}

export async function readPackageDatabases(
  acquired: Acquisition,
  layers: ImageLayers,
  entries: readonly ChangeEntry[],
  folder: CaseFolder,
): Promise<PackageDatabasesRead> {
  const index = new PackageIndex(
    entries.map((e) => e.path),
    isUsrMerged(layers),
  );
  const pairs = new Map<string, { entry: ChangeEntry; pair: VersionPair }>();
  const listed = new Map(entries.filter((e) => databaseFileAt(e.path)).map((e) => [e.path, e]));
  // An unchanged database file is read on its original side only: it is the same now.
  const toRead = new Map(listed);
  for (const path of imageDatabaseFiles(layers))
    if (!toRead.has(path)) toRead.set(path, { path, kind: 'D' });
  if (toRead.size === 0) return { index, pairs };

  const managers = new Set<PackageManager>();
  const files: PackageDatabases['files'] = [];
  const installed = { original: new Set<string>(), current: new Set<string>() };
  await acquired.readVersions([...toRead.values()], async (entry, pair) => {
    const file = databaseFileAt(entry.path)!;
    if (listed.has(entry.path)) pairs.set(entry.path, { entry, pair });
    for (const side of ['original', 'current'] as const) {
      const version = pair[side];
      if (side === 'current' && !listed.has(entry.path)) continue;
      const read = await readStored(folder, version, file, (listed) =>
        index.add(side === 'original' ? 'image' : 'container', listed),
      );
      read?.packages.forEach((p) => installed[side].add(p));
      if (!version) continue;
      managers.add(file.manager);
      files.push({
        path: entry.path,
        side,
        ...(version.content ? { content: version.content } : {}),
        isRead: read !== undefined,
        ...(read?.problem ? { problem: read.problem } : {}),
      });
    }
  });
  // The status file or apk list changed: what it lists now that the image's did not.
  const installedInContainer = [...installed.current]
    .filter((p) => !installed.original.has(p))
    .sort();
  files.sort((a, b) => a.path.localeCompare(b.path) || a.side.localeCompare(b.side));
  return {
    index,
    pairs,
    summary: { managers: [...managers].sort(), files, installedInContainer },
  };
}
