/**
 * Code fetched from elsewhere and run or installed (issue 27, tuning side): a loader keeps
 * its shell on a paste site and evaluates it on every request (`eval("?>" .
 * file_get_contents("https://…"))`, through a curl function of its own and a variable), or
 * saves it as a server page. What is fetched is a URL the page spells out: a URL from the
 * request is a proxy's, judged elsewhere.
 */
import { callArgs } from './code-text.js';

const MAX_FUNCTIONS = 200;

// PHP's ways of reading a URL, and a function body that returns what one read.
const FETCHERS = ['file_get_contents', 'fopen', 'file', 'curl_init'];
const FETCHES_IN_BODY = /\b(?:curl_exec|file_get_contents|stream_get_contents|fread)\s*\(/;

/** The page's own functions that fetch what they are given (`function get($url) { curl… }`). */
function fetchingFunctions(text: string): string[] {
  const own: string[] = [];
  for (const m of [...text.matchAll(/\bfunction\s+(\w{1,40})\s*\(/gi)].slice(0, MAX_FUNCTIONS)) {
    const body = text.slice(m.index!, m.index! + 800);
    if (FETCHES_IN_BODY.test(body)) own.push(m[1]!);
  }
  return own;
}

/** What reads a URL the page spells out: a fetcher's or an own fetching function's call. */
function urlFetch(text: string): RegExp {
  const names = [...FETCHERS, ...fetchingFunctions(text)].join('|');
  return new RegExp(String.raw`\b(?:${names})\s*\(\s*(["'])(?:https?|ftp):\/\/`, 'i');
}

/** Variables holding what was fetched, through up to three assignments. */
function fetchedNames(text: string, fetch: RegExp): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])([^;\n]{0,300})/g)].slice(0, 5000);
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns) if (carriesFetched(m[2]!, fetch, names)) names.add(m[1]!);
    if (names.size === before) break;
  }
  return names;
}

const carriesFetched = (expr: string, fetch: RegExp, names: ReadonlySet<string>) =>
  fetch.test(expr) || [...expr.matchAll(/\$(\w{1,40})/g)].some((v) => names.has(v[1]!));

const EVALS = /\b(?:eval|assert)\s*\(/g;
const INCLUDES_URL = /\b(?:include|require)(?:_once)?[\s(]{0,8}['"](?:https?|ftp):\/\//i;

// A file written under a server page's name the page spells out.
const WRITES_PAGE =
  /\bfile_put_contents\s*\(\s*(["'])[^"'\n]{0,200}\.(?:php\d?|phtml|phar)\1\s*,/gi;

/**
 * What a page does with code it fetches from a URL it spells out: evaluates it (or includes
 * a URL), and saves it as a server page (`file_put_contents('x.php', file_get_contents(
 * 'https://…'))`, through variables), which installs a page, usually a shell. The fetchers
 * and the names holding what they fetched are found once for both.
 */
export function downloadedCode(text: string): { isRun: boolean; isSavedAsPage: boolean } {
  const isIncluded = INCLUDES_URL.test(text);
  if (!/['"](?:https?|ftp):\/\//i.test(text)) return { isRun: isIncluded, isSavedAsPage: false };
  const fetch = urlFetch(text);
  const names = fetchedNames(text, fetch);
  const isRun =
    isIncluded ||
    [...text.matchAll(EVALS)]
      .slice(0, 200)
      .some((m) =>
        carriesFetched(callArgs(text, m.index! + m[0].length - 1)[0] ?? '', fetch, names),
      );
  const isSavedAsPage = [...text.matchAll(WRITES_PAGE)].slice(0, 100).some((m) => {
    const content = callArgs(text, m.index! + m[0].indexOf('('))[1];
    return content !== undefined && carriesFetched(content, fetch, names);
  });
  return { isRun, isSavedAsPage };
}
