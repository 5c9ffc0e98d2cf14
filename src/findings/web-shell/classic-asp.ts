/**
 * Classic ASP (VBScript or JScript run by IIS's asp.dll): its idioms are not PHP's nor
 * ASP.NET's. `request("x")` reads the request; `Execute`, `ExecuteGlobal` and `Eval` run
 * VBScript given as text, without parentheses as often as with; a ScriptControl runs code
 * too; WScript.Shell and Shell.Application run programs; FileSystemObject and ADODB.Stream
 * write files. A page that hands what the visitor sent to one of these is a web shell.
 * Names spelt with `"ex"&chr(101)&"cute"` are folded back first. VBScript is not case
 * sensitive, and neither is anything here. Issue 27.
 */
import { callArgs } from './code-text.js';
import { cLikeWithoutComments, vbWithoutComments } from './comments.js';
import { vbStringValues } from './vb-values.js';

// What the visitor sends, as classic ASP reads it.
const ASP_INPUT =
  /\brequest\s*(?:\(|\.\s*(?:form|querystring|item|cookies|binaryread|servervariables)\b|\[)/i;

// Code run from text: VBScript's statements and functions, a ScriptControl's methods.
// `conn.Execute(sql)` and `regex.Execute(text)` are methods of ADODB and RegExp: SQL and a
// search, not VBScript (the statement is never called as a method; ScriptControl's are
// ExecuteStatement, Eval and AddCode). Issue 27: fresh benign ASP pages, 19% ranked so.
const CODE_RUNNERS =
  /(?<!\.[ \t]{0,5})\b(?:execute(?:global)?)\b\s*\(?|\b(?:executestatement|eval|addcode)\b\s*\(?/gi;

// A ScriptControl, by its ProgID or class id: the one object whose Eval method runs code.
const SCRIPT_CONTROL = /\bScriptControl\b|\b0E59F1D5-1FBE-11D0-8FF2-00A0D10038BC\b/i;

/**
 * True for a runner that is an object's `eval` method: in a page that makes no ScriptControl
 * it is a JScript library's own (`YT.eval(request.Form("node"))` reads JSON). Issue 27:
 * tuning benign ASP pages ranked critical by it.
 */
const isMethodEval = (text: string, m: RegExpMatchArray) =>
  /^eval/i.test(m[0]) && /\.[ \t]{0,5}$/.test(text.slice(Math.max(0, m.index! - 6), m.index!));

// Programs run: WScript.Shell's Run and Exec, Shell.Application's ShellExecute, WMI's
// Win32_Process Create.
const PROGRAM_RUNNERS = /\.\s*(?:run|exec|shellexecute|create)\b\s*\(?/gi;

// Files written: FileSystemObject's text files, ADODB.Stream's SaveToFile, uploads saved.
const FILE_WRITERS =
  /\.\s*(?:createtextfile|opentextfile|savetofile|copyfile|movefile|saveas)\b\s*\(?/gi;

// ADODB.Stream objects the page creates, and their writes (Write and WriteText): a
// configuration object's own Write(key, value) is not one.
const STREAM_CREATED =
  /\bset\s+(\w{1,40})\s*=\s*(?:server\s*\.\s*)?createobject\s*\(\s*"adodb\.stream"/gi;
const STREAM_FILLED = /\b(\w{1,40})\s*\.\s*(?:write|writetext)\b\s*\(?/gi;

// A scriptlet's moniker with a URL: the component is downloaded and its script runs.
const SCRIPTLET_FROM_URL = /\bgetobject\b[ \t(]{0,8}"script:(?:https?|ftp):\/\//i;

/** True when the text is a classic ASP page (not ASP.NET's `<%@ Page`). */
export function isClassicAsp(path: string, text: string): boolean {
  // ASP.NET's pages, and pages named for PHP: PHP runs those, directive or not.
  if (/<%@\s*(?:Page|WebHandler|Control)\b/i.test(text) || /\.(?:php\d?|phtml|phar)$/i.test(path))
    return false;
  return (
    /\.(?:asp|asa|cer)$/i.test(path) ||
    /<%@\s*language\s*=\s*["']?(?:vbscript|jscript)/i.test(text) ||
    /<script[^>]{0,80}runat\s*=\s*["']?server[^>]{0,80}language\s*=\s*["']?vbscript/i.test(text)
  );
}

/**
 * The code IIS runs of a classic ASP page, without its comments: its `<% … %>` blocks, in the
 * page's language (`<%@ Language=… %>`, VBScript unless it says otherwise), and its `<script
 * runat="server">` elements, in each one's own, one after another. VBScript's `'` starts a
 * comment and JScript's a string: read in the wrong language, one hides the code after it.
 * A page with neither is judged whole (an include's fragment, or a collection's copy
 * without its delimiters).
 */
export function aspServerCode(text: string): string {
  const pageLanguage = /<%@[^%]{0,300}\blanguage\s*=\s*["']?(\w{1,20})/i.exec(text)?.[1];
  const parts: string[] = [];
  for (let i = 0; parts.length < 20000;) {
    const open = text.indexOf('<%', i);
    if (open < 0) break;
    const close = text.indexOf('%>', open + 2);
    const code = text.slice(open + 2, close < 0 ? undefined : close);
    parts.push(code.startsWith('@') ? code : aspLanguageWithoutComments(code, pageLanguage));
    if (close < 0) break;
    i = close + 2;
  }
  const lower = text.toLowerCase();
  for (const m of [...text.matchAll(/<script\b[^>]{0,300}>/gi)].slice(0, 500)) {
    if (!/\brunat\s*=\s*["']?server\b/i.test(m[0])) continue;
    const start = m.index! + m[0].length;
    const end = lower.indexOf('</script', start);
    const language = /\blanguage\s*=\s*["']?(\w{1,20})/i.exec(m[0])?.[1] ?? pageLanguage;
    parts.push(aspLanguageWithoutComments(text.slice(start, end < 0 ? undefined : end), language));
  }
  // `<object runat=server id=sh classid="clsid:72C24DD5-…">`: IIS creates the object for the
  // page's code, as `Set sh = Server.CreateObject(…)` would.
  for (const m of [...text.matchAll(/<object\b[^>]{0,400}>/gi)].slice(0, 200)) {
    if (!/\brunat\s*=\s*["']?server\b/i.test(m[0])) continue;
    const id = /\bid\s*=\s*["']?(\w{1,40})/i.exec(m[0])?.[1];
    const kind = /\b(?:classid|progid)\s*=\s*["']?([\w.:{}-]{1,80})/i.exec(m[0])?.[1];
    if (id && kind) parts.push(`set ${id} = server.createobject("${kind}")`);
  }
  return parts.length ? parts.join('\n') : aspLanguageWithoutComments(text, pageLanguage);
}

/** Code of an ASP script language without its comments; a language not known, as written. */
function aspLanguageWithoutComments(code: string, language = 'vbscript'): string {
  const name = language.toLowerCase();
  if (name === 'vbscript' || name === 'vbs') return vbWithoutComments(code);
  if (name === 'jscript' || name === 'javascript') return cLikeWithoutComments(code);
  return code;
}

/**
 * Which characters of the text are inside a double-quoted string of their line:
 * `strSQL = "EXECUTE proc …"` is SQL the page sends its database, not VBScript's Execute.
 * One pass (`""` is an escaped quote, and leaves the count's parity as it was).
 */
function stringMask(text: string): Uint8Array {
  const mask = new Uint8Array(text.length);
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) inside = false;
    else if (c === 34) inside = !inside;
    else if (inside) mask[i] = 1;
  }
  return mask;
}

/** The VBScript string or `chr(n)` starting at `i`, as [its characters, where it ends], if any. */
function vbPiece(text: string, i: number): [string, number] | undefined {
  if (text[i] === '"') {
    let s = '';
    for (let j = i + 1; j < text.length && j < i + 2000; j++) {
      if (text[j] === '\n') return undefined;
      if (text[j] !== '"') s += text[j];
      else if (text[j + 1] === '"') s += text[++j];
      else return [s, j + 1];
    }
    return undefined;
  }
  const m = /^chrw?\s*\(\s*(&[hH][0-9a-fA-F]{1,4}|&[oO]?[0-7]{1,6}|\d{1,5})\s*\)/i.exec(
    text.slice(i, i + 40),
  );
  if (!m) return undefined;
  const n = m[1]!;
  const code = /^&[hH]/.test(n)
    ? parseInt(n.slice(2), 16)
    : n.startsWith('&')
      ? parseInt(n.replace(/^&[oO]?/, ''), 8)
      : parseInt(n, 10);
  return [String.fromCharCode(code), i + m[0].length];
}

/**
 * `"ex"&chr(101)&"cute"` as `"execute"`: constant strings and chr() joined with `&` (or `+`)
 * folded into one string, in one pass (each piece is read once).
 */
export function foldVbStrings(text: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const startsPiece =
      c === '"' || ((c === 'c' || c === 'C') && /^chrw?\s*\(/i.test(text.slice(i, i + 8)));
    if (!startsPiece || (c !== '"' && /\w/.test(text[i - 1] ?? ''))) {
      i++;
      continue;
    }
    const first = vbPiece(text, i);
    if (!first) {
      i++;
      continue;
    }
    let [joined, end] = first;
    let pieces = 1;
    for (;;) {
      const op = /^\s*[&+]\s*/.exec(text.slice(end, end + 40));
      const next = op ? vbPiece(text, end + op[0].length) : undefined;
      if (!op || !next) break;
      joined += next[0];
      end = next[1];
      pieces++;
    }
    if (pieces > 1) {
      out += text.slice(from, i) + `"${joined.replace(/"/g, '""')}"`;
      from = end;
    }
    i = end;
  }
  return out + text.slice(from);
}

/**
 * The names an expression reads, as keys: `d("k")`, `d(k)` or `d(f("k"))` whole (a key
 * its page computes, as Session(d_hex("7061…")), is the same key wherever it is written the
 * same way), its head `d`, and the bare name `k` that indexes it (a name passed to a
 * function of the page's own is read).
 */
function namesIn(expr: string): { whole: string; head: string; index: string }[] {
  // A string's words are text, not names: `"s" & name` reads `name` only. A collection's
  // `.Item("k")` is its `("k")`.
  return [
    ...expr
      .replace(/\.\s*item\s*\(/gi, '(')
      .matchAll(
        /"(?:[^"\n]|""){0,400}"|\b(\w{1,40})(?:\s*\(\s*("[^"\n]{0,40}"|\w{1,40}(?:\s*\(\s*"[^"\n]{0,80}"\s*\))?)\s*\))?/g,
      ),
  ]
    .filter((m) => m[1] !== undefined)
    .slice(0, 500)
    .flatMap((m) => {
      const index = m[2] && !m[2].startsWith('"') ? key(m[2]) : '';
      const name = { whole: key(m[0]), head: key(m[1]!), index };
      // `Execute(d("k"))` is a call of d("k") as much as a key: both are read.
      const inner = /^(\w{1,40})\(/.exec(index);
      return inner ? [name, { whole: index, head: inner[1]!, index: '' }] : [name];
    });
}

/**
 * The names code in a string reads once it runs (`Execute "Execute(" & "(v)"`): the words of
 * its string pieces that stand whole inside them. A word at a piece's edge is joined to the
 * next piece (`"s" & plugname` names `s…` and something more), so it is not taken.
 */
function namesInCodeStrings(expr: string): string[] {
  const out: string[] = [];
  for (const m of [...expr.matchAll(/"((?:[^"\n]|""){0,400})"/g)].slice(0, 200)) {
    const piece = m[1]!.replace(/""/g, '"');
    for (const w of [...piece.matchAll(/\b\w{1,40}\b/g)].slice(0, 100))
      if (w.index! > 0 && w.index! + w[0].length < piece.length) out.push(key(w[0]));
  }
  return out;
}

/** Names filled from the request (`x = request("h")`, `session("k") = request("k")`), three rounds. */
function requestNames(text: string): Set<string> {
  const names = new Set<string>();
  const assigns: [string, string][] = [
    ...[
      ...text.matchAll(
        /(?:^|[\s:;(])(?:set\s+|var\s+)?(\w{1,40}(?:\s*\(\s*(?:"[^"\n]{0,40}"|\w{1,40}(?:\s*\(\s*"[^"\n]{0,80}"\s*\))?)\s*\))?)\s*=(?!=)([^:\n%]{0,200})/gim,
      ),
    ]
      .slice(0, 5000)
      .map((m): [string, string] => [m[1]!, m[2]!]),
    // A Scripting.Dictionary's entry: `d.Add "k", v` sets `d("k")` as `d("k") = v` would.
    ...[
      ...text.matchAll(
        /\b(\w{1,40})\s*\.\s*add\b[\s(]{0,8}("[^"\n]{0,40}"|\w{1,40}(?:\s*\(\s*"[^"\n]{0,80}"\s*\))?)\s*,([^:\n%]{0,200})/gi,
      ),
    ]
      .slice(0, 1000)
      .map((m): [string, string] => [`${m[1]}(${m[2]})`, m[3]!]),
  ];
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const [name, value] of assigns) if (carriesRequest(value, names)) names.add(key(name));
    if (names.size === before) break;
  }
  // A key given by a name that holds a constant is that constant's key: `d(k)` with
  // `k = "payload"` is `d("payload")`, as code the page assembles may read it back.
  for (const name of [...names]) {
    const keyed = /^(\w{1,40})\((\w{1,40})\)$/.exec(name);
    if (!keyed) continue;
    for (const value of assignmentsOf(text, keyed[2]!))
      if (/^"[^"\n]{0,40}"$/.test(value)) names.add(key(`${keyed[1]}(${value})`));
  }
  return names;
}

/** True when `expr` reads the request, or a name filled from it. */
function carriesRequest(expr: string, names: ReadonlySet<string>): boolean {
  return (
    ASP_INPUT.test(expr) ||
    // The Request object itself (`Set x = Request`), read later as `x("c")`.
    /^\s*request\s*$/i.test(expr) ||
    namesIn(expr).some((n) => names.has(n.whole) || names.has(n.head) || names.has(n.index)) ||
    // Code kept in a string for later (`c = x & "(v)"`): what it will read once run.
    namesInCodeStrings(expr).some((n) => names.has(n))
  );
}

// The Request object held whole in a name (`Set x = Request`).
const REQUEST_HELD = /=[ \t]*request[ \t]*(?:[:\r\n%]|$)/im;

// What an XMLHTTP request fetched, read as text or bytes.
const RESPONSE_READ = /\.\s*response(?:text|body)\b/i;

/** True when `operand` is what an HTTP request fetched, or a name set to it. */
function isDownloaded(text: string, operand: string): boolean {
  const o = operand.trim().replace(/^\(|\)$/g, '');
  if (RESPONSE_READ.test(o)) return true;
  return /^\w{1,40}$/.test(o) && assignmentsOf(text, o).some((v) => RESPONSE_READ.test(v));
}

// A value kept across requests, as the whole operand: `Session("x")`, `Application("k")`.
const KEPT_VALUE =
  /^\(?\s*(?:session|application)\s*(?:\.\s*(?:contents|item)\s*)?\(\s*"[^"\n]{0,40}"\s*\)\)?$/i;

/** `s` split at its top-level separators, commas unless told (bounded by the caller). */
function topLevelParts(s: string, separators = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (separators.includes(c!) && depth === 0) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  return [...parts, s.slice(from)];
}

// A key written as a literal or a bare name; any other key is one the page computes.
const PLAIN_KEY = /^\s*(?:"[^"\n]{0,40}"|\w{1,40})\s*$/;

/**
 * Containers (the Session, a Scripting.Dictionary) the page fills with the request under a
 * key it computes (`Session(Join(Array("p","a","y"),"")) = data`, `d.Add k(1), Session(k(1))`):
 * which key is read back cannot be told without running the page, so any read of the
 * container, run as code, runs what the request stored. Godzilla's classic ASP variants keep
 * the visitor's code in the session this way.
 */
function containersFilledFromRequest(text: string, names: ReadonlySet<string>): Set<string> {
  const writes: [string, string][] = [];
  for (const m of [...text.matchAll(/(?:^|[\s:;])(?:set\s+)?(\w{1,40})\s*\(/gim)].slice(0, 5000)) {
    const open = m.index! + m[0].length - 1;
    const args = callArgs(text, open);
    if (args.length === 0 || PLAIN_KEY.test(args.join(','))) continue;
    const close = open + 1 + args.join(',').length;
    const value = /^\s*=(?!=)([^:\n%]{0,200})/.exec(text.slice(close + 1, close + 220))?.[1];
    if (value !== undefined) writes.push([key(m[1]!), value]);
  }
  for (const m of [...text.matchAll(/\b(\w{1,40})\s*\.\s*add\b[ \t]*/gi)].slice(0, 1000)) {
    const at = m.index! + m[0].length;
    const statement =
      text[at] === '(' ? callArgs(text, at).join(',') : text.slice(at, at + 300).split(/\n|%>/)[0]!;
    const [entry, ...value] = topLevelParts(statement);
    if (entry !== undefined && !PLAIN_KEY.test(entry)) writes.push([key(m[1]!), value.join(',')]);
  }
  // Twice: a dictionary filled from the session the request filled.
  const filled = new Set<string>();
  for (let round = 0; round < 2; round++)
    for (const [container, value] of writes)
      if (carriesRequest(value, names) || namesIn(value).some((n) => filled.has(n.head)))
        filled.add(container);
  return filled;
}

/**
 * True when `operand` is the request itself (`Request.Form("cs")`, trimmed or not), or a
 * name set to it: the visitor gives all of it, not a part in a string of the page's own
 * (`"Data Source=" & Server.MapPath(Request("db"))` is an export to a file they name).
 */
function isWholeRequest(text: string, operand: string, hops = 1): boolean {
  const fromRequest = /^\(?\s*(?:trim\s*\(\s*)?request\b/i;
  const o = operand.trim();
  if (fromRequest.test(o)) return true;
  const name = /^\(?\s*(\w{1,40}(?:\s*\(\s*"[^"\n]{0,40}"\s*\))?)\s*\)?$/.exec(o)?.[1];
  if (!name) return false;
  // `sql = sqlText` after `sqlText = Trim(Request("q"))`: a name passed on whole, hops deep.
  return assignmentsOf(text, name)
    .slice(0, 20)
    .some(
      (value) => fromRequest.test(value) || (hops > 1 && isWholeRequest(text, value, hops - 1)),
    );
}

/**
 * True when `operand` reads the request, or names a value set from it in a step or two
 * (`a = Request("a")`, `b = Split(a, "|")`, then `b(0)`). A parameter of the procedure the
 * operand stands in is the caller's value, whatever a global of its name holds; and no
 * wider: a name merely seen near the request is not its value.
 */
function setFromRequest(
  text: string,
  operand: string,
  bodies: readonly { from: number; to: number; names: Set<string> }[],
  at: number,
): boolean {
  if (ASP_INPUT.test(operand)) return true;
  const params = bodies.find((b) => b.from <= at && at < b.to)?.names;
  let heads = namesIn(operand)
    .map((n) => n.head)
    .filter((h) => !params?.has(h));
  for (let depth = 0; depth < 2 && heads.length; depth++) {
    const values = heads.slice(0, 20).flatMap((h) => assignmentsOf(text, h).slice(0, 20));
    if (values.some((v) => ASP_INPUT.test(v))) return true;
    heads = values.flatMap((v) => namesIn(v).map((n) => n.head));
  }
  return false;
}

// Assignments: `name = value`, `Set name = value`, `session("k") = value`.
const ASSIGNMENT =
  /(?:^|[\s:;(])(?:set\s+)?(\w{1,40}(?:\s*\(\s*"[^"\n]{0,40}"\s*\))?)\s*=(?!=)([^:\n%]{0,200})/gim;

// The last page's assignments, read once: the writers' and openers' loops ask for many names.
let assignments: { text: string; list: [string, string][] } | undefined;

/** The values the page assigns to `name`, trimmed (bounded). */
function assignmentsOf(text: string, name: string): string[] {
  if (assignments?.text !== text)
    assignments = {
      text,
      list: [...text.matchAll(ASSIGNMENT)]
        .slice(0, 5000)
        .map((m): [string, string] => [key(m[1]!), m[2]!.trim()]),
    };
  return assignments.list.filter(([k]) => k === key(name)).map(([, value]) => value);
}

// The last string of a name's expression, when the expression ends with it.
const LAST_STRING = /"([^"\n]{0,80})"[\s)]{0,6}$/;
const SCRIPT_EXTENSIONS = new Set(
  'asp asa cer aspx ashx asmx php php3 php4 php5 php7 phtml jsp shtml shtm stm config htaccess'.split(
    ' ',
  ),
);
const endsHarmless = (expression: string) => {
  const extension = /\.(\w{1,8})$/.exec(LAST_STRING.exec(expression)?.[1] ?? '')?.[1];
  return extension !== undefined && !SCRIPT_EXTENSIONS.has(extension.toLowerCase());
};

/**
 * True when the file a page writes ends in an extension of its own that IIS does not run:
 * the visitor picks which file (a page's cache, an ad's script), not a page to plant.
 */
function endsInHarmlessExtension(text: string, operand: string): boolean {
  const o = operand.trim();
  if (endsHarmless(o)) return true;
  const name = /^\w{1,40}$/.exec(o)?.[0];
  if (!name) return false;
  const values = assignmentsOf(text, name);
  return values.length > 0 && values.every(endsHarmless);
}

// A URL the page spells out, fetched (XMLHTTP, ServerXMLHTTP, WinHttp all `.Open` a verb
// and a URL) and read back.
const FETCHES_URL = /\.\s*open\b\s*(?:\(\s*)?"(?:get|post)"\s*,\s*"(?:https?|ftp):\/\//i;
const READS_RESPONSE = /\.\s*response(?:body|text|stream)\b/i;
// The HTTP clients a page creates (XMLHTTP, ServerXMLHTTP, WinHttp), and their `.Open`
// calls: the verb, then the URL.
const HTTP_CLIENT =
  /\bset\s+(\w{1,40})\s*=\s*(?:server\s*\.\s*)?createobject\s*\(\s*"(?:msxml2\.(?:server)?xmlhttp|microsoft\.xmlhttp|winhttp\.winhttprequest)\b/gi;
const OPENS = /\b(\w{1,40})\s*\.\s*open\b\s*\(?/gi;
// What was fetched, sent back to the visitor.
const SENDS_BACK = /\bresponse\s*\.\s*(?:write|binarywrite)\b\s*\(?/gi;

/**
 * True when the page writes what it fetched back to the visitor: `Response.Write` of a
 * response read (`x.responseText`), or of a name set from one, in a step or two. A page
 * that saves what it fetches as a static file writes other things back.
 */
function sendsResponseBack(text: string): boolean {
  const holders = new Set<string>();
  for (let round = 0; round < 2; round++)
    for (const m of [...text.matchAll(ASSIGNMENT)].slice(0, 5000))
      if (
        READS_RESPONSE.test(m[2]!) ||
        namesIn(m[2]!).some((n) => holders.has(n.head) || holders.has(n.whole))
      )
        holders.add(key(m[1]!));
  return [...text.matchAll(SENDS_BACK)].slice(0, 300).some((m) => {
    const operand = operandOf(text, m);
    return (
      READS_RESPONSE.test(operand) ||
      namesIn(operand).some((n) => holders.has(n.head) || holders.has(n.whole))
    );
  });
}
const SAVES = /\.\s*(?:savetofile|createtextfile)\b\s*\(?/gi;

/**
 * Code fetched from a URL the page spells out and saved as a server page it names
 * (`xPost.Open "GET","http://…/shell.txt"` … `.SaveToFile "D:\…\shell.asp",2`): a dropper,
 * with no request input at all. An installer saves under the names its release list gives
 * (`Server.MapPath(".") & "\" & item.Value`), a CMS the images it fetches.
 */
function savesDownloadAsPage(text: string, isUrlNamed = false): boolean {
  if (!(isUrlNamed || FETCHES_URL.test(text)) || !READS_RESPONSE.test(text)) return false;
  return [...text.matchAll(SAVES)].slice(0, 100).some((m) => {
    const name = LAST_STRING.exec(firstArgumentOf(text, m).trim())?.[1] ?? '';
    const extension = /\.(\w{1,8})$/.exec(name)?.[1];
    return extension !== undefined && SCRIPT_EXTENSIONS.has(extension.toLowerCase());
  });
}

// A path mapped to the site's folder (`Server.MapPath(x)`): x is what the page chose.
const MAPPED = /^\s*server\s*\.\s*mappath\s*\(([^\n]{0,300})\)\s*$/i;
const withoutMapPath = (operand: string) => MAPPED.exec(operand)?.[1] ?? operand;

/**
 * Where a URL expression starts, past literal pieces that name only a scheme: who picks the
 * host (`"http://" & Request("h") & "/x"` is the visitor's; `base & Request("p")` is not).
 */
function urlHead(url: string): string {
  return topLevelParts(url, '&+').find((p) => !/^\s*"(?:(?:https?|ftp):\/\/)?"\s*$/i.test(p)) ?? '';
}

// VBScript's string functions that keep their first argument's start (`Split(url, "://")(0)`).
const KEEPS_START = /^(?:split|mid|left|trim|ltrim|rtrim|lcase|ucase|replace|unescape|cstr)\s*\(/i;
// A URL the page spells out with its host (`"http://notify.example/q?"`).
const OWN_URL = /^"(?:https?|ftp):\/\/[^"\s/]{1,200}/i;

/**
 * True when a URL's start (past a literal scheme) is the request's: read in place, through
 * a string function that keeps its start, or through a name set so (its own appends aside).
 * A name the page sets to a URL of its own anywhere (`u = "http://notify.example/q?"`, then
 * `u = u & "&id=" & Request("id")`) is the page's, whatever it appends. Five steps deep.
 */
function urlFromRequest(text: string, url: string, depth = 0, seen = new Set<string>()): boolean {
  const head = urlHead(url).trim();
  if (!head || depth > 5) return false;
  // The request's own values; its server variables name the site itself (SERVER_NAME).
  if (/^\(?\s*request\b(?!\s*\.\s*servervariables\b)/i.test(head)) return true;
  const kept = KEEPS_START.exec(head);
  if (kept)
    return urlFromRequest(text, callArgs(head, kept[0].length - 1)[0] ?? '', depth + 1, seen);
  const name = /^(\w{1,40})(?:\s*\(\s*\))?$/.exec(head)?.[1];
  // Each name is followed once: a page's names set from each other cannot make it walk
  // the same values again (a hostile page could chain many).
  if (!name || seen.has(name.toLowerCase())) return false;
  const lower = name.toLowerCase();
  seen.add(lower);
  // VBScript's `=` compares too (`If url = "" Then`): a value read so, or cut at a ':' in a
  // string, is no URL of the page's own. One that spells a host out is.
  const values = assignmentsOf(text, name)
    .map((v) => v.trim())
    .filter((v) => /^\w{1,40}/.exec(v)?.[0].toLowerCase() !== lower);
  if (values.some((v) => OWN_URL.test(v))) return false;
  return values.slice(0, 50).some((v) => urlFromRequest(text, v, depth + 1, seen));
}

/** A name as VBScript sees it: any case, no blanks (`Session( "k" )` is `session("k")`). */
const key = (name: string) => name.toLowerCase().replace(/\s+/g, '');

/** What a runner match acts on: its call's arguments, or the rest of its statement. */
function operandOf(text: string, m: RegExpMatchArray): string {
  const at = m.index! + m[0].length;
  if (m[0].endsWith('(')) return callArgs(text, at - 1).join(',');
  const rest = text.slice(at, at + 300);
  const stop = rest.search(/\n|%>|:(?=\s*(?:\w|$))/);
  return stop < 0 ? rest : rest.slice(0, stop);
}

/** A method call's first argument, in parentheses or not (`f.Open(x, 1)`, `f.Open x, 1`). */
function firstArgumentOf(text: string, m: RegExpMatchArray): string {
  return m[0].endsWith('(')
    ? (callArgs(text, m.index! + m[0].length - 1)[0] ?? '')
    : operandOf(text, m).split(',')[0]!;
}

/** Calls of the page's own functions and subs named in `own` (lower case), not their definitions. */
function callsOfOwn(text: string, own: ReadonlySet<string>): RegExpMatchArray[] {
  if (!own.size) return [];
  return [...text.matchAll(/\b(\w{1,40})\b[ \t]*\(?/g)].slice(0, 20000).filter(
    (m) =>
      own.has(m[1]!.toLowerCase()) &&
      // A definition names it on its own line: `End Sub` then a call on the next is a call.
      !/\b(?:function|sub|property[ \t]+(?:let|set|get))[ \t]+$/i.test(
        text.slice(Math.max(0, m.index! - 16), m.index!),
      ),
  );
}

/**
 * The page's own functions and subs that hand a parameter to `runners`: as code, whole
 * (`Function x(s) eval s End Function`), or as part of a command line (`Sub t(s) … o.exec(s)
 * … End Sub`, `.run "cmd /c " & s`). A call to one runs its argument as surely as the runner.
 * A class's `Property Let p(v)` is one too: `obj.p = request("x")` calls it with the request.
 */
function ownRunners(text: string, runners = CODE_RUNNERS, isPart = false): Set<string> {
  const out = new Set<string>();
  const makesControl = SCRIPT_CONTROL.test(text);
  for (const m of [
    ...text.matchAll(
      /\b(?:function|sub|property\s+(?:let|set))\s+(\w{1,40})\s*\(([\w\s,]{0,200})\)/gi,
    ),
  ].slice(0, 500)) {
    const params = m[2]!
      .split(',')
      .map((p) =>
        p
          .trim()
          .replace(/^(?:byval|byref)\s+/i, '')
          .toLowerCase(),
      )
      .filter(Boolean);
    if (!params.length) continue;
    const start = m.index! + m[0].length;
    const end = text.slice(start, start + 5000).search(/\bend\s+(?:function|sub|property)\b/i);
    const body = text.slice(start, end < 0 ? start + 5000 : start + end);
    for (const r of [...body.matchAll(runners)].slice(0, 50)) {
      if (!makesControl && isMethodEval(body, r)) continue;
      // JScript's eval takes a second argument (`eval(str, "unsafe")`): the code is the first.
      const operand = firstArgumentOf(body, r)
        .trim()
        .replace(/^\(/, '')
        .replace(/\)$/, '')
        .trim()
        .toLowerCase();
      const isGiven = isPart
        ? namesIn(operand).some((n) => params.includes(n.whole))
        : params.includes(operand);
      if (isGiven) out.add(m[1]!.toLowerCase());
    }
  }
  return out;
}

/** Each Function's and Sub's body (where it starts and ends) and its parameters' keys. */
function procedureBodies(text: string): { from: number; to: number; names: Set<string> }[] {
  const ends = [...text.matchAll(/\bend\s+(?:function|sub)\b/gi)]
    .slice(0, 2000)
    .map((m) => m.index!);
  return [...text.matchAll(/\b(?:function|sub)\s+\w{1,40}\s*\(([^)\n]{0,400})\)/gi)]
    .slice(0, 2000)
    .map((m) => ({
      from: m.index!,
      to: ends.find((e) => e > m.index!) ?? text.length,
      names: new Set(
        m[1]!
          .split(',')
          .map((p) => key(p.replace(/^\s*(?:byval|byref)\s+/i, '').replace(/\(\s*\)$/, '')))
          .filter(Boolean),
      ),
    }));
}

/**
 * Why a classic ASP page is a web shell, or undefined: what the visitor sent (directly, or
 * through names filled from it) handed to code run from text, to a program runner, or to a
 * file writer as the file's name.
 */
const DECODER_CALL = /^(\w{1,40})\s*\(/;

const NAME_OR_ENTRY = /^\w{1,40}(?:\s*\(\s*"[^"\n]{0,40}"\s*\))?$/;

/** `Replace(c, …)`, `Trim(c)`, `Mid(c, …)`: a string function given the name's own value. */
const isEditedInPlace = (value: string, name: string) => {
  const call =
    /^(?:replace|trim|ltrim|rtrim|mid|left|right|lcase|ucase)\s*\(\s*([^,)]{1,80})[,)]/i.exec(
      value,
    );
  return !!call && key(call[1]!) === key(name);
};

/**
 * True when a decoder's arguments (from after its `(`) are text the page carries: a literal,
 * or a name (or session entry) every visible value of which is a literal, another such name,
 * the same name edited in place (`c = Replace(c, "x", Chr(37) & ">")`), or the decoder's own
 * result fed back (`session("k")=mkc(k):k=session("k")`).
 */
function decodesCarriedText(text: string, args: string, decoder: string): boolean {
  const first = args.trim();
  if (first.startsWith('"')) return true;
  const name = /^(\w{1,40}(?:\s*\(\s*"[^"\n]{0,40}"\s*\))?)\s*[,)]/.exec(first)?.[1];
  if (!name) return false;
  const fedBack = `${decoder.toLowerCase()}(`;
  let pending = [name];
  let isLiteral = false;
  for (let depth = 0; depth < 3 && pending.length; depth++) {
    const next: string[] = [];
    for (const n of pending.slice(0, 8))
      for (const value of assignmentsOf(text, n).slice(0, 8)) {
        if (value.startsWith('"')) isLiteral = true;
        else if (isEditedInPlace(value, n)) continue;
        else if (NAME_OR_ENTRY.test(value)) next.push(value);
        else if (!value.toLowerCase().replace(/\s+/g, '').startsWith(fedBack)) return false;
      }
    pending = next;
  }
  return isLiteral;
}

/**
 * The decoding function whose result `operand` is: a call of one of the page's own
 * functions or of unescape()/StrReverse(), written in place or assigned to the name (or
 * session entry) the operand reads, two assignments deep.
 */
function decodedBy(text: string, operand: string, own: ReadonlySet<string>): string | undefined {
  let candidates = [operand];
  for (let depth = 0; depth < 3; depth++) {
    const next: string[] = [];
    for (const expr of candidates.slice(0, 8)) {
      const trimmed = expr.trim();
      // `Execute (x)`: the parentheses wrap the operand.
      const bare = /^\(.*\)$/.test(trimmed) ? trimmed.slice(1, -1).trim() : trimmed;
      const call = DECODER_CALL.exec(bare);
      const isDecoder =
        call && (own.has(call[1]!.toLowerCase()) || /^(?:unescape|strreverse)$/i.test(call[1]!));
      // Reached through a name, the decoder must be given text the page carries: a template
      // engine's `code = Parse(tpl): Execute code` runs what it builds from its templates,
      // not an encoded payload.
      if (
        isDecoder &&
        (depth === 0 || decodesCarriedText(text, bare.slice(call[0].length), call[1]!))
      )
        return call[1];
      if (NAME_OR_ENTRY.test(bare)) next.push(...assignmentsOf(text, bare).slice(0, 4));
    }
    candidates = next;
  }
  return undefined;
}

// `s = s & Chr(…)`: a value grown by one character from a code.
const GROWN_BY_CHR = /^(\w{1,40})\s*&\s*chrw?\s*\(/i;

/**
 * True when `operand` is a name (or one set from a name) that the page builds a character
 * at a time from codes (`s = s & Chr(n)`, in a loop over an array of codes): code spelt out
 * so that no reader of the source sees it. Two assignments deep.
 */
function spelledFromCodes(text: string, operand: string): boolean {
  const bare = operand
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  let names = /^\w{1,40}$/.test(bare) ? [bare] : [];
  for (let depth = 0; depth < 2 && names.length; depth++) {
    const next: string[] = [];
    for (const name of names.slice(0, 4))
      for (const value of assignmentsOf(text, name).slice(0, 8)) {
        const grown = GROWN_BY_CHR.exec(value);
        if (grown && key(grown[1]!) === key(name)) return true;
        if (/^\w{1,40}$/.test(value)) next.push(value);
      }
    names = next;
  }
  return false;
}

// JScript's eval held as a value: in a name (`var e = eval;`) or an object's key (`Fla =
// {'E': eval}`), to be called through it.
const EVAL_IN_NAME = /\b(\w{1,40})\s*=\s*eval\s*[;\n]/g;
const EVAL_IN_OBJECT = /\b(\w{1,40})\s*=\s*\{[^}\n]{0,200}?['"]?(\w{1,40})['"]?\s*:\s*eval\s*[,}]/g;

/** The text with each call through a name or key holding eval spelt as the eval() it is. */
function withEvalSpelt(text: string): string {
  const aliases = [
    ...[...text.matchAll(EVAL_IN_NAME)].slice(0, 10).map((m) => [`${m[1]}(`]),
    ...[...text.matchAll(EVAL_IN_OBJECT)]
      .slice(0, 10)
      .map((m) => [`${m[1]}.${m[2]}(`, `${m[1]}['${m[2]}'](`, `${m[1]}["${m[2]}"](`]),
  ].flat();
  let out = text;
  for (const alias of aliases) {
    // Only where the alias starts a name: `e(` is not the end of `Replace(`.
    const parts = out.split(alias);
    out = parts.reduce((joined, part, i) =>
      i === 0 ? part : joined + (/[\w.$]$/.test(joined) ? alias : 'eval(') + part,
    );
  }
  return out;
}

export function classicAspShell(text: string): string | undefined {
  text = withEvalSpelt(text);
  // Without request input, only code the page decodes and runs can make it a shell.
  const hasInput = ASP_INPUT.test(text) || REQUEST_HELD.test(text);
  const names = hasInput ? requestNames(text) : new Set<string>();
  // A stream object written with the request (`s.Write Request.BinaryRead(…)`) holds it: what
  // it reads back (`s.ReadText`) is the request too.
  const streams = hasInput
    ? new Set([...text.matchAll(STREAM_CREATED)].slice(0, 50).map((m) => m[1]!.toLowerCase()))
    : new Set<string>();
  for (const m of [...text.matchAll(STREAM_FILLED)].slice(0, 100))
    if (streams.has(m[1]!.toLowerCase()) && ASP_INPUT.test(operandOf(text, m)))
      names.add(m[1]!.toLowerCase());
  const bodies = procedureBodies(text);
  // Inside a Function or Sub, its parameters are its own: a global of the same name filled
  // from the request is not what the body reads (callers are judged through `wrappers`).
  const carries = (operand: string, at?: number, isCode = false) => {
    if (ASP_INPUT.test(operand)) return true;
    const params = at === undefined ? undefined : bodies.find((b) => b.from <= at && at < b.to);
    if (isCode && namesInCodeStrings(operand).some((n) => names.has(n) && !params?.names.has(n)))
      return true;
    return namesIn(operand).some(
      (n) =>
        !params?.names.has(n.head) &&
        (names.has(n.whole) ||
          names.has(n.head) ||
          (!params?.names.has(n.index) && names.has(n.index))),
    );
  };
  // Functions of the page's own, by name: a decoder it carries (`Function DeCode(Coded)`).
  const own = new Set(
    [...text.matchAll(/\bfunction\s+(\w{1,40})\s*\(/gi)]
      .slice(0, 500)
      .map((m) => m[1]!.toLowerCase()),
  );
  // Containers holding the request under a key the page computes.
  const containers = hasInput ? containersFilledFromRequest(text, names) : new Set<string>();
  const readsContainer = (expr: string) =>
    containers.size > 0 &&
    [...expr.matchAll(/\b(\w{1,40})\s*(?:\.\s*item\s*)?\(/gi)]
      .slice(0, 100)
      .some((m) => containers.has(key(m[1]!)));
  const inString = stringMask(text);
  const makesControl = SCRIPT_CONTROL.test(text);
  for (const m of [...text.matchAll(CODE_RUNNERS)]
    .filter((m) => !inString[m.index!] && (makesControl || !isMethodEval(text, m)))
    .slice(0, 300)) {
    const operand = operandOf(text, m);
    const runner = m[0].replace('(', '').trim();
    if (carries(operand, m.index, true))
      return `classic ASP running the request as code (${runner} on request input)`;
    if (readsContainer(operand))
      return `classic ASP running what the request stored in the session or a dictionary (${runner})`;
    // Code fetched from a URL and run (`x.open "GET", "http://…"`, then `Execute x.responseText`).
    if (isDownloaded(text, operand))
      return `classic ASP running code it downloads (${runner} of an HTTP response)`;
    // Code a first request left in the session or the application, run by this page.
    if (KEPT_VALUE.test(operand.trim()))
      return `classic ASP running code kept in the session or the application (${runner})`;
    // Execute(s) where s = "eval" & "(" & "request(""x""))", or is joined from "e!v!a!l…" by
    // Split and Join, or from character codes: the request, in code it assembles.
    const assembled = vbStringValues(operand, (name) => assignmentsOf(text, name)).find(
      (v) => carriesRequest(v, names) || readsContainer(v),
    );
    if (assembled !== undefined)
      return `classic ASP running the request as code it assembles from pieces (${runner} of ${JSON.stringify(assembled.slice(0, 60))})`;
    // Execute(DeCode("…")), Execute unescape("…"): code the page decodes for itself, then runs;
    // also kept in a name or the session first (`session("k")=mkc(k):k=session("k"):execute k`).
    const decoder = decodedBy(text, operand, own);
    if (decoder) return `classic ASP running code it decodes itself (${runner} of ${decoder}("…"))`;
    if (spelledFromCodes(text, operand))
      return `classic ASP running code it spells out from character codes (${runner})`;
  }
  // A function of the page's own that runs its argument, called with the request or with
  // code the page decodes for itself (`exs(dec("5566…", "1314"))`).
  const wrappers = ownRunners(text);
  if (wrappers.size)
    for (const m of callsOfOwn(text, wrappers)) {
      if (hasInput && carries(operandOf(text, m)))
        return `classic ASP running the request as code (through ${m[1]}, a function of its own that runs its argument)`;
      // A wrapper called on another's call (`exs(exs(dec(…)))`): what the innermost is given.
      let arg = firstArgumentOf(text, m).trim();
      for (let depth = 0; depth < 3; depth++) {
        const inner = DECODER_CALL.exec(arg);
        if (!inner || !wrappers.has(inner[1]!.toLowerCase())) break;
        arg = (callArgs(arg, inner[0].length - 1)[0] ?? '').trim();
      }
      const decoder = decodedBy(text, arg, own);
      if (decoder)
        return `classic ASP running code it decodes itself (through ${m[1]}, of ${decoder}("…"))`;
    }
  if (savesDownloadAsPage(text))
    return 'classic ASP saving what it downloads from a URL as a server page it names (a dropper)';
  // A script component fetched from a URL and run (`GetObject("script:http://…/x.sct")`).
  if (SCRIPTLET_FROM_URL.test(text))
    return 'classic ASP running a script component it fetches from a URL (the script: moniker)';
  if (!hasInput) return undefined;
  // A database console: an ADODB connection opened with the connection string the visitor
  // gives (`Conn.Open Request.Form("DBString")`, or kept in the session from the request).
  const connections = new Set(
    [
      ...text.matchAll(
        /\bset\s+(\w{1,40})\s*=\s*(?:server\s*\.\s*)?createobject\s*\(\s*"adodb\.connection"/gi,
      ),
    ]
      .slice(0, 50)
      .map((m) => m[1]!.toLowerCase()),
  );
  for (const m of [...text.matchAll(/(\w{1,40})\s*\.\s*open\b\s*\(?/gi)].slice(0, 300)) {
    if (!connections.has(m[1]!.toLowerCase())) continue;
    if (isWholeRequest(text, firstArgumentOf(text, m)))
      return 'classic ASP connecting to the database the visitor names (a database console)';
  }
  // The statement itself the visitor's, whole (`SQL = Sql_content` after `Sql_content =
  // Trim(Request("Sql_content"))`, then `conn.execute SQL`): not a value placed in the
  // page's own query, which is how applications use the request.
  for (const m of [...text.matchAll(/(\w{1,40})\s*\.\s*execute\b\s*\(?/gi)].slice(0, 300)) {
    if (!connections.has(m[1]!.toLowerCase())) continue;
    if (isWholeRequest(text, firstArgumentOf(text, m), 2))
      return 'classic ASP running the SQL the visitor types (a database console)';
  }
  // A file browser: sends any file the visitor names (an ADODB.Stream loaded from it) and
  // lists any folder they name. A download page sends files too, from folders of its own.
  const firstArgCarries = (re: RegExp) =>
    [...text.matchAll(re)].slice(0, 300).some((m) => carries(firstArgumentOf(text, m), m.index));
  if (firstArgCarries(/\.\s*loadfromfile\b\s*\(?/gi) && firstArgCarries(/\.\s*getfolder\b\s*\(?/gi))
    return "classic ASP browsing the server's files: lists any folder and sends any file the visitor names";
  // An object of a class the visitor names (`CreateObject(Request("c"))`): any COM server
  // the host has, WScript.Shell among them. Pages name the classes they use.
  // A moniker of the page's own with the visitor's name in it (`GetObject("WinNT://" +
  // user)`) looks the user up; it names no class.
  for (const m of [...text.matchAll(/\b(?:createobject|getobject)\b[ \t]*\(?/gi)].slice(0, 300)) {
    const named = firstArgumentOf(text, m);
    if (!/^\s*(?:\(\s*)?"/.test(named) && setFromRequest(text, named, bodies, m.index!))
      return 'classic ASP creating an object of the class the request names (any COM server, WScript.Shell among them)';
  }
  // By name, or by class id in an `<object runat=server classid=…>` element: WScript.Shell's
  // two and Shell.Application's.
  const hasShell =
    /wscript\.shell|shell\.application|win32_process\b|\b(?:72C24DD5-D70A-438B-8A42-98424B88AFB8|F935DC22-1CF0-11D0-ADB9-00C04FD58A0B|13709620-C279-11CE-A49E-444553540000)\b/i.test(
      text,
    );
  if (hasShell) {
    for (const m of [...text.matchAll(PROGRAM_RUNNERS)].slice(0, 300))
      if (carries(operandOf(text, m), m.index))
        return 'classic ASP running a program the request names (WScript.Shell, Shell.Application or WMI)';
    // A Sub of the page's own that starts the command line it is given, called with the request.
    for (const m of callsOfOwn(text, ownRunners(text, PROGRAM_RUNNERS, true)))
      if (carries(operandOf(text, m)))
        return `classic ASP running a program the request names (through ${m[1]}, a function of its own that starts it)`;
    // Shell.Application's folders opened where the visitor says (`sh.NameSpace(Request("d"))`,
    // then `.Items`, `.CopyHere`, `.MoveHere`): a file manager that needs no FileSystemObject.
    if (/shell\.application/i.test(text))
      for (const m of [...text.matchAll(/\.\s*namespace\b\s*\(?/gi)].slice(0, 300))
        if (carries(operandOf(text, m), m.index))
          return "classic ASP opening the folders the visitor names through Shell.Application (lists, copies or moves the server's files)";
  }
  // A URL the visitor names, fetched (`x.Open "GET", Request("u"), False`, any verb): saved
  // as a server page, a dropper; sent back, a proxy into the server's network (Laudanum's).
  const clients = new Set(
    [...text.matchAll(HTTP_CLIENT)].slice(0, 50).map((m) => m[1]!.toLowerCase()),
  );
  const fetchesNamedUrl =
    clients.size > 0 &&
    READS_RESPONSE.test(text) &&
    [...text.matchAll(OPENS)]
      .slice(0, 300)
      .some(
        (m) =>
          clients.has(m[1]!.toLowerCase()) &&
          urlFromRequest(text, topLevelParts(operandOf(text, m))[1] ?? ''),
      );
  if (fetchesNamedUrl && savesDownloadAsPage(text, true))
    return 'classic ASP saving what it fetches from a URL the visitor names as a server page (a dropper)';
  if (fetchesNamedUrl && sendsResponseBack(text))
    return "classic ASP fetching the URL the visitor names and sending back what it gets (a proxy into the server's network)";
  // A file manager: lists any folder the visitor names and deletes, moves or copies the
  // files they name, each path the request whole. An editor's connector lists and uploads,
  // and an application's upload manager deletes, within a folder of its own.
  const firstArgWhole = (re: RegExp) =>
    [...text.matchAll(re)]
      .slice(0, 300)
      .some((m) => isWholeRequest(text, withoutMapPath(firstArgumentOf(text, m))));
  if (
    firstArgWhole(/\.\s*getfolder\b\s*\(?/gi) &&
    firstArgWhole(
      /\.\s*(?:deletefile|deletefolder|movefile|movefolder|copyfile|copyfolder)\b\s*\(?/gi,
    )
  )
    return "classic ASP managing the server's files: lists any folder and deletes or moves any file the visitor names";
  const hasWriter = /scripting\.filesystemobject|adodb\.stream/i.test(text);
  // The request written into a file the page names as a server script (`CreateTextFile(
  // Server.MapPath("up1oad.asp"))`, then `.Write(shell)`): a dropper of pages.
  if (
    hasWriter &&
    /\.\s*(?:createtextfile|opentextfile|savetofile)\b[^\n]{0,120}\.(?:asp|aspx|asa|cer|php|jsp)["']/i.test(
      text,
    )
  )
    for (const m of [
      ...text.matchAll(/(\w{1,40})\s*\.\s*(?:write|writeline|writetext)\b\s*\(?/gi),
    ].slice(0, 300))
      if (!/^response$/i.test(m[1]!) && carries(operandOf(text, m), m.index))
        return 'classic ASP writing the request into a server page it names (a dropper)';
  if (hasWriter)
    for (const m of [...text.matchAll(FILE_WRITERS)].slice(0, 300)) {
      const first = firstArgumentOf(text, m);
      if (carries(first, m.index) && !endsInHarmlessExtension(text, first))
        return `classic ASP writing a file the request names (${m[0].replace(/[.\s(]/g, '')})`;
    }
  return undefined;
}
