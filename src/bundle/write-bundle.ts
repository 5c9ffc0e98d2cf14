/**
 * The evidence bundle: one .tar.gz streamed with tar-stream and zlib, never
 * staged whole in memory, written under a temporary name and renamed only
 * when complete (mode 0600: it may hold secrets). Every entry is hashed while
 * it streams into the archive; case files are checked against the hash taken
 * when they were captured, so a case folder edited since triage is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as createPack, type Pack } from 'tar-stream';
import { acquisitionHashes, walkCaseFiles } from '../case/case-files.js';
import { linkNew, NEW_FILE } from '../case/case-folder.js';
import { storedName } from '../case/container-path.js';
import type { CustodyLog } from '../case/custody.js';
import { createHashTap } from '../case/hash-tap.js';
import type { EvidenceSource } from '../sources/evidence-source.js';
import { Cancelled, CoronerError, diskProblem, EngineRequestFailed } from '../errors.js';
import type { TriageReport } from '../report/triage-report.js';
import type { ArtifactRecord } from '../report/artifact.js';
import { CORONER_VERSION } from '../version.js';
import { BundleOutputExists, BundleWriteFailed, CaseFileChanged } from './bundle-errors.js';
import {
  MANIFEST_NAME,
  MANIFEST_SCHEMA_VERSION,
  SIGNATURE_NAME,
  type Manifest,
  type ManifestFile,
} from './manifest.js';
import { custodyText } from './custody-text.js';
import { createParallelGzip } from './parallel-gzip.js';
import { redactDeclared } from './redact.js';
import { safeJson } from '../untrusted.js';
import { reportHtml, reportMarkdown } from './report-text.js';
import { inPiecesOf } from '../report/report-json.js';
import { loadOrCreateSigningKey, signManifest, type SigningKey } from './signing.js';

export const EVIDENCE_IMAGE_FILE = 'evidence-image.tar';

export interface BundleOptions {
  outPath: string;
  /** Replace an existing file at outPath. */
  force?: boolean;
  /** Include the evidence image (`docker save`); default true. */
  includeImage?: boolean;
  /** Mask environment values in the inspect copies and the report. */
  redactEnv?: boolean;
  /** Ed25519 private key (PEM); created with its .pub beside it when missing. */
  signingKeyPath?: string;
  custody: CustodyLog;
  signal?: AbortSignal;
  onProgress?: (progress: { step: string; bytes: number }) => void;
}

export interface BundleResult {
  path: string;
  sizeBytes: number;
  fileCount: number;
  manifestSha256: string;
  isImageIncluded: boolean;
  /** Why the image is not included, and what stands in for it, when it is not. */
  imageNote?: string;
  signing?: { publicKeyPem: string; publicKeyPath?: string; isNewKey: boolean };
}

class BundleArchive {
  readonly files: ManifestFile[] = [];
  constructor(private readonly pack: Pack) {}

  /** Streams `source` of known size into the archive as `name`, hashing on the way. */
  addStream(
    name: string,
    sizeBytes: number,
    source: Readable,
    capturedAt?: string,
  ): Promise<ManifestFile> {
    const { tap, result } = createHashTap();
    return new Promise((resolve, reject) => {
      const sink = this.pack.entry(
        { name, size: sizeBytes, mode: 0o600, mtime: new Date() },
        (err) => {
          if (err) return reject(err);
          const file: ManifestFile = {
            path: name,
            ...result(),
            ...(capturedAt ? { capturedAt } : {}),
          };
          if (file.sizeBytes !== sizeBytes)
            return reject(new Error(`${name} changed size while it was archived`));
          this.files.push(file);
          resolve(file);
        },
      );
      // Every stream gets a listener: the pack being destroyed (a cancel, a full disk)
      // errors the entry's sink too, and an unheard 'error' would crash past the cleanup.
      const fail = (e: Error) => {
        source.destroy();
        reject(e);
      };
      source.on('error', fail);
      tap.on('error', fail);
      sink.on('error', fail);
      source.pipe(tap).pipe(sink as unknown as NodeJS.WritableStream);
    });
  }

  /**
   * Adds text made by a pure generator without holding it whole: a first pass counts its
   * bytes (a tar header needs the size), a second streams it.
   */
  addGenerated(name: string, make: () => Iterable<string>): Promise<ManifestFile> {
    let sizeBytes = 0;
    for (const piece of make()) sizeBytes += Buffer.byteLength(piece);
    return this.addStream(name, sizeBytes, Readable.from(inPiecesOf(make(), 64 * 1024)));
  }

  addBuffer(name: string, data: Buffer | string): Promise<ManifestFile> {
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data);
    return this.addStream(name, buffer.length, Readable.from([buffer]));
  }
}

export async function writeBundle(
  source: Pick<EvidenceSource, 'saveEvidence'> & { evidenceSubstitute?: string },
  report: TriageReport,
  opts: BundleOptions,
): Promise<BundleResult> {
  const outPath = path.resolve(opts.outPath);
  const evidence = report.evidence;
  const save = source.saveEvidence?.bind(source);
  // Only an evidence image can be packed; a dead box's evidence is the data root itself.
  const imageToSave =
    evidence.kind === 'image' && save && (opts.includeImage ?? true) ? evidence : undefined;
  if (
    !opts.force &&
    (await stat(outPath).then(
      () => true,
      () => false,
    ))
  ) {
    throw new BundleOutputExists(
      `${outPath} already exists`,
      'Choose another --out, or pass --force to replace it.',
    );
  }
  // Which case files hold environment values, and where: as each source declared when it
  // wrote them. A case that declares none was made before sources declared them.
  const heldEnv = new Map(
    report.artifacts.flatMap((a) => (a.environment ? [[a.path, a.environment] as const] : [])),
  );
  if (opts.redactEnv && heldEnv.size === 0)
    throw new BundleWriteFailed(
      `the case ${report.caseDir} does not say which of its files hold environment values (an earlier coroner made it), so --redact-env cannot mask them; nothing was written`,
      'Triage the container again with this coroner, then export that case with --redact-env.',
    );
  const signingKey: SigningKey | undefined = opts.signingKeyPath
    ? await loadOrCreateSigningKey(opts.signingKeyPath)
    : undefined;

  const suffix = randomBytes(4).toString('hex');
  const temp = `${outPath}.partial-${suffix}`;
  const spool = `${outPath}.image-${suffix}`;
  const custody = opts.custody;
  let bundleFile: FileHandle;
  try {
    // Fails early (and clearly) on an unwritable folder, before anything is fetched. Created
    // here, never through a link, and written through this handle only.
    bundleFile = await open(temp, NEW_FILE, 0o600);
  } catch (e) {
    throw translateFsError(e, outPath);
  }

  let outBytes = 0;
  try {
    // The image is spooled first: a tar header needs the size, and docker save does not say it.
    let image: { sha256: string; sizeBytes: number } | undefined;
    // When the source cannot save its evidence and kept a case file for that reason (the
    // engine's export of the container's filesystem), the bundle holds that instead, and says so.
    const substitute = source.evidenceSubstitute
      ? report.artifacts.find((a) => a.path === source.evidenceSubstitute)
      : undefined;
    let unsaved: string | undefined;
    if (imageToSave && save) {
      const repoTag = `${imageToSave.repo}:${imageToSave.tag}`;
      image = await custody
        .step(
          `save evidence image (docker save) ${repoTag}`,
          imageToSave.id,
          async () => {
            const { tap, result, bytesSoFar } = createHashTap();
            const spooled = (await open(spool, NEW_FILE, 0o600)).createWriteStream();
            const saved = await save(imageToSave, opts.signal).catch((e) => {
              throw imageNotExportable(e, repoTag);
            });
            // A listener on the source, not the tap: reading the tap would race the file writer.
            // It starts the flow: nothing may be awaited between it and the pipeline.
            saved.on('data', () =>
              opts.onProgress?.({ step: 'saving the evidence image', bytes: bytesSoFar() }),
            );
            await pipeline(saved, tap, spooled, ...(opts.signal ? [{ signal: opts.signal }] : []));
            return result();
          },
          (r) => `${r.sizeBytes} bytes, sha256 ${r.sha256}`,
        )
        .catch((e: unknown) => {
          if (!substitute || !(e instanceof BundleWriteFailed)) throw e;
          unsaved = (e.cause as Error | undefined)?.message ?? e.message;
          return undefined;
        });
    }
    if (opts.signal?.aborted) throw new Cancelled('the export');

    const pack = createPack();
    const archive = new BundleArchive(pack);
    const gzip = createParallelGzip({ level: 1 });
    const writing = pipeline(
      pack as unknown as Readable,
      gzip,
      bundleFile.createWriteStream(),
      ...(opts.signal ? [{ signal: opts.signal }] : []),
    );
    writing.catch(() => undefined); // awaited below; an early failure must not go unhandled meanwhile
    gzip.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      opts.onProgress?.({ step: 'writing the bundle', bytes: outBytes });
    });

    // Exactly the files the case records, each checked against its acquisition hash.
    const expected = acquisitionHashes(report);
    expected.set('report.json', { sha256: REPORT_ITSELF, capturedAt: report.finishedAt });
    await refuseUnrecorded(report.caseDir, expected);
    const redactedFiles: string[] = [];
    for (const rel of [...expected.keys()].sort()) {
      if (opts.signal?.aborted) throw new Cancelled('the export');
      const name = `case/${rel}`;
      const acquired = expected.get(rel)!;
      const full = path.join(report.caseDir, rel);
      const size = await caseFileSize(full, rel, acquired.capturedAt);
      // O_NOFOLLOW as well: a file swapped for a link since the check is not read through.
      const read = () => createReadStream(full, { flags: READ_NO_LINK as unknown as string });
      let capturedSha256: string;
      const held = opts.redactEnv ? heldEnv.get(rel) : undefined;
      if (held) {
        // Checked as captured, then masked: the bundle holds the masked copy.
        const bytes = Buffer.concat(await read().toArray());
        capturedSha256 = createHash('sha256').update(bytes).digest('hex');
        let doc: unknown;
        try {
          doc = JSON.parse(bytes.toString('utf8'));
        } catch (e) {
          throw new BundleWriteFailed(
            `case file ${rel} holds environment values but is not JSON (${(e as Error).message}), so they cannot be masked; nothing was kept`,
            'Export without --redact-env only if the bundle may hold them; otherwise triage again.',
          );
        }
        await archive.addBuffer(name, safeJson(redactDeclared(doc, held), 2) + '\n');
        redactedFiles.push(name);
      } else {
        capturedSha256 = (await archive.addStream(name, size, read(), acquired.capturedAt)).sha256;
      }
      if (acquired.sha256 !== REPORT_ITSELF && acquired.sha256 !== capturedSha256) {
        throw new CaseFileChanged(
          `case file ${rel} changed since it was captured at ${acquired.capturedAt} (sha256 then ${acquired.sha256}, now ${capturedSha256})`,
          'Do not export an altered case: run the triage again to capture the evidence afresh.',
        );
      }
    }

    // Diffs the report holds whole (a diff cut for the report is a case file already).
    for (const change of report.changes) {
      const content = change.comparison?.content;
      if (
        content?.kind === 'text-diff' &&
        !content.patchFile &&
        content.addedLines + content.removedLines > 0
      )
        await archive.addBuffer(`diffs/${storedName(change.path)}.diff`, content.patch);
    }

    const createdAt = new Date().toISOString();
    const manifestEvidence = describeEvidence(
      evidence,
      image !== undefined,
      unsaved !== undefined && substitute ? { why: unsaved, substitute } : undefined,
      save !== undefined,
    );
    const redaction: Manifest['redaction'] = {
      isEnvRedacted: opts.redactEnv ?? false,
      redactedFiles,
      ...(opts.redactEnv && image
        ? {
            note: 'the evidence image itself still holds the environment in its config; export with --no-image to leave it out',
          }
        : {}),
    };
    const reportContext = { evidence: manifestEvidence, redaction, createdAt };
    await archive.addGenerated('report.md', () => reportMarkdown(report, reportContext));
    await archive.addGenerated('report.html', () => reportHtml(report, reportContext));

    if (image) {
      const file = await archive.addStream(
        EVIDENCE_IMAGE_FILE,
        image.sizeBytes,
        createReadStream(spool),
      );
      if (file.sha256 !== image.sha256) {
        throw new BundleWriteFailed(
          'the spooled evidence image changed before it was archived',
          'Run the export again.',
        );
      }
    }

    custody.record(
      'archive case files, diffs, reports and image into the bundle',
      outPath,
      'ok',
      `${archive.files.length} files; the manifest follows`,
    );
    await archive.addBuffer('custody.log', custodyText(custody));

    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      tool: { name: 'coroner', version: CORONER_VERSION },
      createdAt,
      source: report.source,
      container: {
        id: report.container.id,
        name: report.container.name,
        imageId: report.container.imageId,
        imageRef: report.container.imageRef,
      },
      evidence: manifestEvidence,
      redaction,
      files: [...archive.files],
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    const manifestFile = await archive.addBuffer(MANIFEST_NAME, manifestBytes);
    if (signingKey)
      await archive.addBuffer(
        SIGNATURE_NAME,
        signManifest(manifestBytes, signingKey.privateKey) + '\n',
      );
    pack.finalize();
    await writing;
    // Without --force an --out that appeared meanwhile is not replaced either.
    if (opts.force) await rename(temp, outPath);
    else
      await linkNew(temp, outPath).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
        throw new BundleOutputExists(
          `${outPath} appeared while the bundle was written; it was left as it is and nothing was kept`,
          'Choose another --out, or pass --force to replace it.',
        );
      });
    return {
      path: outPath,
      sizeBytes: outBytes,
      fileCount: manifest.files.length,
      manifestSha256: manifestFile.sha256,
      isImageIncluded: image !== undefined,
      ...(manifestEvidence.note ? { imageNote: manifestEvidence.note } : {}),
      ...(signingKey
        ? {
            signing: {
              publicKeyPem: signingKey.publicKeyPem,
              isNewKey: signingKey.isNew,
              ...(signingKey.publicKeyPath ? { publicKeyPath: signingKey.publicKeyPath } : {}),
            },
          }
        : {}),
    };
  } catch (e) {
    await rm(temp, { force: true });
    throw e instanceof CoronerError ? e : translateFsError(e, outPath);
  } finally {
    await bundleFile.close().catch(() => undefined); // closed already by its stream, unless it failed first
    await rm(spool, { force: true });
  }
}

/** The manifest's account of the evidence: what it is, and whether (and as what) the bundle holds it. */
function describeEvidence(
  evidence: TriageReport['evidence'],
  isIncluded: boolean,
  unsaved: { why: string; substitute: ArtifactRecord } | undefined,
  canSave: boolean,
): Manifest['evidence'] {
  // Only an image can be packed; other evidence stays where its source says it is.
  if (evidence.kind === 'layer-folder')
    return {
      kind: evidence.kind,
      id: evidence.layerDir,
      name: evidence.dataRoot,
      isIncluded: false,
      note: `the evidence is ${evidence.whereKept ?? `the copied Docker data root itself (${evidence.dataRoot}), which stays with the responder`}`,
    };
  const repoTag = `${evidence.repo}:${evidence.tag}`;
  return {
    kind: evidence.kind,
    id: evidence.id,
    name: repoTag,
    isIncluded,
    ...(isIncluded
      ? { file: EVIDENCE_IMAGE_FILE }
      : unsaved
        ? {
            note: `the engine cannot save the evidence image (${unsaved.why}). In its place this bundle holds case/${unsaved.substitute.path}: ${unsaved.substitute.description}; the image stays on the engine as ${repoTag}`,
            substituteFile: `case/${unsaved.substitute.path}`,
          }
        : canSave
          ? { note: `left out with --no-image; it stays on the engine as ${repoTag}` }
          : {
              note: `the source this export read cannot save it (no engine); it stays on the engine that made it, as ${repoTag}`,
            }),
  };
}

/** report.json holds the hashes, so none is recorded for itself: the bundle's manifest covers it. */
const REPORT_ITSELF = '';

const READ_NO_LINK = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * The size of a case file about to be exported: a regular file (a link is never followed),
 * or an error naming the file the triage recorded and the case no longer holds as it was.
 */
async function caseFileSize(full: string, rel: string, capturedAt: string): Promise<number> {
  const refused = (why: string) =>
    new CaseFileChanged(
      `case file ${rel}, captured at ${capturedAt || 'the end of the triage'}, ${why}`,
      'Do not export an altered case: run the triage again to capture the evidence afresh.',
    );
  const stat = await lstat(full).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw refused('is missing from the case folder');
    throw e;
  });
  if (stat.isSymbolicLink()) throw refused('was replaced by a link');
  if (!stat.isFile()) throw refused('is no longer a regular file');
  return stat.size;
}

/** Refuses a case folder holding anything its report does not record (added after the triage). */
async function refuseUnrecorded(caseDir: string, expected: Map<string, unknown>): Promise<void> {
  const unrecorded: string[] = [];
  for await (const rel of walkCaseFiles(caseDir)) if (!expected.has(rel)) unrecorded.push(rel);
  if (unrecorded.length === 0) return;
  const shown = unrecorded.slice(0, 5).map((r) => JSON.stringify(r));
  throw new CaseFileChanged(
    `the case folder holds ${unrecorded.length} file${unrecorded.length === 1 ? '' : 's'} the triage did not record: ${shown.join(', ')}${unrecorded.length > 5 ? ', …' : ''}`,
    'Do not export an altered case: move what was added out of the folder, or run the triage again.',
  );
}

/**
 * The engine refuses `docker save` of images whose layers it cannot re-create (a layer tar
 * that climbs out with `..`): say so, and how to export the rest without losing the image.
 */
function imageNotExportable(e: unknown, repoTag: string): unknown {
  if (!(e instanceof EngineRequestFailed)) return e;
  return new BundleWriteFailed(
    `the engine cannot export the evidence image ${repoTag} (${e.message}); nothing was kept`,
    `Export the rest with --no-image: the image stays on the engine as ${repoTag} (keep it; the suspect's own image may be what the engine cannot re-create).`,
    { cause: e },
  );
}

function translateFsError(e: unknown, outPath: string): Error {
  switch (diskProblem(e)) {
    case 'full':
      return new BundleWriteFailed(
        `the disk holding ${outPath} is full; nothing was kept`,
        'Free space or choose another --out, then export again.',
        { cause: e },
      );
    case 'not writable':
      return new BundleWriteFailed(
        `cannot write ${outPath} (${(e as NodeJS.ErrnoException).code})`,
        'Choose a writable --out folder.',
        { cause: e },
      );
    case 'no folder':
      return new BundleWriteFailed(
        `the folder for ${outPath} does not exist`,
        'Create it or choose another --out.',
        { cause: e },
      );
    case undefined:
      return e instanceof Error ? e : new Error(String(e));
  }
}
