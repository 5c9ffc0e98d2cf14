/**
 * The columns a `CREATE TABLE` statement declares, in order, as SQLite stores each row's
 * values (https://www.sqlite.org/lang_createtable.html): so that a table read from its pages
 * is read by column name, as rpm's `SELECT hnum, blob FROM Packages` reads it, whatever the
 * order of its declaration. Names may be quoted in any of SQLite's four ways. One pass over
 * the text; anything it does not understand (`AS SELECT`, `WITHOUT ROWID`, an unclosed
 * quote) gives undefined, never a guess.
 */

export interface TableColumns {
  /** Column names as declared, unquoted. */
  names: string[];
  /** The column that is the rowid under another name (`x INTEGER PRIMARY KEY`), if any. */
  rowidAlias?: number;
}

type Token = { text: string; isQuoted: boolean };

const CLOSING: Record<string, string> = { '"': '"', "'": "'", '`': '`', '[': ']' };
const TABLE_CONSTRAINTS = new Set(['constraint', 'primary', 'unique', 'check', 'foreign']);

/** The statement's tokens: words, quoted names, and single punctuation characters; undefined for an unclosed quote. */
function tokens(sql: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (CLOSING[c]) {
      const close = CLOSING[c]!;
      let text = '';
      let at = i + 1;
      for (;;) {
        const end = sql.indexOf(close, at);
        if (end < 0) return undefined;
        text += sql.slice(at, end);
        // A doubled quote is one quote character ("a""b"), except inside [brackets].
        if (close !== ']' && sql[end + 1] === close) {
          text += close;
          at = end + 2;
        } else {
          i = end + 1;
          break;
        }
      }
      out.push({ text, isQuoted: true });
    } else if (/[\w$\u0080-\uffff]/.test(c)) {
      let end = i + 1;
      while (end < sql.length && /[\w$\u0080-\uffff]/.test(sql[end]!)) end++;
      out.push({ text: sql.slice(i, end), isQuoted: false });
      i = end;
    } else {
      out.push({ text: c, isQuoted: false });
      i++;
    }
  }
  return out;
}

const isWord = (t: Token | undefined, word: string) =>
  t !== undefined && !t.isQuoted && t.text.toLowerCase() === word;

/** The columns `sql` (a `CREATE TABLE` as sqlite_master keeps it) declares, or undefined. */
export function tableColumns(sql: string): TableColumns | undefined {
  const all = tokens(sql);
  if (!all || !isWord(all[0], 'create')) return undefined;
  const open = all.findIndex((t) => !t.isQuoted && t.text === '(');
  if (open < 0 || all.slice(0, open).some((t) => isWord(t, 'as'))) return undefined;
  // The definitions: split at commas outside parentheses, up to the matching ')'.
  const definitions: Token[][] = [[]];
  let depth = 0;
  let close = -1;
  for (let i = open + 1; i < all.length; i++) {
    const t = all[i]!;
    if (!t.isQuoted && t.text === '(') depth++;
    else if (!t.isQuoted && t.text === ')') {
      if (depth === 0) {
        close = i;
        break;
      }
      depth--;
    } else if (!t.isQuoted && t.text === ',' && depth === 0) {
      definitions.push([]);
      continue;
    }
    definitions[definitions.length - 1]!.push(t);
  }
  // After the definitions: nothing, or table options; WITHOUT ROWID keeps rows in another tree.
  if (close < 0 || all.slice(close + 1).some((t) => isWord(t, 'without'))) return undefined;

  const names: string[] = [];
  const types: string[] = [];
  let rowidAlias: number | undefined;
  let tablePrimaryKey: string[] | undefined;
  for (const definition of definitions) {
    const [first, ...rest] = definition;
    if (!first || (!first.isQuoted && !/^[\w$\u0080-\uffff]+$/.test(first.text))) return undefined;
    if (!first.isQuoted && TABLE_CONSTRAINTS.has(first.text.toLowerCase())) {
      const primary = definition.findIndex((t) => isWord(t, 'primary'));
      if (primary >= 0 && isWord(definition[primary + 1], 'key')) {
        const inside = definition.slice(primary + 3);
        const end = inside.findIndex((t) => !t.isQuoted && t.text === ')');
        tablePrimaryKey = inside
          .slice(0, end < 0 ? inside.length : end)
          .filter((t) => t.isQuoted || /^[\w$\u0080-\uffff]+$/.test(t.text))
          .map((t) => t.text);
      }
      continue;
    }
    // A generated column is not stored in the row: the stored values would not line up.
    if (rest.some((t) => isWord(t, 'as') || isWord(t, 'generated'))) return undefined;
    // The type is the words before the first constraint keyword; only INTEGER makes an alias.
    const typeEnd = rest.findIndex(
      (t) => t.isQuoted || !/^[A-Za-z_]\w*$/.test(t.text) || isConstraintWord(t),
    );
    const type = (typeEnd < 0 ? rest : rest.slice(0, typeEnd))
      .map((t) => t.text.toLowerCase())
      .join(' ');
    const primary = rest.findIndex((t) => isWord(t, 'primary'));
    // "INTEGER PRIMARY KEY DESC" is, as SQLite documents, not an alias of the rowid.
    if (
      type === 'integer' &&
      primary >= 0 &&
      isWord(rest[primary + 1], 'key') &&
      !isWord(rest[primary + 2], 'desc')
    )
      rowidAlias = names.length;
    names.push(first.text);
    types.push(type);
  }
  if (rowidAlias === undefined && tablePrimaryKey?.length === 1) {
    const at = names.findIndex((n) => n.toLowerCase() === tablePrimaryKey![0]!.toLowerCase());
    if (at >= 0 && types[at] === 'integer') rowidAlias = at;
  }
  return names.length > 0
    ? { names, ...(rowidAlias !== undefined ? { rowidAlias } : {}) }
    : undefined;
}

const CONSTRAINT_WORDS = new Set([
  'constraint',
  'primary',
  'not',
  'null',
  'unique',
  'check',
  'default',
  'collate',
  'references',
  'generated',
  'as',
]);

function isConstraintWord(t: Token): boolean {
  return !t.isQuoted && CONSTRAINT_WORDS.has(t.text.toLowerCase());
}
