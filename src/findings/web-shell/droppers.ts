/**
 * Pages that put files on the server for the attacker (issue 27, split v2 tuning side):
 * an upload saved under the name the visitor gave, followed through variables and
 * `basename()`; and a dropper writing PHP code it carries encoded (base64 of `<?php`).
 */
import { blockEnd, callArgs } from './code-text.js';
import { INPUT, carriesInput, taintedNames } from './request-flow.js';

// The name an upload was sent with: $_FILES['f']['name'] (or the old $HTTP_POST_FILES).
const SENT_NAME = /\$(?:_FILES|HTTP_POST_FILES)\s*\[[^\]\n]{1,40}\]\s*\[\s*['"]name['"]\s*\]/;

/**
 * An expression without the calls it makes, but for those that keep the name: a name passed
 * through pathinfo() or a hash is the server's choice; its basename(), a piece of it cut
 * by substr() or its case changed is still the visitor's.
 */
function nameCarriedBy(expr: string): string {
  let out = expr;
  for (let i = 0; i < 3; i++) out = out.replace(CALL_NOT_KEEPING_NAME, '');
  return endsAsSent(out) ? out : '';
}

// The pieces of a PHP string expression: quoted strings whole, and what lies between them.
const PIECE = /'(?:[^'\\\n]|\\.){0,400}'|"(?:[^"\\\n]|\\.){0,400}"|[^.'"]{1,400}|[.'"]/g;

// A server page's extension written after the name (`$name . '.php'`): a dropper's choice.
const PAGE_SUFFIX = /^(['"])[^'"]{0,40}\.(?:php\d?|phtml|phar|jspx?|aspx?|ashx|asa|cer)\1$/i;

/**
 * False when the name is followed by something of the page's own (`$name . time()`, `$name
 * . '.txt'`): the saved file ends as the page says, and its extension is no longer the
 * visitor's. What ends the expression is its last piece joined by '.' outside quotes; the
 * calls that keep no name are already gone from it. phpList's attachments, saved under the
 * sent name with the time appended, read as an upload saved as sent (issue 27's fresh check).
 */
function endsAsSent(expr: string): boolean {
  let last = '';
  for (const piece of (expr.match(PIECE) ?? []).slice(0, 200))
    last = piece === '.' ? '' : last + piece;
  const end = last.trim();
  if (end === '') return false;
  // A name, a call that keeps it, or a string that interpolates one (`"$dir/$name"`).
  if (!/^['"]/.test(end)) return true;
  return PAGE_SUFFIX.test(end) || end.includes('$');
}

const CALL_NOT_KEEPING_NAME =
  /\b(?!(?:basename|substr|trim|strtolower|strtoupper|stripslashes)\b)[A-Za-z_]\w{0,40}\s*\([^()\n]{0,200}\)/g;

/** Variables holding the name an upload was sent with, through up to three assignments. */
function sentNameHolders(text: string): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*\.?=(?!=)\s*([^;\n]{0,200})/g)].slice(0, 5000);
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns) {
      const carried = nameCarriedBy(m[2]!);
      if (
        SENT_NAME.test(carried) ||
        [...carried.matchAll(/\$(\w{1,40})(?!\s*\[)/g)].some((v) => names.has(v[1]!))
      )
        names.add(m[1]!);
    }
    if (names.size === before) break;
  }
  return names;
}

// An upload's entry held whole (`$file = $_FILES['f'];`), to be read as `$file['name']`.
const ENTRY_HELD = /\$(\w{1,40})\s*=\s*\$(?:_FILES|HTTP_POST_FILES)\s*\[[^\]\n]{1,40}\]\s*;/g;

/** The text with each held entry's `$file['name']` spelt as the `$_FILES[…]['name']` it is. */
function withEntriesSpelt(text: string): string {
  let out = text;
  for (const m of [...text.matchAll(ENTRY_HELD)].slice(0, 20))
    for (const q of ["'", '"'])
      out = out.split(`$${m[1]}[${q}name${q}]`).join(`$_FILES['${m[1]}']['name']`);
  return out;
}

// Where an upload is saved: moved or copied (the destination second), or its temporary
// file's bytes written under a name (the destination first).
const SAVES = /\b(?:(move_uploaded_file|copy)|file_put_contents)\s*\(/g;

// Checks of a name's extension or of the file's type.
const CHECKS =
  /\b(?:preg_match|in_array|pathinfo|strrchr|getimagesize|exif_imagetype|finfo_file|mime_content_type)\s*\(/g;

// A decision before a value on its line (a condition, a comparison, a list lookup), or a
// comparison after it.
const DECIDES_BEFORE =
  /\b(?:if|elseif|while|switch|return|in_array|preg_match|array_search|strcasecmp|strcmp)\b|[!=]=|&&|\|\||\?|!\s*$/;
const COMPARED_AFTER = /^\s*(?:[!=]==?|<|>|&&|\|\||\?)/;

/** True when the value at [at, end) is used to decide: see above. */
function isDecidedOn(text: string, at: number, end: number): boolean {
  const before = text.slice(Math.max(0, at - 80), at);
  return (
    DECIDES_BEFORE.test(before.slice(before.lastIndexOf('\n') + 1)) ||
    COMPARED_AFTER.test(text.slice(end, end + 8))
  );
}

/**
 * True when the check call at [at, end) decides something: it stands in a condition or a
 * comparison, or its result is kept in a variable the page then compares or tests. An
 * extension taken only to be shown (`$ext = pathinfo($name, PATHINFO_EXTENSION)`, echoed)
 * checks nothing.
 */
function decides(text: string, at: number, end: number): boolean {
  if (isDecidedOn(text, at, end)) return true;
  const lead = text.slice(Math.max(0, at - 80), at);
  const kept = /\$(\w{1,40})\s*=\s*(?:@\s*)?(?:\w{1,40}\s*\(\s*)?$/.exec(lead)?.[1];
  if (!kept) return false;
  const limit = Math.min(text.length, end + 3000);
  for (let i = 0, from = end; i < 20; i++) {
    const use = text.indexOf(`$${kept}`, from);
    if (use < 0 || use >= limit) return false;
    const after = use + kept.length + 1;
    if (!/\w/.test(text[after] ?? '') && isDecidedOn(text, use, after)) return true;
    from = after;
  }
  return false;
}

/**
 * True when the page checks the sent name (or a name holding it) by a pattern, a list or
 * its extension, or the uploaded file's type, before saving, and the check decides
 * something: an application's upload of images or documents, not a shell's upload of
 * anything.
 */
function isChecked(text: string, holders: ReadonlySet<string>): boolean {
  return [...text.matchAll(CHECKS)].slice(0, 100).some((m) => {
    const open = m.index! + m[0].length - 1;
    const parts = callArgs(text, open);
    const args = parts.join(',');
    const checksName =
      SENT_NAME.test(args) ||
      /\[\s*['"]tmp_name['"]\s*\]/.test(args) ||
      [...args.matchAll(/\$(\w{1,40})(?!\s*\[)/g)].some((v) => holders.has(v[1]!));
    if (!checksName) return false;
    return decides(text, m.index!, open + 2 + args.length);
  });
}

/** An upload saved, unchecked, to a destination built from the name the visitor sent it with. */
export function savesUploadAsSent(written: string): boolean {
  if (!/\$(?:_FILES|HTTP_POST_FILES)\b/.test(written)) return false;
  const text = withEntriesSpelt(written);
  const holders = sentNameHolders(text);
  if (isChecked(text, holders)) return false;
  for (const m of [...text.matchAll(SAVES)].slice(0, 100)) {
    const args = callArgs(text, m.index! + m[0].length - 1);
    if (!m[1] && !/\[\s*['"]tmp_name['"]\s*\]/.test(args[1] ?? '')) continue;
    const sent = args[m[1] ? 1 : 0];
    if (sent === undefined) continue;
    const destination = nameCarriedBy(sent);
    if (SENT_NAME.test(destination)) return true;
    if ([...destination.matchAll(/\$(\w{1,40})(?!\s*\[)/g)].some((v) => holders.has(v[1]!)))
      return true;
  }
  return false;
}

// A row written to a database: `INSERT INTO t …`, `UPDATE t SET …`, `REPLACE INTO t …`.
const RECORD_WRITTEN =
  /\b(?:INSERT|REPLACE)\s+INTO\b|\bUPDATE\s+[`"']?[\w.$]{1,60}[`"']?\s+SET\b/gi;

/**
 * True when the page writes the upload's name into a database row (`INSERT INTO products …
 * '$image'`, a prepared statement given `$file_name`): an application's page, keeping what
 * its users upload on record. A shell's uploader puts files where it is told and records
 * nothing. Hand-written pages save images under the names they were sent with, as their
 * tutorials do (docs/detection.md, thirty-second session).
 */
export function recordsSavedUpload(written: string): boolean {
  if (!/\$(?:_FILES|HTTP_POST_FILES)\b/.test(written)) return false;
  const text = withEntriesSpelt(written);
  const names = sentNameHolders(text);
  for (const m of [...text.matchAll(SAVES)].slice(0, 100)) {
    if (!m[1]) continue;
    const destination = callArgs(text, m.index! + m[0].length - 1)[1] ?? '';
    for (const v of destination.matchAll(/\$(\w{1,40})(?!\s*\[)/g)) names.add(v[1]!);
  }
  names.add('_FILES');
  names.add('HTTP_POST_FILES');
  return [...text.matchAll(RECORD_WRITTEN)]
    .slice(0, 100)
    .some((m) =>
      [...recordStatement(text, m.index!).matchAll(/\$(\w{1,40})/g)].some((v) => names.has(v[1]!)),
    );
}

/**
 * The statement writing a row, from its SQL keyword: the lines up to the one that ends it
 * (`;`), and, for a prepared statement (`?`, `:name`), the lines that bind or execute it.
 */
function recordStatement(text: string, at: number): string {
  const lines = text.slice(at, at + 6000).split('\n');
  // The lines from `from` to the one ending a statement, at most 20.
  const statement = (from: number) => {
    let end = from;
    while (end < Math.min(lines.length - 1, from + 20) && !/;\s*(?:\/\/.*)?$/.test(lines[end]!))
      end++;
    return { text: lines.slice(from, end + 1).join('\n'), end };
  };
  const sql = statement(0);
  if (!/\?|:\w/.test(sql.text)) return sql.text;
  const bind = lines
    .slice(sql.end + 1, sql.end + 8)
    .findIndex((l) => /\b(?:execute|bind_?[Pp]aram|bindValue)\s*\(/.test(l));
  return bind < 0 ? sql.text : `${sql.text}\n${statement(sql.end + 1 + bind).text}`;
}

// move_uploaded_file(…, "entrika.php"), copy($_FILES['f']['tmp_name'], 'x.php'): an upload
// saved under a server page's name the page spells out.
const SAVED_AS_PAGE =
  /^\s*(?:\$\w{1,40}\s*\.\s*)?['"][^'"\n]{0,200}\.(?:php\d?|phtml|phar|jspx?|aspx?|ashx|asa|cer)['"]\s*$/i;

/** An upload saved as a server page whose name the page spells out (a dropper). */
export function savesUploadAsPage(text: string): boolean {
  for (const m of [...text.matchAll(SAVES)].slice(0, 100)) {
    if (!m[1]) continue;
    const [source = '', destination = ''] = callArgs(text, m.index! + m[0].length - 1);
    if (m[1] === 'copy' && !/\[\s*['"]tmp_name['"]\s*\]/.test(source)) continue;
    if (SAVED_AS_PAGE.test(destination)) return true;
  }
  return false;
}

// fwrite($fp, base64_decode('PD9waHA…')): `PD9waHA`, `PD89`, `PD8g`, `PD8K` are `<?php`,
// `<?=`, `<? ` and `<?\n` in base64.
const WRITES_ENCODED_PHP =
  /\b(?:fwrite|fputs|file_put_contents)\s*\([^;\n]{0,200}?,\s*(?:@\s*)?base64_decode\s*\(\s*['"](?:PD9waHA|PD89|PD8g|PD8K|PD8N)/i;

/** A file written with PHP code the page carries base64-encoded (a dropper). */
export function writesEncodedPhp(text: string): boolean {
  return WRITES_ENCODED_PHP.test(text);
}

// A program carried as a base64 literal: `MZ` (a Windows program's header: `TVqQ`, `TVpQ`,
// `TVoA`…) or `\x7fELF` (`f0VMR`), and enough of it to be one (a literal may run over lines).
const CARRIED_PROGRAM = /['"](?:TV[opqr][A-Za-z0-9+/]|f0VMR)[A-Za-z0-9+/\r\n]{200}/;
const BASE64_DECODED = /\bbase64_decode\s*\(/i;
const PHP_WRITES_FILE = /\b(?:fwrite|fputs|file_put_contents)\s*\(/i;

/**
 * A page carrying a program as base64: a dropper's payload (a password dumper, a Linux
 * implant). Applications ship their programs as files, not inside a page. Issue 27: none
 * of the tuning side's 56,000 benign pages holds such a literal; 64 of its shells do. A
 * long page may hold the literal in its start and the code writing it in its end.
 */
export function carriesProgram(text: string): boolean {
  return CARRIED_PROGRAM.test(text);
}

/**
 * A page decoding a program it carries as base64 and writing it out:
 * `fputs($f, base64_decode($pwdump2))`. A dropper then runs a program, which the caller
 * asks of its command sinks; a test writing a fixture out for a file-type check runs none.
 */
export function writesCarriedProgram(text: string): boolean {
  return carriesProgram(text) && BASE64_DECODED.test(text) && PHP_WRITES_FILE.test(text);
}

// Writing a file, in PHP, .NET, Java or classic ASP.
const WRITES_FILE =
  /\b(?:fwrite|fputs|file_put_contents|CreateText|WriteAllText|AppendAllText|StreamWriter|CreateTextFile|OpenTextFile|SaveToFile|FileWriter|FileOutputStream|PrintWriter)\b/;

// A double-quoted literal that opens server code ("<%execute request(\"x\")%>", and VBScript's
// doubled quotes, "<%eval request(""x"")%>").
const PAGE_LITERAL =
  /"((?:[^"\\\n]|\\.|""){0,2000}?(?:<%|<\?(?:php|=))(?:[^"\\\n]|\\.|""){10,4000})"/g;

const ESCAPED: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/** The name a carried page would be served under, by how its code opens. */
function carriedPageName(page: string): string {
  if (/<\?(?:php|=)/i.test(page)) return 'carried.php';
  if (/<%@\s*page\b[^%]{0,200}\blanguage\s*=\s*["']?c#/i.test(page)) return 'carried.aspx';
  if (/<%@\s*page\b[^%]{0,200}\bimport\s*=|<%!/i.test(page)) return 'carried.jsp';
  return 'carried.asp';
}

/**
 * Server pages a file carries as string literals, for a page that writes files: a dropper
 * writes a one-line shell out (`File.CreateText(…"root.asp")…Write("<%execute request(…)%>")`).
 * Each is returned as the text it would be once written, with a name of its language.
 */
export function carriedPages(
  text: string,
  isVbScript: boolean,
): Array<{ name: string; text: string }> {
  if (!WRITES_FILE.test(text)) return [];
  const doubled = [...text.matchAll(PAGE_LITERAL)].slice(0, 5).map((m) => {
    const page = isVbScript
      ? m[1]!.replace(/""/g, '"')
      : m[1]!.replace(/\\(.)/g, (_, c: string) => ESCAPED[c] ?? c);
    return { name: carriedPageName(page), text: page };
  });
  if (isVbScript) return doubled;
  // PHP's single quotes, as a folded constant is written (`pack("H*", "3c3f…")`).
  const single = [...text.matchAll(PHP_PAGE_SINGLE_QUOTED)]
    .slice(0, 5)
    .map((m) => ({ name: 'carried.php', text: m[1]!.replace(/\\([\\'])/g, '$1') }));
  // And PHP carried base64-encoded (`$c = 'PD9waHAg…'; … file_put_contents($f,
  // base64_decode($c))`), decoded.
  const encoded = [...text.matchAll(PHP_IN_BASE64)]
    .slice(0, 5)
    .map((m) => ({ name: 'carried.php', text: Buffer.from(m[1]!, 'base64').toString('latin1') }));
  return [...doubled, ...single, ...encoded];
}

// A literal of base64 that decodes to `<?php`, `<?=` or `<? `, as WRITES_ENCODED_PHP.
const PHP_IN_BASE64 = /['"]((?:PD9waHA|PD89|PD8g)[A-Za-z0-9+/]{8,8000}={0,2})['"]/g;

// A single-quoted PHP literal that opens PHP code (`'<?@eval($_POST[x])?>'`).
const PHP_PAGE_SINGLE_QUOTED =
  /'((?:[^'\\\n]|\\.){0,2000}?<\?(?:php\b|=|[\s@$])(?:[^'\\\n]|\\.){10,4000})'/g;

// A file written at a path the page spells out, in PHP, classic ASP, .NET or Java.
const WRITTEN_PATH =
  /\b(?:createtextfile|opentextfile|savetofile|file_put_contents|fopen|WriteAllText|WriteAllBytes|CreateText|FileOutputStream|FileWriter)(?:\s*\(\s*@?|[ \t]+)(["'])([^"'\n]{3,200})\1/gi;

// A program run: PHP's, WScript.Shell's and Shell.Application's, .NET's and Java's calls.
const RUNS =
  /(?:\.\s*(?:run|exec|shellexecute)\b|\b(?:system|exec|shell_exec|passthru|popen|proc_open|Process\.Start|ProcessStartInfo|getRuntime\s*\(\s*\)\s*\.\s*exec))(?:\s*\(|[ \t])/gi;

// A program or script by its name: what a dropper writes to run.
const PROGRAM_NAME = /\.(?:exe|scr|bat|cmd|vbs|vbe|js|jse|wsf|hta|ps1|sh|pl|py)$/;

/**
 * The path of a file the page writes and then runs (`CreateTextFile("c:\net.vbs")` …
 * `WshShell.Run "c:\net.vbs"`): a dropper that puts a program on the server and starts it.
 */
export function writesAndRuns(text: string): string | undefined {
  const paths = new Set(
    [...text.matchAll(WRITTEN_PATH)]
      .slice(0, 100)
      .map((m) => m[2]!.toLowerCase())
      // A URL opened is read, not a program written (`fopen("https://…")`).
      .filter((p) => PROGRAM_NAME.test(p) && !p.includes('://')),
  );
  if (paths.size === 0) return undefined;
  for (const m of [...text.matchAll(RUNS)].slice(0, 300)) {
    const at = m.index! + m[0].length;
    const command = text
      .slice(at, at + 240)
      .split('\n')[0]!
      .toLowerCase();
    for (const p of paths) {
      const i = command.indexOf(p);
      // The path whole, not part of a longer one (`x.sh` in `/opt/x.sh.bak`).
      const before = command[i - 1] ?? ' ';
      const after = command[i + p.length] ?? ' ';
      if (i >= 0 && /[\s"'(]/.test(before) && /[\s"')]/.test(after)) return p;
    }
  }
  return undefined;
}

// A file written whole by name (`file_put_contents($f, …)`), and a name included or required.
const PUT_CONTENTS = /\bfile_put_contents\s*\(/g;
const INCLUDED_NAME =
  /\b(?:include|require)(?:_once)?[\s(@]{0,8}(\$\w{1,40}|(['"])[^'"\n$]{1,200}\2)\s*[);]/g;

/**
 * True when the page writes request input into a file and then includes that file
 * (`file_put_contents($t, '<?php ' . $_POST['c']); include $t;`, or through fopen() and
 * fwrite()): the request run as PHP through a file, where no eval() is called.
 */
export function includesWhatItWrote(text: string, tainted: ReadonlySet<string>): boolean {
  // A name held in a variable, or spelt out (`file_put_contents('README', $_GET['c'],
  // FILE_APPEND); require 'README';`): any name, since PHP includes a file of any name.
  const nameOf = (expr: string) => /^\s*(\$\w{1,40}|(['"])[^'"\n$]{1,200}\2)\s*$/.exec(expr)?.[1];
  const included = new Set(
    [...text.matchAll(INCLUDED_NAME)].slice(0, 100).map((m) => m[1]!.replace(/"/g, "'")),
  );
  if (!included.size) return false;
  return writesOf(text).some(({ file, data }) => {
    const name = nameOf(file)?.replace(/"/g, "'");
    return name !== undefined && included.has(name) && carriesInput(data, tainted);
  });
}

// A name a server runs as code, at the end of the expression that names the file written
// (`'shell.php'`, `__DIR__ . "/cache.php"`).
const SERVER_PAGE_NAMED = /\.(?:php\d?|phtml|phar|jspx?|aspx?|ashx|asmx|asa|cer)['"]\s*$/i;
// Calls that hand on what they are given, decoded: the visitor's bytes all the same.
const PASSES_ON =
  /^@?\s*(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|urldecode|rawurldecode|stripslashes|strrev|trim)\s*\(/i;
// PHP's open tag, put before what the visitor sent (`'<?php ' . $_POST['c']`).
const OPEN_TAG_FIRST = /^(['"])<\?(?:php)?\s*\1\s*\.\s*/i;
// One read of the request, or one name holding it: nothing of the page's own around it.
const ONE_VALUE =
  /^@?\s*(?:\$\w{1,40}|\$_(?:GET|POST|REQUEST|COOKIE)\s*\[[^\]\n]{1,80}\]|file_get_contents\s*\(\s*['"]php:\/\/input['"]\s*\))$/;

/**
 * True when `data` is what the visitor sent, whole: one read of the request or a name
 * holding one (`holders`), decoded or not, after PHP's open tag at most. An installer writing
 * its configuration puts the visitor's values into text of its own.
 */
function isSentWhole(data: string, holders: ReadonlySet<string>): boolean {
  let expr = data.trim().replace(OPEN_TAG_FIRST, '');
  for (let depth = 0; depth < 4; depth++) {
    const call = PASSES_ON.exec(expr);
    if (!call) break;
    const args = callArgs(expr, call[0].length - 1);
    if (args.length !== 1) return false;
    expr = args[0]!.trim();
  }
  if (!ONE_VALUE.test(expr)) return false;
  const name = /^@?\s*\$(\w{1,40})$/.exec(expr)?.[1];
  return name !== undefined ? holders.has(name) : INPUT.test(expr);
}

// Assignments, and appends (`$page .= "…"`: the page's own text added to the value).
const ASSIGNS = /\$(\w{1,40})\s*(\.?)=(?!=)\s*([^;\n]{0,200})/g;

/** Names in `scope` holding what the visitor sent, whole, through up to three assignments. */
function wholeHolders(scope: string): Set<string> {
  const assigns = [...scope.matchAll(ASSIGNS)].slice(0, 5000);
  const appended = new Set(assigns.filter((m) => m[2] === '.').map((m) => m[1]!));
  const holders = new Set<string>();
  for (let round = 0; round < 3; round++) {
    const before = holders.size;
    for (const m of assigns)
      if (!appended.has(m[1]!) && isSentWhole(m[3]!, holders)) holders.add(m[1]!);
    if (holders.size === before) break;
  }
  return holders;
}

/**
 * True when the page writes what the visitor sent, whole, into a server page of a name it
 * chose (`file_put_contents('x.php', $_POST['c'])`, `fwrite(fopen('s.php', 'w'),
 * base64_decode($_POST['d']))`): a dropper that plants whatever code the visitor sends, to be
 * run by the next request.
 */
export function writesRequestIntoServerPage(text: string): boolean {
  return writesOf(text).some(
    ({ at, file, data }) =>
      SERVER_PAGE_NAMED.test(file.trim()) && isSentWhole(data, wholeHolders(scopeOf(text, at))),
  );
}

/** Files written whole, by file_put_contents() or by fwrite() on a handle fopen() gave. */
export function writesOf(text: string): { at: number; file: string; data: string }[] {
  const writes: { at: number; file: string; data: string }[] = [];
  for (const m of [...text.matchAll(PUT_CONTENTS)].slice(0, 100)) {
    const [file, data] = callArgs(text, m.index! + m[0].length - 1);
    if (file !== undefined && data !== undefined) writes.push({ at: m.index!, file, data });
  }
  // A handle opened for writing on a name, given content: one write. The handle is a name
  // set to fopen(…) before, or the fopen(…) call itself.
  const opened = (call: string) => {
    const open = /^\s*(?:@\s*)?fopen\s*\(/.exec(call);
    if (!open) return undefined;
    const [file, mode] = callArgs(call, open[0].length - 1);
    return /^\s*['"][wax]/.test(mode ?? '') ? file : undefined;
  };
  const handles = new Map<string, string>();
  for (const m of [...text.matchAll(OPENED_FOR_WRITING)].slice(0, 100)) {
    const file = opened(text.slice(m.index! + m[0].indexOf('=') + 1, m.index! + 1000));
    if (file !== undefined) handles.set(m[1]!, file);
  }
  for (const m of [...text.matchAll(/\b(?:fwrite|fputs)\s*\(/g)].slice(0, 100)) {
    const [handle, data] = callArgs(text, m.index! + m[0].length - 1);
    if (handle === undefined || data === undefined) continue;
    const file = opened(handle) ?? handles.get(/^\s*\$(\w{1,40})\s*$/.exec(handle)?.[1] ?? '');
    if (file !== undefined) writes.push({ at: m.index!, file, data });
  }
  return writes;
}

// What stores data rather than a file's bytes: an encoding of it, or a name that is a digest.
const ENCODED_FOR_STORAGE =
  /\b\w{0,20}(?:json|serializ)\w{0,20}\s*\(|\b(?:var_export|print_r|http_build_query|implode|date)\s*\(/i;
const DIGEST_NAME =
  /\b(?:md5|sha1|hash)(?:_file)?\s*\(|\b(?:crc32|uniqid|intval|sanitize_file_name)\s*\(/i;
const OPENED_FOR_WRITING = /\$(\w{1,40})\s*=\s*(?:@\s*)?fopen\s*\(/g;
const FUNCTION_OPENS = /\bfunction\b[\s&]{0,8}(?:\w{1,40}\s{0,8})?\([^)]{0,300}\)[^{;]{0,60}\{/g;

/** The body of the function the code at `at` is in, or the whole page when it is in none. */
function scopeOf(text: string, at: number): string {
  let scope = text;
  for (const m of [...text.matchAll(FUNCTION_OPENS)].slice(0, 500)) {
    const open = m.index! + m[0].length - 1;
    if (open > at) break;
    const end = blockEnd(text, open, 20000);
    if (end > at) scope = text.slice(open, end);
  }
  return scope;
}

// An array's key is the visitor's choice among the page's own values, not a name they write;
// `$_SERVER['HTTP_X']` is a request header itself.
const withoutKeys = (expr: string) =>
  expr.replace(/(\$_SERVER\s*)?\[[^[\]\n]{0,80}\]/g, (key, server?: string) =>
    server || INPUT.test(key) ? key : '[]',
  );

/**
 * Names in `scope` that hold what the visitor wrote: assigned from request input, or from a
 * name that holds some, through up to four assignments; a value looked up by a key the
 * visitor chose is not theirs, nor a digest or an encoding (JSON, serialize()) of what they
 * sent: that is data an application keeps, not a file's bytes.
 */
function visitorWritten(scope: string): Set<string> {
  const carriesWritten = (expr: string, names: ReadonlySet<string>) =>
    !DIGEST_NAME.test(expr) &&
    !ENCODED_FOR_STORAGE.test(expr) &&
    carriesInput(withoutKeys(expr), names);
  return taintedNames(scope, carriesWritten, 4);
}

/**
 * True when the page writes what the request sent into a file whose name the request gave
 * (`file_put_contents($fname, $data)`, both cut from php://input; `fwrite(fopen($_POST['f'],
 * 'w'), $_POST['c'])`): an uploader of any file, anywhere. Followed within the function the
 * write is in. A cache or a log names its file by a digest and stores an encoding of what
 * was sent; an application writes files it chose by a key.
 */
export function writesRequestToNamedFile(text: string): boolean {
  return writesOf(text).some(({ at, file, data }) => {
    const written = visitorWritten(scopeOf(text, at));
    return (
      carriesInput(withoutKeys(file), written) &&
      !DIGEST_NAME.test(file) &&
      carriesInput(data, written) &&
      !ENCODED_FOR_STORAGE.test(data)
    );
  });
}
