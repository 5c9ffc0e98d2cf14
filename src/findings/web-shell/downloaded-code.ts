/**
 * Code fetched from elsewhere and run or installed (issue 27, tuning side): a loader keeps
 * its shell on a paste site and evaluates it on every request (`eval("?>" .
 * file_get_contents("https://…"))`, through a curl function of its own and a variable), or
 * saves it as a server page. What is fetched is a URL the page spells out or one the
 * visitor sends (a proxy fetches those too, but does not save them as a page).
 */
import { callArgs, ownFunctions } from './code-text.js';
import { writesOf } from './droppers.js';

const MAX_FUNCTIONS = 200;

// PHP's ways of reading a URL, and a function body that returns what one read.
const FETCHERS = ['file_get_contents', 'fopen', 'file', 'curl_init'];
const FETCHES_IN_BODY = /\b(?:curl_exec|file_get_contents|stream_get_contents|fread)\s*\(/;

// A body fetching a URL it spells out itself (`file_get_contents("https://$host$path")`,
// `curl_setopt($ch, CURLOPT_URL, "https://$host…")`), whatever it is given.
const FETCHES_OWN_URL =
  /\b(?:file_get_contents|fopen|file|curl_init)\s*\(\s*["'](?:https?|ftp):\/\/|\bCURLOPT_URL\s*,\s*["'](?:https?|ftp):\/\//i;

// A body that reads over the network, whatever it is given: curl reads no local file.
const FETCHES_BY_CURL = /\bcurl_exec\s*\(/;

/**
 * The page's own functions that fetch what they are given (`function get($url) { curl… }`),
 * and those among them whose every call is a download: those that fetch a URL they spell
 * out from what they are given (`function fetch($host, $path)`), and those that fetch
 * through curl. A loader hides the address it hands one (in hex, in base64) and the page then
 * spells out no URL at all. Issue 27.
 */
function fetchingFunctions(text: string): { all: string[]; addressed: string[] } {
  const fetching = ownFunctions(text, MAX_FUNCTIONS, 3000).filter((f) =>
    FETCHES_IN_BODY.test(f.body),
  );
  return {
    all: fetching.map((f) => f.name),
    addressed: fetching
      .filter((f) => FETCHES_OWN_URL.test(f.body) || FETCHES_BY_CURL.test(f.body))
      .map((f) => f.name),
  };
}

// A URL the page spells out, or one the visitor sends (`$_GET['u']`, as sent).
const URL_START = String.raw`["'](?:https?|ftp):\/\/|@?\$_(?:GET|POST|REQUEST|COOKIE)\s*\[`;
const URL_HELD =
  /\$(\w{1,40})\s*=\s*(?:["'](?:https?|ftp):\/\/|@?\$_(?:GET|POST|REQUEST|COOKIE)\s*\[)/gi;
const URL_OR_NAME =
  /^(?:["'](?:https?|ftp):\/\/|@?\$_(?:GET|POST|REQUEST|COOKIE)\s*\[|\$(\w{1,40})\b)/i;

/**
 * Variables the page sets to a URL it spells out (`$source = "https://…";`) or to a request
 * value (`$u = $_GET['u'];`), at most 50.
 */
const urlVariables = (text: string) => [...text.matchAll(URL_HELD)].slice(0, 50).map((m) => m[1]!);

/**
 * What reads a URL the page spells out or the visitor sends: a fetcher's or an own fetching
 * function's call, on the URL or on a variable set to one, or `curl_exec($ch)` of a handle
 * whose CURLOPT_URL is one (`$ch = curl_init(); curl_setopt($ch, CURLOPT_URL, $url);`).
 */
function urlFetch(text: string): RegExp {
  const own = fetchingFunctions(text);
  const names = [...FETCHERS, ...own.all].join('|');
  const addressed = own.addressed.length
    ? String.raw`|(?<![\w$>:])(?:${own.addressed.join('|')})\s*\(`
    : '';
  const held = [...new Set(urlVariables(text))];
  const variable = held.length ? String.raw`|\$(?:${held.join('|')})\b` : '';
  const handles = [
    ...text.matchAll(/\bcurl_setopt\s*\(\s*\$(\w{1,40})\s*,\s*CURLOPT_URL\s*,\s*([^;\n]{1,300})/gi),
  ]
    .slice(0, 50)
    .filter((m) => {
      const url = URL_OR_NAME.exec(m[2]!);
      return url && (url[1] === undefined || held.includes(url[1]));
    })
    .map((m) => m[1]!);
  const executed = handles.length
    ? String.raw`|\bcurl_exec\s*\(\s*\$(?:${[...new Set(handles)].join('|')})\b`
    : '';
  return new RegExp(
    String.raw`\b(?:${names})\s*\(\s*(?:${URL_START}${variable})${executed}${addressed}`,
    'i',
  );
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
// What was fetched, written out as a PHP value (a cache of an API's answer), not as code.
const WRITTEN_AS_DATA = /\b(?:var_export|json_encode|serialize)\s*\(/;
const INCLUDES_URL = /\b(?:include|require)(?:_once)?[\s(]{0,8}['"](?:https?|ftp):\/\//i;

// A server page's or CGI script's name, as the page spells it in a string: a PHP dropper
// installs shells in other languages too (a Perl CGI beside its .htaccess).
const PAGE_NAME = /\.(?:php\d?|phtml|phar|cgi|pl|aspx?|jspx?)['"]/i;

/**
 * The contents written to a server page: `file_put_contents(name, content)`, or
 * `fwrite($h, content)` with `$h = fopen(name, 'w')`, where the name spells out a page
 * (`.php`) directly or through a variable (`isNamedPage`), or is the file the page then
 * includes (`isIncluded`).
 */
function contentsWrittenToPages(
  text: string,
  included: ReadonlySet<string>,
): { data: string; isIncluded: boolean; isNamedPage: boolean }[] {
  const assigns = [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])\s*([^;\n]{0,300})/g)].slice(0, 5000);
  const pageVariables = new Set(assigns.filter((m) => PAGE_NAME.test(m[2]!)).map((m) => m[1]!));
  const isNamedPage = (name: string) =>
    PAGE_NAME.test(name) ||
    [...name.matchAll(/\$(\w{1,40})/g)].some((v) => pageVariables.has(v[1]!));
  return writesOf(text)
    .map((w) => ({
      data: w.data,
      isIncluded: included.has(w.file.trim()),
      isNamedPage: isNamedPage(w.file),
    }))
    .filter((w) => w.isIncluded || w.isNamedPage);
}

/** What the page includes: `include $t;`, `include($t);`, and `include$t;` (no space needed). */
const includedNames = (text: string) =>
  new Set(
    [
      ...text.matchAll(
        /\b(?:include|require)(?:_once)?(?:\s*\(\s*([^;\n]{1,120}?)\s*\)|(?:\s+|(?=\$))([^;\n(]{1,120}?))\s*;/g,
      ),
    ]
      .slice(0, 200)
      .map((m) => (m[1] ?? m[2])!.trim()),
  );

const TMPFILE_HANDLE = /\$(\w{1,40})\s*=\s*(?:@\s*)?tmpfile\s*\(\s*\)/g;
const HANDLE_PATH = /\bstream_get_meta_data\s*\(\s*\$(\w{1,40})\s*\)/;
const INCLUDES_HANDLE_PATH =
  /\b(?:include|require)(?:_once)?[\s(]{0,8}(?:@\s*)?stream_get_meta_data\s*\(\s*\$(\w{1,40})\s*\)/g;

/**
 * What the page writes to a temporary file of tmpfile() and then includes by the file's path
 * (`include stream_get_meta_data($h)['uri']`, directly or through a variable): a loader's way
 * to run what it fetched with no file name to be seen. Issue 27.
 */
function contentsIncludedThroughTmpfile(text: string, included: ReadonlySet<string>): string[] {
  const handles = new Set([...text.matchAll(TMPFILE_HANDLE)].slice(0, 50).map((m) => m[1]!));
  if (!handles.size) return [];
  const run = new Set([...text.matchAll(INCLUDES_HANDLE_PATH)].slice(0, 50).map((m) => m[1]!));
  // `$path = stream_get_meta_data($h)['uri']; … include $path;`
  const paths = new Map<string, string>();
  for (const m of [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])\s*([^;\n]{0,200})/g)].slice(
    0,
    5000,
  )) {
    const handle = HANDLE_PATH.exec(m[2]!)?.[1];
    if (handle !== undefined) paths.set(m[1]!, handle);
  }
  for (const name of included) {
    const handle = paths.get(/^\$(\w{1,40})$/.exec(name)?.[1] ?? '');
    if (handle !== undefined) run.add(handle);
  }
  const contents: string[] = [];
  for (const m of [...text.matchAll(/\b(?:fwrite|fputs)\s*\(/g)].slice(0, 100)) {
    const [handle, data] = callArgs(text, m.index! + m[0].length - 1);
    const name = /^\s*\$(\w{1,40})\s*$/.exec(handle ?? '')?.[1];
    if (name !== undefined && handles.has(name) && run.has(name) && data !== undefined)
      contents.push(data);
  }
  return contents;
}

/**
 * What a page does with code it fetches from a URL it spells out: evaluates it (or includes
 * a URL, or a file it wrote the code to), and saves it as a server page
 * (`file_put_contents('x.php', file_get_contents('https://…'))`, through variables), which
 * installs a page, usually a shell. The fetchers and the names holding what they fetched are
 * found once for both.
 */
export function downloadedCode(text: string): { isRun: boolean; isSavedAsPage: boolean } {
  const isIncluded = INCLUDES_URL.test(text);
  if (!/['"](?:https?|ftp):\/\/|\$_(?:GET|POST|REQUEST|COOKIE)\b|\bcurl_exec\s*\(/i.test(text))
    return { isRun: isIncluded, isSavedAsPage: false };
  const fetch = urlFetch(text);
  const names = fetchedNames(text, fetch);
  const included = includedNames(text);
  const saved = contentsWrittenToPages(text, included).filter(
    (c) => !WRITTEN_AS_DATA.test(c.data) && carriesFetched(c.data, fetch, names),
  );
  // Written to a file the page then includes (a temporary file, removed after): run as well.
  const isRun =
    isIncluded ||
    saved.some((c) => c.isIncluded) ||
    contentsIncludedThroughTmpfile(text, included).some((c) => carriesFetched(c, fetch, names)) ||
    [...text.matchAll(EVALS)]
      .slice(0, 200)
      .some((m) =>
        carriesFetched(callArgs(text, m.index! + m[0].length - 1)[0] ?? '', fetch, names),
      );
  const isSavedAsPage = saved.some((c) => c.isNamedPage) || copiesUrlToPage(text);
  return { isRun, isSavedAsPage };
}

const COPIES = /\bcopy\s*\(/g;

/**
 * `copy('http://…/c99.txt', 'x.php')`: PHP's copy() reads a URL as it reads a file, so a
 * page is fetched and saved in one call. From a URL the page spells out, the visitor sends,
 * or a variable set to one; to a name that is a server page; by a PHP page.
 */
function copiesUrlToPage(text: string): boolean {
  if (!/<\?(?:php|=)/i.test(text)) return false;
  const held = new Set(urlVariables(text));
  return [...text.matchAll(COPIES)].slice(0, 100).some((m) => {
    // A command line, not a page: `php -r "copy('https://getcomposer.org/installer',
    // 'composer-setup.php');"` in a build script is Composer's own install recipe.
    const line = text.slice(text.lastIndexOf('\n', m.index!) + 1, m.index!);
    if (/\bphp\s+-r\b/.test(line)) return false;
    const [from, to] = callArgs(text, m.index! + m[0].length - 1);
    if (from === undefined || to === undefined || !PAGE_NAME.test(to)) return false;
    const url = URL_OR_NAME.exec(from.trim());
    return url !== null && (url[1] === undefined || held.has(url[1]));
  });
}
