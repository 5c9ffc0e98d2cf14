/**
 * A program saved under the name of something a site serves: a Windows program named as a
 * page, image or document, there to be downloaded (nothing on a Linux host runs it); a
 * Perl, Python, PowerShell or VBScript program, or a zip of one, named as a page, where an
 * upload form let `.php` through (`Backdoor.PHP.Rst.h.php`, a Perl exploit; a PowerShell
 * agent as `x.php`). The server sends such a page as text, so the page rules rightly find
 * nothing to run; the file is an intruder's tool all the same (T1036.008, Masquerade File
 * Type). Issue 27: on the tuning side, thirteen missed "shells" were such files (VBScript
 * payloads of Behinder's, Perl and Python exploits, a PowerShell agent, zips), and none of
 * the 66,000 benign pages of the tuning packages, applications and page sets is, nor any
 * other file of the tuning packages.
 *
 * What stays: Mono's assemblies and installers keep their .exe and .dll names; command-line
 * PHP names PHP on its first line or holds PHP's open tag; CGI programs keep .cgi and .pl; a
 * shell library may be called `.inc`; a page opening with markup (a help page quoting code,
 * a page of browser VBScript) is no program. A page with server code (PHP's tags, `<%`) is
 * the page rules' to judge.
 *
 * Linear and bounded: a few regexes over the text the rules read, each gap bounded.
 */
import type { ContentType } from '../report/comparison.js';

// Names of pages, images, styles, text and documents: what a program is saved as to pass
// for something a site serves (a Windows program named `update.php` or `logo.jpg`).
const NAMED_AS_CONTENT =
  /\.(?:php\d?|phtml|inc|aspx?|ashx|asmx|jspx?|html?|js|css|json|xml|txt|log|md|jpe?g|png|gif|bmp|ico|svg|webp|pdf|docx?|xlsx?|csv)$/i;

// Names the web server runs as its own pages (an `.inc` may be a shell library: left out).
const NAMED_AS_PAGE = /\.(?:php\d?|phtml|aspx?|ashx|asmx|jspx?)$/i;

// A first line naming PHP as the interpreter: a PHP command-line script, which is PHP.
const PHP_SHEBANG =
  /^#!\s{0,20}(?:\S{0,200}\/)?(?:env\s{1,20}(?:-\S{1,20}\s{1,20}){0,5})?(?:php[\w.-]{0,20}|hhvm)(?:\s|$)/;

// Interpreters by their usual names, and what a reason calls each; any other is "another
// program's" (the first line is the suspect's text and never reaches a reason).
const INTERPRETERS: Readonly<Record<string, string>> = {
  perl: 'Perl',
  python: 'Python',
  ruby: 'Ruby',
  bash: 'shell',
  sh: 'shell',
  dash: 'shell',
  node: 'Node.js',
  lua: 'Lua',
  pwsh: 'PowerShell',
};

// The first line's program, and env's first argument after its options.
const SHEBANG =
  /^#!\s{0,20}(?:\S{0,200}\/)?([\w.-]{1,60})(?:\s{1,20}(?:-\S{1,20}\s{1,20}){0,5}([\w.-]{1,60}))?/;

// Server code in any of the page languages: such a page is judged by what its code does.
const SERVER_CODE =
  /<\?|<%|<script\b[^>]{0,300}\b(?:runat|language\s{0,20}=\s{0,20}["']?php)\b|<jsp:/i;
// A page that opens as markup: a program saved under a page's name starts with its code, and
// a help page quoting code (a `<pre>` sample, a browser's VBScript) starts with a tag.
const OPENS_AS_MARKUP = /^\uFEFF?\s{0,400}</;

// Each language's idioms, as its programs open and use them; two different ones of one
// language name it (one alone is a word in a page's prose or a code sample).
const IDIOMS: readonly (readonly [string, readonly RegExp[]])[] = [
  [
    'Python',
    [
      /^import\s{1,20}(?:os|sys|socket|subprocess|urllib\w{0,20}|base64|struct|time|re|random|threading)\b/m,
      /^from\s{1,20}[\w.]{1,100}\s{1,20}import\s{1,20}\w/m,
      /^def\s{1,20}\w{1,100}\([^)\n]{0,300}\):[ \t]{0,20}$/m,
      /^if\s{1,20}__name__\s{0,20}==\s{0,20}["']__main__["']\s{0,20}:/m,
      /\bsys\.argv\b/,
      /^[ \t]{0,40}print\s{0,20}\(?["']/m,
    ],
  ],
  [
    'Perl',
    [
      /^use\s{1,20}(?:strict|warnings|IO::Socket|Socket|Getopt::\w{1,40}|LWP::\w{1,40}|HTTP::\w{1,40})\b[^;\n]{0,300};/m,
      /\$ARGV\[/,
      /^[ \t]{0,40}my\s{1,20}\$\w{1,100}\s{0,20}=/m,
      /^sub\s{1,20}\w{1,100}\s{0,20}\{/m,
      /^[ \t]{0,40}print\s{1,20}\$\w{1,100}\s{1,20}["$]/m,
      /\bdie\s{1,20}["']/,
    ],
  ],
  [
    'PowerShell',
    [
      /\bNew-Object\s{1,20}(?:-ComObject|-TypeName|System\.|Net\.)/i,
      /\b(?:Invoke-(?:Expression|RestMethod|WebRequest|Command)|Start-Sleep|Get-(?:WmiObject|ChildItem|Content|Process)|Set-ExecutionPolicy|Out-File|Write-Host)\b/i,
      /\|\s{0,20}(?:iex|Out-Null)\b/i,
      /\[(?:System\.)?(?:Convert|Text\.Encoding|IO\.\w{1,40})\]::/i,
      /\$env:\w/i,
    ],
  ],
  [
    'VBScript',
    [
      /\bCreateObject\s{0,20}\(\s{0,20}"(?:WScript\.Shell|Scripting\.FileSystemObject|MSXML2\.[\w.]{1,40}|Microsoft\.XMLHTTP|ADODB\.Stream|WinHttp\.WinHttpRequest[\w.]{0,20}|Schedule\.Service|Shell\.Application)"/i,
      /\bWScript\.(?:Shell|ScriptFullName|Sleep|Echo|CreateObject|Arguments)\b/i,
      /^[ \t]{0,40}(?:Dim|Set)[ \t]{1,20}\w/im,
      /^[ \t]{0,40}End[ \t]{1,20}(?:Sub|Function)\b/im,
      /^[ \t]{0,40}On[ \t]{1,20}Error[ \t]{1,20}Resume[ \t]{1,20}Next\b/im,
    ],
  ],
];

/** The language a shebang names, among a fixed few, else undefined. */
function interpreterOf(text: string): string | undefined {
  const first = SHEBANG.exec(text);
  if (!first) return undefined;
  // `python3.11` is Python: the version is not part of the name.
  const name = (first[1] === 'env' ? (first[2] ?? '') : first[1]!).replace(/[\d.]{1,20}$/, '');
  return Object.hasOwn(INTERPRETERS, name) ? INTERPRETERS[name] : undefined;
}

/** The program language a page's text is written in, when it holds no server code. */
function programLanguageOf(text: string): string | undefined {
  if (SERVER_CODE.test(text) || OPENS_AS_MARKUP.test(text)) return undefined;
  return IDIOMS.find(([, idioms]) => idioms.filter((r) => r.test(text)).length >= 2)?.[0];
}

export interface Disguise {
  /** What the file is, in words the report may show (never the suspect's text). */
  program: string;
  /** What its name passes it for. */
  namedAs: 'a page' | 'a page, image or document';
}

/** What a program saved under the name of a page (or an image or document) is, if it is one. */
export function disguisedProgram(
  path: string,
  type: ContentType | undefined,
  text: string | undefined,
): Disguise | undefined {
  if (type === 'pe')
    return NAMED_AS_CONTENT.test(path)
      ? { program: 'a Windows program (PE)', namedAs: 'a page, image or document' }
      : undefined;
  if (!NAMED_AS_PAGE.test(path)) return undefined;
  const program = (): string | undefined => {
    if (type === 'archive') return 'an archive';
    if (type === 'script') {
      // PHP's command line skips the first line of a script, whatever it names.
      if (PHP_SHEBANG.test(text ?? '') || /<\?(?:php\b|=)/i.test(text ?? '')) return undefined;
      const language = interpreterOf(text ?? '');
      return language ? `a ${language} script` : "another program's script";
    }
    // Text read as the rules read it: UTF-16 (PowerShell's own default) decoded too.
    const language =
      (type === 'text' || type === 'binary') && text ? programLanguageOf(text) : undefined;
    return language ? `a ${language} program` : undefined;
  };
  const what = program();
  return what ? { program: what, namedAs: 'a page' } : undefined;
}
