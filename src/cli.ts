/**
 * Argument parsing and the non-interactive commands. The only engine-side
 * module that prints or exits. Each command is a table of its options (parsed
 * by node:util's parseArgs, the help made from the same tables) and a call of
 * one of the use cases in app/, which the console calls too. Each command loads
 * what it needs when it runs (imports below are the few small modules every run
 * uses): `--version` and `--help` load no pipeline, no engine client.
 */
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { pipeline } from 'node:stream/promises';
import { parseArgs as parseNodeArgs } from 'node:util';
import type { SourceChoice } from './app/open-source.js';
import type { TriageEvent } from './app/triage.js';
import type { VerifyResult } from './bundle/verify.js';
import { UsageError, isCoronerError, Cancelled } from './errors.js';
import { cut, forTerminal, safe, safeJson, safeLine, trusted } from './untrusted.js';
import { CORONER_VERSION } from './version.js';
import path from 'node:path';

export const EXIT = {
  clean: 0,
  error: 1,
  usage: 2,
  suspicious: 3,
  tampered: 4,
  cancelled: 130,
} as const;

interface OptionSpec {
  type: 'boolean' | 'string';
  /** For string options: what the value is, in the help (DIR, PATH, N…). */
  value?: string;
  help: string;
}

type Values = Record<string, string | boolean | undefined>;

interface Args {
  operands: string[];
  values: Values;
}

interface CommandSpec {
  /** `triage <container>`: the usage line after `coroner `. */
  usage: string;
  help: string;
  options: Record<string, OptionSpec>;
  run: (args: Args, io: Io, run: Run) => Promise<number>;
}

const SOURCE: Record<string, OptionSpec> = {
  'docker-root': {
    type: 'string',
    value: 'DIR',
    help: 'read a copied Docker data root (a dead box: its /var/lib/docker) instead of the live engine; no engine is contacted and nothing is written into DIR',
  },
  'containerd-root': {
    type: 'string',
    value: 'DIR',
    help: "with --docker-root: the copy of the host's containerd root (its /var/lib/containerd), where Docker's containerd image store keeps images and containers' files; found by itself beside the data root",
  },
  checkpoint: {
    type: 'string',
    value: 'FILE',
    help: "read a container checkpoint archive (the kubelet's /var/lib/kubelet/checkpoints/*.tar, or podman's --export) instead of an engine; it holds one container, so naming it is optional",
  },
  image: {
    type: 'string',
    value: 'FILE',
    help: "with --checkpoint: the container's image as a `docker save` or OCI layout archive, for the originals of changed files",
  },
  containerd: {
    type: 'string',
    value: '[ADDRESS]',
    help: "read containerd on this host through its gRPC API (a Kubernetes node: no Docker); ADDRESS is its socket (default CONTAINERD_ADDRESS, else /run/containerd/containerd.sock), the namespace CONTAINERD_NAMESPACE (default k8s.io); name a pod's container as namespace/pod/container",
  },
  'pod-logs': {
    type: 'string',
    value: 'DIR',
    help: "with --containerd: the kubelet's pod log folder (default /var/log/pods)",
  },
};

const PROGRESS: Record<string, OptionSpec> = {
  progress: { type: 'boolean', help: 'print each phase on stderr, also without a terminal' },
};

const TRIAGE_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'print the report as JSON (schema: docs/triage-schema.md)' },
  'case-dir': {
    type: 'string',
    value: 'DIR',
    help: "where to keep this case's artifacts (default ./coroner-cases/<name>-<utc>)",
  },
  'log-lines': { type: 'string', value: 'N', help: 'keep the last N log lines (default 1000)' },
  ...SOURCE,
  ...PROGRESS,
};

const COMMANDS: Record<string, CommandSpec> = {
  list: {
    usage: 'list',
    help: 'the containers the engine (or the copied data root) holds',
    options: { ...SOURCE },
    run: runList,
  },
  triage: {
    usage: 'triage <container>',
    help: 'freeze evidence, list and rank what changed',
    options: {
      ...TRIAGE_OPTIONS,
      rules: {
        type: 'string',
        value: 'PATH',
        help: 'also scan every stored file and recovered executable with these YARA rules (a file, or a folder of .yar/.yara files; needs yara)',
      },
      deep: {
        type: 'boolean',
        help: "where the container's writable layer cannot be read (a remote engine, not root): export its whole filesystem and the image's and compare them by content, to find same-size edits with their times put back (cost grows with the image)",
      },
      sarif: {
        type: 'string',
        value: 'FILE',
        help: 'also write the findings as SARIF 2.1.0, for code-scanning dashboards (a new file)',
      },
    },
    run: runTriage,
  },
  export: {
    usage: 'export <container>',
    help: 'write an evidence bundle (.tar.gz): case files, diffs, reports, evidence image, manifest, chain of custody',
    options: {
      out: {
        type: 'string',
        value: 'PATH',
        help: 'bundle path (default ./coroner-evidence-<name>-<utc>.tar.gz)',
      },
      force: { type: 'boolean', help: 'replace an existing file at --out' },
      case: {
        type: 'string',
        value: 'DIR',
        help: 'pack this case folder (default: the newest one for the container under ./coroner-cases, else triage first)',
      },
      'no-image': {
        type: 'boolean',
        help: 'leave the evidence image out (it stays on the engine)',
      },
      'redact-env': {
        type: 'boolean',
        help: "mask environment values in the inspect copies and the image's history",
      },
      ...SOURCE,
      sign: {
        type: 'string',
        value: 'KEY',
        help: 'sign the manifest with an Ed25519 key (PEM; made if missing)',
      },
      ...PROGRESS,
    },
    run: runExport,
  },
  verify: {
    usage: 'verify <bundle | case folder>',
    help: 'recompute every hash: a bundle (or the folder it was extracted into) against its manifest, where every entry must be a regular file it lists; a case folder against its acquisition hashes (an interrupted triage is named incomplete)',
    options: {
      key: { type: 'string', value: 'PUB', help: 'also check the manifest signature' },
    },
    run: runVerify,
  },
  relaunch: {
    usage: 'relaunch <container>',
    help: 'quarantine it (kept: paused, networks cut, killed, renamed) and start a hardened replacement from the original image id; with --containerd (a Kubernetes node), pause and keep its task and write a NetworkPolicy and a securityContext patch learnt from clean twins, with the kubectl commands to apply them',
    options: {
      containerd: SOURCE['containerd']!,
      'dry-run': {
        type: 'boolean',
        help: 'print the plan and the equivalent docker run; change nothing (the clean twins still run: they never touch the suspect)',
      },
      'no-learn': {
        type: 'boolean',
        help: 'run no clean twin: plan from the triage alone (user, capabilities and writable places are then not proven)',
      },
      yes: { type: 'boolean', help: 'do not ask for confirmation (needed without a terminal)' },
      force: {
        type: 'boolean',
        help: 'relaunch even when no clean twin came up with the plan (the replacement may not serve)',
      },
      'no-evidence': {
        type: 'boolean',
        help: 'commit an evidence image now if there is none (else refused)',
      },
      'keep-paused': {
        type: 'boolean',
        help: 'leave the compromised container paused instead of killing it',
      },
      'fresh-volumes': {
        type: 'boolean',
        help: 'give the replacement new volumes, filled from the image (the old ones are kept)',
      },
      'cap-add': {
        type: 'string',
        value: 'CAP[,CAP]',
        help: 'capabilities to add back after --cap-drop ALL (default: the fewest a clean twin needs)',
      },
      user: {
        type: 'string',
        value: 'USER',
        help: 'run as USER (default: the user it ran as, or a non-root user of the image when a clean twin proves it serves)',
      },
      tmpfs: {
        type: 'string',
        value: 'PATH[,PATH]',
        help: 'more writable tmpfs paths (learnt from clean twins and the triage otherwise)',
      },
      memory: { type: 'string', value: 'MIB', help: 'memory limit (default 512 MiB)' },
      pids: { type: 'string', value: 'N', help: 'process limit (default 256)' },
    },
    run: runRelaunch,
  },
};

/** Global options, accepted anywhere. */
const GLOBAL_OPTIONS: Record<string, OptionSpec & { short?: string }> = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', help: "coroner's version" },
};

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

/** The help, made from the command tables. */
export function helpText(): string {
  const column = 35;
  const row = (left: string, help: string) => {
    const pad = left.length >= column ? `${left}\n${' '.repeat(column)}` : left.padEnd(column);
    return pad + wrap(help, 90 - column, ' '.repeat(column)).join('\n');
  };
  const lines = [
    `coroner ${CORONER_VERSION}: incident response for compromised containers`,
    '',
    'Usage:',
    row(
      '  coroner [--docker-root DIR | --containerd [ADDRESS]] [<container>]',
      'interactive console (on a terminal; without one, the triage summary)',
    ),
  ];
  for (const command of Object.values(COMMANDS)) {
    lines.push(row(`  coroner ${command.usage}`, command.help));
    for (const [name, option] of Object.entries(command.options))
      lines.push(row(`      --${name}${option.value ? ` ${option.value}` : ''}`, option.help));
  }
  lines.push(
    row('  coroner --help | --version', ''),
    '',
    '<container> is a name, a full id or a unique id prefix; with --containerd, also namespace/pod/container.',
    '',
    'Exit codes: 0 done (nothing suspicious / bundle intact), 3 suspicious findings',
    '(medium or worse, or a host-level exposure), 4 bundle or case folder altered or incomplete,',
    '1 error, 2 bad usage, 130 cancelled.',
    'Engine: DOCKER_HOST (unix, tcp or ssh://user@host), DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as for the docker CLI; Podman through its Docker-compatible socket.',
  );
  return lines.map((l) => l.trimEnd()).join('\n');
}

/** Parses one command's arguments with its table; any other option is a usage error. */
export function parseCommandArgs(
  argv: readonly string[],
  options: Record<string, OptionSpec>,
): Args {
  try {
    const { values, positionals } = parseNodeArgs({
      args: withOptionalValues(argv, options),
      options: Object.fromEntries(
        Object.entries({ ...options, ...GLOBAL_OPTIONS }).map(([name, o]) => [
          name,
          { type: o.type, ...('short' in o && o.short ? { short: o.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    return { operands: positionals, values: values as Values };
  } catch (e) {
    // node:util says what was wrong ("Unknown option '--bogus'…"): that is the usage error.
    throw new UsageError(
      (e as Error).message.replace(/\.?\s*To specify a positional argument.*$/s, ''),
      'Run coroner --help for the options.',
    );
  }
}

/**
 * `--containerd` takes its address only when one follows (a path or unix://): otherwise it
 * is `--containerd=` (the default address) and the next word stays an operand.
 */
function withOptionalValues(
  argv: readonly string[],
  options: Record<string, OptionSpec>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const spec = options[arg.slice(2)];
    if (arg.startsWith('--') && spec?.value?.startsWith('[')) {
      const next = argv[i + 1];
      if (next !== undefined && /^(\/|unix:\/\/)/.test(next)) {
        out.push(`${arg}=${next}`);
        i++;
      } else out.push(`${arg}=`);
    } else out.push(arg);
  }
  return out;
}

function oneOperand(args: Args, command: string, what = 'container'): string {
  const [ref, ...extra] = args.operands;
  if (!ref)
    throw new UsageError(
      `${command} needs a ${what}`,
      `Usage: coroner ${COMMANDS[command]?.usage ?? command}${what === 'container' ? ' (docker ps -a lists them)' : ''}.`,
    );
  if (extra.length)
    throw new UsageError(
      `${command} takes one ${what}, got ${args.operands.length}`,
      `Name one ${what}.`,
    );
  return ref;
}

const text = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

function wholeNumber(values: Values, name: string, fallback: number, min: number): number {
  const raw = text(values, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `--${name} must be a ${min > 0 ? 'positive ' : ''}whole number, got ${JSON.stringify(raw)}`,
      `For example --${name} ${fallback}.`,
    );
  }
  return n;
}

const sourceChoice = (values: Values): SourceChoice => {
  const dockerRoot = text(values, 'docker-root');
  const containerdRoot = text(values, 'containerd-root');
  if (containerdRoot && !dockerRoot)
    throw new UsageError(
      '--containerd-root goes with --docker-root',
      "Name the copied Docker data root too: coroner --docker-root /copy/var/lib/docker --containerd-root /copy/var/lib/containerd. A containerd root alone (a Kubernetes node's) is not read as a dead box yet.",
    );
  const containerd = text(values, 'containerd');
  const podLogs = text(values, 'pod-logs');
  if (containerd !== undefined && dockerRoot)
    throw new UsageError(
      '--containerd and --docker-root name two sources',
      'Read a live containerd (--containerd) or a copied Docker data root (--docker-root), one at a time.',
    );
  if (podLogs !== undefined && containerd === undefined)
    throw new UsageError('--pod-logs goes with --containerd', 'Add --containerd [ADDRESS].');
  const checkpoint = text(values, 'checkpoint');
  const image = text(values, 'image');
  if ((image && !checkpoint) || (checkpoint && (dockerRoot || containerd !== undefined)))
    throw new UsageError(
      image && !checkpoint
        ? '--image goes with --checkpoint'
        : '--checkpoint names a source of its own',
      'Name one source: coroner triage --checkpoint FILE [--image IMAGE_TAR], or --docker-root DIR.',
    );
  if (checkpoint) return { checkpoint, ...(image ? { image } : {}) };
  if (containerd !== undefined)
    return { containerd, ...(podLogs !== undefined ? { podLogs } : {}) };
  return dockerRoot ? { dockerRoot, ...(containerdRoot ? { containerdRoot } : {}) } : {};
};

/** The container a command names; with --checkpoint it may go unnamed (the archive holds one). */
const subjectRef = (args: Args, command: string): string =>
  args.operands.length === 0 && text(args.values, 'checkpoint') ? '' : oneOperand(args, command);

/** The engine named by DOCKER_HOST, or a copied data root; its modules load now. */
async function openSource(
  choice: SourceChoice,
): Promise<Awaited<ReturnType<typeof import('./app/open-source.js').openSource>>> {
  return (await import('./app/open-source.js')).openSource(choice);
}

const list = (values: Values, name: string): string[] =>
  (text(values, name) ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export interface Io {
  out: (text: string) => void;
  /**
   * Opens the interactive console (ui/), when there is a terminal for it. Injected by
   * the executable so the engine never imports the UI.
   */
  openConsole?: (
    container: string | undefined,
    signal: AbortSignal,
    source: SourceChoice,
  ) => Promise<number>;
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
function triageEvents(args: Args, io: Io, run: Run): (e: TriageEvent) => void {
  const isShown = io.isErrTty || args.values['progress'] === true;
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

async function runList(args: Args, io: Io): Promise<number> {
  if (args.operands.length)
    throw new UsageError(
      'list takes no container',
      'Usage: coroner list [--docker-root DIR | --containerd [ADDRESS]].',
    );
  const [source, { containerListText }] = await Promise.all([
    openSource(sourceChoice(args.values)),
    import('./present/container-list.js'),
  ]);
  const containers = await source.listContainers();
  for (const line of containerListText(containers)) io.out(line + '\n');
  // A copied data root's container whose records are damaged is listed; why, in one line each.
  for (const c of containers.filter((c) => c.state === 'damaged'))
    io.err(`coroner: ${safeLine(c.id.slice(0, 12), 12)} is damaged: ${safeLine(c.status, 1000)}\n`);
  return EXIT.clean;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function runTriage(args: Args, io: Io, run: Run): Promise<number> {
  const ref = subjectRef(args, 'triage');
  const logTailLines = wholeNumber(args.values, 'log-lines', 1000, 0);
  // The pipeline's modules load while the engine answers its first requests.
  const loading = Promise.all([
    import('./app/triage.js'),
    import('./present/triage-summary.js'),
    import('./report/severity.js'),
  ]);
  loading.catch(() => undefined); // awaited below; a failure before that is the one reported
  const source = await openSource(sourceChoice(args.values));
  // Who the source is (the engine's version and info) is asked now, while the freeze runs,
  // not after it; the triage awaits the same answer, and a failure reaches it there.
  source.identity().catch(() => undefined);
  const [{ triage }, { triageSummary }, { SEVERITY_RANK }] = await loading;
  const caseDir = text(args.values, 'case-dir');
  const sarifPath = text(args.values, 'sarif');
  // Refused before the triage, not after it: nothing is overwritten, no work is lost.
  if (sarifPath && (await exists(sarifPath)))
    throw new UsageError(
      `--sarif ${sarifPath} exists`,
      'Name a new file, or move the old one away first.',
    );
  const rulesPath = text(args.values, 'rules');
  let yaraRules: string[] | undefined;
  if (rulesPath) {
    const { checkYaraRules, yaraRuleFiles } = await import('./findings/yara.js');
    yaraRules = await yaraRuleFiles(rulesPath);
    await checkYaraRules(yaraRules);
  }
  const report = await triage(source, ref, {
    ...(caseDir ? { caseDir } : {}),
    ...(yaraRules ? { yaraRules } : {}),
    ...(args.values['deep'] === true ? { deep: true } : {}),
    logTailLines,
    signal: run.signal,
    onEvent: triageEvents(args, io, run),
  });
  if (sarifPath) {
    const { sarifLog } = await import('./present/sarif.js');
    await writeFile(sarifPath, safeJson(sarifLog(report), 2) + '\n', { flag: 'wx' });
  }
  // --json prints the case folder's report.json: the same bytes the bundle will hold.
  if (args.values['json']) await io.outFile(path.join(report.caseDir, 'report.json'));
  else io.out(triageSummary(report).join('\n') + '\n');
  const suspicious =
    report.hostCompromise.isSuspected ||
    report.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.medium);
  return suspicious ? EXIT.suspicious : EXIT.clean;
}

async function runExport(args: Args, io: Io, run: Run): Promise<number> {
  const ref = subjectRef(args, 'export');
  // Each command loads what only it needs when it runs: a triage starts faster.
  const { exportContainer } = await import('./app/export.js');
  const source = await openSource(sourceChoice(args.values));
  const out = text(args.values, 'out');
  const caseDir = text(args.values, 'case');
  const sign = text(args.values, 'sign');
  const { report, bundle: result } = await exportContainer(source, ref, {
    ...(out ? { outPath: out } : {}),
    ...(caseDir ? { caseDir } : {}),
    ...(sign ? { signingKeyPath: sign } : {}),
    force: args.values['force'] === true,
    includeImage: args.values['no-image'] !== true,
    redactEnv: args.values['redact-env'] === true,
    signal: run.signal,
    onNote: (note) => io.err(`coroner: ${safeLine(note, 1000)}\n`),
    onTriageEvent: triageEvents(args, io, run),
    ...(exportSteps(args, io) ? { onProgress: exportSteps(args, io)! } : {}),
  });
  const evidence = report.evidence;
  const kept =
    evidence.kind === 'image'
      ? `it stays on the engine as ${evidence.repo}:${evidence.tag}`
      : 'the evidence is the copied data root itself';
  const bundle = cut(result.path, 1000);
  io.out(
    [
      safe`Bundle:          ${bundle}`,
      safe`Files:           ${result.fileCount}, ${result.sizeBytes} bytes compressed`,
      safe`Manifest sha256: ${result.manifestSha256}`,
      result.isImageIncluded
        ? 'Evidence image:  included (docker load < evidence-image.tar)'
        : safe`Evidence image:  not included: ${result.imageNote ?? kept}`,
      ...(result.signing
        ? [
            result.signing.isNewKey
              ? safe`Signed:          Ed25519, new key; public key written to ${result.signing.publicKeyPath}`
              : 'Signed:          Ed25519',
            result.signing.publicKeyPem.trim(),
          ]
        : []),
      safe`Check it later:  coroner verify ${bundle}${result.signing ? ' --key <public key>' : ''}`,
    ].join('\n') + '\n',
  );
  return EXIT.clean;
}

/** Each export step as a stderr line when it begins. */
function exportSteps(args: Args, io: Io): ((p: { step: string }) => void) | undefined {
  if (!io.isErrTty && args.values['progress'] !== true) return undefined;
  let last: string | undefined;
  return ({ step }) => {
    if (step !== last) io.err(safe`coroner: ${step}` + '\n');
    last = step;
  };
}

async function runVerify(args: Args, io: Io): Promise<number> {
  const [{ isBundleFolder, verifyBundle, verifyBundleFolder }, { isCaseFolder, verifyCase }] =
    await Promise.all([import('./bundle/verify.js'), import('./bundle/verify-case.js')]);
  const [{ loadPublicKey }, { caseCheckText }, { bundleCheckText }] = await Promise.all([
    import('./bundle/signing.js'),
    import('./present/case-check-text.js'),
    import('./present/bundle-check-text.js'),
  ]);
  const [bundle, ...extra] = args.operands;
  if (!bundle || extra.length)
    throw new UsageError(
      'verify takes one bundle or case folder',
      'Usage: coroner verify <bundle.tar.gz | case folder> [--key PUB]',
    );
  const key = text(args.values, 'key');
  const verifyOpts = key ? { publicKey: await loadPublicKey(key) } : {};
  let result: VerifyResult;
  if ((await stat(bundle).catch(() => undefined))?.isDirectory()) {
    if (await isBundleFolder(bundle)) result = await verifyBundleFolder(bundle, verifyOpts);
    else {
      if (!(await isCaseFolder(bundle)))
        throw new UsageError(
          `${bundle} is a folder but neither an extracted bundle nor a coroner case folder`,
          'Name a bundle (.tar.gz), the folder it was extracted into, or a folder that `coroner triage` wrote.',
        );
      if (key)
        throw new UsageError(
          'a case folder is not signed',
          'Leave --key out, or verify the bundle `coroner export` wrote from it.',
        );
      const check = await verifyCase(bundle);
      io.out(caseCheckText(bundle, check).join('\n') + '\n');
      return check.state === 'complete' && check.isIntact ? EXIT.clean : EXIT.tampered;
    }
  } else result = await verifyBundle(bundle, verifyOpts);
  io.out(bundleCheckText(bundle, result).join('\n') + '\n');
  return result.isIntact ? EXIT.clean : EXIT.tampered;
}

async function runRelaunch(args: Args, io: Io, run: Run): Promise<number> {
  const ref = oneOperand(args, 'relaunch');
  const [
    { planRelaunchOf, quarantinePodContainer, relaunchContainer },
    { relaunchPlanText, relaunchResultText, trialLine, podPlanText, podQuarantineText },
    { DEFAULT_RELAUNCH_OPTIONS },
    { CustodyLog },
  ] = await Promise.all([
    import('./app/relaunch.js'),
    import('./present/relaunch-text.js'),
    import('./relaunch/plan.js'),
    import('./case/custody.js'),
  ]);
  const { values } = args;
  const source = await openSource(sourceChoice(args.values));
  const custody = new CustodyLog();
  const user = text(values, 'user');
  const prepared = await planRelaunchOf(
    source,
    ref,
    {
      ...DEFAULT_RELAUNCH_OPTIONS,
      capAdd: list(values, 'cap-add').map((c) => c.toUpperCase()),
      tmpfs: list(values, 'tmpfs'),
      ...(user ? { user } : {}),
      memoryBytes:
        wholeNumber(values, 'memory', DEFAULT_RELAUNCH_OPTIONS.memoryBytes / 2 ** 20, 1) * 2 ** 20,
      pidsLimit: wholeNumber(values, 'pids', DEFAULT_RELAUNCH_OPTIONS.pidsLimit, 1),
      freshVolumes: values['fresh-volumes'] === true,
    },
    custody,
    undefined,
    {
      isEnabled: values['no-learn'] !== true,
      onTrial: (t) => io.err(safe`coroner: clean twin ${trusted(trialLine(t))}` + '\n'),
    },
  );
  const isPod = 'podPlan' in prepared;
  io.out(
    (isPod
      ? podPlanText(prepared)
      : relaunchPlanText(prepared.plan, prepared.evidenceImages, prepared)
    ).join('\n') + '\n',
  );
  if (values['dry-run']) {
    io.out('\nDry run: nothing was changed.\n');
    return EXIT.clean;
  }
  let allowUnproven = values['force'] === true;
  if (!values['yes']) {
    if (!io.ask)
      throw new UsageError(
        'relaunch needs confirmation and there is no terminal to ask',
        'Review the plan (--dry-run), then run again with --yes.',
      );
    const what = isPod
      ? 'Pause and keep the task, and write the NetworkPolicy and the patch'
      : 'Quarantine and relaunch';
    const question = prepared.unproven
      ? `\nNo clean twin came up with this plan (${safeLine(prepared.unproven, 300)}): the ${isPod ? 'patched pod' : 'replacement'} may not serve. ${what} anyway? [y/N] `
      : `\n${what} now? [y/N] `;
    if (!(await io.ask(question))) {
      io.out('Nothing was changed.\n');
      return EXIT.clean;
    }
    allowUnproven = true;
  }
  if (run.signal.aborted) throw new Cancelled('the relaunch');
  // Stopping between the quarantine and the replacement would leave the service down.
  run.signal.addEventListener(
    'abort',
    () =>
      io.err(
        'coroner: the relaunch is not stopped halfway; it ends with the replacement running, or with what to do printed\n',
      ),
    { once: true },
  );
  if ('podPlan' in prepared) {
    const result = await quarantinePodContainer(source, prepared, {
      custody,
      onStep: (step) => io.err(safe`coroner: ${step}` + '\n'),
    });
    io.out('\n' + podQuarantineText(result).join('\n') + '\n');
    return EXIT.clean;
  }
  const result = await relaunchContainer(source, prepared, {
    allowNoEvidence: values['no-evidence'] === true,
    keepPaused: values['keep-paused'] === true,
    custody,
    allowUnproven,
    onStep: (step) => io.err(safe`coroner: ${step}` + '\n'),
  });
  io.out('\n' + relaunchResultText(result).join('\n') + '\n');
  return result.isRunning ? EXIT.clean : EXIT.error;
}

function progressLine(e: TriageEvent): string {
  switch (e.type) {
    case 'phase':
      return safe`coroner: ${e.phase}${e.step ? ` (${e.step})` : ''}` + '\n';
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

/**
 * Every line to the person goes through here: formatters escape each untrusted value, and
 * whatever one of them left raw is shown as an escape still, never acted on by the terminal.
 */
function terminalIo(io: Io): Io {
  return {
    ...io,
    out: (text) => io.out(forTerminal(text)),
    err: (text) => io.err(forTerminal(text)),
  };
}

export async function main(argv: readonly string[], outerIo: Io = defaultIo): Promise<number> {
  const io = terminalIo(outerIo);
  const controller = new AbortController();
  const run: Run = { signal: controller.signal, onFailure: [] };
  const stopListening = onStopSignals(controller, io);
  try {
    const [first, ...rest] = argv;
    const named = first !== undefined ? COMMANDS[first] : undefined;
    if (first === 'help') {
      io.out(helpText() + '\n');
      return EXIT.clean;
    }
    // `coroner <container> [triage options]`: the console, or its summary without a terminal.
    const command = named ?? COMMANDS['triage']!;
    const args = parseCommandArgs(named ? rest : argv, command.options);
    if (args.values['version']) {
      io.out(`coroner ${CORONER_VERSION}\n`);
      return EXIT.clean;
    }
    if (args.values['help']) {
      io.out(helpText() + '\n');
      return EXIT.clean;
    }
    if (named) return await named.run(args, io, run);
    if (args.operands.length === 0) {
      if (!io.openConsole)
        throw new UsageError(
          'the interactive console needs a terminal',
          'Run `coroner triage <container>` for the scriptable summary.',
        );
      return await io.openConsole(undefined, controller.signal, sourceChoice(args.values));
    }
    const hasOptions = Object.keys(args.values).some((name) => !(name in SOURCE));
    if (args.operands.length === 1 && !hasOptions && io.openConsole)
      return await io.openConsole(args.operands[0], controller.signal, sourceChoice(args.values));
    // No terminal (or options given): the triage summary stands in for the console.
    return await runTriage(args, io, run);
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
