/**
 * JSP run by name or reaching the request another way (issue 27, split v2 tuning side):
 * the request through pageContext, a class, method or JNDI name the visitor gives, a log
 * handler writing where the visitor says, and Java's other code sinks.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

const AT = '/usr/local/tomcat/webapps/ROOT/';

describe('JSP pages run by name', () => {
  it('reads the request through pageContext', () => {
    const page = `<jsp:root xmlns:jsp="http://java.sun.com/JSP/Page" version="2.0"><jsp:scriptlet>
String c = pageContext.getRequest().getParameter("c");
Process p = Runtime.getRuntime().exec(c);
</jsp:scriptlet></jsp:root>`;
    expect(topFinding(`${AT}c.jspx`, page)).toMatchObject({ severity: 'critical' });
  });

  it('ranks a JNDI name or a class the visitor gives critical', () => {
    const jndi = `<%@ page import="javax.naming.InitialContext" %><%
String name = request.getParameter("n");
Object o = new InitialContext().lookup(name);
out.print(o);
%>`;
    expect(topFinding(`${AT}j.jsp`, jndi)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/Java run by name/),
    });
    const el = `<%@ page import="javax.el.ELProcessor" %><%
out.print(new ELProcessor().eval(request.getParameter("e")));
%>`;
    expect(topFinding(`${AT}el.jsp`, el)).toMatchObject({ severity: 'critical' });
  });

  it('ranks the request handed to BeanShell, Rhino or an EL factory, or to a qualified ProcessBuilder, critical', () => {
    for (const code of [
      'new bsh.Interpreter().eval(request.getParameter("b"));',
      'org.mozilla.javascript.Context cx = org.mozilla.javascript.Context.enter(); cx.evaluateString(cx.initStandardObjects(), request.getParameter("j"), "x", 1, null);',
      'javax.el.ExpressionFactory f = javax.el.ExpressionFactory.newInstance(); f.createValueExpression(ctx, request.getParameter("e"), Object.class).getValue(ctx);',
      'new java.lang.ProcessBuilder(java.util.Arrays.asList(request.getParameterValues("a"))).start();',
    ])
      expect(topFinding(`${AT}e.jsp`, `<% ${code} %>`)).toMatchObject({ severity: 'critical' });
  });

  it('ranks a log handler writing to the file the visitor names critical', () => {
    const page = `<%java.util.logging.Logger l=java.util.logging.Logger.getLogger("t");java.util.logging.FileHandler h=new java.util.logging.FileHandler(application.getRealPath("/")+request.getParameter("f"),true);l.addHandler(h);l.info(request.getParameter("t"));%>`;
    expect(topFinding(`${AT}l.jsp`, page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes a file from request input/),
    });
  });

  it('does not alarm on a page loading its JDBC driver and data source by constant names', () => {
    const page = `<%@ page import="java.sql.*, javax.naming.*" %><%
Class.forName("org.postgresql.Driver");
javax.sql.DataSource ds = (javax.sql.DataSource) new InitialContext().lookup("java:comp/env/jdbc/shop");
String id = request.getParameter("id");
PreparedStatement ps = ds.getConnection().prepareStatement("select name from item where id = ?");
ps.setString(1, id);
%>`;
    expect(isAlarm(`${AT}item.jsp`, page)).toBe(false);
  });
});

describe('folder browsers and VB.NET shells', () => {
  it('ranks a page listing any folder the visitor names critical, in JSP and ASP.NET', () => {
    const jsp = `<%@ page import="java.io.*" %><%
File d = new File(request.getParameter("d"));
for (File f : d.listFiles()) out.println(f.getName());
%>`;
    const aspx = `<%@ Page Language="C#" %><%@ Import Namespace="System.IO" %><script runat="server">
protected void Page_Load(object s, EventArgs e) {
  foreach (var d in Directory.GetFileSystemEntries(Request.QueryString["p"])) Response.Write(d + "<br>");
}</script>`;
    expect(topFinding(`${AT}d.jsp`, jsp)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/lists any folder the visitor names/),
    });
    expect(topFinding('/inetpub/wwwroot/d.aspx', aspx)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/lists any folder the visitor names/),
    });
    // A gallery listing its own folder, with a page number from the request.
    const gallery = `<%@ Page Language="C#" %><%@ Import Namespace="System.IO" %><%
int page = int.Parse(Request.QueryString["page"] ?? "1");
foreach (var f in Directory.GetFiles(Server.MapPath("~/images/gallery"))) Response.Write(Path.GetFileName(f));
%>`;
    expect(isAlarm('/inetpub/wwwroot/gallery.aspx', gallery)).toBe(false);
  });

  it("follows a folder the visitor names past C#'s default for when none is sent", () => {
    const aspx = `<%@ Page Language="C#" %><%@ Import Namespace="System.IO" %><script runat="server">
void Page_Load(object s, EventArgs e) {
  string d = Request["d"] ?? Server.MapPath(".");
  foreach (var f in new DirectoryInfo(d).GetFiles()) Response.Write(f.Name + "<br>");
}</script>`;
    expect(topFinding('/inetpub/wwwroot/d.aspx', aspx)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/lists any folder the visitor names/),
    });
  });

  it('ranks a page deleting any file the visitor names critical, in JSP and ASP.NET', () => {
    const aspx =
      '<%@ Page Language="C#" %><% if (Request["del"] != null) System.IO.File.Delete(Request["del"]); %>';
    const jsp = `<%@ page import="java.io.*" %><% String p = request.getParameter("del"); if (p != null) new File(p).delete(); %>`;
    for (const [at, text] of [
      ['/inetpub/wwwroot/x.aspx', aspx],
      [`${AT}x.jsp`, jsp],
    ] as const)
      expect(topFinding(at, text)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/deletes any file or folder the visitor names/),
      });
    // An upload page removing a file of its own folder, by the name the visitor picks in it.
    const own =
      '<%@ Page Language="C#" %><% System.IO.File.Delete(Server.MapPath("~/uploads/" + System.IO.Path.GetFileName(Request["f"]))); %>';
    expect(isAlarm('/inetpub/wwwroot/uploads.aspx', own)).toBe(false);
  });

  it("ranks a VB.NET page handing the request to VB's Shell() critical, and one reading it only not", () => {
    const shell = '<%@ Page Language="VB" %><% Shell("cmd /c " & Request("c")) %>';
    expect(topFinding('/inetpub/wwwroot/s.aspx', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/VB's Shell\(\)/),
    });
    const reader =
      '<%@ Page Language="VB" %><% Response.Write(Server.HtmlEncode(Request("name"))) %>';
    expect(isAlarm('/inetpub/wwwroot/hello.aspx', reader)).toBe(false);
  });
});

describe("files through Java's NIO and .NET's readers, copies and downloads", () => {
  it.each([
    [
      'a JSP writing through Files.write()',
      `${AT}w.jsp`,
      '<% java.nio.file.Files.write(java.nio.file.Paths.get(request.getParameter("f")), request.getParameter("d").getBytes()); %>',
    ],
    [
      'a JSP handing out the file a NIO path names',
      `${AT}r.jsp`,
      '<% out.print(new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(request.getParameter("f"))))); %>',
    ],
    [
      'a page reading the file the visitor names through a StreamReader',
      '/inetpub/wwwroot/r.aspx',
      '<%@ Page Language="C#" %><% using (var s = new System.IO.StreamReader(Request["f"])) Response.Write(s.ReadToEnd()); %>',
    ],
    [
      'a page downloading to a file the visitor names',
      '/inetpub/wwwroot/d.aspx',
      '<%@ Page Language="C#" %><% new System.Net.WebClient().DownloadFile(Request["u"], Server.MapPath(Request["f"])); %>',
    ],
    [
      'a page copying files the visitor names',
      '/inetpub/wwwroot/c.aspx',
      '<%@ Page Language="C#" %><% System.IO.File.Copy(Request["a"], Request["b"], true); %>',
    ],
    [
      "a JSP writing through commons-io's FileUtils",
      `${AT}f.jsp`,
      '<% org.apache.commons.io.FileUtils.writeStringToFile(new java.io.File(request.getParameter("f")), request.getParameter("c")); %>',
    ],
    [
      'a JSP saving an uploaded part where the visitor says',
      `${AT}u.jsp`,
      '<% request.getPart("f").write(request.getParameter("p")); %>',
    ],
    [
      'a page reaching Process by its name through reflection',
      '/inetpub/wwwroot/p.aspx',
      '<%@ Page Language="C#" %><% var t = Type.GetType("System.Diagnostics.Process"); t.GetMethod("Start", new[] { typeof(string), typeof(string) }).Invoke(null, new object[] { "cmd.exe", "/c " + Request["c"] }); %>',
    ],
  ])('ranks %s critical', (_, path, page) => {
    expect(topFinding(path, page)).toMatchObject({ severity: 'critical' });
  });

  it('does not alarm on a handler reading the request body, nor on a JSP reading its own file', () => {
    const handler = `<%@ WebHandler Language="C#" Class="H" %>
using System.Web; public class H : IHttpHandler {
  public void ProcessRequest(HttpContext context) {
    using (var r = new System.IO.StreamReader(context.Request.InputStream)) context.Response.Write(r.ReadToEnd().Length);
  }
  public bool IsReusable { get { return false; } }
}`;
    expect(isAlarm('/inetpub/wwwroot/len.ashx', handler)).toBe(false);
    const own = `<% String lang = request.getParameter("lang");
out.print(new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(application.getRealPath("/WEB-INF/terms.txt"))))); %>`;
    expect(isAlarm(`${AT}terms.jsp`, own)).toBe(false);
  });
});

describe('JSP and ASP.NET pages as network tools, and uploads written to a File', () => {
  it.each([
    [
      'a JSP connecting to each port the visitor lists',
      `${AT}s.jsp`,
      '<%@ page import="java.net.*"%><%String h=request.getParameter("h");for(String p:request.getParameter("p").split(",")){try{Socket s=new Socket();s.connect(new InetSocketAddress(h,Integer.parseInt(p)),500);out.println(p);s.close();}catch(Exception e){}}%>',
    ],
    [
      'a JSP probing each address of the network the visitor gives',
      `${AT}n.jsp`,
      '<%@ page import="java.net.*"%><%for(int i=1;i<255;i++){String ip=request.getParameter("net")+"."+i;if(InetAddress.getByName(ip).isReachable(200))out.println(ip);}%>',
    ],
    [
      'an ASP.NET page connecting to each port the visitor lists',
      '/inetpub/wwwroot/s.aspx',
      '<%@ Page Language="C#" %><% foreach (string p in Request["p"].Split(\',\')) { try { var c = new System.Net.Sockets.TcpClient(); c.Connect(Request["h"], int.Parse(p)); Response.Write(p); } catch {} } %>',
    ],
  ])('ranks %s a port scanner', (_, at, page) => {
    expect(topFinding(at, page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a port scanner/),
    });
  });

  it.each([
    [
      'a JSP',
      `${AT}p.jsp`,
      '<%@ page import="java.net.*,java.io.*"%><%BufferedReader r=new BufferedReader(new InputStreamReader(new URL(request.getParameter("url")).openStream()));String l;while((l=r.readLine())!=null)out.println(l);%>',
    ],
    [
      'an ASP.NET page',
      '/inetpub/wwwroot/p.aspx',
      '<%@ Page Language="C#" %><% string u = Request.QueryString["u"]; Response.Write(new System.Net.WebClient().DownloadString(u)); %>',
    ],
  ])("ranks %s fetching the visitor's URL and sending it back a proxy", (_, at, page) => {
    expect(topFinding(at, page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a proxy into the server's network/),
    });
  });

  it('leaves a retry loop to a configured host, and an API call under the page base, alone', () => {
    const retry = `<%@ page import="java.net.*"%><% String q = request.getParameter("q");
for (int i = 0; i < 3; i++) { try { Socket s = new Socket(config.getHost(), 25); s.close(); break; } catch (Exception e) {} }
out.print(q); %>`;
    expect(isAlarm(`${AT}retry.jsp`, retry)).toBe(false);
    const api = `<%@ page import="java.net.*,java.io.*"%><% String id = request.getParameter("id");
BufferedReader r = new BufferedReader(new InputStreamReader(new URL(API_BASE + "/items/" + id).openStream()));
out.print(r.readLine()); %>`;
    expect(isAlarm(`${AT}item.jsp`, api)).toBe(false);
  });

  it('ranks an upload written to the File the visitor names critical', () => {
    const page = `<%@ page import="org.apache.commons.fileupload.*,org.apache.commons.fileupload.servlet.*,org.apache.commons.fileupload.disk.*,java.io.*,java.util.*"%><%
for (FileItem i : new ServletFileUpload(new DiskFileItemFactory()).parseRequest(request))
  if (!i.isFormField()) i.write(new File(request.getParameter("path"), i.getName()));
%>`;
    expect(topFinding(`${AT}up.jsp`, page)).toMatchObject({ severity: 'critical' });
  });
});

describe('database consoles through methods of the page', () => {
  const helpers = `<%@ page import="java.sql.*,java.util.*"%><%!
public List rows(String sql, String url, String user, String pass) throws Exception {
  List out = new Vector();
  ResultSet rs = DriverManager.getConnection(url, user, pass).createStatement().executeQuery(sql);
  while (rs.next()) out.add(rs.getString(1));
  return out;
}
public List run(String s, String url, String user, String pass) throws Exception {
  return rows(s, url, "app", "secret");
}
%>`;

  it('ranks a JSP whose SQL, sent whole, reaches executeQuery through two methods critical', () => {
    const page = `${helpers}<%
String strsql = request.getParameter("sqlrequest").toString();
out.print(run(strsql, "jdbc:oracle:thin:@db:1521:x", "u", "p"));
%>`;
    expect(topFinding(`${AT}sql.jsp`, page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a database console/),
    });
  });

  it('leaves a page whose helper runs its own SQL with a sent value in another place alone', () => {
    const page = `${helpers}<%
String id = request.getParameter("id");
out.print(run("SELECT name FROM items", "jdbc:oracle:thin:@db:1521:x", id, "p"));
%>`;
    expect(isAlarm(`${AT}items.jsp`, page)).toBe(false);
  });
});

describe('the request reached by reflection, and ASP.NET controls built from it', () => {
  it('reads the request through getParameter called by reflection', () => {
    const page = `<%@ page import="java.lang.reflect.*" %><%
Method m = request.getClass().getMethod("getParameter", String.class);
String c = (String) m.invoke(request, "c");
Process p = Runtime.getRuntime().exec(c);
%>`;
    expect(topFinding(`${AT}r.jsp`, page)).toMatchObject({ severity: 'critical' });
    // A page running a fixed command, reading nothing the visitor sends, stays below.
    const fixed = `<% Process p = Runtime.getRuntime().exec("uptime"); %>`;
    expect(topFinding(`${AT}u.jsp`, fixed)?.severity).not.toBe('critical');
  });

  it('ranks controls parsed from markup the request sends critical, and from its own markup not', () => {
    const shell = '<%@ Page Language="C#" %><% Controls.Add(ParseControl(Request["c"])); %>';
    expect(topFinding('/inetpub/wwwroot/p.aspx', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/server controls from markup the request sends/),
    });
    const own = `<%@ Page Language="C#" %><%
var q = Request.QueryString["q"];
Controls.Add(ParseControl("<asp:Label runat=\\"server\\" Text=\\"Search\\" />"));
Response.Write(Server.HtmlEncode(q));
%>`;
    expect(isAlarm('/inetpub/wwwroot/s.aspx', own)).toBe(false);
  });
});
