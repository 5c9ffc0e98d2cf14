/**
 * A page of another server's language saved under a PHP name: a classic ASP file manager, an
 * ASP.NET or JSP shell, named `.php`. PHP sends such a file as text, so the PHP rules rightly
 * find nothing to run; but it is an intruder's tool all the same (uploaded where the upload
 * form allowed `.php`, or kept for a host that maps the name to its own handler), and the
 * rules of the language it is written in read what it does. Issue 27: on the tuning side,
 * nine missed PHP "shells" were such pages (FileSystemObject managers, Serv-U escalations, a
 * socket page in VB.NET, Script Encoder'd JScript); their own languages' rules rank six.
 *
 * Linear and bounded: a few regexes over the text, each gap bounded.
 */

// `.inc` is left out: ASP and ASP.NET name their includes so too.
const PHP_NAME = /\.(?:php\d?|phtml|phar)$/i;
// Any way PHP's parser starts reading code: its tags, and PHP 5's script element. An XML
// declaration the page writes out (`"<?xml version=…"`) is no PHP code of its own.
const OPENS_PHP = /<\?(?!xml\b)|<script\s{1,20}language\s{0,20}=\s{0,20}["']?php/i;
// Java in a page: JSP's imports and the objects its scriptlets use.
const JAVA_PAGE =
  /<%@\s{0,20}page\b[^%]{0,300}\bimport\s{0,20}=\s{0,20}["']\s{0,20}java|\b(?:request\.getParameter|Runtime\.getRuntime)\s{0,20}\(/;
// ASP.NET's directives, and script elements in its languages (no browser runs C# or VB).
const DOTNET_PAGE =
  /<%@\s{0,20}(?:Page|Control|WebHandler|WebService|Import|Assembly)\b|<script\b[^>]{0,200}\blanguage\s{0,20}=\s{0,20}["']?(?:c#|cs|vb)\b/i;
// Classic ASP: its language directive, or ASP's objects (the text holds `<%` and no PHP).
const CLASSIC_ASP_PAGE =
  /<%@\s{0,20}language\s{0,20}=\s{0,20}["']?(?:vbscript|jscript)|\b(?:Request\s{0,20}\.\s{0,20}(?:Form|QueryString|ServerVariables)|Response\s{0,20}\.\s{0,20}Write|Server\s{0,20}\.\s{0,20}(?:CreateObject|MapPath))\b|<%[^%]{0,300}?\b(?:Request\s{0,20}\(|CreateObject\s{0,20}\(|Execute(?:Global)?\b|eval\b)/i;

// A JSF (Facelets) page: XHTML declaring JSF's tag libraries, whose `#{…}` and `${…}`
// expressions the application server evaluates (Java reached from the page's EL).
export const FACELETS_PAGE =
  /\bxmlns:\w{1,20}\s{0,20}=\s{0,20}["'](?:https?:\/\/(?:java\.sun\.com|xmlns\.jcp\.org)\/jsf\/|jakarta\.faces\.)/i;

export interface ForeignPage {
  /** A name in the page's own language, for its rules to read it by. */
  name: string;
  /** What the page is, for the reason. */
  label: string;
}

/**
 * The language a PHP-named file without any PHP code is written in, when it is another
 * server's page: JSP (or JSF's Facelets), ASP.NET or classic ASP.
 */
export function foreignPage(path: string, text: string): ForeignPage | undefined {
  if (!PHP_NAME.test(path) || OPENS_PHP.test(text)) return undefined;
  const base = path.replace(PHP_NAME, '');
  if (FACELETS_PAGE.test(text)) return { name: `${base}.jsp`, label: 'JSF (Facelets) page' };
  if (!text.includes('<%')) return undefined;
  if (JAVA_PAGE.test(text)) return { name: `${base}.jsp`, label: 'JSP page' };
  if (DOTNET_PAGE.test(text)) return { name: `${base}.aspx`, label: 'ASP.NET page' };
  if (CLASSIC_ASP_PAGE.test(text)) return { name: `${base}.asp`, label: 'classic ASP page' };
  return undefined;
}
