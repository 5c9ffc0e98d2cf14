/**
 * Rules that rank one changed path by suspicion. Each rule is one small pure
 * function of the facts coroner gathered about the path, returning a reason a
 * responder understands, or nothing.
 */
import type { ChangeKind } from '../report/change.js';
import type { Finding, RuleHit } from '../report/finding.js';
import type { ContentType } from '../report/comparison.js';
import type { FileMeta } from '../report/file-meta.js';
import type { PackageEvidence } from '../report/package.js';
import type { PackageLink } from '../packages/package-index.js';
import { judgeWebShell, SERVER_SCRIPT } from './web-shell.js';
import { lowerPlaceFindings, packageFileModified, packagesInstalled } from './package-rules.js';
import { SEVERITY_RANK } from '../report/severity.js';
import { capabilityNames, ROOT_EQUIVALENT } from '../report/capabilities.js';
import { RULE_TECHNIQUE } from './attack.js';
import { RULE_SAMPLE_BYTES, type MiddleText } from './rule-budget.js';
import {
  decodedExecution,
  downloadAndExecute,
  minerConfig,
  phpShellContent,
  reverseShell,
} from './content-rules.js';
import { ircBot } from './irc-bot.js';
import { defacement } from './defacement.js';
import { fileInfector } from './file-infector.js';
import { hiddenBrowserScript } from './hidden-browser-script.js';
import { webServerRunsFiles } from './web-server-config.js';
import { disguisedProgram } from './disguised-program.js';
import {
  bootLoader,
  cronPersistence,
  dbusActivation,
  eventHook,
  gitConfigCommand,
  kernelModule,
  packageHook,
  pamChange,
  startupPersistence,
  sudoersChange,
  systemdPersistence,
  udevRule,
} from './persistence-rules.js';

export interface ChangeFacts {
  path: string;
  kind: ChangeKind;
  original?: FileMeta;
  current?: FileMeta;
  currentType?: ContentType;
  /** The start of the current content as text (for text-like files only). */
  currentText?: string;
  /** True when the file holds more than `currentText`: the rules' budget (rule-budget.ts) cut it. */
  isCurrentTextCut?: boolean;
  /**
   * The file's end, past `currentText`, judged as a text of its own (rule-budget.ts): the
   * rules run on it as on a file of that size, and the more severe verdict of each stands.
   */
  currentTextEnd?: string;
  /** Where `currentTextEnd` starts in the file (bytes). */
  currentTextTailFrom?: number;
  /** Windows of a long page's middle, each judged as `currentTextEnd` is (rule-budget.ts). */
  currentTextMiddles?: readonly MiddleText[];
  /** Where the rules' reading from the start stops, with the middle windows (bytes). */
  currentTextStartTo?: number;
  /**
   * True when `currentText` is a piece of a long file judged apart from its start (its end, a
   * window of its middle): the learned likeness, which knows whole pages and their starts,
   * does not judge it.
   */
  isPiece?: boolean;
  /** When the container was created (UTC ISO): a change cannot be older. */
  containerCreatedAt?: string;
  /** The time of the triage (UTC ISO), for timestamps set in the future. */
  now?: string;
  /** What the package databases say of this path, when one lists it. */
  package?: PackageEvidence;
  /** For a link: the package whose file list names it (dpkg lists links there, with no target). */
  packageLink?: PackageLink;
  /** For a package database file that changed: the packages it now lists that the image's did not. */
  packagesInstalledInContainer?: readonly string[];
  /** For dpkg's record of a package (its maintainer scripts, file list) installed in this container: the package. */
  recordOfPackageInstalledHere?: string;
}

export type ChangeRule = (facts: ChangeFacts) => RuleHit | undefined;

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const under = (p: string, ...dirs: string[]) => dirs.some((d) => p === d || p.startsWith(d + '/'));
const isWritten = (f: ChangeFacts) => f.kind !== 'D' && f.current !== undefined;
const isRegularFile = (m: FileMeta | undefined) => m?.type === 'file';

const WEB_ROOTS = [
  '/var/www',
  '/srv',
  '/usr/share/nginx',
  '/usr/local/apache2/htdocs',
  '/var/lib/tomcat',
  '/usr/local/tomcat/webapps',
  '/app/public',
  '/opt/app/public',
];
const WEB_DIR_HINT = /\/(htdocs|public_html|www|webapps|wwwroot|public|static|uploads)(\/|$)/;
const TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm'];
const SYSTEM_BIN_DIRS = [
  '/bin',
  '/sbin',
  '/usr/bin',
  '/usr/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
  '/lib',
  '/lib64',
  '/usr/lib',
  '/usr/lib64',
  '/usr/libexec',
];

export function isInWebRoot(path: string): boolean {
  return under(path, ...WEB_ROOTS) || WEB_DIR_HINT.test(path);
}

/** Server-side code that runs what a visitor sends (web-shell.ts says how it is judged). */
export const webShell: ChangeRule = (f) => judgeWebShell(f, isInWebRoot(f.path));

/**
 * A page served to visitors changed: defacement. A new file there is how every deployment
 * looks, so it is worth a look only when it is code the server runs; its content decides
 * whether it is a shell.
 */
export const webContentChanged: ChangeRule = (f) => {
  if (!isWritten(f) || !isRegularFile(f.current) || !isInWebRoot(f.path)) return undefined;
  if (f.kind === 'C')
    return { severity: 'high', reason: 'content served to visitors changed (defacement?)' };
  return SERVER_SCRIPT.test(f.path)
    ? { severity: 'medium', reason: 'new server-side script in a web-served location' }
    : { severity: 'low', reason: 'new file in a web-served location' };
};

const isProgram = (f: ChangeFacts) =>
  (f.current!.mode & 0o111) !== 0 || f.currentType === 'elf' || f.currentType === 'script';
// What a file is, its type says of its start: a long file's middle and end are not read so.
const disguiseOf = (f: ChangeFacts) =>
  f.isPiece ? undefined : disguisedProgram(f.path, f.currentType, f.currentText);
const isExecutableFile = (f: ChangeFacts) =>
  isRegularFile(f.current) && (isProgram(f) || disguiseOf(f) !== undefined);

export const newExecutable: ChangeRule = (f) => {
  if (!isWritten(f) || !isRegularFile(f.current)) return undefined;
  const disguise = disguiseOf(f);
  if (disguise)
    return {
      severity: 'high',
      reason: `${disguise.program} ${f.kind === 'A' ? 'added' : 'written'} under the name of ${disguise.namedAs} (a payload or tool disguised)`,
      attack: 'T1036.008',
    };
  if (!isProgram(f)) return undefined;
  const what =
    f.currentType === 'elf'
      ? 'ELF binary'
      : f.currentType === 'script'
        ? 'script'
        : 'executable file';
  if (f.kind === 'A') {
    return under(f.path, ...TEMP_DIRS)
      ? {
          severity: 'critical',
          reason: `new ${what} in a world-writable temp directory (typical dropped payload)`,
        }
      : // Packages add scripts all the time; a dropped tool is usually a binary.
        {
          severity: f.currentType === 'elf' ? 'high' : 'medium',
          reason: `new ${what} that was not in the image`,
        };
  }
  const became = isRegularFile(f.original) && (f.original!.mode & 0o111) === 0;
  return became ? { severity: 'high', reason: `file became executable (${what})` } : undefined;
};

export const tempDirPayload: ChangeRule = (f) =>
  isWritten(f) && under(f.path, ...TEMP_DIRS) && f.path !== '/tmp'
    ? {
        severity: 'medium',
        reason: 'written to a world-writable temp directory, where payloads are usually staged',
      }
    : undefined;

export const setuidGained: ChangeRule = (f) => {
  if (!isWritten(f) || !f.current) return undefined;
  const gained = f.current.mode & ~(f.original?.mode ?? 0) & 0o6000;
  if (!gained || f.current.type === 'directory') return undefined;
  const bit = gained & 0o4000 ? 'setuid' : 'setgid';
  return {
    severity: 'critical',
    reason: `${bit} bit ${f.kind === 'A' ? 'on a new file' : 'gained'}: runs with its owner's privileges (uid ${f.current.uid ?? 'unknown'})`,
  };
};

/**
 * File capabilities set on a file: whoever runs it gets those privileges, without setuid
 * (python3 with cap_setuid is root for anyone). They live in an extended attribute that
 * `ls -l` does not show.
 */
export const capabilityGained: ChangeRule = (f) => {
  const now = f.current?.capabilities;
  if (!isWritten(f) || !now || now === f.original?.capabilities) return undefined;
  const rootLike = capabilityNames(now).filter((c) => ROOT_EQUIVALENT.has(c));
  return {
    severity: rootLike.length || !capabilityNames(now).length ? 'critical' : 'high',
    reason: `file capabilities ${f.kind === 'A' || !f.original?.capabilities ? 'set' : 'changed'}: ${now}${rootLike.length ? ` (${rootLike.join(', ')}: root for whoever runs it)` : ''}`,
    attack: 'T1548',
  };
};

const ACCOUNT_FILES = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'];

export const accountChange: ChangeRule = (f) => {
  if (!ACCOUNT_FILES.includes(f.path)) return undefined;
  if (f.path === '/etc/passwd' && f.currentText) {
    const root = f.currentText
      .split('\n')
      .filter((line) => line.split(':')[2] === '0')
      .map((line) => line.split(':')[0]);
    if (root.length > 1)
      return { severity: 'critical', reason: `more than one uid-0 account: ${root.join(', ')}` };
  }
  return {
    severity: 'high',
    reason: `account or privilege database ${f.kind === 'D' ? 'deleted' : 'modified'}`,
  };
};

export const sshAccess: ChangeRule = (f) => {
  const name = baseName(f.path);
  if (name === 'authorized_keys' || name === 'authorized_keys2') {
    return {
      severity: 'critical',
      reason: 'SSH authorized keys changed: someone can log in with their key',
    };
  }
  if (name === '.ssh' || under(f.path, '/etc/ssh'))
    return {
      severity: 'high',
      reason: 'SSH configuration or key folder changed',
      attack: name === '.ssh' ? 'T1098.004' : 'T1021.004',
    };
  return undefined;
};

export const preloadHijack: ChangeRule = (f) => {
  if (f.path === '/etc/ld.so.preload') {
    return {
      severity: 'critical',
      reason: 'ld.so.preload changed: a library is injected into every dynamically linked process',
    };
  }
  return f.path === '/etc/ld.so.conf' || under(f.path, '/etc/ld.so.conf.d')
    ? { severity: 'high', reason: 'library search path changed' }
    : undefined;
};

export const systemBinaryChanged: ChangeRule = (f) => {
  if (
    !under(f.path, ...SYSTEM_BIN_DIRS) ||
    f.current?.type === 'directory' ||
    f.original?.type === 'directory'
  )
    return undefined;
  if (f.kind === 'C') {
    const how =
      f.original?.type === 'symlink' && f.current?.type === 'file'
        ? ' (a link replaced by a file)'
        : '';
    return { severity: 'high', reason: `system binary or library replaced${how}` };
  }
  if (f.kind === 'D') return { severity: 'medium', reason: 'system binary or library deleted' };
  return { severity: 'medium', reason: 'new file in a system binary or library directory' };
};

export const hiddenName: ChangeRule = (f) =>
  f.kind === 'A' && baseName(f.path).startsWith('.') && !SHELL_HISTORY.test(baseName(f.path))
    ? { severity: 'medium', reason: 'hidden name (starts with a dot)' }
    : undefined;

const SHELL_HISTORY = /^\.(ash|bash|zsh|sh|mysql|psql|python)_history$|^\.history$/;

export const shellHistory: ChangeRule = (f) =>
  SHELL_HISTORY.test(baseName(f.path))
    ? {
        severity: 'medium',
        reason:
          f.kind === 'D'
            ? 'shell history deleted'
            : "shell history written: read it, it may show the attacker's commands",
      }
    : undefined;

export const logTampering: ChangeRule = (f) => {
  const isLog = under(f.path, '/var/log') || /\.log(\.\d+)?$/.test(f.path);
  if (!isLog || f.original?.type === 'directory' || f.current?.type === 'directory')
    return undefined;
  if (f.kind === 'D') return { severity: 'high', reason: 'log deleted: evidence removal' };
  const shrank =
    isRegularFile(f.original) &&
    isRegularFile(f.current) &&
    f.current!.sizeBytes < f.original!.sizeBytes;
  return shrank ? { severity: 'medium', reason: 'log shrank: truncated or edited' } : undefined;
};

const SENSITIVE_TARGET =
  /^\/(etc\/(shadow|gshadow|passwd|sudoers)|root|proc|sys|dev|var\/run\/docker\.sock|run\/docker\.sock)(\/|$)/;

/**
 * Where a link at `path` leads, as an absolute path; undefined when it climbs above `/`
 * (inside the container the climb stops at its root; a host tool reading the layer's folder
 * is led out of it).
 */
export function linkDestination(path: string, target: string): string | undefined {
  const parts = target.startsWith('/') ? [] : path.split('/').filter(Boolean).slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return undefined;
  }
  return '/' + parts.join('/');
}

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

/**
 * Who vouches for a link whose target stays inside what its package installed into: apk's
 * database (it checksums a link's target), or the dpkg package whose file list names the link
 * when the target lies in one of the second-level folders that list names (`/usr/share`).
 */
function linkVouchedFor(f: ChangeFacts, destination: string): string | undefined {
  const p = f.package;
  // apk checksums a link's target: a link it lists that matches is its very link.
  if (p?.verdict === 'matches')
    return `${p.manager} package ${p.package} installed this very link (per ${p.database === 'image' ? "the image's" : "the container's own"} package database)`;
  const link = f.packageLink;
  if (link && link.folders.some((d) => isUnder(destination, d)))
    return `dpkg package ${link.package} lists this link (its file list in ${link.database === 'image' ? "the image's" : "the container's own"} database), and it leads to ${destination}, inside ${link.folders.find((d) => isUnder(destination, d))}, where the package installs`;
  return undefined;
}

const extensionOf = (p: string) => /\.[^./]{1,16}$/.exec(baseName(p))?.[0].toLowerCase() ?? '';

/**
 * The site folder a web-served path belongs to: its web root and the folder below it
 * (`/var/www/html`, `/srv/app`), or undefined outside the web roots.
 */
function siteOf(path: string): string | undefined {
  const root = WEB_ROOTS.find((d) => under(path, d));
  if (!root) return undefined;
  const next = path.slice(root.length + 1).split('/')[0];
  return next && path.length > root.length + 1 + next.length ? `${root}/${next}` : undefined;
}

/**
 * A web application's own link that climbs with `..` yet stays in its site (`lib/x ->
 * ../vendor/x`, as phpIPAM ships them) and serves its destination under the same kind of
 * name. The read primitives stay high: a link leaving the site, one to a folder that holds it
 * (`up -> ..` serves the tree above the document root), and one renaming what it shows
 * (`cfg.txt -> ../wp-config.php` hands out the page's source instead of running it).
 */
function staysInSite(path: string, destination: string): string | undefined {
  const site = siteOf(path);
  if (!site || !under(destination, site)) return undefined;
  const folder = path.slice(0, path.lastIndexOf('/'));
  if (under(folder, destination)) return undefined;
  if (extensionOf(path) !== extensionOf(destination)) return undefined;
  return site;
}

/**
 * A link planted where a file was, or pointing at secrets or out of the root: a classic read
 * primitive. Packages link to shared files with `..` all the time (cacti, phpMyAdmin to
 * /usr/share/javascript): such a link, named by its package's records and staying inside the
 * package's folders, is low; one to secrets, to `/` or above it stays high whoever lists it.
 */
export const plantedSymlink: ChangeRule = (f) => {
  if (f.current?.type !== 'symlink' || f.kind === 'D') return undefined;
  const target = f.current.linkTarget ?? '';
  const wasLink = f.original?.type === 'symlink';
  const destination = linkDestination(f.path, target);
  const isSensitive =
    SENSITIVE_TARGET.test(target) ||
    destination === undefined ||
    destination === '/' ||
    SENSITIVE_TARGET.test(destination);
  if (isSensitive || target.split('/').includes('..')) {
    const vouched = isSensitive ? undefined : linkVouchedFor(f, destination!);
    if (vouched) return { severity: 'low', reason: `symlink to ${target}: ${vouched}` };
    const site = isSensitive || f.kind !== 'A' ? undefined : staysInSite(f.path, destination!);
    if (site)
      return {
        severity: 'medium',
        reason: `symlink to ${target}: it leads to ${destination}, inside the same site (${site}), under the same kind of name; no package database vouches for it`,
      };
    return {
      severity: 'high',
      reason: `symlink to ${target}${destination && destination !== target ? ` (${destination})` : ''}: whoever reads or serves this path reads that instead`,
    };
  }
  if (f.kind === 'C' && !wasLink)
    return {
      severity: 'high',
      reason: `a ${f.original?.type ?? 'file'} replaced by a symlink to ${target}`,
    };
  return undefined;
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** mtimes that cannot be true: before the container existed, or in the future (timestomping). */
export const impossibleTimestamp: ChangeRule = (f) => {
  const mtime = f.current?.mtime ? Date.parse(f.current.mtime) : NaN;
  if (Number.isNaN(mtime) || f.kind === 'D' || f.current?.type === 'directory') return undefined;
  if (f.now && mtime > Date.parse(f.now) + DAY_MS) {
    return {
      severity: 'medium',
      reason: `modification time ${f.current!.mtime} is in the future: timestamps were forged`,
    };
  }
  if (
    f.containerCreatedAt &&
    mtime < Date.parse(f.containerCreatedAt) - DAY_MS &&
    f.current?.type === 'file'
  ) {
    const same =
      f.original?.mtime === f.current?.mtime && f.original?.sizeBytes === f.current?.sizeBytes;
    if (!same)
      return {
        severity: 'medium',
        reason: `modification time ${f.current!.mtime} is before the container existed: timestamps were forged`,
      };
  }
  return undefined;
};

const CHURN_DIRS = ['/run', '/var/run', '/var/lock', '/run/lock', '/var/cache'];

/** The OCI layer format's whiteout prefix and opaque marker (see layers/whiteout.ts). */
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * A file named like an image-layer whiteout: the engine's own commit turns it into a
 * deletion (or, for the opaque marker, hides the folder's image content), so the evidence
 * image lacks it and shows something else gone; the engine then cannot save that image.
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 */
export const layerWhiteoutName: ChangeRule = (f) => {
  const name = baseName(f.path);
  if (f.kind === 'D' || !name.startsWith(WHITEOUT_PREFIX)) return undefined;
  const folder = f.path.slice(0, f.path.lastIndexOf('/')) || '/';
  const effect =
    name === OPAQUE_MARKER
      ? `hides everything the image has in ${folder}`
      : `deletes ${folder === '/' ? '' : folder}/${name.slice(WHITEOUT_PREFIX.length)}`;
  return {
    severity: 'high',
    reason: `named like an image-layer whiteout: a commit of this container ${effect} in the evidence image and drops this file, and the engine cannot save that image (anti-forensics); its content was read from the suspect itself`,
  };
};

/** A unix socket where services do not keep theirs: something listens there. */
export const listeningSocket: ChangeRule = (f) =>
  f.kind !== 'D' && f.current?.type === 'socket' && !under(f.path, ...CHURN_DIRS)
    ? {
        severity: 'medium',
        reason:
          'a new unix socket outside /run: a process listens on it (a control channel or relay); sockets have no content and are never in the evidence image, so see the process list for its owner',
      }
    : undefined;

/** Legitimate churn: what services write at every start. Ranks low, and says why. */
export const legitimateChurn: ChangeRule = (f) => {
  if (f.kind === 'D' || !under(f.path, ...CHURN_DIRS)) return undefined;
  if (f.current?.type === 'directory')
    return {
      severity: 'low',
      reason: 'runtime or cache directory: usually created by the service',
    };
  if (isExecutableFile(f)) return undefined;
  if (/\.(pid|lock|sock)$/.test(f.path) || under(f.path, '/var/lock', '/run/lock')) {
    return { severity: 'low', reason: 'pid or lock file: services write these at every start' };
  }
  if (under(f.path, '/var/cache'))
    return { severity: 'low', reason: 'cache file: applications refresh these' };
  return { severity: 'low', reason: 'runtime state under /run: usually written by the service' };
};

/**
 * A file longer than the content rules read: they judged its first 64 KiB (a page's middle
 * too, up to their budget) and its end, as far as they could read it, and what lies between
 * was not read by them. Said, so that a payload padded past the budget is never passed as
 * clean in silence; worth a look when the file is code.
 */
export const contentPastBudget: ChangeRule = (f) => {
  if (f.kind === 'D' || !f.isCurrentTextCut) return undefined;
  const isCode = f.currentType === 'script' || SERVER_SCRIPT.test(f.path);
  const size = f.current?.sizeBytes;
  const startTo = f.currentTextStartTo ?? RULE_SAMPLE_BYTES;
  const head =
    startTo === RULE_SAMPLE_BYTES
      ? `the first ${RULE_SAMPLE_BYTES / 1024} KiB`
      : `the first ${startTo} bytes`;
  return {
    severity: isCode ? 'low' : 'info',
    reason:
      f.currentTextTailFrom !== undefined && size !== undefined
        ? `the content rules read ${head} and the last ${size - f.currentTextTailFrom} bytes of this ${size}-byte file: the ${f.currentTextTailFrom - startTo} bytes between were not judged (read the stored file)`
        : `the content rules read only ${head} of this ${size ?? 'long'}-byte file: what follows was not judged (read the stored file)`,
  };
};

/** A piece of the file judged on its own (its end, a window of its middle) and where it lies. */
interface JudgedPiece {
  facts: ChangeFacts;
  where: string;
}

/** The pieces of a long file judged apart from its start (rule-budget.ts). */
function piecesOf(facts: ChangeFacts): JudgedPiece[] {
  const { currentTextEnd, currentTextMiddles, ...start } = facts;
  const size = facts.current?.sizeBytes;
  const pieces: JudgedPiece[] = (currentTextMiddles ?? []).map((m) => ({
    facts: { ...start, currentText: m.text, isPiece: true },
    where: `bytes ${m.from}–${m.to}`,
  }));
  if (currentTextEnd !== undefined)
    pieces.push({
      facts: { ...start, currentText: currentTextEnd, isPiece: true },
      where:
        size !== undefined && facts.currentTextTailFrom !== undefined
          ? `last ${size - facts.currentTextTailFrom} bytes`
          : 'end',
    });
  return pieces;
}

/** The start's verdict, unless a piece's is more severe (then said to come from there). */
function mostSevere(
  start: RuleHit | undefined,
  check: ChangeRule,
  pieces: readonly JudgedPiece[],
): RuleHit | undefined {
  let best = start;
  for (const piece of pieces) {
    const hit = check(piece.facts);
    if (hit && (!best || SEVERITY_RANK[hit.severity] > SEVERITY_RANK[best.severity]))
      best = { ...hit, reason: `${hit.reason} (in the file's ${piece.where})` };
  }
  return best;
}

/**
 * In order of how precisely a rule names what happened: when two rules rank a path alike,
 * the first one's reason is the one a responder reads first.
 */
export const CHANGE_RULES: Readonly<Record<string, ChangeRule>> = {
  'reverse-shell': reverseShell,
  'php-shell': phpShellContent,
  'web-shell': webShell,
  'web-server-config': webServerRunsFiles,
  'miner-config': minerConfig,
  'irc-bot': ircBot,
  defacement,
  'hidden-browser-script': hiddenBrowserScript,
  'file-infector': fileInfector,
  'decoded-exec': decodedExecution,
  'download-exec': downloadAndExecute,
  setuid: setuidGained,
  capability: capabilityGained,
  account: accountChange,
  'ssh-access': sshAccess,
  'ld-preload': preloadHijack,
  cron: cronPersistence,
  systemd: systemdPersistence,
  startup: startupPersistence,
  'package-hook': packageHook,
  pam: pamChange,
  sudoers: sudoersChange,
  udev: udevRule,
  dbus: dbusActivation,
  'boot-loader': bootLoader,
  'kernel-module': kernelModule,
  'event-hook': eventHook,
  'git-config': gitConfigCommand,
  'package-modified': packageFileModified,
  'system-binary': systemBinaryChanged,
  'web-content': webContentChanged,
  'new-executable': newExecutable,
  'temp-dir': tempDirPayload,
  'hidden-name': hiddenName,
  'shell-history': shellHistory,
  'log-tampering': logTampering,
  'planted-symlink': plantedSymlink,
  'listening-socket': listeningSocket,
  'impossible-timestamp': impossibleTimestamp,
  'layer-whiteout-name': layerWhiteoutName,
  'legitimate-churn': legitimateChurn,
  'packages-installed': packagesInstalled,
  'content-budget': contentPastBudget,
};

/** A rule's hit as a finding, with its ATT&CK technique (the rule's own, else its family's). */
export function withTechnique(rule: string, path: string, hit: RuleHit): Finding {
  const attack = hit.attack ?? RULE_TECHNIQUE[rule];
  return { rule, path, ...hit, ...(attack ? { attack } : {}) };
}

/** Every rule that fires for one path; a path no rule names still gets an "info" line. */
export function evaluateChange(facts: ChangeFacts): Finding[] {
  const findings: Finding[] = [];
  const pieces = piecesOf(facts);
  for (const [rule, check] of Object.entries(CHANGE_RULES)) {
    const hit = mostSevere(check(facts), check, pieces);
    if (hit) findings.push(withTechnique(rule, facts.path, hit));
  }
  // Churn is only churn when nothing else speaks against the file.
  const isOnlyChurn = findings.every((x) => x.rule === 'legitimate-churn' || x.severity === 'info');
  const kept = lowerPlaceFindings(
    facts,
    isOnlyChurn ? findings : findings.filter((x) => x.rule !== 'legitimate-churn'),
  );
  if (kept.length === 0)
    kept.push({
      rule: 'unclassified',
      path: facts.path,
      severity: 'info',
      reason: 'changed; no rule matched',
    });
  // Most severe first (stable: among equals, the more precise rule): the first is the headline.
  return kept.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}
