/**
 * The one sanitiser for text that came from a suspect container (paths,
 * contents, labels, logs, names). Whatever the attacker wrote, the result
 * holds only printable characters: controls, escape sequences, bidi overrides
 * and invisible format characters are shown as visible escapes, never
 * interpreted by the terminal.
 */

// C0 controls, DEL, C1 controls; bidi embeddings/overrides/isolates and marks;
// zero-width and other invisible format characters; line/paragraph separators.
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

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
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
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
