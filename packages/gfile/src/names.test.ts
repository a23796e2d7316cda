import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFileName, decodeFileUriPath, displayName, encodeFileName, encodeFileUriPath, hasEscapedBytes } from './names.js';
import { parseUri, portableUri, uriForKey } from './uri.js';

describe('file names that are not UTF-8 (surrogateescape, PEP 383)', () => {
  it('decode then encode gives back every byte string exactly (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(Buffer.from(encodeFileName(decodeFileName(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('valid UTF-8 decodes as TextDecoder does, with no escapes (fast-check, astral characters included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 32 }), (s) => {
        const bytes = new TextEncoder().encode(s);
        expect(decodeFileName(bytes)).toBe(s);
        expect(hasEscapedBytes(s)).toBe(false);
      }),
    );
  });

  it('each byte outside a valid sequence is one escape; overlongs, surrogates and values past U+10FFFF are invalid', () => {
    expect(decodeFileName(Uint8Array.from([0x61, 0xff, 0x62]))).toBe('a\udcffb');
    expect(decodeFileName(Uint8Array.from([0xc0, 0xaf]))).toBe('\udcc0\udcaf'); // overlong '/'
    expect(decodeFileName(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80'); // an encoded surrogate
    expect(decodeFileName(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe('\udcf4\udc90\udc80\udc80');
    expect(decodeFileName(Uint8Array.from([0xe2, 0x82, 0x41]))).toBe('\udce2\udc82A'); // cut short
    expect(hasEscapedBytes('\ud800\udc80')).toBe(false); // U+10080: a pair, not an escape
    expect(displayName('bad\udcff.bin')).toBe('bad\\xFF.bin');
  });

  it('file: URI paths: %XX are bytes, and encoding then decoding is the identity (fast-check)', () => {
    expect(decodeFileUriPath('/a%20b')).toBe('/a b');
    expect(decodeFileUriPath('/x/%FF')).toBe('/x/\udcff');
    expect(decodeFileUriPath('/caf%C3%A9')).toBe('/café');
    expect(decodeFileUriPath('/50%')).toBeUndefined();
    expect(decodeFileUriPath('/50%zz')).toBeUndefined();
    expect(encodeFileUriPath('/50%/bad\udcff/a b\n')).toBe('/50%25/bad%FF/a b%0A');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const name = decodeFileName(bytes);
        expect(decodeFileUriPath(encodeFileUriPath(name))).toBe(name);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('file: URIs (RFC 8089)', () => {
  it('are percent-decoded; file:/abs is absolute; bare paths stay verbatim', () => {
    expect(parseUri('file:///tmp/a%20b')).toMatchObject({ scheme: 'file', key: 'tmp/a b', base: 'file:///tmp/a%20b' });
    expect(parseUri('file:/tmp/x')).toMatchObject({ scheme: 'file', key: 'tmp/x', base: 'file:/tmp/x' });
    expect(parseUri('FILE:/tmp/x').key).toBe('tmp/x');
    expect(parseUri('/tmp/a%20b').key).toBe('tmp/a%20b');
    expect(parseUri('file:///tmp/%FF').key).toBe('tmp/\udcff');
    for (const bad of ['file:rel', 'file:', 'file:///50%', 'file:///a%00b']) expect(() => parseUri(bad), bad).toThrow(/INVALID_PATH|%XX|NUL|absolute/);
  });

  it('names below a file: URI are escaped as in one; below a bare path they are spelled as they are', () => {
    const fallback = (k: string) => `file:///${k}`;
    expect(uriForKey(parseUri('file:///tmp/d'), 'tmp/d/50%.txt', fallback)).toBe('file:///tmp/d/50%25.txt');
    expect(uriForKey(parseUri('/tmp/d'), 'tmp/d/50%.txt', fallback)).toBe('/tmp/d/50%.txt');
  });

  it('portableUri: a path holding bytes that are not UTF-8 prints as a file:// URI that parses back to it', () => {
    expect(portableUri('/tmp/plain')).toBe('/tmp/plain');
    expect(portableUri('s3://b/k')).toBe('s3://b/k');
    const p = portableUri('/tmp/x\udcff/50%');
    expect(p).toBe('file:///tmp/x%FF/50%25');
    expect(parseUri(p).key).toBe('tmp/x\udcff/50%');
    expect(portableUri('file:///tmp/a%20b/\udcfe')).toBe('file:///tmp/a b/%FE');
  });
});
