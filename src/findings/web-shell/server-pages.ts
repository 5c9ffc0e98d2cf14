/**
 * Server pages (JSP, ASP.NET): what a page should never do with the request: write or hand
 * out a file the visitor names, or run the SQL the visitor types. Variables here have no
 * `$`, so input is followed by bare names.
 */
import { JAVA_METHOD, callArgs, ownFunctions } from './code-text.js';
import { INPUT, near } from './request-flow.js';

// Writing files: Java's streams and writers (qualified or not, a log handler's file too), .NET's streams, writers
// (VB's names in any case), and uploads (ASP.NET's SaveAs, a servlet Part's or a
// commons-fileupload item's write to a File).
export const STREAM_WRITER =
  /new\s+(?:java\.io\.)?(?:FileOutputStream|FileWriter|PrintWriter|RandomAccessFile)\s*\(|\bnew\s+(?:java\.util\.logging\.)?FileHandler\s*\(|\bnew\s+(?:System\.IO\.)?FileStream\s*\([^;\n]{0,200}FileMode\.(?:Create|Append|OpenOrCreate)|\bnew\s+(?:System\.IO\.)?StreamWriter\s*\(|\bFile\.(?:WriteAll(?:Bytes|Text|Lines)|AppendAll(?:Text|Lines)|Copy|Move)\s*\(|\.SaveAs\s*\(|\.DownloadFile\s*\(|\bFiles\.(?:write(?:String)?|copy|move|newOutputStream|newBufferedWriter)\s*\(|\bFileUtils\.(?:write(?:StringToFile|ByteArrayToFile|Lines)?|copy(?:InputStreamToFile|URLToFile|File))\s*\(|\.getPart\s*\([^)\n]{0,80}\)\s*\.\s*write\s*\(|\.write\s*\(\s*new\s+(?:java\.io\.)?File\s*\(/gi;

// A file handed to the visitor (the response's methods through `Response` or a variable
// holding it, `response`), or opened for reading.
const STREAM_READER =
  /\b[Rr]esponse\.(?:WriteFile|TransmitFile)\s*\(|new\s+(?:java\.io\.)?(?:FileInputStream|FileReader)\s*\(|\bFile\.ReadAll(?:Bytes|Text|Lines)\s*\(/g;

// A folder's entries listed: .NET's Directory and DirectoryInfo, Java's File (its
// listFiles() or list() on the file opened). A folder browser lists the path the visitor
// sends, whole; an application lists its own folder, or one under it.
const NET_FOLDER_LISTER =
  /\bDirectory\.(?:GetFiles|GetDirectories|GetFileSystemEntries|Enumerate(?:Files|Directories|FileSystemEntries))\s*\(|\bnew\s+(?:System\.IO\.)?DirectoryInfo\s*\(/g;
const JAVA_FILE_OPENED = /\bnew\s+(?:java\.io\.)?File\s*\(/g;
const JAVA_LISTS_FOLDER = /\.(?:listFiles|list)\s*\(\s*\)/;

// A file or folder deleted: .NET's File and Directory, Java's File (its delete()).
const NET_DELETER = /\b(?:File|Directory)\.Delete\s*\(/g;
const JAVA_DELETES = /\.delete\s*\(\s*\)/;

// A file read through .NET's reader or Java's NIO path, for a folder browser's reader: by
// the path the visitor sends, whole (`new StreamReader(Request.InputStream)` reads the request).
const NET_FILE_READER =
  /\bnew\s+(?:System\.IO\.)?StreamReader\s*\(|\bFile\.Open(?:Read|Text)?\s*\(/g;
const JAVA_PATH_OF = /\b(?:Paths\.get|Path\.of)\s*\(/g;
const JAVA_NIO_READS =
  /\bFiles\.(?:readAllBytes|readAllLines|readString|newInputStream|newBufferedReader|lines)\s*\(/;

export const SQL_FROM_INPUT =
  /new\s+Sql(?:Command|Connection)\s*\(\s*(?:this\.)?\w{1,40}\.Text\b|ConnectionString\s*=[^;\n]{0,80}\.Text\b|\.execute(?:Query|Update)?\s*\(\s*request\.getParameter\s*\(/;

// ASP.NET's server controls that carry what the visitor posts: Web controls, and HTML
// elements marked runat="server" (HtmlInputText, HtmlTextArea, HtmlSelect, HtmlInputFile).
const SERVER_CONTROL =
  /<(asp:(?:TextBox|HiddenField|DropDownList|ListBox|RadioButtonList|FileUpload)|input|textarea|select)\b([^>]{0,400})>/gi;
const CONTROL_ID = /(?<![\w-])id\s*=\s*["']?(\w{1,40})/i;
const RUNS_AT_SERVER = /\brunat\s*=\s*["']?server\b/i;

/**
 * What the visitor typed into the page's own controls, read as their values (`T1.Text`,
 * `this.sql.Value`, `ddl.SelectedValue`, `up.PostedFile`): a form field, as much request
 * input as `Request.Form`. An HTML element without runat="server" is no control of the page's.
 */
export function controlValues(text: string): RegExp | undefined {
  const ids = [...text.matchAll(SERVER_CONTROL)]
    .slice(0, 500)
    .filter((m) => m[1]!.toLowerCase().startsWith('asp:') || RUNS_AT_SERVER.test(m[2]!))
    .flatMap((m) => CONTROL_ID.exec(m[2]!)?.[1] ?? []);
  return ids.length
    ? new RegExp(
        String.raw`\b(?:${[...new Set(ids)].slice(0, 50).join('|')})\s*\.\s*(?:Text|Value|SelectedValue|PostedFile|FileName|FileBytes|FileContent)\b`,
      )
    : undefined;
}

// ADO.NET's SQL or connection string set on an object (`cmd.CommandText = …`).
const ADO_TEXT_SET = /\.\s*(?:CommandText|ConnectionString)\s*=(?!=)\s*([^;\n]{1,120})/g;

/**
 * ADO.NET given, as its SQL or its connection string, a control's value as the visitor typed
 * it (`cmd.CommandText = txtSql.Text`, `new SqlConnection(conn.Value)`): a database console.
 * An application writes its SQL around what a control holds.
 */
export function sqlFromControl(text: string, controls: RegExp | undefined): boolean {
  if (!controls) return false;
  const isControlValue = (expr: string) => {
    const v = expr
      .replace(/\.\s*(?:Trim|ToString)\s*\(\s*\)/g, '')
      .replace(/^\s*this\s*\.\s*/, '')
      .trim();
    const m = controls.exec(v);
    return m !== null && m.index === 0 && m[0].length === v.length;
  };
  return (
    [...text.matchAll(ADO_TEXT_SET)].slice(0, 100).some((m) => isControlValue(m[1]!)) ||
    [...text.matchAll(ADO_SQL)]
      .slice(0, 100)
      .some((m) => isControlValue(callArgs(text, m.index! + m[0].length - 1)[0] ?? ''))
  );
}

// A FileInfo the page creates, in a page that opens one for writing.
const FILE_INFO = /\bnew\s+(?:System\.IO\.)?FileInfo\s*\(/gi;
const FILE_INFO_WRITTEN = /\.(?:CreateText|AppendText|OpenWrite)\s*\(\s*\)/;

/** A page writing a file whose name or content the request gave (streams, writers, FileInfo). */
function writesFromInput(text: string): boolean {
  return (
    opensFromInput(text, STREAM_WRITER) ||
    (FILE_INFO_WRITTEN.test(text) && opensFromInput(text, FILE_INFO))
  );
}

/**
 * What a server page does, as a file tool, with a file or folder the visitor names: writes
 * it from the request, hands it out, lists it or deletes it (the first found, in words).
 */
export function fileToolOnInput(text: string, isJava: boolean): string | undefined {
  if (writesFromInput(text)) return 'writes a file from request input in a server page';
  // Java opens a File on the visitor's path, then uses it as `uses` says.
  const javaFile = (uses: RegExp) =>
    isJava && uses.test(text) && givenWholeParameter(text, JAVA_FILE_OPENED);
  if (
    opensFromInput(text, STREAM_READER, true) ||
    givenWholeParameter(text, NET_FILE_READER) ||
    (isJava && JAVA_NIO_READS.test(text) && givenWholeParameter(text, JAVA_PATH_OF))
  )
    return 'hands out any file the visitor names (a file browser in a server page)';
  if (givenWholeParameter(text, NET_FOLDER_LISTER) || javaFile(JAVA_LISTS_FOLDER))
    return 'lists any folder the visitor names (a folder browser in a server page)';
  if (givenWholeParameter(text, NET_DELETER) || javaFile(JAVA_DELETES))
    return 'deletes any file or folder the visitor names (a file manager in a server page)';
  return undefined;
}

// A URL fetched (Java's URL and HTTP client, .NET's WebRequest, WebClient and HttpClient),
// and what comes back sent to the visitor.
const FETCHES_URL =
  /\bnew\s+(?:java\.net\.)?URL\s*\(|\bURI\.create\s*\(|\b(?:Http)?WebRequest\.Create(?:Http)?\s*\(|\.(?:DownloadString|DownloadData|OpenRead|GetStringAsync|GetByteArrayAsync|GetStreamAsync)\s*\(/g;
const SENDS_BACK =
  /\bout\s*\.\s*(?:print|println|write)\s*\(|\bgetOutputStream\s*\(|\bgetWriter\s*\(|\bResponse\s*\.\s*(?:Write|BinaryWrite|OutputStream)\b/;

// A socket opened or a host probed (Java's, .NET's), and the loops of either language with
// the variable each steps: `for (int p = …`, `for (String h : hosts)`, `foreach (var h in …)`.
const CONNECTS =
  /\bnew\s+(?:java\.net\.|System\.Net\.Sockets\.)?(?:Socket|TcpClient|InetSocketAddress)\s*\(|\.(?:connect|Connect|ConnectAsync|BeginConnect|isReachable)\s*\(/g;
const LOOPS = /\b(?:for|foreach)\s*\(/g;
const LOOP_VARIABLE =
  /^\s*(?:final\s+)?(?:[\w.]{1,60}(?:<[\w.,\s]{0,60}>)?(?:\[\])?\s+)?(\w{1,40})\s*(?:=|:|\bin\b)/;
const LOOP_REACH = 1000;

/**
 * True when an expression starts with the request (past a literal scheme): the visitor
 * picks where it leads (`new URL(request.getParameter("u"))`, or `"http://" + host` with
 * `host = Request["h"]`), not only a part after the page's own base. Through two names,
 * each followed once.
 */
function startsWithRequest(
  text: string,
  expression: string,
  depth = 0,
  seen = new Set<string>(),
): boolean {
  const head = expression
    .split('+')
    .map((p) => p.replace(/^[\s(]+/, '').trim())
    .find((p) => !/^"(?:(?:https?|ftp):\/\/)?"$/i.test(p));
  if (!head) return false;
  if (INPUT.test(head)) return true;
  const name = /^\w{1,40}$/.exec(head.replace(/[\s)]+$/, ''))?.[0];
  if (!name || depth >= 2 || seen.has(name)) return false;
  seen.add(name);
  // Each `name =` found on its own, so one assignment's value does not hide the next.
  return [...text.matchAll(/\b(\w{1,40})\s*=(?![=>])/g)]
    .slice(0, 5000)
    .filter((a) => a[1] === name)
    .slice(0, 50)
    .some((a) =>
      startsWithRequest(
        text,
        /^[^;\n]{1,160}/.exec(text.slice(a.index! + a[0].length))?.[0] ?? '',
        depth + 1,
        seen,
      ),
    );
}

/**
 * A Java or .NET page used as a network tool on hosts the visitor names: it connects to each
 * host or port of a range they give (a scanner: the connection, in a loop, takes the loop's
 * variable, and the loop or the connection the request), or fetches the URL they send and
 * sends back what it gets (a proxy into the server's network). PHP's are request-flow's.
 */
export function netToolOnInput(text: string): string | undefined {
  const tainted = pageTainted(text);
  const carries = (s: string) =>
    INPUT.test(s) || [...s.matchAll(/\b(\w{1,40})\b/g)].some((v) => tainted.has(v[1]!));
  for (const m of [...text.matchAll(CONNECTS)].slice(0, 100)) {
    const from = Math.max(0, m.index! - LOOP_REACH);
    const before = text.slice(from, m.index!);
    const start = Math.max(
      before.lastIndexOf(';'),
      before.lastIndexOf('{'),
      before.lastIndexOf('}'),
    );
    const statement =
      before.slice(start + 1) + callArgs(text, m.index! + m[0].length - 1).join(',');
    for (const loop of [...before.matchAll(LOOPS)].slice(-5)) {
      const header = callArgs(before, loop.index! + loop[0].length - 1).join(',');
      const stepped = LOOP_VARIABLE.exec(header)?.[1];
      if (!stepped) continue;
      // The loop's variable, and names set from it inside the loop (`ip = net + "." + i`).
      const steps = new Set([stepped]);
      for (const a of before
        .slice(loop.index!)
        .matchAll(/\b(\w{1,40})\s*=(?!=)\s*([^;\n]{0,160})/g))
        if ([...a[2]!.matchAll(/\b(\w{1,40})\b/g)].some((v) => steps.has(v[1]!))) steps.add(a[1]!);
      const isStepped = [...statement.matchAll(/\b(\w{1,40})\b/g)].some((v) => steps.has(v[1]!));
      if (isStepped && (carries(header) || carries(statement)))
        return 'connects to each host or port of a range the visitor gives (a port scanner)';
    }
  }
  const fetchesNamedUrl = [...text.matchAll(FETCHES_URL)]
    .slice(0, 100)
    .some((m) => startsWithRequest(text, callArgs(text, m.index! + m[0].length - 1)[0] ?? ''));
  if (SENDS_BACK.test(text) && fetchesNamedUrl)
    return "fetches the URL the visitor sends and sends back what it gets (a proxy into the server's network)";
  return undefined;
}

// Java run by a name: a class loaded, a method looked up, a JNDI name resolved (a remote
// class for the JDK to load), each given by the visitor in a page. A method is looked up by
// a name: `request.getMethod()`, with none, is the request's HTTP verb.
export const NAMED_CODE =
  /\bClass\.forName\s*\(|\.loadClass\s*\(|\.get(?:Declared)?Method\s*\((?!\s*\))|\.lookup\s*\(/g;

/**
 * Names (Java, C#: no `$`) that hold request input, through up to three assignments or
 * appends (`body += line`, VB's `s &= Request("x")`). A value ends at a brace too: `while
 * ((line = br.readLine()) != null) { body += line; }` holds two.
 */
function pageTainted(text: string, boxes?: RegExp): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\b(\w{1,40})\s*[+&]?=(?!=)\s*([^;\n{}]{0,160})/g)].slice(
    0,
    5000,
  );
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns)
      if (
        INPUT.test(m[2]!) ||
        boxes?.test(m[2]!) ||
        [...m[2]!.matchAll(/\b(\w{1,40})\b/g)].some((v) => names.has(v[1]!))
      )
        names.add(m[1]!);
    if (names.size === before) break;
  }
  return names;
}

// A file of the site's own, named by a constant (`Server.MapPath("~/a.pdf")`).
const OWN_FILE =
  /^\s*(?:Server\.MapPath|(?:application|getServletContext\s*\(\s*\))\.getRealPath)\s*\(\s*(['"])[^'"]*\1\s*\)\s*$/;

/**
 * A page opening a file (`calls`) whose name or content the request gave. A file handed out
 * (`isReader`) that the page names itself is no file the visitor picks, whatever stands
 * near it; a file written under its own name may still take the request as its content.
 */
export function opensFromInput(text: string, calls: RegExp, isReader = false): boolean {
  const namesOwnFile = (m: RegExpMatchArray) => {
    const open = m.index! + m[0].indexOf('(');
    return isReader && open >= m.index! && OWN_FILE.test(callArgs(text, open)[0] ?? '');
  };
  const opened = [...text.matchAll(calls)].filter((m) => !namesOwnFile(m)).slice(0, 100);
  if (opened.length === 0) return false;
  return near(text, INPUT, calls, namesOwnFile) || givesInput(text, opened);
}

/** A call of `calls` given the request, or a name holding it, among its arguments. */
export const callGivenInput = (text: string, calls: RegExp) =>
  givesInput(text, [...text.matchAll(calls)].slice(0, 100));

/** True when one of the calls `opened` (matches ending at or before their `(`) is given the request. */
export function givesInput(text: string, opened: RegExpMatchArray[]): boolean {
  if (opened.length === 0) return false;
  const boxes = controlValues(text);
  const tainted = pageTainted(text, boxes);
  return opened.some((m) => {
    const open = m.index! + m[0].indexOf('(');
    const args = open >= m.index! ? callArgs(text, open).join(',') : m[0];
    return (
      INPUT.test(args) ||
      /(?:PostedFile|HttpPostedFile\w{0,40})\.FileName\b/.test(args) ||
      !!boxes?.test(args) ||
      [...args.matchAll(/\b(\w{1,40})\b/g)].some((v) => tainted.has(v[1]!))
    );
  });
}

const SCRIPT_TAG = /<script\b[^>]{0,300}>/gi;

/**
 * A JSP or ASP.NET page as its server runs it. The template's browser scripts (a `<script>`
 * element without runat="server") keep only the server code inside them (`<%= … %>`): an
 * eval() in the browser's JavaScript is no web shell. A `<script>` written inside server code
 * (`out.println("<script>")`) is the server's text and stays whole. ASP.NET data-binding
 * expressions' Eval(), Bind() and XPath() are DataBinder's field lookups (`<%# Eval("Title")
 * %>`), read as such. Issue 27: the JSP and ASP.NET applications of the tuning side.
 */
export function serverPageText(text: string): string {
  const lower = text.toLowerCase();
  const serverCodeEnd = (open: number) => {
    const close = text.indexOf('%>', open + 2);
    return close < 0 ? text.length : close + 2;
  };
  // Server code a browser script can hold: `<% %>`, JSP's XML elements (`<jsp:scriptlet>`)
  // and EL expressions (`${…}`, `#{…}`), which the server evaluates in template text too.
  const nextServerPart = (from: number) => {
    const found = [
      text.indexOf('<%', from),
      lower.indexOf('<jsp:', from),
      text.indexOf('${', from),
      text.indexOf('#{', from),
    ].filter((k) => k >= 0);
    return found.length ? Math.min(...found) : -1;
  };
  const serverPartEnd = (at: number) => {
    if (text.startsWith('<%', at)) return serverCodeEnd(at);
    if (lower.startsWith('<jsp:', at)) {
      const close = lower.indexOf('</jsp:', at);
      const end = text.indexOf('>', close < 0 ? at : close);
      return end < 0 ? text.length : end + 1;
    }
    const end = text.indexOf('}', at);
    return end < 0 ? text.length : end + 1;
  };
  let out = '';
  let i = 0;
  let tag: RegExpExecArray | null = null;
  let noMoreTags = false;
  for (let steps = 0; i < text.length && steps < 100_000; steps++) {
    if (!noMoreTags && (!tag || tag.index < i)) {
      SCRIPT_TAG.lastIndex = i;
      tag = SCRIPT_TAG.exec(text);
      noMoreTags = !tag;
    }
    const open = text.indexOf('<%', i);
    if (tag && tag.index >= i && (open < 0 || tag.index < open)) {
      const element = tag;
      out += text.slice(i, element.index + element[0].length);
      let j = element.index + element[0].length;
      // runat=server in any quotes (a copy with curly ones is still read as the server's).
      if (/^\W{0,4}server\b/i.test(/\brunat\s*=([^>]{0,16})/i.exec(element[0])?.[1] ?? '')) {
        // The server's own code, whole, up to the end tag (a `<script>` in its strings too).
        const end = lower.indexOf('</script', j);
        j = end < 0 ? text.length : end;
        out += text.slice(element.index + element[0].length, j);
      } else
        // The browser's script: only the server code inside it, up to its end tag.
        for (;;) {
          const end = lower.indexOf('</script', j);
          const inner = nextServerPart(j);
          if (inner < 0 || (end >= 0 && end < inner)) {
            j = end < 0 ? text.length : end;
            break;
          }
          const innerEnd = serverPartEnd(inner);
          out += '\n' + text.slice(inner, innerEnd) + '\n';
          j = innerEnd;
        }
      i = j;
      continue;
    }
    if (open < 0) {
      out += text.slice(i);
      i = text.length;
      break;
    }
    const end = serverCodeEnd(open);
    let code = text.slice(open, end);
    if (code.startsWith('<%#'))
      code = code.replace(/(?<![\w.])(Eval|Bind|XPath)\s*\(/g, 'DataBinder.$1(');
    out += text.slice(i, open) + code;
    i = end;
  }
  return out + text.slice(i);
}

// The JSP namespace, bound to a prefix of the page's choosing (`xmlns:x="http://java.sun.com/JSP/Page"`).
const JSP_NAMESPACE = /\bxmlns:\w{1,40}\s*=\s*["']http:\/\/java\.sun\.com\/JSP\/Page["']/;

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * A JSP document (XML syntax: a `.jspx` file, or a page binding the JSP namespace) as the
 * container reads it: CDATA markers dropped, character and the five named entities decoded
 * (`requ<![CDATA[est.get]]>Parameter`, `&#x52;untime`). Other pages are returned as they
 * are. Issue 27: the JSP encoding bypasses of the tuning side.
 */
export function jspDocumentText(path: string, text: string): string {
  if (!/\.jspx$/i.test(path) && !JSP_NAMESPACE.test(text)) return text;
  return text
    .replace(/<!\[CDATA\[|\]\]>/g, '')
    .replace(
      /&(?:#[xX]([0-9a-fA-F]{1,6})|#(\d{1,7})|(lt|gt|amp|quot|apos));/g,
      (whole, hex, dec, name) => {
        if (name) return XML_ENTITIES[name]!;
        const code = hex ? parseInt(hex, 16) : parseInt(dec, 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      },
    );
}

// JDBC's query calls and its connection, in Java pages.
export const JDBC_SQL = /\.(?:executeQuery|executeUpdate|execute|addBatch|prepareStatement)\s*\(/g;
export const JDBC_CONNECTS = /\bDriverManager\s*\.\s*getConnection\s*\(/g;

// ADO.NET's commands, connections and adapters, given their SQL or connection string first.
export const ADO_SQL =
  /\bnew\s+(?:System\.Data\.\w{1,20}\.)?(?:Sql|OleDb|Odbc|MySql|Oracle|SQLite|Npgsql)(?:Command|Connection|DataAdapter)\s*\(/g;

// A request parameter read whole (trimmed at most): `request.getParameter("sql")`, and
// ASP.NET's `Request.Form["sql"]`, `Request["sql"]`, `Request.QueryString("sql")`, with
// C#'s default for when it is not sent (`Request["d"] ?? Server.MapPath(".")`).
const WHOLE_PARAMETER =
  /^(?:(?:\w{0,30}[Rr]equest|req)\s*\.\s*getParameter\s*\(\s*"[^"\n]{0,60}"\s*\)|Request\s*(?:\.\s*(?:Form|QueryString|Params|Item)\s*)?(?:\[\s*"[^"\n]{0,60}"\s*\]|\(\s*"[^"\n]{0,60}"\s*\)))(?:\s*\.\s*(?:trim|Trim|ToString|toString)\s*\(\s*\)){0,2}(?:\s*\?\?[^\n]{1,120})?$/;

// `name = value;` in Java and C#. A value ends at `%`: a directive's `import="…" %>` on the
// same line would otherwise swallow the statement after it.
const ASSIGNMENT_STATEMENT = /\b(\w{1,40})\s*=(?!=)\s*([^;\n%]{0,200})/g;

/**
 * A call of `calls` whose first argument is a request parameter as sent, written in place or
 * held in a name set to it: the SQL or the database a console runs for its visitor.
 * Applications put request values into SQL they write (`"… WHERE id = " + id`); a console
 * passes the visitor's text on whole. Issue 27: database consoles.
 */
export function givenWholeParameter(text: string, calls: RegExp): boolean {
  const called = [...text.matchAll(calls)].slice(0, 100);
  if (called.length === 0) return false;
  const isWhole = wholeParameterTest(text);
  return (
    called.some((m) => isWhole(callArgs(text, m.index! + m[0].length - 1)[0] ?? '')) ||
    relaysWholeParameter(text, calls, isWhole)
  );
}

/** A test of an argument: a request parameter as sent, in place or held in a name set to it. */
function wholeParameterTest(text: string): (arg: string) => boolean {
  let held: Set<string> | undefined;
  return (arg) => {
    const first = arg.trim();
    if (WHOLE_PARAMETER.test(first)) return true;
    if (!/^\w{1,40}$/.test(first)) return false;
    held ??= new Set(
      [...text.matchAll(ASSIGNMENT_STATEMENT)]
        .slice(0, 5000)
        .filter((a) => WHOLE_PARAMETER.test(a[2]!.trim()))
        .map((a) => a[1]!),
    );
    return held.has(first);
  };
}

/** A method's parameter names, in order (`String sql, int n` gives sql, n). */
const parameterNames = (params: string) =>
  params.split(',').map((p) => /(\w{1,40})\s*$/.exec(p.trim())?.[1] ?? '');

/**
 * A call of `calls` reached through the page's own methods (Java's, C#'s): a method handing
 * one of its parameters on as the call's first argument, or to another such method in that
 * place, called with a request parameter as sent there (`run(sql, url)` with `run` reaching
 * `executeQuery(sql)`: a console whose statements go through helpers of its own).
 */
function relaysWholeParameter(
  text: string,
  calls: RegExp,
  isWhole: (arg: string) => boolean,
): boolean {
  const methods = ownFunctions(text, 100, 5000, JAVA_METHOD);
  if (methods.length === 0) return false;
  // The methods that relay, each with the place of the parameter that reaches `calls`.
  const relays = new Map<string, number>();
  for (const f of methods) {
    const names = parameterNames(f.params);
    const place = [...f.body.matchAll(calls)]
      .slice(0, 50)
      .map((m) => names.indexOf((callArgs(f.body, m.index! + m[0].length - 1)[0] ?? '').trim()))
      .find((i) => i >= 0);
    if (place !== undefined) relays.set(f.name, place);
  }
  const callsOfRelays = (body: string) =>
    [...body.matchAll(/\b(\w{1,40})\s*\(/g)]
      .slice(0, 5000)
      .filter((m) => relays.has(m[1]!))
      .map((m) => ({
        place: relays.get(m[1]!)!,
        args: callArgs(body, m.index! + m[0].length - 1),
      }));
  for (let round = 0; round < 2 && relays.size; round++)
    for (const f of methods) {
      if (relays.has(f.name)) continue;
      const names = parameterNames(f.params);
      const place = callsOfRelays(f.body)
        .map((c) => names.indexOf((c.args[c.place] ?? '').trim()))
        .find((i) => i >= 0);
      if (place !== undefined) relays.set(f.name, place);
    }
  return relays.size > 0 && callsOfRelays(text).some((c) => isWhole(c.args[c.place] ?? ''));
}
