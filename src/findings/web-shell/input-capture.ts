/**
 * Input capture: a page that writes what visitors submit (the whole request serialized, or
 * its card, password or login fields) into a file named as an image, where the site's own
 * media hide it and the web server hands it to whoever knows its name. Magento's skimmers
 * append `base64_encode(serialize($_REQUEST))` to a product photo on every checkout (issue
 * 27: two tuning copies, one decoded from the loader that carries it, were ranked medium).
 *
 * An application stores an upload's bytes under an image's name, or a picture a form sent as
 * base64; it does not store the form itself there.
 */
import { writesOf } from './droppers.js';

// A file named as an image, at the end of the expression that names it. The quote may be
// escaped: decoded code is read as a string literal (php-constants.ts).
const IMAGE_NAMED = /\.(?:jpe?g|png|gif|ico|bmp|webp)\\?['"]\s*$/i;
// The request whole, as an encoder or printer writes it out, or the fields a skimmer
// wants (card, security code, password, login).
const REQUEST_WHOLE =
  /\b(?:serialize|json_encode|print_r|var_export|implode|http_build_query)\s*\(\s*(?:\\?['"][^'"\n]{0,10}\\?['"]\s*,\s*)?\$_(?:POST|REQUEST|COOKIE|GET)\s*[),]/i;
const REQUEST_FIELD = /\$_(?:POST|REQUEST)\s*\[/;
// A card's number or security code, a password or a login, as a form names them; not a
// picture of a card (`card_image`), which a form may well send.
const SECRET_KEY =
  /\[\s*\\?['"](?:\w{0,20}_)?(?:cc_?num\w{0,10}|cc_?cid|cc_?cvv|card_?num\w{0,10}|cvv\d?|cvc|pass(?:word|wd)?|login)\\?['"]\s*\]/i;

/** True when the page writes visitors' submissions into a file named as an image. */
export function logsInputIntoImage(text: string): boolean {
  if (!/\$_(?:POST|REQUEST|COOKIE|GET)\b/.test(text)) return false;
  return writesOf(text).some(
    ({ file, data }) =>
      IMAGE_NAMED.test(file.trim()) &&
      (REQUEST_WHOLE.test(data) || (REQUEST_FIELD.test(data) && SECRET_KEY.test(data))),
  );
}
