/**
 * Reading code as text, the way the language reads it: a call's arguments, string escapes
 * (PHP's `\x65`, Java's `\u0065`), comments that never run, and runs of one kind of
 * character measured in one pass. Bounded and linear: the text is the attacker's.
 */
/** The arguments of a call whose '(' ends at `open`, split at top level (bounded). */
export function callArgs(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < Math.min(text.length, open + 400); i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i));
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

/** PHP's string escapes (`"ass\x65rt"`, `"\163ystem"`) as the characters they stand for. */
export function unescapePhp(s: string): string {
  return s
    .replace(/\\x([0-9a-fA-F]{1,2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\([0-7]{1,3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Java's \\uXXXX escapes, which javac reads as the characters anywhere in a JSP's code. */
export function javaUnescaped(text: string): string {
  return text.replace(/\\u+([0-9a-fA-F]{4})/g, (_, h: string) =>
    String.fromCharCode(parseInt(h, 16)),
  );
}

/**
 * The code without its comments: docblocks quote `$_GET`, `exec` and backticks all the
 * time; what a comment says never runs. One pass that knows string literals, so `//` or
 * `/*` inside a string (a base64 blob has them) is not taken for a comment, and `//` after
 * a colon is a URL. `#` starts a comment only at the start of a line (`#!` stays).
 */
/** Only blanks between the line's start and `i` (looked at for a `#` only). */
function isLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0 && text[j] !== '\n'; j--)
    if (text[j] !== ' ' && text[j] !== '\t') return false;
  return true;
}

export function withoutComments(text: string): string {
  let out = '';
  let from = 0;
  let quote = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      continue;
    }
    const next = text[i + 1];
    let end = -1;
    if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      end = close < 0 ? n : close + 2;
      out += text.slice(from, i) + ' ';
    } else if (
      (c === '/' && next === '/' && text[i - 1] !== ':' && text[i - 1] !== '\\') ||
      (c === '#' && next !== '!' && isLineStart(text, i))
    ) {
      // A line comment ends at the line's end, or where the code block does (`?>`, `%>`).
      const close = text.indexOf('\n', i);
      const block = /[?%]>/.exec(text.slice(i, close < 0 ? n : close));
      end = block ? i + block.index : close < 0 ? n : close;
      out += text.slice(from, i);
    }
    if (end >= 0) {
      from = end;
      i = end - 1;
    }
  }
  return out + text.slice(from);
}

/**
 * The longest run of characters `isIn` accepts, in one pass: a regex `[…]{N,}` would rescan
 * each run from every start, seconds on a file an attacker shaped for it.
 */
export function longestRun(text: string, isIn: (code: number) => boolean): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = isIn(text.charCodeAt(i)) ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}
