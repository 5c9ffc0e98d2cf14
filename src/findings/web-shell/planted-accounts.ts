/**
 * Pages that add an administrator whose name and password they spell out (issue 27's CMS
 * backdoors): WordPress's user functions given a fixed login and password in a page that
 * names the administrator role, or SQL inserting a fixed user into a users table in a page
 * that names an administrator's role or capabilities, or Magento's admin user model saved
 * with a password the page holds. An installer or an admin screen takes the name and the
 * password from its form. Also a login the page or the request names made an administrator
 * by a page that checks no one's rights (`addsAdministratorUnasked`).
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

// The role given: `$user->set_role('administrator')`, or the role field of the user's array.
const ADMIN_ROLE_GIVEN =
  /\bset_role\s*\(\s*['"]administrator['"]|['"]role['"]\s*=>\s*['"]administrator['"]/;
// A login as the request sends it, whole.
const REQUEST_VALUE = /^\s*(?:@\s*)?\$_(?:GET|POST|REQUEST|COOKIE)\s*\[[^\]\n]{1,60}\]\s*$/;

/**
 * True when the page makes an account a WordPress administrator, the account's login one the
 * page spells out or the request sends as it is, and asks no one's rights, nonce or password
 * first: a script left to add an administrator on demand (with a password it generates and
 * prints), or a plugin's `init` hook doing it for whoever sends a name. WordPress's own
 * screens check `current_user_can('create_users')` and a nonce.
 */
export function addsAdministratorUnasked(text: string): boolean {
  if (!ADMIN_ROLE_GIVEN.test(text) || CHECKS_CREDENTIAL.test(text)) return false;
  const held = new Map(
    [...text.matchAll(/\$(\w{1,40})\s*=\s*([^;\n]{1,120});/g)]
      .slice(0, 2000)
      .map((m) => [m[1]!, m[2]!] as const),
  );
  const named = (arg: string) => {
    const value = held.get(/^\s*\$(\w{1,40})\s*$/.exec(arg)?.[1] ?? '') ?? arg;
    return LITERAL.test(value) || REQUEST_VALUE.test(value);
  };
  return [...text.matchAll(WP_USER_CALL)].slice(0, 20).some((m) => {
    const args = callArgs(text, m.index! + m[0].length - 1);
    if (m[1] === 'create') return named(args[0] ?? '');
    const login = /['"]user_login['"]\s*=>\s*([^,\n)]{1,120})/.exec(text)?.[1];
    return login !== undefined && named(login);
  });
}

// WordPress's login cookie set (the call, not pluggable.php's definition of it).
const SETS_LOGIN_COOKIE = /\bwp_set_auth_cookie\s*\(/g;
// The account chosen as an administrator (by role, among the users), or by a login, address
// or number the page holds. A role named anywhere else is not a choice of account.
const ADMIN_PICKED =
  /\buser_can\s*\(\s*\$\w{1,40}(?:->\w{1,40})?\s*,\s*['"]administrator['"]|\bget_users\s*\([^;]{0,200}['"]administrator['"]|\bget_user_by\s*\(\s*['"](?:login|email|slug|id)['"]\s*,\s*(?:'[^'\n]{1,80}'|"[^"$\n]{1,80}"|1)\s*\)/i;
// What a login of the site's own checks first: a password, a signed or stored token, a
// nonce, or that the one asking may already act for others (a "log in as" screen).
const CHECKS_CREDENTIAL =
  /\b(?:wp_check_password|wp_authenticate|wp_signon|password_verify|hash_equals|hash_hmac|wp_verify_nonce|check_admin_referer|check_ajax_referer|wp_validate_auth_cookie|current_user_can|get_transient)\s*\(/i;

/**
 * True when the page logs its visitor into WordPress as an administrator, or as an account
 * it names, and checks no password, token or nonce first (the login backdoors of hacked
 * sites: `get_user_by('login', 'admin')` then `wp_set_auth_cookie()`).
 */
export function logsInAsAdministrator(text: string): boolean {
  const setsCookie = [...text.matchAll(SETS_LOGIN_COOKIE)]
    .slice(0, 20)
    .some((m) => !/\bfunction[\s&]{1,8}$/.test(text.slice(Math.max(0, m.index! - 12), m.index)));
  return setsCookie && ADMIN_PICKED.test(text) && !CHECKS_CREDENTIAL.test(text);
}

// A login left out of the users WordPress lists (`… AND wp_users.user_login != 'x'`).
const USER_LEFT_OUT = /\buser_login\s*(?:!=|<>)\s*\\?['"]/;

/**
 * True when the page edits WordPress's user query to leave out an account: the
 * administrator a backdoor added, hidden from the site's own administrators.
 */
export function hidesUserFromList(text: string): boolean {
  return /\bpre_user_query\b/.test(text) && USER_LEFT_OUT.test(text);
}

// A callback on WordPress's list of installed plugins, the one its Plugins screen shows.
const FILTERS_PLUGIN_LIST = /\badd_(?:filter|action)\s*\(\s*['"]all_plugins['"]/;
// An entry taken out of a list by the page's own name: its basename, a constant of the page,
// a literal `….php` key, or a variable (set to its basename, below).
const ENTRY_UNSET =
  /\bunset\s*\(\s*\$\w{1,40}\s*\[\s*(?:plugin_basename\s*\(|[A-Z][A-Z0-9_]{2,40}\s*\]|(['"])[^'"\n]{1,120}\.php\1\s*\]|\$(\w{1,40})\s*\])/g;
const BASENAME_HELD = /\$(\w{1,40})\s*=\s*plugin_basename\s*\(/g;

/**
 * True when the page takes a plugin, by its own file's name, out of the list WordPress's
 * administrators see: a backdoor plugin that hides itself. Akismet's callback on the same
 * list only rewrites a description, and a white-label tool hides what its options name.
 */
export function hidesPluginFromList(text: string): boolean {
  if (!FILTERS_PLUGIN_LIST.test(text)) return false;
  const basenames = new Set([...text.matchAll(BASENAME_HELD)].slice(0, 20).map((m) => m[1]));
  return [...text.matchAll(ENTRY_UNSET)]
    .slice(0, 50)
    .some((m) => m[2] === undefined || basenames.has(m[2]));
}
