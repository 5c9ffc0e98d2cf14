/**
 * npm run bench -- lay-corpora [--corpora DIR] [--mirror DIR]: fetches and lays out the
 * public material bench/corpora.ts names, so the held-out measure and the likeness trainer
 * read the same files on any machine. Nothing of it is committed.
 *
 * Each web-shell collection is taken from GitHub (`git clone --depth 1 --bare`), or from
 * MIRROR/<owner>+<name>/repo when --mirror names a folder of bare clones; only the part of it
 * the split means is laid out (below). The benign packages come with `apt-get download`
 * (Debian 12's), into DIR/debs/<side>/; php-malware-finder's rules into DIR/pmf/data/ (the
 * comparison runs them with Debian's `yara`); the reverse and bind shell collections
 * bench/remote-shells.ts reads into DIR/remote-shells/; the hand-written applications into
 * DIR/handwritten/. A folder already laid out is left as it is.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  BENIGN_APPS,
  HANDWRITTEN_APPS,
  handwrittenDir,
  CORPORA,
  appDir,
  FRESH_PAGES,
  SHELL_REFS,
  SHELL_SPLIT,
  TUNING_ADDED,
  SURVEY_V8,
  isSurveyedShell,
  TUNING_PAGES,
  TUNING_PAGE_REFS,
  benignPackages,
  isTuningPage,
  option,
  tuningPageDir,
} from './corpora.js';
import { REMOTE_SHELL_SOURCES, remoteShellDir } from './remote-shell-sources.js';

const exec = promisify(execFile);
const MIRROR = option('--mirror');

/** The folders of a collection that hold its shells (the whole tree when not named). */
const SHELL_PARTS: Record<string, string[]> = {
  'jvoisin+php-malware-finder': ['data/samples'],
  'for-just-we+webshell_sample': ['train/webshell', 'test/webshell'],
  'HzieeC+WebshellDetectDataset': ['php/black', 'jsp/black', 'asp/black'],
  'fuzzdb-project+fuzzdb': ['web-backdoors'],
  // Its shells; `dataset/benign` is pages of unnamed origin, `dataset/cleaned` a processed copy.
  'gitcuongnguyen8797+webshell-detection-using-machine': ['dataset/sample', 'dataset/webshell'],
  // A shell tester's own code beside its samples.
  'Double-q1015+webshell_tester': ['shells', 'uncheck-shells'],
  // A Jekyll site around its PHP folder.
  'adilhyz+WebShell': ['PHP'],
  // Its shell folders; `Misc-Malwares-master` is mostly phishing kits and loaders' droppers.
  'HOANGANHNGO207+file-php-shell': [
    'php_malware',
    'php_1',
    'php_2',
    'Misc-Malwares-master/Emotet/webshells',
  ],
  // A detector's own test fixtures: its malicious ones only.
  'lzy756+webshells-detector': ['tests/fixtures/malicious'],
  // Captures of shells and backdoors; beside them the site's own plugins and themes, phishing
  // kits and mailers as uploaded, and a PHP package the analyst unpacked.
  'bediger4000+php-malware-analysis': ['webshells', 'backdoors'],
  // A detector's training data: its web shells (its `normal` pages are of unnamed origin).
  '0v3rW4tch+webshell_detect_cms': ['utils/train_data/webshell'],
  // Another's: its web shells (`normal` is of unnamed origin, `check` unlabelled).
  'Coldwave96+WebShell-AIHunter': ['Data/WebShell'],
  // A PHP detector: its own code beside the shells it is tested on.
  'cylab-be+webshell-detector': ['tests/res'],
  // Two detectors' test shells (robin1577's `F*` beside them are its harmless ones, NOT_SHELLS).
  'robin1577+webshell-detect': ['php/test'],
  'k0u5uk3+obfuscated-php-webshell-detector': ['t/malware'],
  // Split v6's: a detector's samples (its `sourcecode_*` are its own code, NOT_SHELLS), a
  // fixture folder of a shell client, and three datasets' web-shell folders.
  'w-32768+PHP-Webshell-Detection-via-Opcode-Analysis': ['samples'],
  'WangYihang+Webshell-Sniper': ['docker'],
  'goodpeanuts+webshell_bert_detect': [
    'dataset/manual/JoyChou93-webshell',
    'dataset/manual/oneoneplus-webshell',
    'dataset/manual/webshellpub-awsome-webshell',
  ],
  'mohammadfebrir+datasets': [
    'awsome-webshell',
    'webshells',
    'PHP-Malware-Collection',
    'training/malicious',
    'testing/malicious',
    'r57.php',
    'c99.php',
    'b374k.php',
    'kacak.asp',
    'aspcmd.asp',
  ],
  'Ku3n+WebShell-and-paper-reproduction-code': ['one', 'one-2', 'two', 'two-2'].flatMap((d) => [
    `${d}/php/shell`,
    `${d}/jsp/shell`,
  ]),
};
/** Benign pages of a collection (FRESH_PAGES), laid out under DIR/pages/. */
const PAGE_PARTS: Record<string, string[]> = {
  'HzieeC+WebshellDetectDataset': ['php/white', 'jsp/white', 'asp/white'],
};

const isCommit = (ref: string) => /^[0-9a-f]{40}$/.test(ref);

/** A bare git folder of the collection: the mirror's, or a shallow clone in `scratch`. */
async function gitDir(collection: string, scratch: string, ref?: string): Promise<string> {
  const mirrored = MIRROR && path.join(MIRROR, collection, 'repo');
  if (mirrored && existsSync(path.join(mirrored, '.git'))) return path.join(mirrored, '.git');
  if (mirrored && existsSync(mirrored)) return mirrored;
  const into = path.join(scratch, collection);
  const url = `https://github.com/${collection.replace('+', '/')}`;
  // A commit cannot be cloned shallow by name: the whole history is fetched for it.
  const shallow = ref && isCommit(ref) ? [] : ['--depth', '1', ...(ref ? ['--branch', ref] : [])];
  await exec('git', ['clone', '--quiet', ...shallow, '--bare', url, into]);
  return into;
}

/**
 * Writes the regular files of HEAD under `parts` (all when empty) into `into`, through one
 * `git cat-file --batch`. A blob the mirror lacks (a snapshot may leave its largest files
 * out) is skipped and counted; links are not laid out, and no name leaves `into`.
 */
async function extract(
  git: string,
  parts: string[],
  into: string,
  { ref = 'HEAD', keep = (_: string): boolean => true, withLinks = false } = {},
): Promise<void> {
  const { stdout } = await exec(
    'git',
    ['--git-dir', git, 'ls-tree', '-r', '-z', ref, '--', ...parts],
    {
      maxBuffer: 256 << 20,
    },
  );
  const blobs = stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, name] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
      const [mode, type, sha] = meta.split(' ');
      return { mode, type, sha: sha!, name };
    })
    .filter(
      (b) =>
        b.type === 'blob' &&
        (b.mode === '100644' || b.mode === '100755' || (withLinks && b.mode === '120000')),
    )
    .filter((b) => !path.isAbsolute(b.name) && !b.name.split('/').includes('..') && keep(b.name));
  const batch = spawn('git', ['--git-dir', git, 'cat-file', '--batch']);
  const reader = batchReader(batch.stdout);
  let missing = 0;
  for (const blob of blobs) {
    batch.stdin.write(`${blob.sha}\n`);
    const content = await reader.next();
    if (!content) {
      missing++;
      continue;
    }
    const file = path.join(into, blob.name);
    await mkdir(path.dirname(file), { recursive: true });
    // A link is made as it was committed (its target is never followed here); an executable
    // keeps its bit, as an image built from the tree would.
    if (blob.mode === '120000') await symlink(content.toString('utf8'), file);
    else await writeFile(file, content, { mode: blob.mode === '100755' ? 0o755 : 0o644 });
  }
  batch.stdin.end();
  if (missing) console.log(`    (${missing} files absent from ${git}: skipped)`);
}

/** Reads `git cat-file --batch` answers in order: a blob's bytes, or undefined when missing. */
function batchReader(out: NodeJS.ReadableStream) {
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  out.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    wake?.();
  });
  out.on('end', () => {
    ended = true;
    wake?.();
  });
  // git cat-file ending before it answered is an error, not a wait for ever.
  const more = () => {
    if (ended) throw new Error('git cat-file ended before answering');
    return new Promise<void>((resolve) => (wake = resolve));
  };
  return {
    async next(): Promise<Buffer | undefined> {
      let eol: number;
      while ((eol = buffered.indexOf(10)) < 0) await more();
      const header = buffered.subarray(0, eol).toString();
      if (header.endsWith(' missing')) {
        buffered = buffered.subarray(eol + 1);
        return undefined;
      }
      const size = Number(header.split(' ')[2]);
      while (buffered.length < eol + 1 + size + 1) await more();
      const content = Buffer.from(buffered.subarray(eol + 1, eol + 1 + size));
      buffered = buffered.subarray(eol + 1 + size + 1);
      return content;
    },
  };
}

/** Collections whose pages are `.txt` files in folders named for their language. */
const NAMED_BY_FOLDER = new Set(['HzieeC+WebshellDetectDataset']);

/**
 * HzieeC's dataset keeps each page as `<hash>.txt` in a folder named for its language:
 * renamed to that language's extension, so the measure knows what it is.
 */
async function nameByFolderLanguage(dir: string): Promise<void> {
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.txt')) continue;
    const language = path.relative(dir, e.parentPath).split(path.sep)[0];
    if (!['php', 'jsp', 'asp'].includes(language!)) continue;
    const from = path.join(e.parentPath, e.name);
    await rename(from, `${from.slice(0, -'.txt'.length)}.${language}`);
  }
}

async function layShells(scratch: string): Promise<void> {
  for (const collection of [...Object.values(SHELL_SPLIT).flat(), ...TUNING_ADDED]) {
    const into = path.join(CORPORA, 'shells', collection);
    const pagesInto = path.join(CORPORA, 'pages', collection);
    const wantsPages = FRESH_PAGES.includes(collection) && !existsSync(pagesInto);
    if (existsSync(into) && !wantsPages) continue;
    console.log(`  ${collection}`);
    const ref = SHELL_REFS[collection];
    const git = await gitDir(collection, scratch, ref);
    const renames = NAMED_BY_FOLDER.has(collection);
    if (!existsSync(into)) {
      await extract(git, SHELL_PARTS[collection] ?? [], into, ref ? { ref } : {});
      if (renames) await nameByFolderLanguage(into);
    }
    if (wantsPages) {
      await extract(git, PAGE_PARTS[collection] ?? [], pagesInto);
      if (renames) await nameByFolderLanguage(pagesInto);
    }
  }
  // Survey v8's collections, each at the commit it was surveyed at, its shells only.
  for (const surveyed of SURVEY_V8) {
    const into = path.join(CORPORA, 'shells', surveyed.collection);
    if (existsSync(into)) continue;
    console.log(`  ${surveyed.collection}`);
    const git = await gitDir(surveyed.collection, scratch, surveyed.commit);
    await extract(git, [], into, {
      ref: surveyed.commit,
      keep: (name) => isSurveyedShell(surveyed, name),
    });
  }
}

async function layTuningPages(scratch: string): Promise<void> {
  for (const collection of TUNING_PAGES) {
    const ref = TUNING_PAGE_REFS[collection];
    const into = tuningPageDir(collection);
    if (existsSync(into)) continue;
    console.log(`  ${collection} (pages)`);
    const git = await gitDir(collection, scratch, ref);
    // A shallow clone of one branch has it as HEAD; a mirror keeps every branch.
    const named = ref && MIRROR && git.startsWith(MIRROR) ? ref : 'HEAD';
    await extract(git, [], into, { ref: named, keep: isTuningPage });
  }
}

async function layApps(scratch: string): Promise<void> {
  for (const app of BENIGN_APPS) {
    const into = appDir(app);
    if (existsSync(into)) continue;
    console.log(`  ${app} (application)`);
    await extract(await gitDir(app, scratch), [], into, { withLinks: true });
  }
}

async function layHandwritten(scratch: string): Promise<void> {
  for (const app of [...HANDWRITTEN_APPS.tuning, ...HANDWRITTEN_APPS.heldout]) {
    const into = handwrittenDir(app);
    if (existsSync(into)) continue;
    console.log(`  ${app} (hand-written application)`);
    await extract(await gitDir(app, scratch), [], into, { withLinks: true });
  }
}

/**
 * php-malware-finder's PHP rules, beside which the held-out figures are given (`--pmf
 * DIR/pmf/data/php.yar`): its rules file and the whitelists it includes, without its samples.
 */
async function layPmfRules(scratch: string): Promise<void> {
  const into = path.join(CORPORA, 'pmf');
  if (existsSync(into)) return;
  console.log('  php-malware-finder rules');
  const git = await gitDir('jvoisin+php-malware-finder', scratch);
  await extract(git, ['data/php.yar', 'data/whitelist.yar', 'data/whitelists'], into);
}

async function layPackages(): Promise<void> {
  const sides = { tuning: benignPackages('tuning'), heldout: benignPackages('heldout') };
  for (const [side, packages] of Object.entries(sides)) {
    const into = path.join(CORPORA, 'debs', side);
    await mkdir(into, { recursive: true });
    const have = await readdir(into);
    const wanted = packages.filter((p) => !have.some((f) => f.startsWith(`${p}_`)));
    if (!wanted.length) continue;
    console.log(`  ${side}: apt-get download of ${wanted.length} packages`);
    await exec('apt-get', ['download', '-qq', ...wanted], { cwd: into, maxBuffer: 64 << 20 });
  }
}

/** The reverse and bind shell collections bench/remote-shells.ts reads, each at its commit. */
async function layRemoteShells(scratch: string): Promise<void> {
  for (const source of REMOTE_SHELL_SOURCES) {
    const into = remoteShellDir(source.collection);
    if (existsSync(into)) continue;
    console.log(`  ${source.collection} (remote shells)`);
    const git = await gitDir(source.collection, scratch, source.commit);
    await extract(git, source.parts, into, { ref: source.commit });
  }
}

const scratch = await mkdtemp(path.join(os.tmpdir(), 'coroner-corpora-'));
try {
  console.log(`Laying out the corpora under ${CORPORA}`);
  await layShells(scratch);
  await layTuningPages(scratch);
  await layApps(scratch);
  await layHandwritten(scratch);
  await layPmfRules(scratch);
  await layRemoteShells(scratch);
  await layPackages();
  console.log('Done: npm run bench -- detection --heldout reads them.');
} catch (e) {
  console.error(`lay-corpora: ${(e as Error).message.trim()}`);
  process.exitCode = 1;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
