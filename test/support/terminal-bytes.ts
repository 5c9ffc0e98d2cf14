/** What reaches a terminal, checked byte by byte. */

/** Bytes a terminal would act on: C0 (but newline), DEL, C1 in UTF-8, bidi controls in UTF-8. */
export function rawControls(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const found = text.match(
    /[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]/g,
  );
  return found ?? [];
}
