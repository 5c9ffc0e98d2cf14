import { describe, expect, it } from 'vitest';
import { detectContentType, isTextual, utf16Text } from '../../src/compare/content-type.js';

describe('detectContentType', () => {
  it('tells types by magic bytes, not names', () => {
    expect(detectContentType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]))).toBe('elf');
    expect(detectContentType(Buffer.from('#!/bin/sh\necho hi\n'))).toBe('script');
    expect(detectContentType(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('compressed');
    expect(detectContentType(Buffer.from('PK\u0003\u0004rest'))).toBe('archive');
    expect(detectContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d]))).toBe('image');
    expect(detectContentType(Buffer.from('<?php echo 1; ?>'))).toBe('text');
    expect(detectContentType(Buffer.alloc(0))).toBe('empty');
    expect(detectContentType(Buffer.from([0, 1, 2, 3, 0xff]))).toBe('binary');
  });

  it('tells a Windows program by its PE signature, and text that starts with MZ from one', () => {
    const pe = Buffer.alloc(0x100);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt32LE(0x80, 0x3c);
    pe.write('PE\0\0', 0x80, 'latin1');
    expect(detectContentType(pe)).toBe('pe');
    // A DOS stub whose e_lfanew points past the sample, or at no signature.
    pe.writeUInt32LE(0x2000, 0x3c);
    expect(detectContentType(pe)).toBe('binary');
    expect(detectContentType(Buffer.from(`MZ ${'notes on the MZ format '.repeat(4)}`))).toBe(
      'text',
    );
  });

  it('accepts UTF-8 cut in the middle of a character at the end of the sample', () => {
    const text = Buffer.from('café');
    expect(isTextual(text.subarray(0, text.length - 1))).toBe(true);
    expect(isTextual(Buffer.from([0x61, 0xff, 0x62]))).toBe(false);
  });

  it('reads a JSP saved as UTF-16 (with its byte order mark) as text', () => {
    const page = '<% Runtime.getRuntime().exec(request.getParameter("c")); %>';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page, 'utf16le')]);
    expect(utf16Text(le)).toBe(page);
    const be = Buffer.from(le.subarray(2)).swap16();
    expect(utf16Text(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe(page);
    expect(utf16Text(Buffer.from([0xff, 0xfe, 0, 0, 1, 0]))).toBeUndefined();
  });
});
