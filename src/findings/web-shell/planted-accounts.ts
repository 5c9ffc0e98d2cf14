/**
 * Pages that add an administrator whose name and password they spell out (issue 27's CMS
 * backdoors): WordPress's user functions given a fixed login and password in a page that
 * names the administrator role, or SQL inserting a fixed user into a users table in a page
 * that names an administrator's role or capabilities, or Magento's admin user model saved
 * with a password the page holds. An installer or an admin screen takes the name and the
 * password from its form.
 */
import { callArgs } from './code-text.js';

const WP_USER_CALL = /\bwp_(create|insert)_user\s*\(/g;
// A string literal, whole, with nothing interpolated (a `$` is only a letter between '…').
const LITERAL = /^\s*(?:'[^'\n]{1,80}'|"[^"$\n]{1,80}")\s*$/;
const LOGIN_FIXED = /['"]user_login['"]\s*=>\s*(['"])[^'"$\n]{1,80}\1/;
const PASS_FIXED = /['"]user_pass['"]\s*=>\s*(['"])[^'"$\n]{1,80}\1/;
const WP_ADMIN_ROLE = /['"]administrator['"]/;
// INSERT INTO wp_users (…) VALUES ('name', …): the table, then its columns and values.
const SQL_INSERT_INTO = /\bINSERT\s+INTO\s+[`'"]?([\w#]{1,60})[`'"]?\s*\(/gi;
const FIRST_VALUE = /^\)\s*VALUES\s*\(\s*\\?['"]/i;

// The role or capability a CMS's tables give an administrator.
const SQL_ADMIN =
  /\bwp_capabilities\b|\bSuper Administrator\b|['"]administrator['"]|\buser_level\b/i;

// Magento's administrator model (1.x by its alias, 2.x by its class), given a password that
// is a literal or a constant of the page's (an edit-me `define()`, not NULL), then saved.
const MAGENTO_ADMIN_MODEL =
  /\bgetModel\s*\(\s*['"]admin\/user['"]|\bMagento\\{1,2}User\\{1,2}Model\\{1,2}User\b/;
const PASSWORD_HELD =
  /['"]password['"]\s*=>\s*(?:(['"])[^'"$\n]{1,80}\1|(?!NULL\b|TRUE\b|FALSE\b)[A-Z][A-Z_]{2,40}\b(?!\s*[([]))|->setPassword\s*\(\s*(['"])[^'"$\n]{1,80}\2\s*\)/;
const SAVES = /->save\s*\(/;

/** True when the page adds an administrator with a login and password it spells out. */
export function addsFixedAdministrator(text: string): boolean {
  if (MAGENTO_ADMIN_MODEL.test(text) && PASSWORD_HELD.test(text) && SAVES.test(text)) return true;
  if (WP_ADMIN_ROLE.test(text))
    for (const m of [...text.matchAll(WP_USER_CALL)].slice(0, 20)) {
      const args = callArgs(text, m.index! + m[0].length - 1);
      const isFixed =
        m[1] === 'create'
          ? LITERAL.test(args[0] ?? '') && LITERAL.test(args[1] ?? '')
          : // The user's fields, in the call or in an array built before it.
            LOGIN_FIXED.test(text) && PASS_FIXED.test(text);
      if (isFixed) return true;
    }
  if (!SQL_ADMIN.test(text)) return false;
  // The first value of each insert into a users table, as written.
  const inserts = [...text.matchAll(SQL_INSERT_INTO)].slice(0, 50).flatMap((m) => {
    if (!/users$/i.test(m[1]!)) return [];
    const after = text.slice(m.index! + m[0].length, m.index! + m[0].length + 400);
    const close = after.indexOf(')');
    const value = close < 0 ? null : FIRST_VALUE.exec(after.slice(close));
    return value ? [after.slice(close + value[0].length, close + value[0].length + 82)] : [];
  });
  if (!inserts.length) return false;
  const fixedNames = new Set(
    [...text.matchAll(/\$(\w{1,40})\s*=\s*(['"])[^'"$\n]{1,80}\2\s*;/g)]
      .slice(0, 2000)
      .map((m) => m[1]!),
  );
  return inserts.some((value) => {
    // The first value: a literal login, or a name set to one; not one from a form.
    const name = /^\$(\w{1,40})\b/.exec(value)?.[1];
    return /^[^'"$\\\n]{1,80}\\?['"]/.test(value) || (name !== undefined && fixedNames.has(name));
  });
}
