/**
 * A defacement page: one whose title, heading or page description announces the site was
 * hacked ("Hacked by …", "Defaced by …", "pwned by …"), or code that carries one to write it
 * out (a mass defacer). A changed page in a web root is already `web-content`; a defacement
 * added as a new file (`hacked.html`, a new `index.php` beside the old `index.html`) was only
 * "a new file in a web-served location". Issue 27: such pages in the collections were missed,
 * as no server code in them does anything. None of the benign pages, packages or
 * applications of either side has such a title, heading or description.
 *
 * "owned by" is left out: a site's title may say who owns it.
 */
import type { ChangeRule } from './change-rules.js';

// Where a page announces itself: its title, a top heading, or a meta tag's content (the
// description or og:title a search result or a shared link shows). The claim is spelt as
// defacers spell it (h4ck3d, pwnd, 0wned), joined to "by" by a space, `-` or `_`.
const ANNOUNCES_HACK =
  /<(?:title|h[1-3])\b[^>]{0,200}>[^<]{0,120}?\b(?:hacked|defaced|h[a4]ck[e3]d|[p0]wn[e3]?d)[\s_-]{0,3}by\b|\bcontent\s*=\s*["'][^"'<>]{0,120}?\b(?:hacked|defaced|h[a4]ck[e3]d|[p0]wn[e3]?d)[\s_-]{0,3}by\b/i;

/** True when a page announces in its title, a heading or its description that it was hacked. */
export const announcesHack = (text: string) => ANNOUNCES_HACK.test(text);

export const defacement: ChangeRule = (f) =>
  f.kind !== 'D' && f.currentText !== undefined && announcesHack(f.currentText)
    ? {
        severity: 'high',
        reason:
          'a defacement page: its title, heading or description says the site was hacked (or code carrying one to write out)',
        attack: 'T1491.002',
      }
    : undefined;
