/**
 * The analysed changes of a triage, kept on disk instead of in memory: a triage
 * of 50,000 changed files would otherwise hold every comparison, hash and diff
 * until the report is written. Each change is appended to a private spool file
 * as one JSON line as soon as it is ranked; memory keeps only what ordering and
 * counting need (path, kind, severity, finding count, where its line is). The
 * report then reads the changes back one at a time, in rank order.
 *
 * The spool is coroner's own scratch, not evidence, and it holds what the suspect
 * named: it is created in a private temporary folder (mode 0700), then the file
 * and its folder are unlinked at once, so only the open descriptor reaches it.
 * Nothing of a case is left outside the case folder, even when the process is
 * killed; the descriptor is closed once the changes are no longer referenced.
 * The case folder's report.json is the record.
 */
import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { safeJson } from '../untrusted.js';
import type { ChangedPath, ChangeKind } from './change.js';
import type { Finding } from './finding.js';
import { SEVERITY_RANK, type Severity } from './severity.js';

/** What every reader of a report's changes may rely on: an array, or changes read back from a spool. */
export type ChangeList = Iterable<ChangedPath> & { readonly length: number };

/** What ranking and counting need of a change, kept in memory while its body is on disk. */
export interface SpooledSummary {
  path: string;
  kind: ChangeKind;
  severity: Severity;
  isParentOnly: boolean;
  findingCount: number;
}

interface Slot extends SpooledSummary {
  offset: number;
  length: number;
  /** Findings added after the line was written. */
  amended?: Finding[];
}

const FLUSH_BYTES = 256 * 1024;

export class ChangeSpool {
  readonly #file = new SpoolFile();
  readonly #slots: Slot[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;

  constructor() {}

  /** Writes the change's line; the caller drops its copy. */
  add(change: ChangedPath): void {
    // Escaped as the report escapes it: the line is copied into report.json as it is.
    const line = Buffer.from(safeJson(change), 'utf8');
    this.#slots.push({
      path: change.path,
      kind: change.kind,
      severity: change.severity,
      isParentOnly: change.isParentOnly,
      findingCount: change.findings.length,
      offset: this.#written + this.#pendingBytes,
      length: line.length,
    });
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush();
  }

  get summaries(): readonly SpooledSummary[] {
    return this.#slots;
  }

  /**
   * Findings learnt after a change was spooled (a YARA hit on its stored file): they join
   * its own, most severe first, when it is read back, and rank it from now on.
   */
  amend(path: string, findings: readonly Finding[]): void {
    const slot = this.#slots.find((s) => s.path === path);
    if (!slot || findings.length === 0) return;
    const amended = [...(slot.amended ?? []), ...findings];
    slot.amended = amended;
    slot.findingCount += findings.length;
    for (const f of findings)
      if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[slot.severity]) slot.severity = f.severity;
  }

  /** The changes in the order `compare` gives; the spool takes no more. */
  finish(compare: (a: SpooledSummary, b: SpooledSummary) => number): SpooledChanges {
    this.#flush();
    return new SpooledChanges(this.#file, [...this.#slots].sort(compare));
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes);
    for (let done = 0; done < chunk.length;)
      done += writeSync(this.#file.fd, chunk, done, chunk.length - done, this.#written + done);
    this.#written += chunk.length;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** Changes read back from a spool, one at a time; iterable as often as needed. */
export class SpooledChanges implements ChangeList {
  readonly #file: SpoolFile;
  readonly #slots: readonly Slot[];

  constructor(file: SpoolFile, slots: readonly Slot[]) {
    this.#file = file;
    this.#slots = slots;
  }

  get length(): number {
    return this.#slots.length;
  }

  *[Symbol.iterator](): Iterator<ChangedPath> {
    for (const line of this.jsonLines()) yield JSON.parse(line) as ChangedPath;
  }

  /** Each change as its JSON text (terminal-safe, as `safeJson` writes it), in order. */
  *jsonLines(): Generator<string> {
    for (const slot of this.#slots) {
      const bytes = Buffer.alloc(slot.length);
      for (let done = 0; done < slot.length;) {
        const n = readSync(this.#file.fd, bytes, done, slot.length - done, slot.offset + done);
        if (n === 0) throw new Error(`the change spool ended early at ${slot.path}`);
        done += n;
      }
      const line = bytes.toString('utf8');
      yield slot.amended ? withAmendments(line, slot) : line;
    }
  }

  /** The JSON to write in place of this object: the changes, as an array. */
  toJSON(): ChangedPath[] {
    return [...this];
  }
}

/** The spooled change with its later findings, re-escaped as the line was. */
function withAmendments(line: string, slot: Slot): string {
  const change = JSON.parse(line) as ChangedPath;
  const findings = [...change.findings, ...slot.amended!].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
  );
  return safeJson({ ...change, severity: slot.severity, findings });
}

/** A read-write file no name reaches: opened exclusively in a private folder, then unlinked. */
function anonymousFile(): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'coroner-spool-'));
  const file = path.join(dir, 'changes.jsonl');
  try {
    const fd = openSync(file, 'wx+', 0o600);
    unlinkSync(file);
    return fd;
  } finally {
    rmdirSync(dir);
  }
}

// The descriptor is closed when neither the spool nor the changes it gave hold its file any
// more (a console runs many triages), and by the system at exit.
const closer = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/** The spool's file, shared by the spool and the changes it gives. */
class SpoolFile {
  readonly fd = anonymousFile();
  constructor() {
    closer.register(this, this.fd);
  }
}
