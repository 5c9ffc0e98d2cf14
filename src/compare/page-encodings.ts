/**
 * Text in an encoding a server page may declare that a byte-for-byte reading misses. A JSP
 * container decodes a page as its prolog says (`<?xml version="1.0" encoding='cp037'?>`)
 * or as its bytes show (UTF-16 without a byte order mark); read as Latin-1, such a page is
 * NUL bytes or EBCDIC, and a shell in it is never judged. Issue 27: the encoding bypasses of
 * JSP web-shell collections.
 */

// EBCDIC code page 037 (IBM's US and Canada), byte to character, generated from Python's
// cp037 codec; its NEL (0x15) read as a line end. Code pages 1047 and 500 differ from it in
// a few punctuation marks only.
const CP037 =
  '\u0000\u0001\u0002\u0003\u009c\u0009\u0086\u007f\u0097\u008d\u008e\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u009d\u000a\u0008\u0087\u0018\u0019\u0092\u008f\u001c\u001d\u001e\u001f' +
  '\u0080\u0081\u0082\u0083\u0084\u000a\u0017\u001b\u0088\u0089\u008a\u008b\u008c\u0005\u0006\u0007\u0090\u0091\u0016\u0093\u0094\u0095\u0096\u0004\u0098\u0099\u009a\u009b\u0014\u0015\u009e\u001a' +
  ' \u00a0\u00e2\u00e4\u00e0\u00e1\u00e3\u00e5\u00e7\u00f1\u00a2.<(+|&\u00e9\u00ea\u00eb\u00e8\u00ed\u00ee\u00ef\u00ec\u00df!$*);\u00ac' +
  '-/\u00c2\u00c4\u00c0\u00c1\u00c3\u00c5\u00c7\u00d1\u00a6,%_>?\u00f8\u00c9\u00ca\u00cb\u00c8\u00cd\u00ce\u00cf\u00cc`:#@\'="' +
  '\u00d8abcdefghi\u00ab\u00bb\u00f0\u00fd\u00fe\u00b1\u00b0jklmnopqr\u00aa\u00ba\u00e6\u00b8\u00c6\u00a4' +
  '\u00b5~stuvwxyz\u00a1\u00bf\u00d0\u00dd\u00de\u00ae^\u00a3\u00a5\u00b7\u00a9\u00a7\u00b6\u00bc\u00bd\u00be[]\u00af\u00a8\u00b4\u00d7' +
  '{ABCDEFGHI\u00ad\u00f4\u00f6\u00f2\u00f3\u00f5}JKLMNOPQR\u00b9\u00fb\u00fc\u00f9\u00fa\u00ff' +
  '\\\u00f7STUVWXYZ\u00b2\u00d4\u00d6\u00d2\u00d3\u00d50123456789\u00b3\u00db\u00dc\u00d9\u00da\u009f';

// An XML prolog naming an EBCDIC code page, in ASCII or (NULs taken out) UTF-16.
const EBCDIC_PROLOG =
  /^(?:\xfe\xff|\xff\xfe)?\s{0,8}<\?xml\b[^>]{0,200}?\bencoding\s*=\s*['"](?:cp|ibm-?)0?(?:37|1047|500|1140)['"]/i;

/**
 * A page whose prolog declares an EBCDIC code page: the prolog as written, then the rest
 * decoded from EBCDIC. Undefined for any other file.
 */
export function ebcdicText(head: Buffer): string | undefined {
  const start = head.subarray(0, 600);
  const ascii = Buffer.from(start.filter((b) => b !== 0)).toString('latin1');
  const declared = EBCDIC_PROLOG.exec(ascii);
  const close = declared ? ascii.indexOf('?>', declared[0].length) : -1;
  if (close < 0) return undefined;
  const prolog = ascii.slice(0, close + 2).replace(/^(?:\xfe\xff|\xff\xfe)/, '');
  // The prolog's end in the bytes: its `?>`, a NUL between them when it is UTF-16.
  let end = -1;
  for (let i = 1; i < start.length && end < 0; i++)
    if (
      start[i] === 0x3e &&
      (start[i - 1] === 0x3f || (start[i - 1] === 0 && start[i - 2] === 0x3f))
    )
      end = i + 1;
  if (end < 0) return undefined;
  // A UTF-16LE prolog ends with the `>`'s NUL.
  if (start[end] === 0 && start[end - 2] === 0) end++;
  const rest = head.subarray(end);
  // A body of NULs and ASCII is UTF-16 behind a prolog that names EBCDIC: not this reading.
  if (rest.filter((b) => b === 0).length > rest.length / 4) return undefined;
  let body = '';
  for (const b of rest) body += CP037[b];
  return prolog + body;
}

/**
 * UTF-16 text without its byte order mark, or after a prolog in ASCII: read as its ASCII
 * characters, the NUL bytes taken out. Only for a file whose NULs stand alone (UTF-16's
 * high bytes), never in runs (a binary's padding), and whose other bytes are printable text.
 */
export function unmarkedUtf16Text(head: Buffer): string | undefined {
  let nuls = 0;
  let alone = 0;
  let printable = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === 0) {
      nuls++;
      if (head[i - 1] !== 0 && head[i + 1] !== 0) alone++;
    } else if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  }
  const others = head.length - nuls;
  if (nuls < head.length / 4 || alone < nuls * 0.9 || printable < others * 0.95) return undefined;
  return Buffer.from(head.filter((b) => b !== 0)).toString('latin1');
}
