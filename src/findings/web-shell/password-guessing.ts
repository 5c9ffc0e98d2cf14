/**
 * Password guessing from a page: each word of a list handed to a login as its password (an
 * FTP, database, mail, SSH or directory login), in a loop, directly or through a function of
 * the page's own. Crackers of this kind sit among shells in every collection (an FTP brute
 * forcer reading a dictionary, a MySQL root guesser counting up). An application logs in
 * with the password it was configured with, and retries with the same one; it does not walk
 * a list of passwords. Issue 27: such pages of the tuning side were ranked nothing.
 *
 * Bounded: loops over matches stop at fixed counts, arguments are read by callArgs (400
 * characters at most).
 */
import { callArgs, ownFunctions } from './code-text.js';

// Logins, and where each takes its password (0-based).
const PASSWORD_AT: Readonly<Record<string, number>> = {
  ftp_login: 2,
  mysql_connect: 2,
  mysql_pconnect: 2,
  mysqli_connect: 2,
  mysqli: 2,
  mysqli_real_connect: 3,
  imap_open: 2,
  ssh2_auth_password: 2,
  ldap_bind: 2,
};
const LOGIN_CALL =
  /(?<![\w$>:])(ftp_login|mysql_p?connect|mysqli_connect|mysqli_real_connect|imap_open|ssh2_auth_password|ldap_bind)\s*\(|\bnew\s+(mysqli)\s*\(/gi;

// What a loop takes each word of a list into: foreach's value, a line read in a while's
// condition, a for loop's counter (the word is then `$list[$i]`).
const FOREACH_VALUE =
  /\bforeach\s*\([^;{]{1,200}?\bas\s+(?:\$\w{1,40}\s*=>\s*)?\$(\w{1,40})\s*\)/gi;
const WHILE_READS =
  /\bwhile\s*\(\s*(?:\(\s*)?\$(\w{1,40})\s*=\s*(?:@\s*)?(?:fgets|fgetss|stream_get_line|array_shift|trim\s*\(\s*(?:@\s*)?fgets)\s*\(/gi;
const FOR_COUNTER = /\bfor\s*\(\s*\$(\w{1,40})\s*=/gi;

/** The variable an argument is, once trimmed (`$w`, `trim($w)`, `$w . ""`), or a list item. */
function wordOf(arg: string): { name?: string; index?: string } {
  const a = arg.trim().replace(/^@\s*/, '');
  const item = /^\$\w{1,40}\s*\[\s*\$(\w{1,40})\s*\]$/.exec(a);
  if (item) return { index: item[1] };
  const bare =
    /^(?:(?:trim|rtrim|chop)\s*\(\s*)?\$(\w{1,40})(?:\s*\))?(?:\s*\.\s*(?:""|''))?$/i.exec(a);
  return bare ? { name: bare[1] } : {};
}

/** True when the page hands each word of a list to a login as the password. */
export function guessesPasswords(text: string): boolean {
  if (!LOGIN_CALL.test(text)) return false;
  LOGIN_CALL.lastIndex = 0;
  const words = new Set<string>();
  for (const m of [...text.matchAll(FOREACH_VALUE)].slice(0, 200)) words.add(m[1]!);
  for (const m of [...text.matchAll(WHILE_READS)].slice(0, 200)) words.add(m[1]!);
  const counters = new Set([...text.matchAll(FOR_COUNTER)].slice(0, 200).map((m) => m[1]!));
  if (!words.size && !counters.size) return false;
  const isGuess = (arg: string | undefined) => {
    if (arg === undefined) return false;
    const { name, index } = wordOf(arg);
    return (name !== undefined && words.has(name)) || (index !== undefined && counters.has(index));
  };
  // Logins, and the page's own functions that pass one of their parameters on as a password.
  const logins = new Map(Object.entries(PASSWORD_AT));
  for (const f of ownFunctions(text, 200, 3000)) {
    const params = f.params.split(',').map((p) => /\$(\w{1,40})/.exec(p)?.[1]);
    for (const m of [...f.body.matchAll(LOGIN_CALL)].slice(0, 20)) {
      const call = (m[1] ?? m[2])!.toLowerCase();
      const given = callArgs(f.body, m.index! + m[0].length - 1)[PASSWORD_AT[call]!];
      const param = given === undefined ? undefined : wordOf(given).name;
      const at = param === undefined ? -1 : params.indexOf(param);
      if (at >= 0) logins.set(f.name.toLowerCase(), at);
    }
  }
  const calls = new RegExp(
    String.raw`(?<![\w$>:])(${[...logins.keys()].join('|')})\s*\(|\bnew\s+(mysqli)\s*\(`,
    'gi',
  );
  return [...text.matchAll(calls)].slice(0, 200).some((m) => {
    const at = logins.get((m[1] ?? m[2])!.toLowerCase());
    return at !== undefined && isGuess(callArgs(text, m.index! + m[0].length - 1)[at]);
  });
}
