/**
 * Microsoft's Script Encoder (`<%@ Language="VBScript.Encode" %>`, `.vbe`, `.jse`): a page's
 * code hidden as `#@~^XXXXXX==…XXXXXX==^#~@`, which IIS decodes before it runs. The encoding
 * is a fixed substitution, one of three alphabets picked by the character's position, so the
 * rules can read what the server will run. Described publicly since 2001 (Mike Hostetler's
 * scrdec, Andreas Marx's Full-Disclosure note of 2003, Didier Stevens' decode-vbe); written
 * here from that description. The text is the attacker's: every block is decoded in one
 * linear pass, at most `MAX_BLOCKS` of them, and the result is never longer than the input.
 */

/**
 * For characters 9 to 127, what each of the three alphabets decodes them to. Characters
 * 10 to 31 never occur encoded (line ends are escaped as `@&`, `@#`); they stay as they are.
 */
const ALPHABETS: readonly string[] = [
  'WJ\u000b\fJ\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f.GzVBj/&IA42[vrC89pEhqO\tbD#uJ~J^@wJa]"KoN;LPg*}tT+-,0nkf5%!dMRc?{x)(sY3\u007fmUS|:_eFX1ilZH\'\\=$y7`Q 6',
  'nL\u000b\fL\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f-uR`q^I\\b})6 |z\u007fkc3+hQfv1dTCL:L~LE,*t\'7DyY/o&rj9{?8wgSG4x]0#Z[lHUpi.L!$NP\tVs5aKX;W"mM%(FJ2A=_OBe',
  '{A\u000b\fA\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f20!)[83=X:5e9\\VsfNEkbYx^}JmqA`AS@B\'Hru17MR"TjGd- \u007f.L]~loytC&v%$+(#A4\t*D?w;UiacPgQIOFh|6pnz/_KZ,W',
];

/** Which alphabet the n-th encoded character (n modulo 64) was written with. */
const PICK = '0120121221210212021200122102122100212120200120210212001220012021';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '\n',
  '#': '\r',
  '*': '>',
  '!': '<',
  $: '@',
};

const START = '#@~^';
const END = '^#~@';
// More blocks than the rules' text can hold (a block is at least 24 characters): a page of
// many small ones (`<%=#@~^…^#~@%>` for each value it shows) is decoded to its last. Issue
// 27: an encoded ASP shell of a hundred blocks ran its commands past the 32nd.
const MAX_BLOCKS = 4096;

/**
 * One block's payload (between its length header and its checksum) decoded. On a
 * double-byte code page (Chinese, Japanese, Korean) the encoder saw a lead byte and the byte
 * after it as one character, left as it was; read byte by byte, a trail byte in the ASCII
 * range would be decoded, and shift the alphabet of everything after it.
 */
function decodeBlock(data: string, isDoubleByte: boolean): string {
  let out = '';
  let position = -1;
  for (let i = 0; i < data.length; i++) {
    let c = data[i]!;
    // `@&` and its kind stand for characters the encoding cannot hold; they count as one.
    if (c === '@' && i + 1 < data.length && ESCAPES[data[i + 1]!] !== undefined) {
      c = ESCAPES[data[++i]!]!;
      position++;
      out += c;
      continue;
    }
    const code = c.charCodeAt(0);
    if (isDoubleByte && code >= 0x81 && code <= 0xfe && i + 1 < data.length) {
      const trail = data.charCodeAt(i + 1);
      if (trail >= 0x40 && trail <= 0xfe && trail !== 0x7f) {
        out += c + data[++i]!;
        continue;
      }
    }
    if (code < 128) position++;
    const isEncoded =
      (code === 9 || (code > 31 && code < 128)) && c !== '<' && c !== '>' && c !== '@';
    out += isEncoded ? ALPHABETS[Number(PICK[position % 64])]![code - 9]! : c;
  }
  return out;
}

// Words every script uses; decoded with the wrong alphabets, a script has next to none.
const SCRIPT_WORDS =
  /\b(?:if|then|else|end|dim|set|function|sub|for|next|response|request|server|var|return)\b/gi;
const countWords = (code: string) => code.match(SCRIPT_WORDS)?.length ?? 0;

/**
 * A block decoded byte by byte, or as a double-byte code page's text when a byte that could
 * lead a character is followed by one in the ASCII range: the page's code page is not in
 * the file, so the reading that gives a script (more of its words) is taken.
 */
function decodePayload(data: string): string {
  const single = decodeBlock(data, false);
  if (!/[\x81-\xfe][\x40-\x7e]/.test(data)) return single;
  const double = decodeBlock(data, true);
  return countWords(double) > countWords(single) ? double : single;
}

/** True when the text holds a Script Encoder block. */
export const hasEncodedScript = (text: string) => text.includes(START);

/**
 * The text with each `#@~^…^#~@` block replaced by the code it stands for; a block without
 * its end marker (cut by the rules' budget) is decoded to the end of the text.
 */
export function decodeEncodedScripts(text: string): string {
  let out = '';
  let from = 0;
  for (let blocks = 0; blocks < MAX_BLOCKS; blocks++) {
    const start = text.indexOf(START, from);
    if (start < 0) break;
    // `#@~^` + 6 characters of length + `==`, then the payload, then 6 of checksum + `==`.
    const dataStart = start + START.length + 8;
    const end = text.indexOf(END, dataStart);
    const dataEnd = end < 0 ? text.length : Math.max(dataStart, end - 8);
    out += text.slice(from, start) + decodePayload(text.slice(dataStart, dataEnd));
    from = end < 0 ? text.length : end + END.length;
  }
  return out + text.slice(from);
}
