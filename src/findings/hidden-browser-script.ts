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
 * `\xnn` written into the page. PHP's `eval("\x65…")` is the web-shell rules' to read.
 */
import type { ChangeRule } from './change-rules.js';

// eval() or document.write() of: unescape('%76%61…') or decodeURIComponent(), a string of
// `\u0076\u0061…`; or a string of `\x76\x61…` written into the page.
const HIDDEN_SCRIPT =
  /\b(?:eval|document\s*\.\s*write(?:ln)?)\s*\(\s*(?:(?:unescape|decodeURIComponent)\s*\(\s*["'](?:%[0-9a-f]{2}){40}|["'](?:\\u00[0-9a-f]{2}){40})|\bdocument\s*\.\s*write(?:ln)?\s*\(\s*["'](?:\\x[0-9a-f]{2}){40}/i;

/** True when a file runs or writes browser script spelt as forty or more escaped bytes. */
export const hidesBrowserScript = (text: string) => HIDDEN_SCRIPT.test(text);

export const hiddenBrowserScript: ChangeRule = (f) =>
  f.kind !== 'D' && f.currentText !== undefined && hidesBrowserScript(f.currentText)
    ? {
        severity: 'high',
        reason:
          'browser script hidden as escaped bytes, run or written into the page (how injected redirects, skimmers and exploit-kit loaders hide what they load)',
        attack: 'T1608.004',
      }
    : undefined;
