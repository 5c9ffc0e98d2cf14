/**
 * The one sanitiser for text that came from a suspect container (paths,
 * contents, labels, logs, names). Whatever the attacker wrote, the result
 * holds only printable characters: controls, escape sequences, bidi overrides
 * and invisible format characters are shown as visible escapes, never
 * interpreted by the terminal.
 */

/**
 * Escaped by Unicode class, not by a list: controls (Cc), format characters (Cf: bidi
 * overrides, zero-width and tag characters, soft hyphen), private use (Co), unassigned
 * (Cn), line and paragraph separators (Zl, Zp), lone surrogates (Cs), and whatever
 * Unicode says to draw as nothing (Default_Ignorable_Code_Point: variation selectors,
 * Hangul fillers…), so `/usr/bin/ls` and a look-alike never print the same. And `\`,
 * so an escape cannot be forged.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}\\]/gu;

/**
 * The same classes for JSON, but `\` and C0 controls: JSON.stringify escapes those inside
 * strings already, and a C0 outside one is the layout's own line break.
 */
const UNSAFE_IN_JSON =
  /[\u007f-\u009f\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;

const NAMED: Record<string, string> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u001b': '\\e',
  '\\': '\\\\',
};

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}

/** `\uXXXX` escapes (a pair for a character past U+FFFF): the same JSON string, in plain sight. */
function jsonEscape(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/**
 * JSON text that holds no character a terminal would interpret or hide: JSON.stringify,
 * with every such character inside a string written as its `\u` escape. Parses back to
 * the same value.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, jsonEscape);
}

/** One line of untrusted text, safe to print: every unsafe character escaped (newlines too). */
export function safeText(value: string): string {
  return value.replace(UNSAFE, escapeChar);
}

/** A possibly very long untrusted string, cut to `maxChars` with a visible marker, then made safe. */
export function safeLine(value: string, maxChars = 4096): string {
  if (value.length <= maxChars) return safeText(value);
  return `${safeText(value.slice(0, maxChars))}… [${value.length - maxChars} more characters]`;
}

/** Multi-line untrusted text (a diff, a log): each line made safe, line breaks kept. */
export function safeLines(value: string, maxCharsPerLine = 4096): string[] {
  return value.split('\n').map((line) => safeLine(line, maxCharsPerLine));
}

/**
 * The last step before a terminal, whatever composed the text: a character a terminal would
 * act on that a formatter left raw (a field nobody escaped) is shown as its escape. Line breaks
 * stay line breaks, and `\` stays as it is (the fields' own escapes are already in the text).
 */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => (ch === '\n' || ch === '\\' ? ch : escapeChar(ch)));
}

/** Text a line shows as it is: coroner's own words, or a value escaped already. */
export class Trusted {
  constructor(readonly text: string) {}
}

/** Marks coroner's own words (or an escaped value) as safe to show as they are. */
export const trusted = (text: string): Trusted => new Trusted(text);

/** Untrusted text cut to `maxChars`, then made safe: for a line's value that may be long. */
export const cut = (value: string, maxChars: number): Trusted => trusted(safeLine(value, maxChars));

/**
 * One line of terminal text whose every interpolated value is shown safely: a string through
 * the sanitiser (cut at 1000 characters), a number as it is, a `trusted(…)` or `cut(…)`
 * value as given. So a value is escaped unless someone said otherwise, never the reverse.
 */
export function safe(
  strings: TemplateStringsArray,
  ...values: (string | number | boolean | Trusted | undefined)[]
): string {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const shown =
      value instanceof Trusted
        ? value.text
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : safeLine(String(value ?? ''), 1000);
    out += shown + strings[i + 1]!;
  });
  return out;
}
