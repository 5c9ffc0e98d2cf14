/**
 * npm run bench -- detection --heldout [--corpora DIR] [--pmf RULES] [--list tuning]:
 * issue 27's held-out measure, in process, without containers. Every file of the web-shell
 * collections and of the benign Debian packages is judged by the code the pipeline runs on
 * a changed file (`ruleText`, then `evaluateChange`), so thousands of files take seconds.
 * Which collection and which package is on which side (tuning or held out) is written in
 * docs/detection.md and below, and was decided before any rule was changed for the issue.
 *
 * The corpora and the split are bench/corpora.ts's (fetched by you, never committed).
 * --pmf RULES runs php-malware-finder's rules (its data/php.yar) with Debian's yara on the
 * same files, side by side. --list tuning prints the tuning side's misses and false alarms
 * (never the held-out side's shells: they stay a fair measure); --list heldout-benign prints
 * the held-out benign side's false alarms, which may be read to fix their cause; --only
 * tuning-shells measures the tuning side's shells alone, --only tuning-benign its pages,
 * packages and applications alone (no held-out figure printed in either), --only apps the
 * open-source applications of both sides as deployed in a web root (BENIGN_APPS) and the
 * hand-written ones (HANDWRITTEN_APPS, beginners' and small shops' procedural PHP). Each
 * figure is given with the rules alone beside it: the learned likeness's findings left out.
 * The held-out shells are also counted by what a blind audit found each to be
 * (bench/heldout-labels.tsv): working shells, other malice, fragments, benign files.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { evaluateChange, type ChangeFacts } from '../src/findings/change-rules.js';
import { contentFacts, type FilePiece, ruleText } from '../src/findings/rule-budget.js';
import type { Finding } from '../src/report/finding.js';
import type { FileMeta } from '../src/report/file-meta.js';
import { DatabaseReader } from '../src/packages/package-db.js';
import { PackageIndex } from '../src/packages/package-index.js';
import { LIKENESS_REASON } from '../src/findings/web-shell/likeness.js';
import { createReadStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  APPS_ADDED_V28,
  BENIGN_APPS,
  HANDWRITTEN_APPS,
  handwrittenDir,
  BENIGN_V2,
  appDir,
  appSide,
  CORPORA,
  FRESH_PAGES,
  TUNING_PAGES,
  isTuningPage,
  tuningPageDir,
  contentKey,
  filesUnder,
  holdsServerCode,
  languageOf,
  HEADLINE,
  SHELL_SPLIT,
  V1_HELDOUT,
  V2_HELDOUT,
  V3_FRESH,
  SURVEY_V8,
  V6_HELDOUT,
  option,
  sampleOf,
  shellSets,
  unpacked,
  type ShellFile,
  type Side,
} from './corpora.js';
import { NEAR, withNearCopies } from './near-copies.js';

const exec = promisify(execFile);
const HIGH = new Set(['high', 'critical']);

/** An added link as the layer's reader gives it: its target, never followed. */
const linkMeta = (target: string): FileMeta => ({
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  sizeBytes: target.length,
  linkTarget: target,
});

const fileMeta = (sizeBytes: number, mode = 0o644): FileMeta => ({
  type: 'file',
  mode,
  uid: 0,
  gid: 0,
  sizeBytes,
});

/** What the pipeline's analyseChange gives the rules for an added file (analyse-change.ts). */
function judgeAdded(
  at: string,
  meta: FileMeta,
  read: { sample: Buffer; end?: Buffer; middle?: FilePiece[] } | undefined,
  extra: Partial<ChangeFacts> = {},
): Finding[] {
  const judged = read ? ruleText(read.sample, meta.sizeBytes, read.end, read.middle) : undefined;
  return evaluateChange({ path: at, kind: 'A', current: meta, ...contentFacts(judged), ...extra });
}

const isHigh = (findings: readonly Finding[]) => findings.some((f) => HIGH.has(f.severity));
/** High by the rules alone: the learned likeness's findings left out (side by side). */
const isRuleHigh = (findings: readonly Finding[]) =>
  findings.some((f) => HIGH.has(f.severity) && !f.reason.startsWith(LIKENESS_REASON));

const headline = (findings: readonly Finding[]) => {
  const top = findings[0];
  return top ? `${top.severity} ${top.rule}: ${top.reason.slice(0, 160)}` : 'none';
};

// yara's own per-file limit (-a) did not stop one run whose worker hung for an hour on a
// file that scans in under a second alone: the whole run is bounded too.
const PMF_RUN_LIMIT_MS = 30 * 60 * 1000;

/** Files php-malware-finder's rules match (any rule), by running yara on a list of them. */
async function pmfMatches(rules: string, files: readonly string[]): Promise<Set<string>> {
  const list = path.join(os.tmpdir(), `coroner-pmf-${process.pid}.txt`);
  await writeFile(list, files.join('\n') + '\n');
  try {
    const { stdout } = await exec('yara', ['-w', '-a', '20', '--scan-list', rules, list], {
      maxBuffer: 256 * 1024 * 1024,
      timeout: PMF_RUN_LIMIT_MS,
      killSignal: 'SIGKILL',
    }).catch((e: { stdout?: string; killed?: boolean }) => {
      if (e.killed)
        console.log(
          `  (php-malware-finder's yara run stopped after ${PMF_RUN_LIMIT_MS / 60000} minutes: the php-malware-finder figure that follows is partial)`,
        );
      return { stdout: e.stdout ?? '' };
    });
    const hit = new Set<string>();
    for (const line of stdout.split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) hit.add(line.slice(space + 1));
    }
    return hit;
  } finally {
    await rm(list, { force: true });
  }
}

const pct = (n: number, d: number, digits = 1) =>
  d ? `${((100 * n) / d).toFixed(digits)}%` : 'n/a';

/**
 * What a blind audit found each held-out shell to be (bench/heldout-labels.tsv, by SHA-256):
 * read as text by helper sessions that were never shown a verdict, so the classes say how
 * much of the collections is web shells at all, and recall is given for each.
 */
type AuditClass = 'S' | 'M' | 'F' | 'B';
const AUDIT_CLASSES: Readonly<Record<AuditClass, string>> = {
  S: 'working web shells and backdoors',
  M: 'other malicious files (mailers, SEO spam, phishing, exploits, other languages)',
  F: 'fragments, templates, broken copies, saved output',
  B: 'benign, unrelated or empty files',
};
const LABELS = path.join(import.meta.dirname, 'heldout-labels.tsv');

async function auditLabels(): Promise<Map<string, AuditClass>> {
  const labels = new Map<string, AuditClass>();
  if (!existsSync(LABELS)) return labels;
  for (const line of (await readFile(LABELS, 'utf8')).split('\n')) {
    const [sha, label] = line.split('\t');
    if (sha && label && label in AUDIT_CLASSES) labels.set(sha, label as AuditClass);
  }
  return labels;
}

/** A file's SHA-256, read as a stream: a held-out file may be megabytes. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function auditedLines(audited: ReadonlyMap<AuditClass | 'unlabelled', { n: number; hit: number }>) {
  const row = (label: AuditClass | 'unlabelled', title: string) => {
    const r = audited.get(label);
    return r
      ? [
          `    ${label.padEnd(10)} ${String(r.hit).padStart(4)} / ${String(r.n).padEnd(5)} ${pct(r.hit, r.n).padStart(6)}   ${title}`,
        ]
      : [];
  };
  const s = audited.get('S') ?? { n: 0, hit: 0 };
  const m = audited.get('M') ?? { n: 0, hit: 0 };
  return [
    `  by a blind audit of what each file is (${path.basename(LABELS)}): working shells ${s.hit}/${s.n} = ${pct(s.hit, s.n)}; with other malice ${s.hit + m.hit}/${s.n + m.n} = ${pct(s.hit + m.hit, s.n + m.n)}`,
    ...(Object.entries(AUDIT_CLASSES) as [AuditClass, string][]).flatMap(([k, t]) => row(k, t)),
    ...row('unlabelled', 'not in the audit'),
  ];
}

async function measureShells(
  title: string,
  files: readonly ShellFile[],
  pmf?: Set<string>,
  nearCopies?: Set<string>,
  labels?: ReadonlyMap<string, AuditClass>,
) {
  const lines: string[] = [];
  const by = new Map<string, { n: number; hit: number; rules: number; pmf: number }>();
  const apart = { n: 0, hit: 0, rules: 0 };
  // The headline's files that hold a start of server-side code, and those with none.
  const coded = { n: 0, hit: 0, rules: 0 };
  const bare = { n: 0, hit: 0 };
  const misses: string[] = [];
  const audited = new Map<AuditClass | 'unlabelled', { n: number; hit: number }>();
  for (const [i, s] of files.entries()) {
    const read = await sampleOf(s.file);
    const { sizeBytes } = read;
    const ext = path.extname(s.file).toLowerCase();
    const name = `s${String(i).padStart(5, '0')}${ext}`;
    const outside = judgeAdded(`/opt/collected/${name}`, fileMeta(sizeBytes), read);
    const served = judgeAdded(`/var/www/html/${name}`, fileMeta(sizeBytes), read);
    const found = isHigh(outside) && isHigh(served);
    const row = by.get(s.language) ?? { n: 0, hit: 0, rules: 0, pmf: 0 };
    row.n++;
    if (found) row.hit++;
    if (isRuleHigh(outside) && isRuleHigh(served)) row.rules++;
    if (nearCopies && HEADLINE.includes(s.language) && !nearCopies.has(s.file)) {
      apart.n++;
      if (found) apart.hit++;
      if (isRuleHigh(outside) && isRuleHigh(served)) apart.rules++;
    }
    if (HEADLINE.includes(s.language)) {
      const tally = (await holdsServerCode(s.file, s.language, read)) ? coded : bare;
      tally.n++;
      if (found) tally.hit++;
      if (tally === coded && isRuleHigh(outside) && isRuleHigh(served)) coded.rules++;
    }
    if (labels && HEADLINE.includes(s.language)) {
      const label = labels.get(await sha256Of(s.file)) ?? 'unlabelled';
      const tally = audited.get(label) ?? { n: 0, hit: 0 };
      tally.n++;
      if (found) tally.hit++;
      audited.set(label, tally);
    }
    if (!found) misses.push(`    ${path.relative(CORPORA, s.file)}: ${headline(outside)}`);
    if (pmf?.has(s.file)) row.pmf++;
    by.set(s.language, row);
  }
  const main = HEADLINE.map((l) => by.get(l) ?? { n: 0, hit: 0, rules: 0, pmf: 0 }).reduce(
    (a, r) => ({ n: a.n + r.n, hit: a.hit + r.hit, rules: a.rules + r.rules, pmf: a.pmf + r.pmf }),
  );
  // php-malware-finder's rules are PHP's: its figure is given on the PHP line only.
  const pmfText = (l: string, r: { n: number; pmf: number }) =>
    pmf && l === 'php' ? `   php-malware-finder (any rule) ${pct(r.pmf, r.n)}` : '';
  lines.push(
    `Web shells, ${title}: PHP+JSP+ASPX+ASP ${main.hit}/${main.n} = ${pct(main.hit, main.n)} at high+ (rules alone ${pct(main.rules, main.n)})`,
  );
  if (nearCopies)
    lines.push(
      `  with no near copy on the tuning side (MinHash Jaccard of words < ${NEAR}): ${apart.hit}/${apart.n} = ${pct(apart.hit, apart.n)} (rules alone ${pct(apart.rules, apart.n)})`,
    );
  lines.push(
    `  holding server-side code (corpora.ts SERVER_CODE; ${bare.n} files with none set aside, ${bare.hit} of them high): ${coded.hit}/${coded.n} = ${pct(coded.hit, coded.n)} (rules alone ${pct(coded.rules, coded.n)})`,
  );
  if (labels) lines.push(...auditedLines(audited));
  for (const l of [...HEADLINE, 'cgi']) {
    const r = by.get(l);
    if (r)
      lines.push(
        `  ${l.padEnd(5)} ${String(r.hit).padStart(4)} / ${String(r.n).padEnd(5)} ${pct(r.hit, r.n).padStart(6)}   rules alone ${pct(r.rules, r.n).padStart(6)}${pmfText(l, r)}`,
      );
  }
  return { lines, misses };
}

const SERVER_SIDE = /\.(?:php\d?|phtml|inc|jspx?|aspx?|ashx|asmx|cgi|pl|py)$/i;

interface BenignTally {
  files: number;
  links: number;
  scripts: number;
  flaggedScripts: number;
  flaggedFiles: string[];
  /** Files the learned likeness alone ranks high (within flaggedFiles). */
  byLikeness: number;
  flaggedLinks: string[];
  scriptPaths: string[];
  packages: number;
}

const emptyTally = (): BenignTally => ({
  files: 0,
  links: 0,
  scripts: 0,
  flaggedScripts: 0,
  flaggedFiles: [],
  byLikeness: 0,
  flaggedLinks: [],
  scriptPaths: [],
  packages: 0,
});

/** One benign file counted: a script's path kept for php-malware-finder, a false alarm listed. */
function countFile(
  t: BenignTally,
  full: string,
  isScript: boolean,
  label: string,
  findings: readonly Finding[],
  byLikeness: boolean,
) {
  t.files++;
  if (isScript) {
    t.scripts++;
    t.scriptPaths.push(full);
  }
  if (!isHigh(findings)) return;
  t.flaggedFiles.push(`    ${label}: ${headline(findings)}`);
  if (isScript) t.flaggedScripts++;
  if (byLikeness) t.byLikeness++;
}

async function benignLine(
  title: string,
  t: BenignTally,
  pmfRules?: string,
  unit = 'Debian 12 packages',
) {
  const pmf = pmfRules ? await pmfMatches(pmfRules, t.scriptPaths) : undefined;
  const { files, links, scripts, flaggedScripts } = t;
  const ff = t.flaggedFiles.length;
  const fl = t.flaggedLinks.length;
  return `${title === 'tuning' || title === 'held out' ? 'Benign, ' : ''}${title} (${t.packages} ${unit}): ${ff} of ${files} files at high+ (${pct(ff, files, 2)}; server-side scripts ${flaggedScripts} of ${scripts}, ${pct(flaggedScripts, scripts, 2)}), ${fl} of ${links} links (${pct(fl, links, 2)}); files and links together ${pct(ff + fl, files + links, 2)} (rules alone ${pct(ff + fl - t.byLikeness, files + links, 2)}; the likeness adds ${t.byLikeness})${pmf ? `; php-malware-finder ${pmf.size} of ${scripts} scripts (${pct(pmf.size, scripts, 2)})` : ''}`;
}

async function measureBenign(side: Side, pmfRules?: string) {
  const packages = await unpacked(side);
  const all = emptyTally();
  const v2 = emptyTally();
  for (const { pkg, root } of packages) {
    const tallies = BENIGN_V2.includes(pkg) ? [all, v2] : [all];
    for (const t of tallies) t.packages++;
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    // dpkg's file list for the package: every path it unpacked, links and folders included.
    const pathOf = (e: { parentPath: string; name: string }) =>
      '/' + path.relative(root, path.join(e.parentPath, e.name));
    const index = dpkgLinkIndex(
      pkg,
      entries.map(pathOf),
      entries.filter((e) => e.isSymbolicLink()).map(pathOf),
    );
    for (const e of entries) {
      const full = path.join(e.parentPath, e.name);
      const at = '/' + path.relative(root, full);
      if (e.isSymbolicLink()) {
        const target = await readlink(full);
        const meta = linkMeta(target);
        const packageLink = index.linkOwner(at);
        const findings = judgeAdded(at, meta, undefined, packageLink ? { packageLink } : {});
        for (const t of tallies) {
          t.links++;
          if (isHigh(findings))
            t.flaggedLinks.push(`    ${pkg} ${at} -> ${target}: ${headline(findings)}`);
        }
        continue;
      }
      if (!e.isFile()) continue;
      const read = await sampleOf(full);
      const { sizeBytes } = read;
      const mode = (await lstat(full)).mode & 0o7777;
      const asInstalled = judgeAdded(at, fileMeta(sizeBytes, mode), read, dpkgFileFacts(pkg));
      let findings = asInstalled;
      const isScript = SERVER_SIDE.test(e.name);
      if (isScript) {
        const served = judgeAdded(`/var/www/html/${pkg}${at}`, fileMeta(sizeBytes), read);
        if (!isHigh(findings)) findings = served;
      }
      const byLikeness = !isRuleHigh(asInstalled) && !isRuleHigh(findings);
      for (const t of tallies) countFile(t, full, isScript, `${pkg} ${at}`, findings, byLikeness);
    }
  }
  const lines = [await benignLine(side === 'tuning' ? 'tuning' : 'held out', all, pmfRules)];
  if (side === 'heldout' && v2.packages)
    lines.push(`  of which ${await benignLine('the packages added with split v2', v2, pmfRules)}`);
  return { lines, tally: all, flagged: [...all.flaggedFiles, ...all.flaggedLinks] };
}

/**
 * The open-source applications of BENIGN_APPS on one side, as their official images deploy
 * them: each file and link added under /var/www/html/<app>/, with its mode and no package
 * database (analyseChange's facts for an added file). A false alarm is one ranked high or
 * above there.
 */
async function measureApps(side: 'tuning' | 'heldout', pmfRules?: string) {
  const apps = BENIGN_APPS.filter((a) => appSide(a) === side);
  const title = `Benign applications as deployed in a web root, ${side === 'tuning' ? 'tuning' : 'held out'}`;
  return measureDeployed(apps, appDir, title, 'open-source PHP applications', pmfRules);
}

/** The hand-written applications of one side (HANDWRITTEN_APPS), deployed as the others are. */
async function measureHandwritten(side: 'tuning' | 'heldout', pmfRules?: string) {
  const title = `Hand-written applications in a web root, ${side === 'tuning' ? 'tuning' : 'held out'}`;
  const unit = 'public beginner and small-shop PHP projects';
  return measureDeployed(HANDWRITTEN_APPS[side], handwrittenDir, title, unit, pmfRules);
}

async function measureDeployed(
  apps: readonly string[],
  dirOf: (app: string) => string,
  title: string,
  unit: string,
  pmfRules?: string,
) {
  const t = emptyTally();
  // The applications added in the twenty-eighth session, also on a line of their own.
  const added = emptyTally();
  for (const app of apps) {
    const root = dirOf(app);
    if (!existsSync(root)) continue;
    const isAdded = APPS_ADDED_V28.includes(app);
    const tallies = isAdded ? [t, added] : [t];
    for (const x of tallies) x.packages++;
    const web = `/var/www/html/${app.slice(app.indexOf('+') + 1).toLowerCase()}`;
    for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
      const full = path.join(e.parentPath, e.name);
      const at = path.posix.join(web, path.relative(root, full).split(path.sep).join('/'));
      if (e.isSymbolicLink()) {
        const target = await readlink(full);
        const findings = judgeAdded(at, linkMeta(target), undefined);
        for (const x of tallies) {
          x.links++;
          if (isHigh(findings))
            x.flaggedLinks.push(`    ${app} ${at} -> ${target}: ${headline(findings)}`);
        }
        continue;
      }
      if (!e.isFile()) continue;
      const read = await sampleOf(full);
      const mode = (await lstat(full)).mode & 0o7777;
      const findings = judgeAdded(at, fileMeta(read.sizeBytes, mode), read);
      for (const x of tallies)
        countFile(
          x,
          full,
          SERVER_SIDE.test(e.name),
          `${app} ${at}`,
          findings,
          !isRuleHigh(findings),
        );
    }
  }
  return {
    tally: t,
    added,
    lines: t.packages
      ? [
          await benignLine(title, t, pmfRules, unit),
          ...(added.packages
            ? [
                `  of which ${await benignLine('those added in the 28th session', added, undefined, unit)}`,
              ]
            : []),
        ]
      : [],
    flagged: [...t.flaggedFiles, ...t.flaggedLinks],
  };
}

/**
 * Loose benign pages (FRESH_PAGES held out, TUNING_PAGES tuning), deduplicated by content
 * within a side: each judged outside a web root
 * and in one, as the shells are; a false alarm is a page ranked high or above in either.
 */
async function measurePages(only?: readonly ('tuning' | 'fresh')[]) {
  const lines: string[] = [];
  const flagged: Record<'tuning' | 'fresh', string[]> = { tuning: [], fresh: [] };
  const sides = [
    {
      side: 'fresh' as const,
      title: `fresh held-out side (${FRESH_PAGES.join(', ')}, loose files)`,
      dirs: FRESH_PAGES.map((c) => path.join(CORPORA, 'pages', c)),
      keep: (_: string) => true,
    },
    {
      side: 'tuning' as const,
      title: `tuning side (split v4: ${TUNING_PAGES.length} open-source ASP, JSP and ASP.NET applications)`,
      dirs: TUNING_PAGES.map(tuningPageDir),
      keep: isTuningPage,
    },
  ];
  for (const { side, title, dirs, keep } of sides.filter((s) => !only || only.includes(s.side))) {
    const seen = new Set<string>();
    const by = new Map<string, { n: number; high: number; rules: number }>();
    let i = 0;
    for (const dir of dirs.filter((d) => existsSync(d)))
      for (const file of await filesUnder(dir)) {
        const language = languageOf(file);
        if (!language || !keep(file)) continue;
        const read = await sampleOf(file);
        const { sample, sizeBytes } = read;
        const key = contentKey(sample);
        if (seen.has(key)) continue;
        seen.add(key);
        const name = `p${String(i++).padStart(5, '0')}${path.extname(file).toLowerCase()}`;
        const placed = [`/opt/collected/${name}`, `/var/www/html/${name}`].map((at) =>
          judgeAdded(at, fileMeta(sizeBytes), read),
        );
        const row = by.get(language) ?? { n: 0, high: 0, rules: 0 };
        row.n++;
        if (placed.some(isHigh)) {
          row.high++;
          flagged[side].push(
            `    ${path.relative(CORPORA, file)}: ${headline(placed.find(isHigh)!)}`,
          );
        }
        if (placed.some(isRuleHigh)) row.rules++;
        by.set(language, row);
      }
    if (!by.size) continue;
    const all = [...by.values()].reduce((a, r) => ({
      n: a.n + r.n,
      high: a.high + r.high,
      rules: a.rules + r.rules,
    }));
    lines.push(
      `Benign pages, ${title}: ${all.high} of ${all.n} at high+ (${pct(all.high, all.n, 2)}; rules alone ${pct(all.rules, all.n, 2)})`,
    );
    for (const [l, r] of [...by].sort())
      lines.push(
        `  ${l.padEnd(5)} ${String(r.high).padStart(4)} / ${String(r.n).padEnd(6)} ${pct(r.high, r.n, 2).padStart(7)}   rules alone ${pct(r.rules, r.n, 2).padStart(7)}`,
      );
  }
  return { lines, flagged };
}

/** A package's own file as the pipeline sees it once dpkg installed it in the container. */
function dpkgFileFacts(pkg: string): Partial<ChangeFacts> {
  return {
    package: {
      manager: 'dpkg',
      package: pkg,
      database: 'container',
      algorithm: 'md5',
      expected: '',
      verdict: 'matches',
    },
  };
}

/**
 * The package's links as the pipeline sees them once dpkg installed it in the container: its
 * file list (`<pkg>.list`, every path the package unpacked) read by the pipeline's reader
 * into the pipeline's index.
 */
function dpkgLinkIndex(pkg: string, listed: readonly string[], links: readonly string[]) {
  const index = new PackageIndex(links, false);
  const reader = new DatabaseReader({ manager: 'dpkg', kind: 'list', package: pkg });
  for (const line of listed) {
    const file = reader.line(line);
    if (file) index.add('container', file);
  }
  return index;
}

async function main() {
  const list = option('--list');
  const pmfRules = option('--pmf');
  const out: string[] = [`Held-out detection measure (in process; corpora ${CORPORA})`, ''];
  const say = (lines: string[]) => {
    console.log(lines.join('\n'));
    out.push(...lines);
  };
  const only = option('--only');
  // --only tuning-shells: the tuning side's shells alone, so a rule can be checked against
  // them (with --list tuning) without reading a held-out figure.
  const tuningOnly = only === 'tuning-shells';
  if (!only || only === 'webshells' || tuningOnly) {
    const sets = await shellSets();
    const all: [string, Side, ShellFile[]][] = [
      [`tuning (${SHELL_SPLIT.tuning.join(', ')})`, 'tuning', sets.tuning],
      [
        `of which v1's held-out side, now tuning (${V1_HELDOUT.join(', ')})`,
        'tuning',
        sets.tuning.filter((s) => V1_HELDOUT.includes(s.collection)),
      ],
      [
        `of which v2's held-out side, tuning from split v5 (${V2_HELDOUT.join(', ')})`,
        'tuning',
        sets.tuning.filter((s) => V2_HELDOUT.includes(s.collection)),
      ],
      [
        `of which v3's fresh side, tuning from split v7 (${V3_FRESH.join(', ')})`,
        'tuning',
        sets.tuning.filter((s) => V3_FRESH.includes(s.collection)),
      ],
      [
        `of which survey v8's, tuning (${SURVEY_V8.length} collections found 2026-12-06, after split v6 was judged)`,
        'tuning',
        sets.tuning.filter((s) => SURVEY_V8.some((c) => c.collection === s.collection)),
      ],
      [
        `held-out side, split v6 (${V6_HELDOUT.length} collections found 2026-12-06, judged first before any rule change)`,
        'heldout',
        sets.heldout,
      ],
    ];
    const groups = all.filter(([, side]) => !tuningOnly || side === 'tuning');
    for (const [title, side, files] of groups) {
      const pmf = pmfRules
        ? await pmfMatches(
            pmfRules,
            files.filter((s) => s.language === 'php').map((s) => s.file),
          )
        : undefined;
      const near =
        side !== 'tuning'
          ? await withNearCopies(
              files.map((s) => s.file),
              sets.tuning.filter((s) => HEADLINE.includes(s.language)).map((s) => s.file),
            )
          : undefined;
      const { lines, misses } = await measureShells(
        title,
        files,
        pmf,
        near,
        side === 'heldout' ? await auditLabels() : undefined,
      );
      say(lines);
      if (list === 'tuning' && side === 'tuning' && files === sets.tuning)
        say(['  misses:', ...misses]);
      say(['']);
    }
    // Held-out figures by collection: counts only, never the files.
    for (const collection of tuningOnly ? [] : [...SHELL_SPLIT.heldout, ...SHELL_SPLIT.fresh]) {
      const n = [...sets.heldout, ...sets.fresh].filter((s) => s.collection === collection).length;
      say([`  held-out ${collection}: ${n} files after deduplication`]);
    }
    say(['']);
  }
  // --only tuning-benign: the tuning side's pages and packages alone (no held-out figure).
  const tuningBenign = only === 'tuning-benign';
  if (!only || only === 'benign' || only === 'pages' || tuningBenign) {
    const { lines, flagged } = await measurePages(tuningBenign ? ['tuning'] : undefined);
    say(lines);
    if (list === 'heldout-benign')
      say(['  false alarms, fresh side:', ...flagged.fresh.slice(0, 400)]);
    if (list === 'tuning') say(['  false alarms, tuning pages:', ...flagged.tuning.slice(0, 3000)]);
    say(['']);
  }
  if (!only || only === 'benign' || only === 'apps' || tuningBenign)
    for (const side of tuningBenign ? (['tuning'] as const) : (['tuning', 'heldout'] as const)) {
      const packages = only === 'apps' ? undefined : await measureBenign(side, pmfRules);
      const apps = await measureApps(side, pmfRules);
      const handwritten = await measureHandwritten(side, pmfRules);
      say([...(packages?.lines ?? []), ...apps.lines, ...handwritten.lines]);
      // The issue's benign figure: every file and link of the side's packages and
      // applications together.
      if (packages && apps.tally.packages) {
        const [p, a] = [packages.tally, apps.tally];
        const flagged =
          p.flaggedFiles.length +
          p.flaggedLinks.length +
          a.flaggedFiles.length +
          a.flaggedLinks.length;
        const all = p.files + p.links + a.files + a.links;
        // The same without the applications added in the 28th session, as measured before.
        const n = apps.added;
        const before = flagged - n.flaggedFiles.length - n.flaggedLinks.length;
        const beforeAll = all - n.files - n.links;
        const h = handwritten.tally;
        const withHandwritten = flagged + h.flaggedFiles.length + h.flaggedLinks.length;
        const allWithHandwritten = all + h.files + h.links;
        say([
          `  packages and applications together: ${flagged} of ${all} files and links at high+ (${pct(flagged, all, 3)}); without those added in the 28th session ${before} of ${beforeAll} (${pct(before, beforeAll, 3)})`,
          `  with the hand-written applications (added in the 32nd session): ${withHandwritten} of ${allWithHandwritten} (${pct(withHandwritten, allWithHandwritten, 3)})`,
        ]);
      }
      // Benign false alarms may be read to fix their cause: the held-out packages' (as since
      // split v1), the tuning applications' and never the held-out applications' (split when
      // they were added); shells' misses only on the tuning side.
      if (list === side || (list === 'heldout-benign' && side === 'heldout'))
        say(['  false alarms:', ...(packages?.flagged ?? []).slice(0, 400)]);
      if (list === side && side === 'tuning')
        say([
          '  false alarms, applications:',
          ...apps.flagged,
          '  false alarms, hand-written applications:',
          ...handwritten.flagged,
        ]);
      say(['']);
    }
  await writeFile(path.join(os.tmpdir(), 'coroner-detection-heldout-last.txt'), out.join('\n'));
}

await main();
