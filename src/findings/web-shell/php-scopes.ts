/**
 * PHP's variables are local to the function that uses them: the `$val` one function fills
 * from a posted field is not the `$val` another writes to a file. Read by name across a
 * whole file, an administration page's hundred functions lend each other request input they
 * never share (SMF's and e107's admin pages, issue 27's false alarms). Here the names each
 * named function binds get names of their own, so a name tainted in one function carries
 * nothing in another. Top-level code and closures keep their names (a closure shares them
 * through `use`), and so do superglobals, `$this`, the names a function declares `global`
 * and the names it only reads.
 */

import { blockEnd } from './code-text.js';

// A named function or method: `function name(` or `function &name(`.
const NAMED_FUNCTION = /\bfunction(?:\s+|\s*&\s*)(\w{1,40})\s*\(/g;

// Names PHP shares between all scopes.
const SHARED =
  /^(?:_GET|_POST|_REQUEST|_COOKIE|_SERVER|_FILES|_ENV|_SESSION|GLOBALS|this|HTTP_\w{1,30}_VARS)$/;

// What marks a function's own name: a suffix the rules' `\w` reads as part of the name. A
// page that writes such a name itself only sees it shortened in a reason.
const SCOPE_MARK = '__fn';

/** The variable name as the page wrote it (a reason quoting a scoped name shows the page's). */
export const unscoped = (text: string) => text.replace(/(\$\w{1,40}?)__fn\d{1,4}\b/g, '$1');

/** Names a function body declares `global $a, $b;`. */
function globalsOf(body: string): Set<string> {
  const names = new Set<string>();
  for (const m of [...body.matchAll(/\bglobal\s+([^;\n]{1,400});/g)].slice(0, 100))
    for (const v of m[1]!.matchAll(/\$(\w{1,40})/g)) names.add(v[1]!);
  return names;
}

// Where a function binds a name of its own: an assignment (`$x =`, `$x .=`, `$x[] =`), a
// loop's key or value, a static or a caught exception, and the output argument of the
// calls that fill one (`preg_match($p, $s, $m)`, `parse_str($q, $out)`, `exec($c, $lines)`).
const BINDS = [
  /\$(\w{1,40})\s*(?:\[[^\]\n]{0,80}\]\s*){0,4}(?:[.+\-*/%|&^]|\?\?)?=(?![=>])/g,
  /\bas\s+&?\$(\w{1,40})/g,
  /=>\s*&?\$(\w{1,40})\s*\)/g,
  /\b(?:static|catch\s*\([\w\\]{1,80})\s+\$(\w{1,40})/g,
  /\b(?:preg_match(?:_all)?|parse_str|exec)\s*\([^;\n]{0,300}?,\s*&?\$(\w{1,40})\s*[,)]/g,
];

/**
 * The names a function binds in its own scope: its parameters and the names it sets. A name
 * it only reads is PHP's undefined local, but what the page meant is the top-level one: a
 * shell that sets `$c` at the top and runs it in a function without `global` is still read
 * as running `$c`.
 */
function boundIn(declaration: string): Set<string> {
  const names = new Set<string>();
  const params = declaration.slice(0, declaration.indexOf('{'));
  for (const v of params.matchAll(/\$(\w{1,40})/g)) names.add(v[1]!);
  for (const re of BINDS)
    for (const m of [...declaration.matchAll(re)].slice(0, 2000)) names.add(m[1]!);
  // list($a, $b) = … and [$a, $b] = …
  for (const m of [
    ...declaration.matchAll(
      /(?:\blist\s*\(|(?<![\w\])$'"])\[)([$&\w\s,]{1,400})[\])]\s*=(?![=>])/g,
    ),
  ].slice(0, 200))
    for (const v of m[1]!.matchAll(/\$(\w{1,40})/g)) names.add(v[1]!);
  return names;
}

/**
 * The text with the names each named function binds (boundIn) renamed to `$name__fnN` (N
 * the function's place). At most `limit` functions, each read up to `maxBody` characters; a
 * function declared inside another keeps the outer one's names.
 */
export function withScopedNames(text: string, limit = 2000, maxBody = 400_000): string {
  const out: string[] = [];
  let from = 0;
  let n = 0;
  for (const m of text.matchAll(NAMED_FUNCTION)) {
    if (m.index! < from) continue; // inside a function already renamed
    if (++n > limit) break;
    // Its body's '{', unless a ';' ends the declaration first (an abstract method's).
    const after = m.index! + m[0].length;
    const ends = /[{;]/.exec(text.slice(after, after + 2000));
    if (ends?.[0] !== '{') continue;
    const open = after + ends.index;
    const end = blockEnd(text, open, maxBody, true);
    const declaration = text.slice(m.index!, end + 1);
    const shared = globalsOf(declaration);
    const own = boundIn(declaration);
    const mark = `${SCOPE_MARK}${n}`;
    out.push(text.slice(from, m.index!));
    out.push(
      declaration.replace(/(?<!::)\$(\w{1,40})(?!\w)/g, (whole, name: string) =>
        !own.has(name) || SHARED.test(name) || shared.has(name) ? whole : `$${name}${mark}`,
      ),
    );
    from = end + 1;
  }
  if (from === 0) return text;
  out.push(text.slice(from));
  return out.join('');
}
