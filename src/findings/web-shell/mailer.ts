/**
 * A mass mailer: a page that sends mail to each address of a list the visitor gives (a
 * textarea of addresses split into lines), the spam tool intruders leave on web servers; or
 * one mail a request, whose recipient, content and sender the visitor all names (the list
 * is looped over by the mailer's client). A contact form mails one address of its own and
 * takes only the visitor's reply address; a newsletter mails the addresses in its database.
 * Issue 27: mailers were caught only by their likeness to known shells.
 */
import { callArgs } from './code-text.js';
import { carriesInput } from './request-flow.js';

// Sending to an address: PHP's mail(), a mailer object's recipient added.
const SENDS = /(?<![\w$>:]|::|function\s)\bmail\s*\(|->\s*(?:AddAddress|AddBCC|AddCC)\s*\(/gi;
const LOOP = /\b(?:foreach|for|while)\s*\(/g;

// How far before a send its loop may begin.
const LOOP_REACH = 1500;

/**
 * True when mail goes to each address of a list from the request, in a loop over it, or to
 * one address as many times as the visitor says (a mail bomb).
 */
export function mailsListFromRequest(text: string, tainted: ReadonlySet<string>): boolean {
  return [...text.matchAll(SENDS)].slice(0, 100).some((m) => {
    const [to, subject = '', , headers = ''] = callArgs(text, m.index! + m[0].length - 1);
    if (to === undefined || !carriesInput(to, tainted)) return false;
    const before = text.slice(Math.max(0, m.index! - LOOP_REACH), m.index!);
    const loops = [...before.matchAll(LOOP)].filter((l) =>
      carriesInput(callArgs(before, l.index! + l[0].length - 1)[0] ?? '', tainted),
    );
    if (loops.length === 0) return false;
    // `for ($i = 0; $i < $n; $i++)`: a count the visitor gives, whatever the subject says.
    if (loops.some((l) => !/^foreach/i.test(l[0]))) return true;
    // Each address of the list under the site's own subject and sender: invitations
    // (Friendica's), not spam. mail() shows both; a mailer object sets them elsewhere.
    return !/mail/i.test(m[0]) || carriesInput(subject, tainted) || carriesInput(headers, tainted);
  });
}

// PHP's mail(), not a method or a function of that name being declared.
const MAIL_CALL = /(?<![\w$>:]|::|function\s)\bmail\s*\(/gi;

/**
 * True when mail() is given the request's recipient, its subject or message, and headers
 * carrying it too (`"From: $from"`): mail whoever the visitor names, as whoever they name,
 * saying what they write (an open relay for spam). Measured on the tuning side: 706 of the
 * 3,587 shells that call mail() hold it, and none of 207 benign files that do.
 */
export function relaysMailFromRequest(text: string, tainted: ReadonlySet<string>): boolean {
  return [...text.matchAll(MAIL_CALL)].slice(0, 100).some((m) => {
    const [to = '', subject = '', message = '', headers = ''] = callArgs(
      text,
      m.index! + m[0].length - 1,
    );
    const carries = (arg: string) => carriesInput(arg, tainted);
    return carries(to) && (carries(subject) || carries(message)) && carries(headers);
  });
}
