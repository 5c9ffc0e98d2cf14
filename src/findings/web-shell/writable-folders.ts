/**
 * A writable-folder scanner: a page that walks the server's folders and reports which it can
 * write to, the step an intruder takes before dropping more files. Installers test a few
 * folders of their own by name; a scanner walks every folder below one the visitor names
 * (PHP), or every subfolder it finds, creating a file in each and reading the error (classic
 * ASP), or probing or reading each one's access rules (ASP.NET). Issue 27: these were caught only by their likeness to known shells, or not at all.
 */
import { blockEnd, callArgs, ownFunctions } from './code-text.js';
import { callsOf, carriesInput } from './request-flow.js';

const MAX_FUNCTIONS = 500;

// PHP: reading a folder, and testing an entry for write access.
const READS_FOLDER =
  /\b(?:opendir|scandir|glob|readdir)\s*\(|\bnew\s+(?:Recursive)?DirectoryIterator\b/;
const TESTS_WRITE = /\bis_writ(?:e)?able\s*\(/;

// Classic ASP: a loop over a folder's subfolders (`For Each d In f.SubFolders`, or over a
// name set to them), and a file created whose error is read soon after (the write test:
// `fso.CreateTextFile(d & "\t.tmp")`, then `If Err.Number <> 0`).
const SUBFOLDER_LOOP = /\bfor\s+each\s+(\w{1,40})\s+in\s+([\w.()"]{1,80})/gi;
const CREATES_AND_READS_ERROR = /\.CreateTextFile\b[^\n]{0,200}(?:\n[^\n]{0,200}){0,3}?\bErr\b/i;
const MAX_LOOPS = 200;

/** Where the VBScript loop whose body starts at `from` ends: its matching `Next`. */
function loopEnd(text: string, from: number, max = 5000): number {
  const statements = /(?<=^|[:\n][ \t]{0,20})(for|next)\b/gi;
  statements.lastIndex = from;
  let depth = 1;
  for (let m = statements.exec(text); m && m.index < from + max; m = statements.exec(text))
    if (m[1]!.toLowerCase() === 'for') depth++;
    else if (--depth === 0) return m.index;
  return Math.min(text.length, from + max);
}

/**
 * Classic ASP: a loop over subfolders that tests each for write access, itself or through a
 * Function or Sub of the page's own that does (an application's folder list and its own file
 * writer, apart, are not a scan).
 */
function aspScansSubfolders(text: string): boolean {
  if (!/\.SubFolders\b/i.test(text) || !/\.CreateTextFile\b/i.test(text)) return false;
  const subfolderNames = new Set(
    [...text.matchAll(/\bset\s+(\w{1,40})\s*=\s*[\w.()"]{0,80}\.SubFolders\b/gi)]
      .slice(0, MAX_LOOPS)
      .map((m) => m[1]!.toLowerCase()),
  );
  const ends = [...text.matchAll(/\bend\s+(?:function|sub)\b/gi)]
    .slice(0, 2000)
    .map((m) => m.index!);
  // A procedure's header starts its statement (`Exit Sub` and `End Sub` name none).
  const procedures = [
    ...text.matchAll(
      /(?<=^|[:\n][ \t]{0,20})(?:(?:public|private)\s+)?(?:function|sub)\s+(\w{1,40})/gi,
    ),
  ]
    .slice(0, MAX_LOOPS)
    .map((m) => {
      const end = ends.find((e) => e > m.index!) ?? text.length;
      return {
        name: m[1]!.toLowerCase(),
        body: text.slice(m.index!, Math.min(end, m.index! + 3000)),
      };
    });
  const callsOneOf = (code: string, names: ReadonlySet<string>) =>
    (code.match(/\w{1,40}/g) ?? []).some((w) => names.has(w.toLowerCase()));
  // Write tests: procedures that create a file and read the error, or call one that does (a
  // recursive walker testing the folder it was given, two calls deep at most).
  const writeTests = new Set(
    procedures.filter((p) => CREATES_AND_READS_ERROR.test(p.body)).map((p) => p.name),
  );
  for (let depth = 0; depth < 2; depth++)
    for (const p of procedures) if (callsOneOf(p.body, writeTests)) writeTests.add(p.name);
  for (const m of [...text.matchAll(SUBFOLDER_LOOP)].slice(0, MAX_LOOPS)) {
    const over = m[2]!;
    if (!/\.SubFolders$/i.test(over) && !subfolderNames.has(over.toLowerCase())) continue;
    const from = m.index! + m[0].length;
    const body = text.slice(from, loopEnd(text, from));
    // Within the loop the error may be read further on (a defacer writing index pages in
    // each subfolder, then counting its failures).
    if (/\.CreateTextFile\b/i.test(body) && /\bErr\b/i.test(body)) return true;
    if (callsOneOf(body, writeTests)) return true;
  }
  return false;
}

// ASP.NET: a file created under a folder's path and a constant name, then probed or closed
// at once (`File.Create(dir.FullName + "\\test").CanWrite`, `File.Create(temp +
// "\\Test").Close()` inside a try whose catch swallows the refusal).
const NET_PROBE_FILE =
  /\bFile\.Create(?:Text)?\s*\(\s*[\w.]{1,80}\s*\+\s*@?"[^"\n]{1,40}"\s*\)\s*\.\s*(?:CanWrite|Close)\b/g;
const NET_LOOP = /\b(?:foreach|while|for)\s*\(/g;
const NET_METHOD = /\b(?:void|bool|int|string)\s+(\w{1,40})\s*\(/g;

/**
 * The `{…}` block of a statement whose `(` is at `open` (a loop's or a method's header), as
 * [open, end]: none when its `)` is not followed by a `{` (a loop of one statement).
 */
function blockAfter(text: string, open: number): [number, number] | undefined {
  let depth = 0;
  for (let i = open; i < Math.min(text.length, open + 400); i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) {
      const brace = /^\s*\{/.exec(text.slice(i + 1, i + 41));
      if (!brace) return undefined;
      const at = i + brace[0].length;
      return [at, blockEnd(text, at, 20_000)];
    }
  }
  return undefined;
}

/**
 * ASP.NET: a write probe (above) run on each folder found: inside a loop's block, or inside
 * a method that calls itself (a recursive walk of `GetDirectories()`). Each loop's and
 * method's block is found once, the nearest MAX_LOOPS before the last probe.
 */
function netProbesEachFolder(text: string): boolean {
  if (!/\bFile\.Create/.test(text)) return false;
  const probes = [...text.matchAll(NET_PROBE_FILE)].slice(0, MAX_LOOPS).map((m) => m.index!);
  if (probes.length === 0) return false;
  const last = probes[probes.length - 1]!;
  const holdsProbe = (block: [number, number] | undefined): block is [number, number] =>
    !!block && probes.some((at) => block[0] < at && at < block[1]);
  const before = (re: RegExp) =>
    [...text.matchAll(re)].filter((m) => m.index! < last).slice(-MAX_LOOPS);
  for (const loop of before(NET_LOOP))
    if (holdsProbe(blockAfter(text, loop.index! + loop[0].length - 1))) return true;
  for (const method of before(NET_METHOD)) {
    const block = blockAfter(text, method.index! + method[0].length - 1);
    if (holdsProbe(block) && callsOf(text.slice(block[0], block[1]), method[1]!).length)
      return true;
  }
  return false;
}

// ASP.NET: a folder's access rules read (`d.GetAccessControl(…)`), and its subfolders listed.
const READS_ACCESS_RULES = /\.\s*GetAccessControl\s*\(/g;
const LISTS_SUBFOLDERS = /\.\s*(?:GetDirectories|EnumerateDirectories)\s*\(/;

/**
 * ASP.NET: each folder's access rules read as the folders are walked: inside a loop over a
 * folder's subfolders, or inside a method that lists them and calls itself on each (GetACL's
 * scan for the folders the site's account may write to). A page reading its own upload
 * folder's rules, and listing that folder apart, walks nothing.
 */
function netReadsEachFoldersRules(text: string): boolean {
  const reads = [...text.matchAll(READS_ACCESS_RULES)].slice(0, MAX_LOOPS).map((m) => m.index!);
  if (reads.length === 0 || !LISTS_SUBFOLDERS.test(text)) return false;
  const holdsRead = (block: [number, number] | undefined): block is [number, number] =>
    !!block && reads.some((at) => block[0] < at && at < block[1]);
  for (const loop of [...text.matchAll(NET_LOOP)].slice(0, MAX_LOOPS)) {
    const open = loop.index! + loop[0].length - 1;
    const header = callArgs(text, open).join(',');
    if (LISTS_SUBFOLDERS.test(header) && holdsRead(blockAfter(text, open))) return true;
  }
  for (const method of [...text.matchAll(NET_METHOD)].slice(0, MAX_LOOPS)) {
    const block = blockAfter(text, method.index! + method[0].length - 1);
    if (!holdsRead(block)) continue;
    const body = text.slice(block[0], block[1]);
    if (LISTS_SUBFOLDERS.test(body) && callsOf(body, method[1]!).length) return true;
  }
  return false;
}

/** True when the page scans folders for write access (see above). */
export function scansForWritableFolders(text: string, tainted: ReadonlySet<string>): boolean {
  if (aspScansSubfolders(text) || netProbesEachFolder(text) || netReadsEachFoldersRules(text))
    return true;
  if (!TESTS_WRITE.test(text)) return false;
  // PHP: a function that reads a folder, tests entries for write access and calls itself on
  // what it found, called elsewhere on a folder the visitor names.
  for (const { name, at, open, end, body } of ownFunctions(text, MAX_FUNCTIONS)) {
    if (!READS_FOLDER.test(body) || !TESTS_WRITE.test(body)) continue;
    const calls = callsOf(text, name);
    const isInside = (i: number) => i > open && i < end;
    const isOnInput =
      calls.some((c) => isInside(c.index!)) &&
      calls
        .filter((c) => c.index! < at || c.index! > end)
        .some((c) => carriesInput(callArgs(text, c.index! + c[0].length - 1)[0] ?? '', tainted));
    if (isOnInput) return true;
  }
  return false;
}
