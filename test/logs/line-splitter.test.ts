import { describe, expect, it } from 'vitest';
import { LineSplitter, splitUtf8 } from '../../adapters/local/logs/line-splitter.ts';

describe('LineSplitter', () => {
  it('keeps a partial line until its end arrives', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from('hel'))).toEqual([]);
    expect(splitter.push(Buffer.from('lo\nwor'))).toEqual(['hello']);
    expect(splitter.push(Buffer.from('ld\n\nlast'))).toEqual(['world', '']);
    expect(splitter.end()).toEqual(['last']);
    expect(splitter.end()).toEqual([]);
  });

  it('drops the CR of CRLF, also when CR and LF arrive in different chunks', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('one\r\ntwo\r')).toEqual(['one']);
    expect(splitter.push('\nthree\r\n')).toEqual(['two', 'three']);
    expect(splitter.end()).toEqual([]);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('héllo ✓\n');
    const lines = [...splitter.push(bytes.subarray(0, 2)), ...splitter.push(bytes.subarray(2))];
    expect(lines).toEqual(['héllo ✓']);
  });

  it('cuts very long lines at the bound, complete or partial, without splitting characters', () => {
    const splitter = new LineSplitter({ maxLineBytes: 10 });
    expect(splitter.push('abcdefghijklmnopqrstuvwxyz\n')).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz']);
    // a partial line past the bound is emitted before its newline arrives
    expect(splitter.push('0123456789012')).toEqual(['0123456789']);
    expect(splitter.end()).toEqual(['012']);
    const pieces = splitUtf8('ééééé', 3);
    expect(pieces).toEqual(['é', 'é', 'é', 'é', 'é']);
    expect(splitUtf8('', 3)).toEqual(['']);
  });

  it('refuses a bound too small to hold a character', () => {
    expect(() => new LineSplitter({ maxLineBytes: 2 })).toThrow(/at least 4/);
  });
});
