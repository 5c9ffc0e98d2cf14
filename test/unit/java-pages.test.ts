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
