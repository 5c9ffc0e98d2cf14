/**
 * What a written file says, wherever it is: a reverse or bind shell, a download piped into
 * a shell, decoded code executed, a miner's pool and wallet. Read from the start of the
 * file only (the analysis sample, 64 KiB), with patterns bounded to one line's window so
 * a hostile file cannot make them slow.
 */
import type { ChangeFacts, ChangeRule } from './change-rules.js';
import { withoutComments } from './web-shell/comments.js';
import { REMOTE_SHELLS, type RemoteShellForm } from './remote-shells.js';

const IPV4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;

// A named form of what a file says, with the technique it is.
type Pattern = RemoteShellForm;

function firstMatch(text: string, patterns: readonly Pattern[]): Pattern | undefined {
  return patterns.find((p) => p.test.test(text));
}

const written = (f: ChangeFacts) => f.kind !== 'D' && f.currentText !== undefined;

// Documentation: nothing runs a Markdown or reStructuredText file, and install guides say
// `curl … | sh` as a matter of course.
const DOCUMENTATION = /\.(?:md|markdown|rst|adoc|asciidoc)$/i;

// Recipes a builder or a CI runner follows, outside the container: an image's Dockerfile
// that pipes NodeSource's setup script to bash runs nothing where it lies. A script named
// after one (`Dockerfile.sh`) still runs.
const BUILD_RECIPE =
  /(?:^|\/)(?:(?:Docker|Container)file(?!\.(?:sh|bash|py|pl|php|rb|js)$)(?:\.[\w.-]{1,40})?|[\w.-]{1,80}\.(?:docker|container)file|\.gitlab-ci\.ya?ml|\.travis\.ya?ml|\.github\/workflows\/[\w.-]{1,80}\.ya?ml)$/i;

/** Reverse and bind shells, in any file (a crontab line, a script, a unit's ExecStart). */
export const reverseShell: ChangeRule = (f) => {
  if (!written(f)) return undefined;
  const hit = firstMatch(f.currentText!, REMOTE_SHELLS);
  if (!hit) return undefined;
  const to = new RegExp(String.raw`\b(${IPV4})(?:[:/ ]|\s+)(\d{2,5})\b`).exec(f.currentText!);
  return {
    severity: 'critical',
    reason: `${hit.what}${to ? `, to ${to[1]}:${to[2]}` : ''}: a remote shell for the attacker`,
    attack: hit.attack,
  };
};

// A download and what runs it, in the forms install scripts and droppers take, each within
// one line: a page that fetches in one place and runs a file it wrote in another is the
// web-shell rules' to judge.
const FETCHED_AND_RUN: readonly RegExp[] = [
  // Piped into a shell, or into an interpreter that reads its program from its input (`|
  // python3`, `| perl -`); `| python3 -m json.tool` or `| python -c '…'` runs code of its own,
  // and `wget|python|nikto` is a list of names in a pattern. Not PHP: `curl -s
  // https://getcomposer.org/installer | php` is how Composer's own guide installs it.
  /\b(?:curl|wget|fetch|busybox wget)\b[^\n|;]{0,300}\|[ \t]{0,4}(?:sudo[ \t]{1,4}(?:-E[ \t]{1,4})?)?(?:(?:ba|da|k|z|a)?sh\b|(?<=[ \t])(?:python[\d.]{0,4}|perl|ruby|node)(?:[ \t]{1,4}-?)?(?:$|[;&|)]))/m,
  // Saved, then run from where it was saved (`wget …/k -O /tmp/k; chmod +x /tmp/k; /tmp/k`).
  /\b(?:curl|wget|tftp|ftpget)\b[^\n]{0,300}(?:&&|;)\s*(?:chmod\s+[+0-7a-z]*x[^\n]{0,100}(?:&&|;)\s*)?(?:\.\/|\/tmp\/|\/dev\/shm\/|\/var\/tmp\/)[^\s;&|]{1,100}/,
  // A shell given the download as its script: `bash <(curl …)`, `sh -c "$(curl …)"`,
  // `eval "$(wget -qO- …)"`, `source <(curl …)`.
  /(?:\b(?:ba|da|k|z|a)?sh[ \t]{1,4}(?:-c[ \t]{1,4})?["']?|\beval[ \t]{1,4}["']?|(?:^|[;&|\s])(?:source|\.)[ \t]{1,4})(?:<\(|\$\()[ \t]{0,4}(?:curl|wget)\b/m,
  // An interpreter evaluating what it fetched: Python's urlopen() (its module under any
  // name) or requests, PHP's file_get_contents() of a URL, Perl's LWP get(), Ruby's open-uri.
  /\bexec\s*\(\s*(?:\w{1,20}\.)?(?:request\.)?urlopen\s*\(|\bexec\s*\(\s*requests\.get\s*\(|\beval\s*\(\s*@?file_get_contents\s*\(\s*['"](?:https?|ftp):\/\/|\beval[ \t]*\(?(?:LWP::Simple::)?get\s*\(\s*['"]https?:\/\/|\beval[ \t]*\(?(?:URI\.)?open\s*\(\s*['"]https?:\/\//,
  // PowerShell's: `IEX(IWR https://…)`, `IEX (New-Object Net.WebClient).DownloadString(…)`,
  // `irm https://… | iex`.
  /\b(?:iex|Invoke-Expression)\s*\(\s*(?:\(\s*)?(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|New-Object\s+(?:System\.)?Net\.WebClient)\b|\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^\n|]{0,200}\|\s*(?:iex|Invoke-Expression)\b/i,
];

/** Something fetched from the network and run at once, never seen on disk. */
export const downloadAndExecute: ChangeRule = (f) => {
  if (!written(f) || DOCUMENTATION.test(f.path) || BUILD_RECIPE.test(f.path)) return undefined;
  for (const form of FETCHED_AND_RUN) {
    const m = form.exec(f.currentText!);
    if (m)
      return {
        severity: 'high',
        reason: `downloads and runs code in one step: ${m[0].trim().slice(0, 120)}`,
        attack: 'T1105',
      };
  }
  return undefined;
};

const DECODED: readonly Pattern[] = [
  {
    test: /\bbase64\s+(?:-d|--decode|-D)\b[^\n]{0,100}\|\s*(?:ba|da|k|z|a)?sh\b/,
    what: 'base64 decoded into a shell',
    attack: 'T1140',
  },
  {
    test: /\b(?:xxd\s+-r\s+-p|printf\s+['"]\\x)[^\n]{0,200}\|\s*(?:ba|da|z|a)?sh\b/,
    what: 'hex decoded into a shell',
    attack: 'T1140',
  },
  {
    test: /\bexec\s*\(\s*(?:__import__\(['"](?:base64|zlib|codecs)['"]\)|base64|zlib|codecs|marshal)\.\w*(?:decode|decompress|loads)/,
    what: 'Python executing decoded code',
    attack: 'T1140',
  },
  {
    test: /\beval\s*(?:\(\s*)?(?:decode_base64|MIME::Base64::decode|unpack\s*\(\s*['"](?:u|H\*|m))/,
    what: 'Perl evaluating decoded code',
    attack: 'T1140',
  },
  {
    test: /\b(?:eval|assert)\s*\(\s*(?:@\s*)?(?:gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|hex2bin|convert_uudecode)\s*\(/i,
    what: 'PHP evaluating decoded code',
    attack: 'T1140',
  },
  {
    test: /\beval\s*\(\s*(?:atob|Buffer\.from)\s*\(/,
    what: 'JavaScript evaluating decoded code',
    attack: 'T1140',
  },
  // Invoke-Obfuscation's ways to spell Invoke-Expression without its name: letters picked out
  // by index of $PSHome, $ShellId, $env:Public, $env:ComSpec or $VerbosePreference as text
  // (`([String]$VerbosePreference)[1,3]`), or the name of the variable matching '*mdr*'
  // (MaximumDriveCount). Sigma's "Invoke-Obfuscation Obfuscated IEX Invocation" reads the
  // same forms; a script testing `$VerbosePreference.ToString() -eq 'Continue'` picks none.
  {
    test: /\$(?:PSHome|ShellId|env:Public)\s*\[\s*\d{1,3}\s*\]\s*\+\s*\$(?:PSHome|ShellId|env:Public)\s*\[|\$env:ComSpec\s*\[\s*\d{1,3}\s*,\s*\d{1,3}\s*,|\*mdr\*\W\s*\)\s*\.\s*Name\b|\$VerbosePreference\s*\.\s*ToString\s*\(\s*\)\s*(?:\)\s*)?\[\s*\d{1,3}\s*,|\[\s*String\s*\]\s*\$VerbosePreference\s*\)\s*\[\s*\d{1,3}\s*,/i,
    what: 'PowerShell running an expression through an Invoke-Expression whose name it hides',
    attack: 'T1140',
  },
  {
    test: /\b(?:iex|Invoke-Expression)\b[^\n]{0,200}?\b(?:FromBase64String|GzipStream|DeflateStream)\b/i,
    what: 'PowerShell evaluating decoded code',
    attack: 'T1140',
  },
];

/** Code that decodes itself and runs the result: written to hide what it does. */
export const decodedExecution: ChangeRule = (f) => {
  if (!written(f)) return undefined;
  const hit = firstMatch(f.currentText!, DECODED);
  return hit
    ? { severity: 'high', reason: `${hit.what}: code hidden from a reader`, attack: hit.attack }
    : undefined;
};

const POOLS =
  /\bstratum\+(?:tcp|ssl|tls):\/\/|\b(?:pool\.)?(?:supportxmr|moneroocean|minexmr|xmrpool|nanopool|hashvault|c3pool|herominers|2miners|f2pool|nicehash|unmineable|xmr\.pool\.minergate|monerohash|dwarfpool)\.(?:com|net|org|pro|stream)\b/i;
// A Monero address: 95 base58 characters starting 4 or 8.
const WALLET = /\b[48][1-9A-HJ-NP-Za-km-z]{94}\b/;
const MINER_CONFIG = /"(?:donate-level|randomx|cpu-priority|max-cpu-usage)"\s*:/;

/** A miner's pool, wallet or configuration: the machine's power sold to someone else. */
export const minerConfig: ChangeRule = (f) => {
  if (!written(f)) return undefined;
  const text = f.currentText!;
  const found = [
    POOLS.test(text) ? 'a mining pool address' : '',
    WALLET.test(text) ? 'a Monero wallet' : '',
    MINER_CONFIG.test(text) ? 'miner settings (xmrig)' : '',
  ].filter(Boolean);
  return found.length
    ? {
        severity: found.length > 1 || POOLS.test(text) ? 'critical' : 'high',
        reason: `cryptocurrency mining: ${found.join(', ')}`,
        attack: 'T1496',
      }
    : undefined;
};

const PHP_FAMILIES: readonly { test: RegExp; what: string }[] = [
  {
    test: /\$_(?:GET|POST|REQUEST|COOKIE|SERVER)\s*\[[^\]]{1,60}\]\s*\(/,
    what: 'request input called as a function',
  },
  {
    test: /\bpreg_replace\s*\(\s*(['"])([^a-zA-Z0-9\s]).{0,200}?\2[a-df-zA-Z]*e[a-zA-Z]*\1/,
    what: 'preg_replace with the /e modifier (evaluates the replacement)',
  },
  {
    // Printable ASCII, as code is written: a table of accented bytes spelt with chr(192)…
    // (Piwigo's transliteration) spells no code.
    test: /(?:\bchr\s*\(\s*(?:3[2-9]|[4-9]\d|1[01]\d|12[0-6])\s*\)\s*\.\s*){4}\bchr\s*\(/i,
    what: 'a name spelt out with chr()',
  },
  { test: /\bassert\s*\(\s*\$_(?:GET|POST|REQUEST|COOKIE)/, what: 'assert() on request input' },
  {
    // The callback's own place: first for these, second for the sorts and filters, whose
    // first argument is the array (`array_filter($_POST['ids'])` calls nothing it was sent).
    // The request handed to a callback that is neither code written out nor a name written
    // out (`array_filter($_POST, $f)`, `usort($_GET, base64_decode(…))`) runs what it chose.
    test: /\b(?:array_map|call_user_func(?:_array)?|register_shutdown_function)\s*\(\s*\$_(?:GET|POST|REQUEST|COOKIE)|\b(?:u[ak]?sort|array_filter|array_walk)\s*\(\s*[^,;\s()][^,;()]{0,100},\s*\$_(?:GET|POST|REQUEST|COOKIE)|\b(?:u[ak]?sort|array_filter|array_walk)\s*\(\s*\$_(?:GET|POST|REQUEST|COOKIE)\s*(?:\[[^\]\n]{0,60}\]\s*){0,2},(?!\s*(?:(?:static\s+)?(?:function|fn)\s*\(|['"][\w:\\]{1,60}['"]\s*\)))/,
    what: 'a callback taken from request input',
  },
  {
    test: /\b(?:system|shell_exec|passthru|exec|popen|proc_open|pcntl_exec)\s*\(\s*(?:base64_decode\s*\(\s*)?\$_(?:GET|POST|REQUEST|COOKIE|SERVER)/,
    what: 'request input straight into a command',
  },
];

/**
 * PHP written to run what the visitor sends, in its known disguises: the content decides,
 * wherever the file is (a shell parked outside the web root is included later).
 */
export const phpShellContent: ChangeRule = (f) => {
  if (!written(f) || !/<\?(?:php|=)?/.test(f.currentText!)) return undefined;
  // Code only: an application keeps the old `preg_replace(…/e…)` it retired in a comment.
  const code = withoutComments(f.currentText!);
  const hit = PHP_FAMILIES.find((p) => p.test.test(code));
  return hit
    ? { severity: 'critical', reason: `PHP web shell: ${hit.what}`, attack: 'T1505.003' }
    : undefined;
};
