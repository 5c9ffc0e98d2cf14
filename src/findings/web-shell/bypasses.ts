/**
 * Ways around the limits a host sets on a page (issue 27, tuning side): reading a file the
 * visitor names through a stream wrapper that safe_mode and open_basedir did not check
 * (`copy("compress.zlib://" . $file, …)`), imap_open() given the visitor's mailbox string (a
 * command through the mail client's rsh option), links to the server's root made followable
 * with an .htaccess (the shared-host symlink attack), and IIS's configuration of every site
 * read through its metabase, a library preloaded into the programs PHP starts, PHP's own memory
 * read to find a disabled function, a command run through whichever of PHP's runners the host
 * left enabled. Pages have no use for any of them.
 */
import { callArgs } from './code-text.js';
import { carriesInput } from './request-flow.js';

const WRAPPED_PATH =
  /["'](?:compress\.zlib|compress\.bzip2|glob|php:\/\/filter[^"'\n]{0,80}resource=)(?::\/\/)?["']\s*\.\s*([^;,)\n]{1,80})/gi;
const IMAP_OPEN = /\bimap_open\s*\(/g;
const MAIL = /(?<![\w>:$])mail\s*\(/g;
const LINKS = /\bsymlink\s*\(/;
const FOLLOWS_LINKS =
  /\.htaccess[\s\S]{0,2000}?FollowSymLinks|FollowSymLinks[\s\S]{0,2000}?\.htaccess/i;
// A library the dynamic loader puts into every program PHP then starts (mail()'s sendmail,
// error_log()'s): code run though every command function is disabled.
const LD_PRELOAD_SET = /\bputenv\s*\(\s*['"]LD_PRELOAD=/;
const IIS_METABASE = /\b(?:new\s+COM|GetObject)\s*\(\s*["']IIS:\/\//i;
// PHP reading its own memory: the process's maps or memory file, or a word read from memory
// compared with "system" packed as a little-endian integer (0x6d6574737973). The published
// disable_functions bypasses find zif_system so and call it through a closure they forge.
const OWN_MEMORY = /\/proc\/self\/(?:mem|maps)\b|\b0x6d6574737973\b/i;

// PHP's command runners, each named in a string (`function_exists('exec')`, a list checked
// against disable_functions) and called. A shell tries them in turn so that a host disabling
// some does not stop it (c99's, r57's, WSO's ex(); ZFxID's fx29exec()); an application needing
// a command calls the one it needs. On the tuning side: 1,577 shells hold three or more, no
// PHP file of the tuning packages and applications (45,607) more than two.
const RUNNER_NAMED = /['"](exec|shell_exec|system|passthru|popen|proc_open)['"]/g;
const RUNNER_CALLED = /(?<![\w$>:.])(exec|shell_exec|system|passthru|popen|proc_open)\s*\(/g;
const RUNNERS_TRIED = 3;

/** The runners `pattern` finds in the text, from its first 500 matches. */
const runners = (text: string, pattern: RegExp) =>
  new Set([...text.matchAll(pattern)].slice(0, 500).map((m) => m[1]!));

/** True when the text names and calls three or more of PHP's command runners. */
export function triesEachRunner(text: string): boolean {
  const called = runners(text, RUNNER_CALLED);
  if (called.size < RUNNERS_TRIED) return false;
  return [...runners(text, RUNNER_NAMED)].filter((r) => called.has(r)).length >= RUNNERS_TRIED;
}

/** The first way around the host's limits the page takes, described; or undefined. */
export function bypassesLimits(
  text: string,
  input: boolean,
  tainted: ReadonlySet<string>,
): string | undefined {
  if (input) {
    const wrapped = [...text.matchAll(WRAPPED_PATH)]
      .slice(0, 50)
      .some((m) => carriesInput(m[1]!, tainted));
    if (wrapped)
      return 'reads a file the visitor names through a stream wrapper (around safe_mode and open_basedir)';
    const imap = [...text.matchAll(IMAP_OPEN)]
      .slice(0, 20)
      .some((m) => carriesInput(callArgs(text, m.index! + m[0].length - 1)[0] ?? '', tainted));
    if (imap) return "imap_open() on request input (a command through the mail client's rsh)";
    // mail()'s fifth argument is sendmail's command line: `-X /var/www/x.php` logs the
    // message, code and all, into a page (PHPMailer's CVE-2016-10033 did the same).
    const mailOptions = [...text.matchAll(MAIL)]
      .slice(0, 20)
      .some((m) => carriesInput(callArgs(text, m.index! + m[0].length - 1)[4] ?? '', tainted));
    if (mailOptions)
      return "hands request input to sendmail's command line (mail()'s fifth argument)";
  }
  if (LINKS.test(text) && FOLLOWS_LINKS.test(text))
    return 'links server files into its folder and lets the web server follow them (a symlink attack)';
  if (LD_PRELOAD_SET.test(text))
    return 'sets LD_PRELOAD for the programs it starts (a library run around disable_functions)';
  if (OWN_MEMORY.test(text))
    return "reads PHP's own memory to call a function the host disabled (a disable_functions bypass)";
  if (IIS_METABASE.test(text))
    return "reads IIS's configuration of every site (its IIS:// metabase)";
  if (triesEachRunner(text))
    return 'runs commands through whichever of exec, shell_exec, system, passthru, popen and proc_open the host left enabled (around disable_functions)';
  return undefined;
}
