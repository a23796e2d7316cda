/**
 * The quadratic `CUnescape` ckptkit had before it became a linear scan (state/text-format.ts), kept
 * word for word as the reference the fuzz suite compares the new one with: its three steps are
 * Python's, one regular expression and two loops, easy to check against text_encoding.py by eye.
 * Only for short inputs (its first step is O(n²) on runs of backslashes).
 */
const HEX = /^[0-9a-fA-F]$/;

function readHex(chars: readonly number[], start: number, count: number, what: string): number {
  if (start + count > chars.length) throw new Error(`truncated ${what} escape`);
  let value = 0;
  for (let k = 0; k < count; k++) {
    const c = String.fromCodePoint(chars[start + k]!);
    if (!HEX.test(c)) throw new Error(`truncated ${what} escape`);
    value = value * 16 + parseInt(c, 16);
  }
  return value;
}

/**
 * `text_encoding.CUnescape`: the body of a quoted string to bytes. Throws (Python's ValueError,
 * which the tokenizer turns into a parse error) on a trailing backslash, a truncated `\x`, `\u` or
 * `\U`, a code point beyond one byte from an octal escape, a surrogate, or `\N{...}` (Unicode
 * names are not supported here).
 */
export function referenceCUnescape(text: string): Uint8Array {
  // 1. `\xF` (one hex digit) becomes `\x0F` when the backslash itself is not escaped.
  const hexFixed = text.replace(/(\\+)(?:x([0-9a-fA-F])(?![0-9a-fA-F])|(\?))/g, (m: string, slashes: string, digit: string | undefined) =>
    slashes.length % 2 === 1 && digit !== undefined ? `${slashes}x0${digit}` : m,
  );
  // 2. encode('raw_unicode_escape').decode('raw_unicode_escape'): resolves \uXXXX and \UXXXXXXXX.
  const raw: number[] = [];
  for (const ch of hexFixed) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x100) raw.push(cp);
    else for (const c of cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`) raw.push(c.charCodeAt(0));
  }
  const step2: number[] = [];
  for (let i = 0; i < raw.length; ) {
    const c = raw[i++]!;
    if (c !== 0x5c || i >= raw.length) {
      step2.push(c);
      continue;
    }
    const e = raw[i++]!;
    if (e === 0x75 /* u */ || e === 0x55 /* U */) {
      const n = e === 0x75 ? 4 : 8;
      const cp = readHex(raw, i, n, e === 0x75 ? '\\uXXXX' : '\\UXXXXXXXX');
      if (cp > 0x10ffff) throw new Error('\\Uxxxxxxxx out of range');
      step2.push(cp);
      i += n;
    } else {
      step2.push(0x5c, e);
    }
  }
  // 3. encode('utf-8').decode('unicode_escape').encode('latin-1').
  const utf8: number[] = [];
  for (const cp of step2) {
    if (cp >= 0xd800 && cp <= 0xdfff) throw new Error("'utf-8' codec can't encode a surrogate: surrogates not allowed");
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) utf8.push(b);
  }
  const out: number[] = [];
  const put = (cp: number) => {
    if (cp > 0xff) throw new Error("'latin-1' codec can't encode a character: ordinal not in range(256)");
    out.push(cp);
  };
  for (let i = 0; i < utf8.length; ) {
    const c = utf8[i++]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    if (i >= utf8.length) throw new Error('\\ at end of string');
    const e = utf8[i++]!;
    const simple: Record<number, number> = { 0x5c: 0x5c, 0x27: 0x27, 0x22: 0x22, 0x62: 8, 0x66: 12, 0x74: 9, 0x6e: 10, 0x72: 13, 0x76: 11, 0x61: 7 };
    if (e === 0x0a) continue;
    if (simple[e] !== undefined) {
      out.push(simple[e]);
    } else if (e >= 0x30 && e <= 0x37) {
      let cp = e - 0x30;
      for (let k = 0; k < 2 && i < utf8.length && utf8[i]! >= 0x30 && utf8[i]! <= 0x37; k++) cp = cp * 8 + (utf8[i++]! - 0x30);
      put(cp);
    } else if (e === 0x78 || e === 0x75 || e === 0x55) {
      const n = e === 0x78 ? 2 : e === 0x75 ? 4 : 8;
      const cp = readHex(utf8, i, n, e === 0x78 ? '\\xXX' : e === 0x75 ? '\\uXXXX' : '\\UXXXXXXXX');
      if (cp > 0x10ffff) throw new Error('illegal Unicode character');
      i += n;
      put(cp);
    } else if (e === 0x4e /* N */) {
      throw new Error('\\N{...} escapes are not supported');
    } else {
      out.push(0x5c, e);
    }
  }
  return Uint8Array.from(out);
}

