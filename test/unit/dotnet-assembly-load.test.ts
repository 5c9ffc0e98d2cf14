/**
 * ASP.NET pages loading an assembly the request carries, Assembly.Load called through
 * reflection (issue 27, split v2 tuning side); a page reflecting on other types is not.
 */
import { describe, expect, it } from 'vitest';
import { topFinding } from '../support/top-finding.js';

describe('Assembly.Load through reflection', () => {
  it('ranks a page loading the request as an assembly through reflection critical', () => {
    const page = `<%@ Page Language="C#"%><%
byte[] data = System.Convert.FromBase64String(Context.Request["p"]);
var asm = (System.Reflection.Assembly)typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { data });
asm.CreateInstance("LY").Equals(Context);
%>`;
    expect(topFinding('/inetpub/wwwroot/a.aspx', page)).toMatchObject({ severity: 'critical' });
  });

  it('does not alarm on a page reflecting on its own types by the name the visitor picks', () => {
    const page = `<%@ Page Language="C#"%><%
string view = Request["view"] == "list" ? "List" : "Grid";
var m = typeof(Views).GetMethod("Render" + view);
Response.Write(m == null ? "" : "ok");
%>`;
    expect(
      /critical|high/.test(topFinding('/inetpub/wwwroot/v.aspx', page)?.severity ?? 'info'),
    ).toBe(false);
  });
});
