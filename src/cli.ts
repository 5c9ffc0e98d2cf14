/**
 * Argument parsing and the non-interactive commands. The only engine-side
 * module that prints or exits.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { connectEngine } from './docker/engine.js';
import { CoronerError, UsageError, isCoronerError } from './errors.js';
import { triageSummary } from './present/triage-summary.js';
import { triage, type TriageEvent } from './triage.js';
import { SEVERITY_RANK } from './findings/severity.js';
import { CORONER_VERSION } from './version.js';

export const EXIT = { clean: 0, error: 1, usage: 2, suspicious: 3, cancelled: 130 } as const;

const HELP = `coroner ${CORONER_VERSION}: incident response for compromised Docker containers

Usage:
  coroner [<container>]            interactive console (not built yet: falls back to triage)
  coroner triage <container>       freeze evidence, list and rank what changed
      --json                       print the report as JSON (schema: docs/triage-schema.md)
      --case-dir DIR               where to keep this case's artifacts
                                   (default ./coroner-cases/<name>-<utc>)
      --log-lines N                keep the last N log lines (default 1000)
  coroner export <container>       evidence bundle (not built yet)
  coroner verify <bundle>          check an evidence bundle (not built yet)
  coroner relaunch <container>     quarantine and relaunch clean (not built yet)
  coroner --help | --version

<container> is a name, a full id or a unique id prefix.

Exit codes: 0 nothing suspicious, 3 suspicious findings (medium or worse, or a
host-level exposure), 1 error, 2 bad usage, 130 cancelled.
Engine: DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as for the docker CLI.`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['--case-dir', '--log-lines', '--out', '--key', '--sign']);

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
  /** Streams a file to standard output, with backpressure. */
  outFile: (file: string) => Promise<void>;
  err: (text: string) => void;
  isErrTty: boolean;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  outFile: (file) => pipeline(createReadStream(file), process.stdout, { end: false }),
  err: (text) => process.stderr.write(text),
  isErrTty: Boolean(process.stderr.isTTY),
};

async function runTriage(parsed: Parsed, io: Io, signal: AbortSignal): Promise<number> {
  expectFlags(parsed, ['--json', '--case-dir', '--log-lines']);
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
    signal,
    onEvent: io.isErrTty ? (e) => io.err(progressLine(e)) : undefined,
  });
  // --json prints the case folder's report.json: the same bytes the bundle will hold.
  if (parsed.flags.has('--json')) await io.outFile(path.join(report.caseDir, 'report.json'));
  else io.out(triageSummary(report).join('\n') + '\n');
  const suspicious =
    report.hostCompromise.isSuspected ||
    report.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.medium);
  return suspicious ? EXIT.suspicious : EXIT.clean;
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
      return '';
  }
}

function notBuilt(what: string, issue: number): never {
  throw new CoronerError(
    `${what} is not built yet (tracked in issue ${issue})`,
    'Use `coroner triage <container>` meanwhile; its case folder holds every artifact, hashed.',
  );
}

export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
        return await runTriage(sub, io, controller.signal);
      case 'export':
        return notBuilt('coroner export', 3);
      case 'verify':
        return notBuilt('coroner verify', 3);
      case 'relaunch':
        return notBuilt('coroner relaunch', 4);
      case undefined:
        return notBuilt('the interactive console (coroner with no container)', 5);
      default:
        // `coroner <container>`: the console is not built yet, so the triage summary stands in.
        io.err(
          'coroner: the interactive console is not built yet (issue 5); showing the triage summary.\n',
        );
        return await runTriage(
          { positional: [command, ...rest], flags: parsed.flags },
          io,
          controller.signal,
        );
    }
  } catch (e) {
    if (isCoronerError(e)) {
      io.err(`coroner: ${e.message}. ${e.hint}\n`);
      return e.exitCode;
    }
    if (controller.signal.aborted) {
      io.err('coroner: cancelled; nothing half-written was kept.\n');
      return EXIT.cancelled;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
