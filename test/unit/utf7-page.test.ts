/**
 * Classic ASP declaring code page 65000 is read by IIS as UTF-7 (issue 27, split v2 tuning
 * side): its code is judged decoded.
 */
import { describe, expect, it } from 'vitest';
import { decodeUtf7 } from '../../src/findings/web-shell/utf7-page.js';
import { topFinding } from '../support/top-finding.js';

const utf7 = (s: string) =>
  '+' + Buffer.from(s, 'utf16le').swap16().toString('base64').replace(/=+$/, '') + '-';

describe('UTF-7 classic ASP', () => {
  it('decodes UTF-7 runs as IIS does', () => {
    expect(decodeUtf7(`a ${utf7('eval(request("x"))')} b +- c`)).toBe('a eval(request("x")) b + c');
  });

  it.each(['65000', '0000065000', '"65000"'])(
    'ranks a code page %s page that evaluates the request critical',
    (codepage) => {
      const page = `<%@codepage=${codepage}%>\n<%\n${utf7('response.codepage=65001:eval(request("k"))')}\n%>`;
      expect(topFinding('/inetpub/wwwroot/u.asp', page)).toMatchObject({
        severity: 'critical',
        reason: expect.stringMatching(/classic ASP/),
      });
    },
  );

  it('does not alarm on a code page 65000 page that only writes text', () => {
    const page = `<%@codepage=65000%>\n<%\n${utf7('Response.Write "café ouvert"')}\n%>`;
    expect(
      /critical|high/.test(topFinding('/inetpub/wwwroot/menu.asp', page)?.severity ?? 'info'),
    ).toBe(false);
  });
});
