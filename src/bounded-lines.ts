/**
 * Lines of an untrusted text stream with a bound on each: readline holds a line whole
 * however long it is, so one 60 MiB line without a newline cost 60 MiB and more. Here a
 * line longer than the bound is skipped as it streams by, never held.
 */

/**
 * Each line of `input` (LF or CRLF ends it; the last may lack one), decoded as latin1 so
 * every byte survives; lines over `maxBytes` are left out.
 */
export async function* boundedLines(
  input: AsyncIterable<Buffer>,
  maxBytes: number,
): AsyncGenerator<string> {
  let pieces: Buffer[] = [];
  let size = 0;
  let isTooLong = false;
  const line = () => {
    const bytes = Buffer.concat(pieces, size);
    const end =
      bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    return bytes.toString('latin1', 0, end);
  };
  for await (const chunk of input) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, newline < 0 ? chunk.length : newline);
      if (!isTooLong && size + piece.length > maxBytes) {
        isTooLong = true;
        pieces = [];
        size = 0;
      }
      if (!isTooLong && piece.length > 0) {
        pieces.push(piece);
        size += piece.length;
      }
      if (newline < 0) break;
      if (!isTooLong) yield line();
      pieces = [];
      size = 0;
      isTooLong = false;
      start = newline + 1;
    }
  }
  if (!isTooLong && size > 0) yield line();
}
