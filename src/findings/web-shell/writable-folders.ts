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

// Classic ASP: the subfolders of a folder walked or kept, and a file created whose error
// is read within the next three lines (the write test: `fso.CreateTextFile(d & "\t.tmp")`,
// then `If Err.Number <> 0`).
const WALKS_SUBFOLDERS =
  /\b(?:for\s+each\s+\w{1,40}\s+in|set\s+\w{1,40}\s*=)\s*[\w.()"]{0,80}\.SubFolders\b/i;
const CREATES_AND_READS_ERROR =
  /\.CreateTextFile\s*\([^\n]{0,100}\n(?:[^\n]{0,200}\n){0,2}[^\n]{0,100}\bErr\b/i;

/** True when the page scans folders for write access (see above). */
export function scansForWritableFolders(text: string, tainted: ReadonlySet<string>): boolean {
  if (WALKS_SUBFOLDERS.test(text) && CREATES_AND_READS_ERROR.test(text)) return true;
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
