/**
 * A file infector: PHP code that walks a folder and writes into the pages it finds there,
 * and reads its own file, the code it spreads. PHP viruses prepend or append themselves to
 * every `.php` file of the folder (PHP.Faces, PHP.Rabow, PHP/Spider); a worm of hacked sites
 * plants itself in every page it can write. Issue 27: they were missed, as a virus runs no
 * command and reads no request. A build tool that rewrites pages does not read its own file;
 * a self-extracting installer reads its own file and writes what it carries, but to names
 * of its own, not to the names a folder listing returns.
 */
import type { ChangeRule } from './change-rules.js';
import { withoutComments } from './web-shell/comments.js';

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

const PHP_FILE = /\.(?:php\d?|phtml|inc)$/i;

export const fileInfector: ChangeRule = (f) =>
  f.kind !== 'D' &&
  f.currentText !== undefined &&
  (PHP_FILE.test(f.path) || /<\?php/i.test(f.currentText)) &&
  infectsFiles(withoutComments(f.currentText))
    ? {
        severity: 'high',
        reason:
          'a file infector: it reads its own code and writes into the pages a folder listing names (a PHP virus or worm spreading itself)',
        attack: 'T1080',
      }
    : undefined;
