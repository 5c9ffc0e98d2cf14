/**
 * Code without its comments, read as the language that runs it. Docblocks quote `$_GET`,
 * `exec` and backticks all the time, and what a comment says never runs; but a reader that
 * takes the wrong text for a comment hides the code it swallows. The page's template text
 * (HTML around `<?php … ?>` or `<% … %>`) is output, not code: an apostrophe or a `/*` in it
 * starts nothing, and is kept as written. Inside code, strings are followed as the language
 * writes them (PHP's heredocs, C#'s `@"…"`, VBScript's `""`), so a quote or comment marker in
 * one does not shift what follows. Where the language is in doubt, less is taken out: text
 * kept is only judged, text taken out is never seen. One pass, linear: the text is the
 * attacker's.
 */

// PHP runs what follows `<?php` or `<?=`; a bare `<?` only with short_open_tag. Beside
// those it is read as template text (kept whole, never stripped): with short tags off, an
// apostrophe after it would otherwise be taken for a string's start. Alone, it is PHP's.
const PHP_OPEN = /<\?(?:php(?=\s|$)|=)/gi;
const SHORT_OPEN = /<\?(?=\s)/g;

// A JSP's or ASP.NET page's server code: `<% … %>` (ended by the first `%>`, as their
// compilers end it, in a string too), JSP's code elements and `<script runat="server">`;
// a `<script>` without runat is the browser's, template text.
const SERVER_OPEN =
  /<%|<jsp:(?:scriptlet|declaration|expression)\b[^>]{0,200}>|<script\b[^>]{0,300}>/gi;
const SERVER_CODE = /<%|<jsp:(?:scriptlet|declaration|expression)\b|<script\b[^>]{0,300}\brunat\b/i;
const RUNS_AT_SERVER = /\brunat\s*=\s*["']?server\b/i;

// A handler's or web service's code follows its directive, outside any block.
const HANDLER = /^\s*<%@\s*(?:WebHandler|WebService)\b/i;

/** How one language's code region is read: returns it with its comments taken out. */
type CodeReader = (code: string) => string;

/**
 * The code without its comments. A page with PHP tags is read as PHP inside them; a page
 * with server blocks as Java, C# or JScript inside them (VB.NET's as VB); other text whole,
 * as C-like code.
 */
export function withoutComments(text: string): string {
  if (finds(PHP_OPEN, text)) return phpWithoutComments(text, PHP_OPEN);
  if (finds(SHORT_OPEN, text)) return phpWithoutComments(text, SHORT_OPEN);
  if (HANDLER.test(text)) return cLikeWithoutComments(text);
  if (SERVER_CODE.test(text)) return serverPageWithoutComments(text, cLikeWithoutComments);
  return cLikeWithoutComments(text);
}

/** True when PHP runs code in the text: it holds `<?php` or `<?=`. */
export const hasPhpTag = (text: string) => finds(PHP_OPEN, text);

function finds(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

/**
 * A JSP's or ASP.NET page's server code without its comments, its template text as written:
 * a PHP tag in that text is shown, not run. A VB.NET page's code is read as VB (`'` starts a
 * comment, `""` is a quote).
 */
export function serverCodeWithoutComments(text: string, isVb: boolean): string {
  if (HANDLER.test(text)) return isVb ? vbWithoutComments(text) : cLikeWithoutComments(text);
  return serverPageWithoutComments(text, isVb ? vbWithoutComments : cLikeWithoutComments);
}

/**
 * A script's (shell, Perl, Python) whole-line `#` comments out, and only those: a `#` in a
 * line is a comment or not by quoting rules of each shell (`$#`, `${#a}`, `s#x#y#`), and a
 * `/*` is a glob. `#!` stays.
 */
export function scriptWithoutComments(text: string): string {
  return text.replace(/^[ \t]*#(?!!).*$/gm, '');
}

function serverPageWithoutComments(text: string, read: CodeReader): string {
  const lower = text.toLowerCase();
  let out = '';
  let from = 0;
  SERVER_OPEN.lastIndex = 0;
  for (let open = SERVER_OPEN.exec(text); open; open = SERVER_OPEN.exec(text)) {
    const start = open.index + open[0].length;
    const isBlock = open[0] === '<%';
    // JSP's elements are XML, case and all; a script element is the server's by its runat.
    const isJsp = open[0].startsWith('<jsp:');
    if (!isBlock && !isJsp && !(/^<script/i.test(open[0]) && RUNS_AT_SERVER.test(open[0])))
      continue;
    const isComment = isBlock && text.startsWith('--', start);
    const closer = isBlock ? (isComment ? '--%>' : '%>') : isJsp ? '</jsp:' : '</script';
    const close = (isBlock ? text : lower).indexOf(closer, start);
    // A server comment that never closes stops the page compiling: kept, as written.
    if (isComment && close < 0) break;
    const end = close < 0 ? text.length : close;
    out += text.slice(from, start);
    out += isComment ? ' ' : read(text.slice(start, end));
    from = end;
    SERVER_OPEN.lastIndex = Math.max(end, start);
  }
  return out + text.slice(from);
}

/**
 * PHP: template text kept; inside `<?php … ?>` strings ('…', "…", `…`, heredocs and
 * nowdocs) followed, and `//`, `#` and `/* … *\/` comments taken out. A line comment ends
 * at the line's end or at `?>`, which also ends the code; `#[` is a PHP 8 attribute.
 */
function phpWithoutComments(text: string, opener: RegExp): string {
  const n = text.length;
  let out = '';
  let from = 0;
  opener.lastIndex = 0;
  for (let open = opener.exec(text); open; open = opener.exec(text)) {
    let i = open.index + open[0].length;
    for (; i < n; i++) {
      const c = text[i]!;
      const next = text[i + 1];
      if (c === '?' && next === '>') break;
      if (c === "'" || c === '"' || c === '`') {
        i = quotedEnd(text, i, c);
        continue;
      }
      if (c === '<' && text.startsWith('<<<', i)) {
        i = heredocEnd(text, i);
        continue;
      }
      let end = -1;
      if (c === '/' && next === '*') {
        end = blockCommentEnd(text, i);
        out += text.slice(from, i) + ' ';
      } else if ((c === '/' && next === '/') || (c === '#' && next !== '[')) {
        const close = text.indexOf('\n', i);
        const block = text.slice(i, close < 0 ? n : close).indexOf('?>');
        end = block >= 0 ? i + block : close < 0 ? n : close;
        out += text.slice(from, i);
      }
      if (end >= 0) {
        from = end;
        i = end - 1;
      }
    }
    opener.lastIndex = Math.min(i + 2, n);
    if (i >= n) break;
  }
  return out + text.slice(from);
}

/** Where the `/*` comment at `at` ends: after its `*\/`, or at the text's end. */
function blockCommentEnd(text: string, at: number): number {
  const close = text.indexOf('*/', at + 2);
  return close < 0 ? text.length : close + 2;
}

/** The index of the quote that closes the string opened at `at` (backslash escapes). */
function quotedEnd(text: string, at: number, quote: string): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

/** The last index of a heredoc or nowdoc opened by `<<<` at `at` (PHP 7.3's indented end too). */
function heredocEnd(text: string, at: number): number {
  const head = /^<<<[ \t]*(["']?)([A-Za-z_]\w{0,63})\1\r?\n/.exec(text.slice(at, at + 80));
  if (!head) return at + 2;
  const name = head[2]!;
  for (let line = text.indexOf('\n', at); line >= 0; line = text.indexOf('\n', line + 1)) {
    let i = line + 1;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text.startsWith(name, i) && !/\w/.test(text[i + name.length] ?? '')) {
      return i + name.length - 1;
    }
  }
  return text.length;
}

// Where a `/` starts a regular expression literal (JavaScript, JScript): after these, or
// at the start; after a name, number or `)` it divides.
const BEFORE_REGEX = /[(,=:[!&|?{};]/;
// Keywords a regular expression follows (`return /'/.test(s)`): after any other word, `/`
// divides.
const KEYWORD_BEFORE_REGEX =
  /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)\s*$/;

/**
 * C-like code (Java, C#, JavaScript and JScript, and text of no known kind): '…', "…" and
 * `…` strings with backslash escapes, Java's and Python's `"""…"""` and C#'s `@"…"`,
 * JavaScript's /regex/ literals, and `//` and `/* … *\/` comments. `//` after a colon is a
 * URL; `#` starts a comment only at a line's start (C#'s `#region`, a script's), and `#!`
 * stays.
 */
export function cLikeWithoutComments(text: string): string {
  let out = '';
  let from = 0;
  const n = text.length;
  let before = '';
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '"' && text.startsWith('"""', i)) {
      const close = text.indexOf('"""', i + 3);
      i = close < 0 ? n : close + 2;
      before = '"';
      continue;
    }
    if (c === '@' && next === '"') {
      i = verbatimEnd(text, i + 1);
      before = '"';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i = quotedEnd(text, i, c);
      before = c;
      continue;
    }
    if (
      c === '/' &&
      next !== '*' &&
      next !== '/' &&
      (before === '' ||
        BEFORE_REGEX.test(before) ||
        (/\w/.test(before) && KEYWORD_BEFORE_REGEX.test(text.slice(Math.max(0, i - 20), i))))
    ) {
      const close = regexEnd(text, i);
      if (close > i) {
        i = close;
        before = '/';
        continue;
      }
    }
    let end = -1;
    if (c === '/' && next === '*') {
      end = blockCommentEnd(text, i);
      out += text.slice(from, i) + ' ';
    } else if (
      (c === '/' && next === '/' && text[i - 1] !== ':' && text[i - 1] !== '\\') ||
      (c === '#' && next !== '!' && isLineStart(text, i))
    ) {
      const close = text.indexOf('\n', i);
      end = close < 0 ? n : close;
      out += text.slice(from, i);
    }
    if (end >= 0) {
      from = end;
      i = end - 1;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') before = c;
  }
  return out + text.slice(from);
}

/** The closing quote of C#'s verbatim string whose `"` is at `at` (`""` is a quote in it). */
function verbatimEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] !== '"') continue;
    if (text[i + 1] === '"') i++;
    else return i;
  }
  return text.length;
}

/**
 * The closing `/` of a regex literal opened at `at`, on its line and within 300 characters;
 * `at` when there is none (then the `/` divides).
 */
function regexEnd(text: string, at: number): number {
  let inClass = false;
  for (let i = at + 1; i < text.length && i < at + 300; i++) {
    const c = text[i];
    if (c === '\n' || c === '\r') return at;
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return i;
  }
  return at;
}

/** Only blanks between `i` and the start of its line or of its statement (after `:`). */
function isStatementStart(code: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (code[j] === ' ' || code[j] === '\t')) j--;
  return j < 0 || code[j] === '\n' || code[j] === ':';
}

/** Only blanks between the line's start and `i`. */
function isLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0 && text[j] !== '\n'; j--)
    if (text[j] !== ' ' && text[j] !== '\t') return false;
  return true;
}

/**
 * VBScript and VB.NET: "…" strings, which end at their line (`""` is a quote, and reads as
 * two strings side by side), and `'` and `Rem` comments to the line's end.
 */
export function vbWithoutComments(code: string): string {
  let out = '';
  let from = 0;
  const n = code.length;
  for (let i = 0; i < n; i++) {
    const c = code[i]!;
    if (c === '"') {
      i++;
      while (i < n && code[i] !== '"' && code[i] !== '\n' && code[i] !== '\r') i++;
      if (code[i] !== '"') i--;
      continue;
    }
    const isRem =
      (c === 'r' || c === 'R') &&
      /^rem(?:\s|$)/i.test(code.slice(i, i + 4)) &&
      isStatementStart(code, i);
    if (c !== "'" && !isRem) continue;
    const close = code.indexOf('\n', i);
    const end = close < 0 ? n : close;
    out += code.slice(from, i);
    from = end;
    i = end - 1;
  }
  return out + code.slice(from);
}
