/**
 * The key legend as lines that fit the terminal: whole `key what` items, never cut, wrapped
 * onto a second line when one is not enough, so a new user always sees how to quit (q) and
 * where the help is (?), even at 80 columns.
 */
const GAP = '  ';

export function footerLines(keys: readonly (readonly [string, string])[], width: number): string[] {
  const items = keys.map(([key, what]) => `${key} ${what}`);
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && line.length + GAP.length + item.length > width) {
      lines.push(line);
      line = item;
    } else line = line ? `${line}${GAP}${item}` : item;
  }
  if (line) lines.push(line);
  return lines;
}
