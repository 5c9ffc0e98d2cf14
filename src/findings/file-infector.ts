/**
 * A file infector: PHP or classic ASP code that walks a folder and writes into the pages it
 * finds there, and reads its own file, the code it spreads. PHP viruses prepend or append
 * themselves to every `.php` file of the folder (PHP.Faces, PHP.Rabow, PHP/Spider); a worm
 * of hacked sites plants itself in every page it can write; ASP viruses (ASP.Fine,
 * ASP.Silly) read their own script and write it over every `.asp` file of the web root.
 * Issue 27: they were missed, as a virus runs no command and reads no request. A build tool
 * that rewrites pages does not read its own file; a self-extracting installer reads its own
 * file and writes what it carries, but to names of its own, not to the names a folder
 * listing returns.
 */
import { posix } from 'node:path';
import type { ChangeRule } from './change-rules.js';
import { withoutComments } from './web-shell/comments.js';
import { aspServerCode, isClassicAsp } from './web-shell/classic-asp.js';

// A name a folder listing returns: `while (($f = readdir($d)) !== false)`, `foreach
// (glob('*.php') as $f)`, `foreach (scandir($dir) as $k => $f)`.
const LISTED_NAME =
  /\$(\w{1,40})\s*=\s*@?readdir\s*\(|\b(?:glob|scandir)\s*\([^;{]{0,200}?\bas\s+(?:\$\w{1,40}\s*=>\s*)?\$(\w{1,40})/g;
// Its own file, read, copied or kept in a variable: the path PHP runs, by constant or by the
// server's variables (`fopen(__FILE__, 'r')`, `$me = $_SERVER['SCRIPT_NAME'];`). An error's
// `'file' => __FILE__` or `dirname(__FILE__)` is no copy of the code.
const OWN_FILE =
  /\b(?:fopen|file_get_contents|file|readfile|copy|rename|fputs|fwrite)\s*\(\s*(?:\$\w{1,40}\s*,\s*)?@?(?:__FILE__|\$_SERVER\s*\[\s*["'](?:SCRIPT_FILENAME|SCRIPT_NAME|PHP_SELF)["']\s*\]|\$(?:SCRIPT_FILENAME|PHP_SELF)\b)\s*[,)]|(?<![=!<>.])=\s*@?(?:__FILE__|\$_SERVER\s*\[\s*["'](?:SCRIPT_FILENAME|SCRIPT_NAME|PHP_SELF)["']\s*\]|\$(?:SCRIPT_FILENAME|PHP_SELF)\b)\s*;/;
// A page's extension, as the infector tests the names it finds for it.
const PAGE_EXTENSION = /["'.](?:php\d?|html?|asp)["'\s)]/i;

/** How a listed name is opened for writing or written: fopen(…, 'w' or 'a' or 'r+'), file_put_contents(). */
function writesTo(text: string, name: string): boolean {
  const named = String.raw`[^;,()]{0,80}?\$${name}\b[^;,()]{0,80}?`;
  return new RegExp(
    String.raw`\bfopen\s*\(${named},\s*["'](?:[wa]|r\+)|\bfile_put_contents\s*\(${named},`,
  ).test(text);
}

/** True when PHP code reads its own file and writes into the pages a folder listing names. */
export function infectsFiles(text: string): boolean {
  if (!OWN_FILE.test(text) || !PAGE_EXTENSION.test(text)) return false;
  const names = new Set<string>();
  for (const m of text.matchAll(LISTED_NAME)) {
    names.add((m[1] ?? m[2])!);
    if (names.size >= 20) break;
  }
  return [...names].some((name) => writesTo(text, name));
}

// Classic ASP's folder listing (`For Each File In Folder.Files`), a listed file opened by its
// path (`fso.CreateTextFile(File.Path, True)`; `OpenTextFile(File.Path, 1)` opened to read).
const ASP_LISTED_FILE = /\bfor\s{1,20}each\s{1,20}(\w{1,40})\s{1,20}in\b[^\n]{0,200}?\bfiles\b/gi;
const ASP_OPENS_PATH =
  /\b(createtextfile|opentextfile)\s{0,20}\(\s{0,20}(\w{1,40})\s{0,20}\.\s{0,20}path\b\s{0,20}(,\s{0,20}1\b)?/gi;
// The page's own file opened: the script's full name, the path the server ran it from
// (`MapPath(Request.ServerVariables("SCRIPT_NAME"))`), or its own name given to MapPath.
const ASP_OPENS_OWN =
  /\b(?:scriptfullname\b|(?:opentextfile|mappath)\s{0,20}\(\s{0,20}(?:server\s{0,20}\.\s{0,20}mappath\s{0,20}\(\s{0,20})?request\s{0,20}\.\s{0,20}servervariables\s{0,20}\(\s{0,20}"(?:script_name|path_info|path_translated|url)")/i;
const ASP_MAPPED_NAME =
  /\bmappath\s{0,20}\(\s{0,20}"(?:[^"\n]{0,200}[\\/])?([^"\\/\n]{1,80}\.asp)"/gi;
const ASP_READS_WHOLE = /\.\s{0,20}readall\b/i;
const ASP_EXTENSION = /"\.?asp"/i;

/**
 * True when classic ASP code reads its own file whole and writes into the files a folder
 * lists, without reading them (a site-wide find-and-replace reads each page it rewrites; a
 * regenerator reads a template, not itself). `name` is the page's own file name.
 */
export function infectsAspFiles(code: string, name: string): boolean {
  if (!ASP_READS_WHOLE.test(code) || !ASP_EXTENSION.test(code)) return false;
  const own = name.toLowerCase();
  const opensOwn =
    ASP_OPENS_OWN.test(code) ||
    [...code.matchAll(ASP_MAPPED_NAME)].slice(0, 50).some((m) => m[1]!.toLowerCase() === own);
  if (!opensOwn) return false;
  const listed = new Set(
    [...code.matchAll(ASP_LISTED_FILE)].slice(0, 20).map((m) => m[1]!.toLowerCase()),
  );
  const opens = [...code.matchAll(ASP_OPENS_PATH)]
    .slice(0, 50)
    .filter((m) => listed.has(m[2]!.toLowerCase()));
  const isRead = (m: RegExpMatchArray) => /^opentextfile$/i.test(m[1]!) && m[3] !== undefined;
  return opens.some((m) => !isRead(m)) && !opens.some(isRead);
}

const PHP_FILE = /\.(?:php\d?|phtml|inc)$/i;

const infects = (path: string, text: string) =>
  PHP_FILE.test(path) || /<\?php/i.test(text)
    ? infectsFiles(withoutComments(text))
    : isClassicAsp(path, text) && infectsAspFiles(aspServerCode(text), posix.basename(path));

export const fileInfector: ChangeRule = (f) =>
  f.kind !== 'D' && f.currentText !== undefined && infects(f.path, f.currentText)
    ? {
        severity: 'high',
        reason:
          'a file infector: it reads its own code and writes into the pages a folder listing names (a virus or worm spreading itself)',
        attack: 'T1080',
      }
    : undefined;
