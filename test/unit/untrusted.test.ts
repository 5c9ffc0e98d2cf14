import { describe, expect, it } from 'vitest';
import { safeLine, safeLines, safeText } from '../../src/untrusted.js';

// Anything a terminal would interpret: every C0/C1 control and the escape introducer.
const hasRawControl = (s: string) =>
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s);

describe('safeText', () => {
  it('shows escape sequences visibly instead of letting the terminal run them', () => {
    const out = safeText('evil\u001b[2J\u001b]0;owned\u0007.php');
    expect(out).toBe('evil\\e[2J\\e]0;owned\\x07.php');
    expect(hasRawControl(out)).toBe(false);
  });

  it('escapes C1 controls, bidi overrides and zero-width characters', () => {
    const out = safeText('invoice\u202Egnp.exe\u009b31m\u200b');
    expect(out).toBe('invoice\\u202egnp.exe\\x9b31m\\u200b');
    expect(hasRawControl(out)).toBe(false);
  });

  it('keeps newlines from splitting one name over two lines', () => {
    expect(safeText('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
  });

  it('escapes backslashes so an escaped name cannot be forged', () => {
    expect(safeText('\\e[31m')).toBe('\\\\e[31m');
    expect(safeText('\\e[31m')).not.toBe(safeText('\u001b[31m'));
  });

  it('leaves ordinary text, including non-Latin scripts and emoji, alone', () => {
    const s = '/var/www/index.html café 日本語 🦀';
    expect(safeText(s)).toBe(s);
  });

  it('escapes lone surrogates', () => {
    expect(safeText('a\ud800b')).toBe('a\\ud800b');
  });
});

describe('safeLine / safeLines', () => {
  it('cuts megabyte strings with a visible count', () => {
    const out = safeLine('x'.repeat(1_000_000), 10);
    expect(out).toBe('xxxxxxxxxx… [999990 more characters]');
  });

  it('keeps line breaks of multi-line text and escapes inside each line', () => {
    expect(safeLines('one\u001b[1m\ntwo\r\n')).toEqual(['one\\e[1m', 'two\\r', '']);
  });
});
