/**
 * The responder's own YARA rules (`--rules PATH`, a file or a folder of .yar/.yara files),
 * run by a real YARA engine (Debian's `yara`) over what the triage stored: every added or
 * changed file's current version and every executable recovered from a process. Each hit
 * is a finding naming the rule; coroner's own rules stay its own code. Rule metadata may
 * set `severity` (critical, high, medium, low) and `attack` (an ATT&CK id); a hit is high
 * otherwise.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';
import type { Finding } from '../report/finding.js';
import type { Severity } from '../report/severity.js';

const run = promisify(execFile);

/** Per file: a file built to stall a scanner is given up on, not waited for. */
const SCAN_TIMEOUT_SECONDS = 60;

export interface YaraHit {
  rule: string;
  meta: Record<string, string>;
  /** The scanned file, absolute. */
  file: string;
}

/** The rule files a --rules argument names: the file itself, or the .yar/.yara files under a folder. */
export async function yaraRuleFiles(given: string): Promise<string[]> {
  const info = await stat(given).catch(() => undefined);
  if (!info)
    throw new UsageError(
      `--rules ${given} does not exist`,
      'Name a YARA rules file or a folder of them.',
    );
  if (info.isFile()) return [given];
  const found = (await readdir(given, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && /\.(yar|yara)$/i.test(e.name))
    .map((e) => path.join(e.parentPath ?? given, e.name))
    .sort();
  if (found.length === 0)
    throw new UsageError(
      `--rules ${given} holds no .yar or .yara file`,
      'Name a YARA rules file, or a folder that holds some.',
    );
  return found;
}

/** Checks that YARA runs and the rules compile, before any evidence is touched. */
export async function checkYaraRules(files: readonly string[]): Promise<void> {
  try {
    await run('yara', ['-w', ...files, '/dev/null'], { maxBuffer: 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new UsageError(
        '--rules needs YARA, which is not installed',
        'Install it (Debian: apt-get install yara) and run again.',
      );
    throw new UsageError(
      `YARA cannot compile the rules: ${(err.stderr ?? err.message).trim().split('\n')[0]}`,
      'Fix the rule named, or leave that file out of --rules.',
    );
  }
}

/**
 * `yara -m` lines: `RULE [meta] FILE`. The file is one of ours, under `root`: found by that
 * prefix, so nothing in a rule's metadata can shift it.
 */
export function parseYaraOutput(out: string, root: string): YaraHit[] {
  const hits: YaraHit[] = [];
  for (const line of out.split('\n')) {
    const at = line.lastIndexOf(` ${root}/`);
    if (at < 0) continue;
    const head = line.slice(0, at);
    const space = head.indexOf(' ');
    const rule = space < 0 ? head : head.slice(0, space);
    const meta: Record<string, string> = {};
    for (const m of head
      .slice(space + 1)
      .matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S+?))(?=,\w+=|\]$)/g))
      meta[m[1]!] = m[2] ?? m[3] ?? '';
    hits.push({ rule, meta, file: line.slice(at + 1) });
  }
  return hits;
}

/** Scans every file under `dir` (links not followed) with the rules. */
export async function scanWithYara(files: readonly string[], dir: string): Promise<YaraHit[]> {
  if (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    return [];
  const { stdout } = await run(
    'yara',
    ['-w', '-N', '-r', '-m', `--timeout=${SCAN_TIMEOUT_SECONDS}`, ...files, dir],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return parseYaraOutput(stdout, dir);
}

const SEVERITIES = new Set<Severity>(['critical', 'high', 'medium', 'low']);

export function yaraFinding(hit: YaraHit, containerPath: string, pid?: number): Finding {
  const severity = (hit.meta['severity'] ?? '').toLowerCase() as Severity;
  const attack = hit.meta['attack'] ?? hit.meta['mitre_attack'];
  const description = hit.meta['description'];
  return {
    rule: `yara:${hit.rule}`,
    path: containerPath,
    severity: SEVERITIES.has(severity) ? severity : 'high',
    reason: `YARA rule ${hit.rule} matched${description ? `: ${description}` : ''}`,
    ...(attack && /^T\d{4}(\.\d{3})?$/.test(attack) ? { attack } : {}),
    ...(pid !== undefined ? { pid } : {}),
  };
}
