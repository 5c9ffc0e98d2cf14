/**
 * Classic ASP pages that declare code page 65000 (`<%@ codepage=65000 %>`) are read by IIS
 * as UTF-7 (RFC 2152): `+AHIAZQBz…-` is base64 of UTF-16 code units, so a page can hide its
 * code from anything reading the bytes as they are. Decoded here as IIS decodes it, in one
 * linear pass (issue 27: classic ASP judged after its encodings are undone). The result is
 * never longer than the input.
 */

// The number as VBScript reads it: leading zeros change nothing (`codepage=0000065000`).
const DECLARES_UTF7 = /<%@[^%\n]{0,80}\bcodepage\s*=\s*["']?0{0,20}65000\b/i;

export const isUtf7Page = (text: string) => DECLARES_UTF7.test(text);

/** The page's `+…-` runs decoded from UTF-7; `+-` is a literal `+`. */
export function decodeUtf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]{0,20000})-?/g, (whole, run: string) => {
    if (run === '') return whole.endsWith('-') ? '+' : whole;
    const bytes = Buffer.from(run, 'base64');
    let out = '';
    for (let i = 0; i + 1 < bytes.length; i += 2)
      out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return out;
  });
}
