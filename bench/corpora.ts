/**
 * The public material issue 27's measures read (bench/detection-heldout.ts) and the
 * likeness model is trained on (bench/train-likeness.ts): web-shell collections and
 * Debian packages, fetched by you under one folder and never committed, each on one side of
 * the split written here (docs/detection.md).
 *
 * DIR (default /work/corpora, or --corpora DIR) holds:
 *   shells/<owner>+<name>/   each collection, e.g. `git clone --depth 1
 *                            https://github.com/tennc/webshell shells/tennc+webshell`
 *   debs/tuning/*.deb, debs/heldout/*.deb   `apt-get download <package>` of each list
 * The packages are unpacked under DIR/benign/ on first use (dpkg-deb -x).
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { RULE_SAMPLE_BYTES } from '../src/findings/rule-budget.js';

const exec = promisify(execFile);
const args = process.argv.slice(2);
export const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
export const CORPORA = option('--corpora') ?? '/work/corpora';

/**
 * The split, by collection (docs/detection.md). v1 (2026-12-03, morning) held six collections
 * out; their misses were then read by class, so from split v2 (2026-12-03, before any v2 rule
 * change) they are tuning, and five collections never looked at are held out.
 */
const V1_TUNING = ['tennc+webshell', 'backlion+webshell', 'jvoisin+php-malware-finder'];
export const V1_HELDOUT = [
  'xl7dev+WebShell',
  'tdifg+WebShell',
  'BlackArch+webshells',
  'JohnTroony+php-webshells',
  'nikicat+web-malware-collection',
  'bartblaze+PHP-backdoors',
];
export const SHELL_SPLIT = {
  tuning: [...V1_TUNING, ...V1_HELDOUT],
  heldout: [
    'ysrc+webshell-sample',
    'tanjiti+webshellSample',
    'LandGrey+webshell-detect-bypass',
    'threedr3am+JSP-WebShells',
    'fa1c0n1+MyJSPWebshell',
  ],
  /**
   * Split v3's fresh held-out side: a collection first read after the likeness model was
   * trained and frozen (2026-12-03), measured once with it. Its files that are in either
   * side above are left out (deduplication runs in this order).
   */
  fresh: ['for-just-we+webshell_sample', 'HzieeC+WebshellDetectDataset'],
} as const;

/** Benign packages added to the held-out side with split v2 (reported on their own line too). */
export const BENIGN_V2 = [
  'phpsysinfo',
  'gosa',
  'phpliteadmin',
  'phpldapadmin',
  'php-horde-kronolith',
  'php-horde-turba',
  'php-horde-ingo',
  'php-htmlpurifier',
  'php-laravel-framework',
  'php-symfony-yaml',
  'smokeping',
  'ikiwiki',
  'sympa',
  'mono-xsp4-base',
  'nagvis',
  'php-sabre-vobject',
];

export type Side = keyof typeof SHELL_SPLIT;

/**
 * Benign server pages that come as loose files, not packages, on the fresh held-out side:
 * DIR/pages/<owner>+<name>/<language>/… (HzieeC/WebshellDetectDataset's `white` folders,
 * whose `.txt` files are renamed to their folder's language when fetched). They hold the
 * only classic ASP pages the measure has: Debian ships none.
 */
export const FRESH_PAGES = ['HzieeC+WebshellDetectDataset'];

const LANGUAGE: readonly [RegExp, string][] = [
  [/\.(?:php[3-7]?|phtml|inc)$/i, 'php'],
  [/\.jspx?$/i, 'jsp'],
  [/\.(?:aspx|ashx|asmx)$/i, 'aspx'],
  [/\.(?:asp|asa|cer)$/i, 'asp'],
  [/\.(?:pl|cgi|py)$/i, 'cgi'],
];
export const HEADLINE = ['php', 'jsp', 'aspx', 'asp'];

export const languageOf = (name: string) => LANGUAGE.find(([r]) => r.test(name))?.[1];

/** The start of a file, as much as the rules read, and its size. */
export async function sampleOf(file: string): Promise<{ sample: Buffer; sizeBytes: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, RULE_SAMPLE_BYTES + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { sample: buffer.subarray(0, bytesRead), sizeBytes: size };
  } finally {
    await handle.close();
  }
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Content as a duplicate check sees it: line ends and trailing blanks ignored. */
export function contentKey(buffer: Buffer): string {
  const text = buffer.toString('latin1').replace(/[ \t\r]+$/gm, '');
  return createHash('sha256').update(text).digest('hex');
}

export interface ShellFile {
  file: string;
  language: string;
  collection: string;
}

/** Each side's files, deduplicated by content, the tuning side first. */
export async function shellSets(): Promise<Record<Side, ShellFile[]>> {
  const seen = new Set<string>();
  const sets: Record<Side, ShellFile[]> = { tuning: [], heldout: [], fresh: [] };
  for (const side of ['tuning', 'heldout', 'fresh'] as const)
    for (const collection of SHELL_SPLIT[side]) {
      const dir = path.join(CORPORA, 'shells', collection);
      if (!existsSync(dir)) {
        console.log(`  (collection ${collection} not found under ${dir}: skipped)`);
        continue;
      }
      for (const file of await filesUnder(dir)) {
        const language = languageOf(file);
        if (!language) continue;
        const { sample } = await sampleOf(file);
        const key = contentKey(sample);
        if (seen.has(key)) continue;
        seen.add(key);
        sets[side].push({ file, language, collection });
      }
    }
  return sets;
}

/** Unpacks each .deb of a side once, under DIR/benign/<side>/<package>. */
export async function unpacked(side: Side): Promise<{ pkg: string; root: string }[]> {
  const debs = path.join(CORPORA, 'debs', side);
  if (!existsSync(debs)) return [];
  const out: { pkg: string; root: string }[] = [];
  for (const deb of (await readdir(debs)).filter((f) => f.endsWith('.deb')).sort()) {
    const pkg = deb.slice(0, deb.indexOf('_'));
    const root = path.join(CORPORA, 'benign', side, pkg);
    if (!existsSync(root)) {
      await mkdir(root, { recursive: true });
      await exec('dpkg-deb', ['-x', path.join(debs, deb), root]);
    }
    out.push({ pkg, root });
  }
  return out;
}
