/**
 * A Markdown file's text with its code samples set aside. Documentation shows code in fences
 * and backtick spans: a framework's guide about views holds `<?php` examples, and its inline
 * code spans read as PHP's backtick operator running a command. No server runs a Markdown
 * file; PHP runs one only when a script includes it, and then what an attacker hid there is
 * written as plain text, not as a sample in a fence. So the rules judge what is left.
 * Issue 27: six translations of one guide page of a PHP framework ranked critical ("a
 * command on request input") on a benign side gathered after the rules were written.
 *
 * One pass over the lines; a span is looked for within its line only.
 */
const MARKDOWN_NAME = /\.(?:md|markdown|mdown|mkd)$/i;
// A fence opens and closes with three or more backticks or tildes, indented up to three spaces.
const FENCE = /^ {0,3}(?:`{3,}|~{3,})/;
const CODE_SPAN = /`[^`\n]{0,2000}`/g;

export const isMarkdown = (path: string) => MARKDOWN_NAME.test(path);

/** The text with fenced blocks and backtick spans blanked, lines kept where they were. */
export function withoutCodeSamples(text: string): string {
  let isInFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (FENCE.test(line)) {
        isInFence = !isInFence;
        return '';
      }
      return isInFence ? '' : line.replace(CODE_SPAN, ' ');
    })
    .join('\n');
}
