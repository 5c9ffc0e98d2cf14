/**
 * Argument parsing and the non-interactive commands. The only engine-side
 * module that prints or exits.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { connectEngine, throwIfAborted } from './sources/docker-live/engine.js';
import { UsageError, isCoronerError } from './errors.js';
import { triageSummary } from './present/triage-summary.js';
import { DEFAULT_CASES_ROOT, triage, type TriageEvent, type TriageReport } from './app/triage.js';
import { CustodyLog } from './case/custody.js';
import { findLatestCase, loadCaseReport } from './case/find-case.js';
import { writeBundle } from './bundle/write-bundle.js';
import {
  isBundleFolder,
  verifyBundle,
  verifyBundleFolder,
  type VerifyResult,
} from './bundle/verify.js';
import { isCaseFolder, verifyCase } from './bundle/verify-case.js';
import { caseCheckText } from './present/case-check-text.js';
import { loadPublicKey } from './bundle/signing.js';
import { pickContainer } from './sources/pick-container.js';
import { evidenceRepo, utcStamp } from './sources/docker-live/freeze.js';
import { safeLine } from './untrusted.js';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { DEFAULT_RELAUNCH_OPTIONS } from './relaunch/plan.js';
import { executeRelaunch, prepareRelaunch } from './relaunch/relaunch.js';
import { relaunchPlanText, relaunchResultText } from './present/relaunch-text.js';
import { SEVERITY_RANK } from './report/severity.js';
import { CORONER_VERSION } from './version.js';

export const EXIT = {
  clean: 0,
  error: 1,
  usage: 2,
  suspicious: 3,
  tampered: 4,
  cancelled: 130,
} as const;

const HELP = `coroner ${CORONER_VERSION}: incident response for compromised Docker containers

Usage:
  coroner [<container>]            interactive console (on a terminal; without one, the
                                   triage summary)
  coroner triage <container>       freeze evidence, list and rank what changed
      --json                       print the report as JSON (schema: docs/triage-schema.md)
      --case-dir DIR               where to keep this case's artifacts
                                   (default ./coroner-cases/<name>-<utc>)
      --log-lines N                keep the last N log lines (default 1000)
  coroner export <container>       write an evidence bundle (.tar.gz): case files, diffs,
                                   reports, evidence image, manifest, chain of custody
      --out PATH                   bundle path (default ./coroner-evidence-<name>-<utc>.tar.gz)
      --force                      replace an existing file at --out
      --case DIR                   pack this case folder (default: the newest one for the
                                   container under ./coroner-cases, else triage first)
      --no-image                   leave the evidence image out (it stays on the engine)
      --redact-env                 mask environment values in the inspect copies
      --sign KEY                   sign the manifest with an Ed25519 key (PEM; made if missing)
  coroner verify <bundle>          recompute every hash and check the manifest; every entry
                                   must be a regular file it lists (a bundle or the folder
                                   it was extracted into)
      --key PUB                    also check the manifest signature
  coroner verify <case folder>     check a triage's files against their acquisition hashes;
                                   an interrupted triage is named incomplete
  coroner relaunch <container>     quarantine it (kept, stopped, networks cut, renamed) and
                                   start a hardened replacement from the original image id
      --dry-run                    print the plan and the equivalent docker run; change nothing
      --yes                        do not ask for confirmation (needed without a terminal)
      --no-evidence                commit an evidence image now if there is none (else refused)
      --keep-paused                pause the compromised container instead of stopping it
      --fresh-volumes              give the replacement new, empty volumes
      --cap-add CAP[,CAP]          capabilities to add back after --cap-drop ALL
      --user USER                  run as USER (default: a non-root user of the image)
      --tmpfs PATH[,PATH]          more writable tmpfs paths (derived from the triage otherwise)
      --memory MIB --pids N        limits (default 512 MiB, 256 processes)
  coroner --help | --version

<container> is a name, a full id or a unique id prefix.

Exit codes: 0 done (nothing suspicious / bundle intact), 3 suspicious findings
(medium or worse, or a host-level exposure), 4 bundle or case folder altered or incomplete,
1 error, 2 bad usage, 130 cancelled.
Engine: DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as for the docker CLI.`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  '--case-dir',
  '--case',
  '--log-lines',
  '--out',
  '--key',
  '--sign',
  '--cap-add',
  '--user',
  '--tmpfs',
  '--memory',
  '--pids',
]);

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (VALUE_FLAGS.has(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined)
          throw new UsageError(`${name} needs a value`, `Run coroner --help for the options.`);
        flags.set(name, value);
      } else {
        flags.set(name, true);
      }
    } else if (arg === '-h') {
      flags.set('--help', true);
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

function expectFlags(parsed: Parsed, allowed: string[]): void {
  for (const flag of parsed.flags.keys()) {
    if (!allowed.includes(flag))
      throw new UsageError(`unknown option ${flag}`, 'Run coroner --help for the options.');
  }
}

function oneContainer(parsed: Parsed, command: string): string {
  const [ref, ...extra] = parsed.positional;
  if (!ref)
    throw new UsageError(
      `${command} needs a container`,
      `Usage: coroner ${command} <container> (docker ps -a lists them).`,
    );
  if (extra.length)
    throw new UsageError(
      `${command} takes one container, got ${parsed.positional.length}`,
      'Name one container.',
    );
  return ref;
}

export interface Io {
  out: (text: string) => void;
  /**
   * Opens the interactive console (ui/), when there is a terminal for it. Injected by
   * the executable so the engine never imports the UI.
   */
  openConsole?: (container: string | undefined, signal: AbortSignal) => Promise<number>;
  /** Asks a yes/no question on the terminal; absent without one. */
  ask?: (question: string) => Promise<boolean>;
  /** Streams a file to standard output, with backpressure. */
  outFile: (file: string) => Promise<void>;
  err: (text: string) => void;
  isErrTty: boolean;
}

export const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  outFile: (file) => pipeline(createReadStream(file), process.stdout, { end: false }),
  err: (text) => process.stderr.write(text),
  isErrTty: Boolean(process.stderr.isTTY),
  ...(process.stdin.isTTY
    ? {
        ask: async (question: string) => {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          try {
            return await new Promise<boolean>((resolve) => {
              // Ctrl-C at the prompt reaches readline as a key, not as a signal: it means no.
              rl.on('SIGINT', () => resolve(false));
              rl.on('close', () => resolve(false));
              rl.question(question).then(
                (answer) => resolve(/^y(es)?$/i.test(answer.trim())),
                () => resolve(false),
              );
            });
          } finally {
            rl.close();
          }
        },
      }
    : {}),
};

/** One command's run: its cancellation, and what to add to an error message if it fails. */
interface Run {
  signal: AbortSignal;
  /** Lines printed after the error line when the run fails or is cancelled. */
  onFailure: string[];
}

/** Triage events as stderr lines, and a note for the case folder a failure leaves incomplete. */
function triageEvents(parsed: Parsed, io: Io, run: Run): (e: TriageEvent) => void {
  const isShown = io.isErrTty || parsed.flags.has('--progress');
  let note: string | undefined;
  return (e) => {
    if (e.type === 'case') {
      note = `coroner: the case folder ${safeLine(e.caseDir, 500)} is incomplete (no report.json); \`coroner verify ${safeLine(e.caseDir, 500)}\` lists what it holds. Nothing in it was presented as a finished triage.`;
      run.onFailure.push(note);
      return;
    }
    // Finished: a later failure (of the export that asked for this triage) leaves it complete.
    if (e.type === 'phase' && e.phase === 'done' && note) {
      const at = run.onFailure.indexOf(note);
      if (at >= 0) run.onFailure.splice(at, 1);
    }
    if (isShown) io.err(progressLine(e));
  };
}

async function runTriage(parsed: Parsed, io: Io, run: Run): Promise<number> {
  expectFlags(parsed, ['--json', '--case-dir', '--log-lines', '--progress']);
  const ref = oneContainer(parsed, 'triage');
  const logLines = parsed.flags.get('--log-lines');
  const logTailLines = typeof logLines === 'string' ? Number(logLines) : 1000;
  if (!Number.isInteger(logTailLines) || logTailLines < 0) {
    throw new UsageError(
      `--log-lines must be a whole number, got ${JSON.stringify(logLines)}`,
      'For example --log-lines 5000.',
    );
  }
  const engine = await connectEngine();
  const caseDir = parsed.flags.get('--case-dir');
  const report = await triage(engine, ref, {
    ...(typeof caseDir === 'string' ? { caseDir } : {}),
    logTailLines,
    signal: run.signal,
    onEvent: triageEvents(parsed, io, run),
  });
  // --json prints the case folder's report.json: the same bytes the bundle will hold.
  if (parsed.flags.has('--json')) await io.outFile(path.join(report.caseDir, 'report.json'));
  else io.out(triageSummary(report).join('\n') + '\n');
  const suspicious =
    report.hostCompromise.isSuspected ||
    report.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.medium);
  return suspicious ? EXIT.suspicious : EXIT.clean;
}

async function runExport(parsed: Parsed, io: Io, run: Run): Promise<number> {
  expectFlags(parsed, [
    '--out',
    '--force',
    '--case',
    '--no-image',
    '--redact-env',
    '--sign',
    '--progress',
  ]);
  const { signal } = run;
  const ref = oneContainer(parsed, 'export');
  const engine = await connectEngine();
  const custody = new CustodyLog();
  const container = pickContainer(ref, await engine.listContainers());
  const explicitCase = parsed.flags.get('--case');
  const caseDir =
    typeof explicitCase === 'string'
      ? explicitCase
      : await findLatestCase(DEFAULT_CASES_ROOT, container.id);
  let report: TriageReport;
  if (caseDir) {
    report = await loadCaseReport(caseDir);
    if (report.container.id !== container.id) {
      throw new UsageError(
        `${caseDir} is a case of ${report.container.name}, not of ${container.name}`,
        'Name the matching container, or another --case.',
      );
    }
    const earlier = JSON.parse(
      await readFile(path.join(report.caseDir, 'custody.json'), 'utf8'),
    ) as Parameters<CustodyLog['adoptEarlier']>[0];
    custody.adoptEarlier(earlier);
    io.err(
      `coroner: exporting the case folder ${report.caseDir} (triage finished ${report.finishedAt})\n`,
    );
  } else {
    io.err(
      `coroner: no case folder for ${safeLine(container.name, 200)} under ./${DEFAULT_CASES_ROOT}; triaging first\n`,
    );
    report = await triage(engine, container.id, {
      signal,
      custody,
      onEvent: triageEvents(parsed, io, run),
    });
  }
  const out = parsed.flags.get('--out');
  const sign = parsed.flags.get('--sign');
  const result = await writeBundle(engine, report, {
    outPath:
      typeof out === 'string'
        ? out
        : `coroner-evidence-${evidenceRepo(container.name).split('/')[1]}-${utcStamp(new Date())}.tar.gz`,
    force: parsed.flags.has('--force'),
    includeImage: !parsed.flags.has('--no-image'),
    redactEnv: parsed.flags.has('--redact-env'),
    ...(typeof sign === 'string' ? { signingKeyPath: sign } : {}),
    custody,
    signal,
    onProgress: exportSteps(parsed, io),
  });
  io.out(
    [
      `Bundle:          ${result.path}`,
      `Files:           ${result.fileCount}, ${result.sizeBytes} bytes compressed`,
      `Manifest sha256: ${result.manifestSha256}`,
      `Evidence image:  ${result.isImageIncluded ? 'included (docker load < evidence-image.tar)' : `not included: ${safeLine(result.imageNote ?? `it stays on the engine as ${report.evidence.repo}:${report.evidence.tag}`, 1000)}`}`,
      ...(result.signing
        ? [
            `Signed:          Ed25519${result.signing.isNewKey ? `, new key; public key written to ${result.signing.publicKeyPath}` : ''}`,
            result.signing.publicKeyPem.trim(),
          ]
        : []),
      `Check it later:  coroner verify ${result.path}${result.signing ? ' --key <public key>' : ''}`,
    ].join('\n') + '\n',
  );
  return EXIT.clean;
}

/** Each export step as a stderr line when it begins. */
function exportSteps(parsed: Parsed, io: Io): ((p: { step: string }) => void) | undefined {
  if (!io.isErrTty && !parsed.flags.has('--progress')) return undefined;
  let last: string | undefined;
  return ({ step }) => {
    if (step !== last) io.err(`coroner: ${step}\n`);
    last = step;
  };
}

async function runVerify(parsed: Parsed, io: Io): Promise<number> {
  expectFlags(parsed, ['--key']);
  const [bundle, ...extra] = parsed.positional;
  if (!bundle || extra.length)
    throw new UsageError(
      'verify takes one bundle or case folder',
      'Usage: coroner verify <bundle.tar.gz | case folder> [--key PUB]',
    );
  const key = parsed.flags.get('--key');
  const verifyOpts = typeof key === 'string' ? { publicKey: await loadPublicKey(key) } : {};
  let result: VerifyResult;
  if ((await stat(bundle).catch(() => undefined))?.isDirectory()) {
    if (await isBundleFolder(bundle)) result = await verifyBundleFolder(bundle, verifyOpts);
    else {
      if (!(await isCaseFolder(bundle)))
        throw new UsageError(
          `${bundle} is a folder but neither an extracted bundle nor a coroner case folder`,
          'Name a bundle (.tar.gz), the folder it was extracted into, or a folder that `coroner triage` wrote.',
        );
      if (parsed.flags.has('--key'))
        throw new UsageError(
          'a case folder is not signed',
          'Leave --key out, or verify the bundle `coroner export` wrote from it.',
        );
      const check = await verifyCase(bundle);
      io.out(caseCheckText(bundle, check).join('\n') + '\n');
      return check.state === 'complete' && check.isIntact ? EXIT.clean : EXIT.tampered;
    }
  } else result = await verifyBundle(bundle, verifyOpts);
  const lines: string[] = [];
  const signature = {
    valid: 'signature valid',
    invalid: 'SIGNATURE INVALID',
    absent: 'not signed',
    'not-checked': 'signed; pass --key to check the signature',
    missing: 'NO SIGNATURE, though a key was given',
  }[result.signature];
  if (result.isIntact) {
    lines.push(
      `OK: ${bundle}: all ${result.manifest?.files.length ?? 0} files match the manifest (sha256); ${signature}`,
    );
  } else {
    lines.push(`FAILED: ${bundle} does not match its manifest; ${signature}`);
    for (const a of result.altered) {
      lines.push(
        `  altered: ${safeLine(a.path, 500)} (sha256 ${a.expectedSha256} expected, ${a.actualSha256} found; ${a.expectedSize} -> ${a.actualSize} bytes)`,
      );
    }
    for (const m of result.missing) lines.push(`  missing: ${safeLine(m, 500)}`);
    for (const x of result.extra) lines.push(`  extra:   ${safeLine(x, 500)}`);
    for (const d of result.duplicates) lines.push(`  twice:   ${safeLine(d, 500)}`);
    for (const f of result.forged) lines.push(`  forged:  ${safeLine(f.path, 500)} (${f.why})`);
  }
  io.out(lines.join('\n') + '\n');
  return result.isIntact ? EXIT.clean : EXIT.tampered;
}

function positiveInt(parsed: Parsed, flag: string, fallback: number): number {
  const raw = parsed.flags.get(flag);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n <= 0) {
    throw new UsageError(
      `${flag} must be a positive whole number, got ${JSON.stringify(raw)}`,
      `For example ${flag} 256.`,
    );
  }
  return n;
}

const list = (parsed: Parsed, flag: string): string[] => {
  const raw = parsed.flags.get(flag);
  return typeof raw === 'string'
    ? raw
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
};

async function runRelaunch(parsed: Parsed, io: Io, run: Run): Promise<number> {
  expectFlags(parsed, [
    '--dry-run',
    '--yes',
    '--no-evidence',
    '--keep-paused',
    '--fresh-volumes',
    '--cap-add',
    '--user',
    '--tmpfs',
    '--memory',
    '--pids',
  ]);
  const ref = oneContainer(parsed, 'relaunch');
  const engine = await connectEngine();
  const custody = new CustodyLog();
  const user = parsed.flags.get('--user');
  const prepared = await prepareRelaunch(
    engine,
    ref,
    {
      ...DEFAULT_RELAUNCH_OPTIONS,
      capAdd: list(parsed, '--cap-add').map((c) => c.toUpperCase()),
      tmpfs: list(parsed, '--tmpfs'),
      ...(typeof user === 'string' ? { user } : {}),
      memoryBytes:
        positiveInt(parsed, '--memory', DEFAULT_RELAUNCH_OPTIONS.memoryBytes / 2 ** 20) * 2 ** 20,
      pidsLimit: positiveInt(parsed, '--pids', DEFAULT_RELAUNCH_OPTIONS.pidsLimit),
      freshVolumes: parsed.flags.has('--fresh-volumes'),
    },
    custody,
    { casesRoot: DEFAULT_CASES_ROOT },
  );
  io.out(relaunchPlanText(prepared.plan, prepared.evidenceImages).join('\n') + '\n');
  if (parsed.flags.has('--dry-run')) {
    io.out('\nDry run: nothing was changed.\n');
    return EXIT.clean;
  }
  if (!parsed.flags.has('--yes')) {
    if (!io.ask)
      throw new UsageError(
        'relaunch needs confirmation and there is no terminal to ask',
        'Review the plan (--dry-run), then run again with --yes.',
      );
    if (!(await io.ask('\nQuarantine and relaunch now? [y/N] '))) {
      io.out('Nothing was changed.\n');
      return EXIT.clean;
    }
  }
  throwIfAborted(run.signal, 'the relaunch');
  // Stopping between the quarantine and the replacement would leave the service down.
  run.signal.addEventListener(
    'abort',
    () =>
      io.err(
        'coroner: the relaunch is not stopped halfway; it ends with the replacement running, or with what to do printed\n',
      ),
    { once: true },
  );
  const result = await executeRelaunch(engine, prepared, {
    allowNoEvidence: parsed.flags.has('--no-evidence'),
    keepPaused: parsed.flags.has('--keep-paused'),
    custody,
    caseDir: path.join(
      DEFAULT_CASES_ROOT,
      `${evidenceRepo(prepared.plan.container.name).split('/')[1]}-${utcStamp(new Date())}-relaunch`,
    ),
    onStep: (step) => io.err(`coroner: ${step}\n`),
  });
  io.out('\n' + relaunchResultText(result).join('\n') + '\n');
  return result.isRunning ? EXIT.clean : EXIT.error;
}

function progressLine(e: TriageEvent): string {
  switch (e.type) {
    case 'phase':
      return `coroner: ${e.phase}${e.step ? ` (${e.step})` : ''}\n`;
    case 'progress':
      return e.phase === 'extract' && e.filesDone % 50 === 0
        ? `coroner: extracted ${e.filesDone}/${e.filesTotal} paths, ${e.bytes} bytes\n`
        : '';
    case 'problem':
    case 'case':
      return '';
  }
}

/**
 * The first SIGINT, SIGTERM or SIGHUP cancels the run, which then cleans up (unpauses the
 * container, removes its reader containers and temporary files). A second says so; a third
 * quits at once, whatever is left.
 */
function onStopSignals(controller: AbortController, io: Io): () => void {
  let count = 0;
  const handler = (name: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      io.err(
        `coroner: ${name} received: stopping (unpausing the container, removing temporary files)\n`,
      );
      controller.abort(new Error(`${name} received`));
    } else if (count === 2)
      io.err(
        `coroner: ${name}: still stopping (unpausing the container, removing temporary files); send it again to quit at once\n`,
      );
    else process.exit(EXIT.cancelled);
  };
  const names: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const name of names) process.on(name, handler);
  return () => {
    for (const name of names) process.off(name, handler);
  };
}

export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const controller = new AbortController();
  const run: Run = { signal: controller.signal, onFailure: [] };
  const stopListening = onStopSignals(controller, io);
  try {
    const parsed = parseArgs(argv);
    if (parsed.flags.has('--version')) {
      io.out(`coroner ${CORONER_VERSION}\n`);
      return EXIT.clean;
    }
    const [command, ...rest] = parsed.positional;
    if (parsed.flags.has('--help') || command === 'help') {
      io.out(HELP + '\n');
      return EXIT.clean;
    }
    const sub: Parsed = { positional: rest, flags: parsed.flags };
    switch (command) {
      case 'triage':
        return await runTriage(sub, io, run);
      case 'export':
        return await runExport(sub, io, run);
      case 'verify':
        return await runVerify(sub, io);
      case 'relaunch':
        return await runRelaunch(sub, io, run);
      case undefined:
        if (!io.openConsole) {
          throw new UsageError(
            'the interactive console needs a terminal',
            'Run `coroner triage <container>` for the scriptable summary.',
          );
        }
        return await io.openConsole(undefined, controller.signal);
      default:
        if (rest.length === 0 && parsed.flags.size === 0 && io.openConsole) {
          return await io.openConsole(command, controller.signal);
        }
        // No terminal (or options given): the triage summary stands in for the console.
        return await runTriage({ positional: [command, ...rest], flags: parsed.flags }, io, run);
    }
  } catch (e) {
    if (isCoronerError(e)) {
      // Messages quote paths, names and engine answers: attacker text, so escaped here, once.
      io.err(`coroner: ${safeLine(e.message, 2000)}. ${safeLine(e.hint, 2000)}\n`);
      for (const line of run.onFailure) io.err(line + '\n');
      return e.exitCode;
    }
    if (controller.signal.aborted) {
      io.err('coroner: cancelled; nothing half-written was kept.\n');
      for (const line of run.onFailure) io.err(line + '\n');
      return EXIT.cancelled;
    }
    throw e;
  } finally {
    stopListening();
  }
}
