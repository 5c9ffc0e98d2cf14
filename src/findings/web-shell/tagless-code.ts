/**
 * PHP code saved with no open tag. A server sends such a file as text, and `include` prints
 * it: it runs only when a script reads it and hands it to eval(). That is how web shells'
 * clients ship their payloads and plugins (a command runner, a port scanner, a database
 * console sent to the shell and evaluated there) and how a loader keeps a stage on disk.
 * Applications keep no such code: their PHP files open with a tag, and a template engine's
 * files (Blade's, Twig's) are markup. Issue 27: on the tuning side, 98 of the missed PHP
 * "shells" held no open tag; about a third of them were such code (the rest saved HTML, other
 * languages, data), judged by nothing: the likeness reads pages only, and the rules found a
 * command with no request input behind it.
 *
 * Linear and bounded: two anchored regexes and two counts that stop early.
 */
import { withoutComments } from './comments.js';

const PHP_NAME = /\.(?:php\d?|phtml|inc)$/i;
// Templates an engine compiles: markup with the engine's own tags, never run as they are.
const TEMPLATE_NAME = /\.(?:blade|twig|tpl|latte|mustache|html?)\.php$/i;
// Any way PHP's parser starts reading code: its tags, and PHP 5's script element.
const OPENS_PHP = /<\?|<script\s{1,20}language\s{0,20}=\s{0,20}["']?php/i;
/**
 * The file's first statement, its comments set aside: a variable, a call, a control word or
 * a declaration. Markup, JSON, CSS and prose start otherwise (`<`, `{`, `.x {`, `User-agent:`).
 */
const STARTS_AS_STATEMENT =
  /^\uFEFF?\s{0,400}(?:@?\$[A-Za-z_]|@?[A-Za-z_][\w\\]{0,60}\s{0,20}\(|(?:(?:final|abstract)\s{1,20})?(?:function|class|interface|trait|namespace|use|if|foreach|for|while|try|switch|return|define|global|static)\b)/;
const VARIABLE = /\$[A-Za-z_]\w{0,40}/g;
const STATEMENT_END = /;/g;

/** At least `min` matches of `pattern` in `text`, counting no further. */
function holdsAtLeast(text: string, pattern: RegExp, min: number): boolean {
  let n = 0;
  for (const _ of text.matchAll(pattern)) if (++n >= min) return true;
  return false;
}

/**
 * True for a PHP-named file whose every text read (`texts`: its start, and a long file's
 * middle and end) holds no PHP open tag, and whose start reads as PHP statements: it begins
 * with one, and holds variables and statements.
 */
export function isTaglessPhp(path: string, texts: readonly (string | undefined)[]): boolean {
  const [start] = texts;
  if (start === undefined || !PHP_NAME.test(path) || TEMPLATE_NAME.test(path)) return false;
  if (texts.some((t) => t !== undefined && OPENS_PHP.test(t))) return false;
  const code = withoutComments(start);
  return (
    STARTS_AS_STATEMENT.test(code) &&
    holdsAtLeast(code, VARIABLE, 2) &&
    holdsAtLeast(code, STATEMENT_END, 3)
  );
}

/** What a finding on such a file says first. */
export const TAGLESS_REASON =
  'PHP code saved with no open tag (served as text; it runs only through eval(), as web shells send their payloads and plugins)';
