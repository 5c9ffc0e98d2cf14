/**
 * What kind of content a file holds, from its first bytes (magic numbers),
 * never from its name: attackers name payloads whatever they like.
 */
import type { ContentType } from '../report/comparison.js';

const MAGIC: [ContentType, number[]][] = [
  ['elf', [0x7f, 0x45, 0x4c, 0x46]],
  ['compressed', [0x1f, 0x8b]], // gzip
  ['compressed', [0x42, 0x5a, 0x68]], // bzip2
  ['compressed', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], // xz
  ['compressed', [0x28, 0xb5, 0x2f, 0xfd]], // zstd
  ['archive', [0x50, 0x4b, 0x03, 0x04]], // zip, jar, apk
  ['archive', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]], // 7z
  ['image', [0x89, 0x50, 0x4e, 0x47]], // png
  ['image', [0xff, 0xd8, 0xff]], // jpeg
  ['image', [0x47, 0x49, 0x46, 0x38]], // gif
  ['pdf', [0x25, 0x50, 0x44, 0x46]],
  ['java-class', [0xca, 0xfe, 0xba, 0xbe]],
];

/** True when `head` looks like text: no NUL, and valid UTF-8 (a character cut at the end of the sample is allowed). */
export function isTextual(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    // stream: true holds back an incomplete final sequence instead of failing on it.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * A Windows program (PE): `MZ`, and the `PE\0\0` signature where the DOS header's
 * e_lfanew (at 0x3c) points. Text may start with "MZ"; only the signature makes it a program.
 */
function isPortableExecutable(head: Buffer): boolean {
  if (head.length < 0x40 || head[0] !== 0x4d || head[1] !== 0x5a) return false;
  const at = head.readUInt32LE(0x3c);
  return at + 4 <= head.length && head.readUInt32BE(at) === 0x50450000;
}

export function detectContentType(head: Buffer): ContentType {
  if (head.length === 0) return 'empty';
  if (isPortableExecutable(head)) return 'pe';
  for (const [type, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return type;
  }
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar')
    return 'archive';
  if (head[0] === 0x23 && head[1] === 0x21) return 'script'; // #!
  return isTextual(head) ? 'text' : 'binary';
}

/** Text saved as UTF-16 with its byte order mark (a JSP in Windows' "Unicode"), else undefined. */
export function utf16Text(head: Buffer): string | undefined {
  const isLittle = head[0] === 0xff && head[1] === 0xfe;
  const isBig = head[0] === 0xfe && head[1] === 0xff;
  if (!isLittle && !isBig) return undefined;
  const body = Buffer.from(head.subarray(2, head.length - (head.length % 2)));
  if (isBig) body.swap16();
  const text = body.toString('utf16le');
  // Text, not binary that starts with those two bytes: no NULs or control bytes in it.
  return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? undefined : text;
}
