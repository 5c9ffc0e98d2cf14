/**
 * Script for visitors' browsers that hides what it runs: `eval(unescape('%76%61%72…'))`,
 * `document.write('\u003c\u0073\u0063…')`. Injected redirectors, card skimmers and
 * exploit-kit loaders are written this way so that neither the site's owner nor a scanner
 * reads the URL they load; a site's own scripts are minified, not escaped byte by byte.
 * Issue 27: such pages in the collections were missed, as the server's code does nothing.
 * None of the benign pages, packages or applications of either side runs or writes forty
 * escaped bytes in a row.
 *
 * Only JavaScript's forms: `%xx` through unescape() or decodeURIComponent(), `\u00xx`, and
 * `\xnn` written into the page. PHP's `eval("\x65…")` is the web-shell rules' to read. A
 * script loaded from a `data:` URL is read as what it decodes to: the "codes_iframe"
 * injection of hacked WordPress sites writes `<script src="data:text/javascript;base64,…">`,
 * whose script is `document.write(unescape('%3C%73…'))`. Caching plugins inline a site's
 * own scripts the same way, so the URL alone says nothing.
 */
import type { ChangeRule } from './change-rules.js';

// eval() or document.write() of: unescape('%76%61…') or decodeURIComponent(), a string of
// `\u0076\u0061…`; or a string of `\x76\x61…` written into the page.
const HIDDEN_SCRIPT =
  /\b(?:eval|document\s*\.\s*write(?:ln)?)\s*\(\s*(?:(?:unescape|decodeURIComponent)\s*\(\s*["'](?:%[0-9a-f]{2}){40}|["'](?:\\u00[0-9a-f]{2}){40})|\bdocument\s*\.\s*write(?:ln)?\s*\(\s*["'](?:\\x[0-9a-f]{2}){40}/i;

// A script as a base64 `data:` URL (its first 64 KiB of base64 read).
const DATA_URL_SCRIPT =
  /\bdata:(?:text|application)\/(?:x-)?(?:java|ecma)script(?:;charset=[\w-]{1,20})?;base64,([A-Za-z0-9+/]{40,65536})/gi;

/**
 * True when a file runs or writes browser script spelt as forty or more escaped bytes,
 * itself or in a script it carries as a `data:` URL (at most 20 looked at).
 */
export const hidesBrowserScript = (text: string) =>
  HIDDEN_SCRIPT.test(text) ||
  [...text.matchAll(DATA_URL_SCRIPT)]
    .slice(0, 20)
    .some((m) => HIDDEN_SCRIPT.test(Buffer.from(m[1]!, 'base64').toString('latin1')));

export const hiddenBrowserScript: ChangeRule = (f) =>
  f.kind !== 'D' && f.currentText !== undefined && hidesBrowserScript(f.currentText)
    ? {
        severity: 'high',
        reason:
          'browser script hidden as escaped bytes, run or written into the page (how injected redirects, skimmers and exploit-kit loaders hide what they load)',
        attack: 'T1608.004',
      }
    : undefined;
