/**
 * SEO cloaking: a page that asks whether its visitor is a search engine's crawler and, when
 * it is, prints what it fetches from another host (`if (strpos($ua, "google")) { … echo
 * curl_exec($ch); }`), so the search engine indexes an attacker's links under the site's
 * name while people see the site as it was. It is the commonest injection into a hijacked
 * WordPress theme's header.php. Issue 27's "SEO doorways" class: such pages of the tuning
 * side were ranked nothing.
 *
 * An application may tell crawlers apart (to leave them out of its statistics) and may fetch
 * a feed to show; what it does not do is print another host's content to crawlers alone.
 * Only an `if` (or `elseif`) whose own condition tests the user agent for a crawler's name,
 * not negated, counts, and only a fetch printed within that `if`'s block or statement. A
 * block that names the page asked for (`REQUEST_URI`) is taken for a rendering service's
 * (prerender.io's dynamic rendering serves crawlers the site's own pages this way).
 *
 * Bounded: conditions and blocks are read by callArgs and blockEnd (a few thousand
 * characters at most), and the loops stop at fixed counts.
 */
import { blockEnd, callArgs } from './code-text.js';

const USER_AGENT =
  /\$_SERVER\s*\[\s*['"]?HTTP_USER_AGENT['"]?\s*\]|\bgetenv\s*\(\s*['"]HTTP_USER_AGENT['"]\s*\)/;
// A crawler's name in a string: the needle of strpos(), a pattern, a list.
const CRAWLER_NAMED =
  /['"][^'"\n]{0,200}?(?:google|bing|yahoo|slurp|baidu|yandex|duckduck|crawl|spider|bot\b)/i;
// Names set from the user agent (`$ua = strtolower($_SERVER['HTTP_USER_AGENT']);`).
const ASSIGNED = /\$(\w{1,40})\s*\.?=(?![=>])\s*([^;\n]{1,300});/g;
const IF_OPEN = /\b(?:else\s*)?if\s*\(/g;
// A test that holds when the visitor is no crawler: negated, or a search found nothing
// (`!preg_match(…)`, `strpos(…) === false`): what it prints goes to people.
const NEGATED =
  /^\s*!|!\s*(?:preg_match|str(?:i)?pos|str(?:i)?str|in_array)\b|(?<![!=])===?\s*false\b|\bfalse\s*===?(?!=)/i;
// The page the visitor asked for, fetched from a rendering service (prerender.io's dynamic
// rendering): the site's own content, shaped for the crawler.
const OWN_PAGE = /\bREQUEST_URI\b/;
// A fetch and the call's `(`: curl_exec() always reaches out; file_get_contents() and
// readfile() when given a URL (remoteArgument).
const FETCH = /\b(curl_exec|file_get_contents|readfile)\s*\(/g;
const PRINTER_BEFORE = /\b(?:echo|print|die|exit)\b[\s(@]{0,8}$/;
// A name set to what a fetch returned (`$r = curl_exec($ch);`), and its being printed.
const KEPT = /\$(\w{1,40})\s*=\s*(?:@\s*)?$/;
const PRINTED_NAME = /\b(?:echo|print|die|exit)\b[\s(@]{0,8}\$(\w{1,40})\b/g;
const URL_LITERAL = /^\s*(?:@\s*)?['"](?:https?:)?\/\//i;
const URL_SET = /\$(\w{1,40})\s*=\s*['"](?:https?:)?\/\//gi;

/** Names holding the visitor's user agent, through up to two assignments. */
function userAgentNames(text: string): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(ASSIGNED)].slice(0, 3000);
  for (let round = 0; round < 2; round++)
    for (const m of assigns)
      if (
        USER_AGENT.test(m[2]!) ||
        [...m[2]!.matchAll(/\$(\w{1,40})/g)].some((v) => names.has(v[1]!))
      )
        names.add(m[1]!);
  return names;
}

/**
 * True when `block` prints what it fetched from another host: curl_exec()'s result, or
 * file_get_contents() or readfile() of a URL (spelt out, or a name the page sets to one).
 */
function printsFetched(block: string, urls: ReadonlySet<string>): boolean {
  const kept = new Set<string>();
  for (const m of [...block.matchAll(FETCH)].slice(0, 50)) {
    const call = m[1]!.toLowerCase();
    if (call !== 'curl_exec') {
      const arg = callArgs(block, m.index! + m[0].length - 1)[0] ?? '';
      const name = /^\s*(?:@\s*)?\$(\w{1,40})\s*$/.exec(arg)?.[1];
      if (!URL_LITERAL.test(arg) && !(name !== undefined && urls.has(name))) continue;
    }
    const before = block.slice(Math.max(0, m.index! - 60), m.index!);
    if (call === 'readfile' || PRINTER_BEFORE.test(before)) return true;
    const into = KEPT.exec(before)?.[1];
    if (into !== undefined) kept.add(into);
  }
  return [...block.matchAll(PRINTED_NAME)].slice(0, 200).some((m) => kept.has(m[1]!));
}

/** True when the page prints another host's content to search engines' crawlers alone. */
export function cloaksForCrawlers(text: string): boolean {
  if (!USER_AGENT.test(text) || !CRAWLER_NAMED.test(text)) return false;
  const agents = userAgentNames(text);
  const urls = new Set([...text.matchAll(URL_SET)].slice(0, 200).map((m) => m[1]!));
  for (const m of [...text.matchAll(IF_OPEN)].slice(0, 1000)) {
    const open = m.index! + m[0].length - 1;
    const parts = callArgs(text, open);
    if (!parts.length) continue;
    const condition = parts.join(',');
    const readsAgent =
      USER_AGENT.test(condition) ||
      [...condition.matchAll(/\$(\w{1,40})/g)].some((v) => agents.has(v[1]!));
    if (!readsAgent || !CRAWLER_NAMED.test(condition) || NEGATED.test(condition)) continue;
    // The block: from the `{` after the condition's `)` to its match, or the one statement.
    const close = open + 1 + condition.length;
    const brace = /^\)\s*\{/.exec(text.slice(close, close + 200));
    const start = brace ? close + brace[0].length - 1 : close + 1;
    // One statement is looked for within the block's bound too: a thousand ifs with no `;`
    // after them would each search the rest of the text.
    const statementEnd = brace ? -1 : text.slice(start, start + 5000).indexOf(';');
    if (!brace && statementEnd < 0) continue;
    const end = brace ? blockEnd(text, start, 5000) : start + statementEnd;
    const block = text.slice(start, Math.min(end + 1, start + 5000));
    if (!OWN_PAGE.test(block) && printsFetched(block, urls)) return true;
  }
  return false;
}
