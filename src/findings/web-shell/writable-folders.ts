/**
 * A writable-folder scanner: a page that walks the server's folders and reports which it can
 * write to, the step an intruder takes before dropping more files. Installers test a few
 * folders of their own by name; a scanner walks every folder below one the visitor names
 * (PHP), or every subfolder it finds, creating a file in each and reading the error (classic
 * ASP). Issue 27: these were caught only by their likeness to known shells, or not at all.
 */
import { blockEnd, callArgs } from './code-text.js';
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
  if (!/\.SubFolders\b/i.test(text) || !CREATES_AND_READS_ERROR.test(text)) return false;
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
    ...text.matchAll(/(?<=^|[:\n][ \t]{0,20})(?:(?:public|private)\s+)?(?:function|sub)\s+(\w{1,40})/gi),
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
    if (CREATES_AND_READS_ERROR.test(body)) return true;
    if (callsOneOf(body, writeTests)) return true;
  }
  return false;
}

/** True when the page scans folders for write access (see above). */
export function scansForWritableFolders(text: string, tainted: ReadonlySet<string>): boolean {
  if (aspScansSubfolders(text)) return true;
  if (!TESTS_WRITE.test(text)) return false;
  // PHP: a function that reads a folder, tests entries for write access and calls itself on
  // what it found, called elsewhere on a folder the visitor names.
  for (const f of [...text.matchAll(/\bfunction\s+(\w{1,40})\s*\(/g)].slice(0, MAX_FUNCTIONS)) {
    const brace = text.slice(f.index!, f.index! + 300).indexOf('{');
    if (brace < 0) continue;
    const open = f.index! + brace;
    const end = blockEnd(text, open);
    const body = text.slice(open, end);
    if (!READS_FOLDER.test(body) || !TESTS_WRITE.test(body)) continue;
    const calls = callsOf(text, f[1]!);
    const isInside = (at: number) => at > open && at < end;
    const isOnInput =
      calls.some((c) => isInside(c.index!)) &&
      calls
        .filter((c) => c.index! < f.index! || c.index! > end)
        .some((c) => carriesInput(callArgs(text, c.index! + c[0].length - 1)[0] ?? '', tainted));
    if (isOnInput) return true;
  }
  return false;
}
