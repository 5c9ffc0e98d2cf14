import { describe, expect, it } from 'vitest';
import {
  cut,
  forTerminal,
  safe,
  safeJson,
  safeLine,
  safeLines,
  safeText,
  trusted,
} from '../../src/untrusted.js';

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

describe('look-alikes', () => {
  // Each hides in a name that then prints like /usr/bin/ls: tag characters, a Hangul
  // filler, a soft hyphen, a variation selector, a word joiner, private use, unassigned.
  const hidden = [
    '\u{e0041}',
    '\u3164',
    '\u00ad',
    '\ufe0f',
    '\u2060',
    '\ue000',
    '\u{50000}',
    '\u115f',
  ];

  it.each(hidden)('escapes %j so a look-alike never prints as the real name', (ch) => {
    const lookAlike = `/usr/bin/l${ch}s`;
    expect(safeText(lookAlike)).not.toBe(safeText('/usr/bin/ls'));
    expect(safeText(lookAlike)).toMatch(/^\/usr\/bin\/l\\(x|u)[0-9a-f{}]+s$/);
  });
});

describe('safeJson', () => {
  const value = {
    path: '/tmp/c1\u009b[31m\u007f\u202egnp.php\u{e0041}\u00ad\u2028',
    list: ['a\u001b[2Jb', 'café 日本語 🦀'],
  };

  it('writes C1, DEL, bidi, format and separator characters as \\u escapes', () => {
    for (const text of [safeJson(value), safeJson(value, 2)]) {
      expect(text).not.toMatch(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u2028\u202e]|[\u{e0000}-\u{e007f}]/u,
      );
      expect(text).toContain('\\u009b');
      expect(text).toContain('\\udb40\\udc41');
      expect(text).toContain('café 日本語 🦀');
    }
  });

  it('is the same JSON', () => {
    expect(JSON.parse(safeJson(value, 2))).toEqual(value);
    expect(JSON.parse(safeJson(value))).toEqual(value);
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

describe('safe (the tagged template for terminal lines)', () => {
  it('escapes every interpolated string unless it is marked trusted', () => {
    const name = 'web\u001b[2J';
    expect(safe`name ${name}, ${3} files`).toBe('name web\\e[2J, 3 files');
    expect(safe`${trusted('SIGNATURE INVALID')}`).toBe('SIGNATURE INVALID');
    expect(safe`${cut('x'.repeat(10) + '\u009b', 4)}`).toBe('xxxx… [7 more characters]');
    expect(safe`${undefined}`).toBe('');
  });
});

describe('forTerminal (the last step before the terminal)', () => {
  it('shows any control a formatter left raw, and keeps line breaks and escapes already made', () => {
    const out = forTerminal('ok\n\u001b]0;t\u0007 \\e[2J \u009b\u202e\t\r');
    expect(out).toBe('ok\n\\e]0;t\\x07 \\e[2J \\x9b\\u202e\\t\\r');
    expect(hasRawControl(out.replace(/\n/g, ''))).toBe(false);
  });
});
