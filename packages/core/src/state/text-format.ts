/**
 * The protobuf text-format lexing TensorFlow's `checkpoint` state file goes through, reproduced
 * from Python's `google.protobuf.text_format` (the code path of `get_checkpoint_state`), because
 * TensorFlow's "returns None" versus "raises" split depends on exactly what it accepts:
 *
 * - tokens: identifiers `[a-zA-Z_][0-9a-zA-Z_+-]*`, numbers `([0-9+-]|\.[0-9])[0-9a-zA-Z_.+-]*`,
 *   single- or double-quoted strings that end on the same line, or any single character;
 * - whitespace is Python's `\s` (str.isspace, so a byte-order mark is *not* whitespace), and `#`
 *   starts a comment that runs to the end of the line;
 * - adjacent string literals concatenate (`"a" "b"`), escapes follow `text_encoding.CUnescape`
 *   (C escapes, 1-3 digit octal, 1-2 digit hex, `\u`/`\U`; an unknown escape such as `\q` keeps
 *   its backslash), and the bytes must then be valid UTF-8;
 * - doubles follow `text_format.ParseFloat`: Python `float()` syntax (underscores between digits
 *   included), `inf`/`infinity`/`nan` in any case, and a trailing `f`.
 *
 * Anything else is a {@link TextFormatError} (Python's `ParseError`).
 */

/** A syntax error in text-format input (Python's `text_format.ParseError`). */
export class TextFormatError extends Error {
  /** 1-based line of the offending token. */
  readonly line: number;
  /** 1-based column of the offending token. */
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super(`${line}:${column} : ${message}`);
    this.name = 'TextFormatError';
    this.line = line;
    this.column = column;
  }
}

// Python's str.isspace() set, which is what `\s` matches in a str pattern.
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/**
 * A token as an error message shows it: whole up to 80 characters, else its start and its length
 * (Python prints the whole token; a 10 MB token would make a 10 MB message, note and log line).
 */
export function excerpt(token: string): string {
  if (token.length <= 80) return token;
  return `${token.slice(0, 60)}… (${token.length.toLocaleString('en-US')} characters)`;
}

const IDENT_START = /[a-zA-Z_]/;
const IDENT_REST = /^[0-9a-zA-Z_+-]*/;
const NUMBER_START = /^(?:[0-9+-]|\.[0-9])/;
const NUMBER_REST = /^[0-9a-zA-Z_.+-]*/;
// Python's `\w` is Unicode-aware; `\w+` `.match` only looks at the first character.
const WORD_START = /^[\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]/u;

/** Python's text_format tokenizer over one input, token by token. */
export class Tokenizer {
  /** The current token; `''` at the end of the input. */
  token = '';
  private readonly lines: string[];
  private lineIndex = 0;
  private column = 0;
  private tokenLine = 0;
  private tokenColumn = 0;
  private moreLines = true;
  private current: string;

  constructor(text: string) {
    // text_format.Merge splits on '\n' only; a '\r' stays and is whitespace.
    this.lines = text.split('\n');
    this.current = this.lines[0] ?? '';
    this.nextToken(true);
  }

  /** True when every token has been consumed. */
  atEnd(): boolean {
    return this.token === '';
  }

  /** A {@link TextFormatError} at the current token. */
  error(message: string): TextFormatError {
    return new TextFormatError(message, this.tokenLine + 1, this.tokenColumn + 1);
  }

  /** Consumes `expected` when it is the current token. */
  tryConsume(expected: string): boolean {
    if (this.token !== expected) return false;
    this.nextToken();
    return true;
  }

  /** Consumes `expected` or fails with `Expected "x".`. */
  consume(expected: string): void {
    if (!this.tryConsume(expected)) throw this.error(`Expected "${expected}".`);
  }

  /** A field name: any token starting with a word character. */
  consumeIdentifierOrNumber(): string {
    const result = this.token;
    if (!WORD_START.test(result)) throw this.error(`Expected identifier or number, got ${excerpt(result)}.`);
    this.nextToken();
    return result;
  }

  /** One or more adjacent string literals, concatenated, decoded as UTF-8. */
  consumeString(): string {
    const parts: Array<string | Uint8Array> = [this.consumeSingleByteString()];
    while (this.token.startsWith('"') || this.token.startsWith("'")) parts.push(this.consumeSingleByteString());
    // Literals without escapes stay text: their bytes would be their own UTF-8, so decoding gives
    // the text back (an encoder and a decoder per literal made a million-path list take seconds).
    if (parts.every((p) => typeof p === 'string')) return parts.join('');
    try {
      return UTF8_FATAL.decode(Buffer.concat(parts.map((p) => (typeof p === 'string' ? UTF8.encode(p) : p))));
    } catch {
      throw this.error("'utf-8' codec can't decode the string's bytes");
    }
  }

  /** A double, as `text_format.ParseFloat` reads it. */
  consumeFloat(): number {
    const value = parsePythonTextFloat(this.token);
    if (value === undefined) throw this.error(`Couldn't parse float: ${excerpt(this.token)}`);
    this.nextToken();
    return value;
  }

  /** One quoted literal: its bytes (`CUnescape`), or its text when it has no escape. */
  private consumeSingleByteString(): string | Uint8Array {
    const text = this.token;
    const quote = text[0];
    if (quote !== '"' && quote !== "'") throw this.error(`Expected string but found: ${JSON.stringify(excerpt(text))}`);
    if (text.length < 2 || text[text.length - 1] !== quote) throw this.error(`String missing ending quote: ${JSON.stringify(excerpt(text))}`);
    const body = text.slice(1, -1);
    let value: string | Uint8Array = body;
    try {
      if (body.includes('\\')) value = cUnescape(body);
      else if (LONE_SURROGATE.test(body)) throw new Error(SURROGATE_ERROR);
    } catch (e) {
      throw this.error((e as Error).message);
    }
    this.nextToken();
    return value;
  }

  private popLine(): void {
    while (this.current.length <= this.column) {
      this.lineIndex++;
      if (this.lineIndex >= this.lines.length) {
        this.current = '';
        this.moreLines = false;
        return;
      }
      this.current = this.lines[this.lineIndex]!;
      this.column = 0;
    }
  }

  private skipWhitespace(): void {
    while (true) {
      this.popLine();
      if (!this.moreLines) return;
      const start = this.column;
      while (this.column < this.current.length) {
        const cp = this.current.codePointAt(this.column)!;
        if (PY_SPACE.has(cp)) this.column += cp > 0xffff ? 2 : 1;
        else if (cp === 0x23 /* # */) this.column = this.current.length;
        else break;
      }
      if (this.column === start) return;
    }
  }

  private nextToken(first = false): void {
    if (!first) this.column += this.token.length;
    this.skipWhitespace();
    this.tokenLine = this.lineIndex;
    this.tokenColumn = this.column;
    if (!this.moreLines) {
      this.token = '';
      return;
    }
    this.token = this.scanToken();
  }

  private scanToken(): string {
    const line = this.current;
    const col = this.column;
    const ch = line[col]!;
    const rest = line.slice(col);
    if (IDENT_START.test(ch)) return ch + IDENT_REST.exec(rest.slice(1))![0];
    if (NUMBER_START.test(rest)) {
      const head = rest.startsWith('.') ? 2 : 1;
      return rest.slice(0, head) + NUMBER_REST.exec(rest.slice(head))![0];
    }
    if (ch === '"' || ch === "'") {
      // `q[^q\n\\]*((\\.)+[^q\n\\]*)*(q|\\?$)`: greedy, and it always succeeds (at the closing
      // quote, or unterminated at the end of the line).
      let i = col + 1;
      while (i < line.length) {
        const c = line[i]!;
        if (c === ch) return line.slice(col, i + 1);
        if (c === '\\') {
          if (i + 1 >= line.length) return line.slice(col);
          const next = line.codePointAt(i + 1)!;
          i += next > 0xffff ? 3 : 2;
        } else {
          i++;
        }
      }
      return line.slice(col);
    }
    return String.fromCodePoint(line.codePointAt(col)!);
  }
}

const PY_FLOAT = /^[+-]?(?:(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i;

/** Python's `float(text)` for ASCII input; undefined where Python raises ValueError. */
export function pythonFloat(text: string): number | undefined {
  if (!PY_FLOAT.test(text)) return undefined;
  const t = text.replace(/_/g, '').toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  return Number(t);
}

const FLOAT_INFINITY = /^-?inf(?:inity)?f?$/i;
const FLOAT_NAN = /^nanf?$/i;

/** `text_format.ParseFloat`: Python syntax, then `-inf`/`nan` spellings, then a `1.0f` suffix. */
export function parsePythonTextFloat(text: string): number | undefined {
  const direct = pythonFloat(text);
  if (direct !== undefined) return direct;
  if (FLOAT_INFINITY.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (FLOAT_NAN.test(text)) return NaN;
  // Trailing `f`s cut with a loop: `/[fF]+$/` retries from every `f` of a long run (O(n²)).
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) | 0x20) === 0x66) end--;
  return pythonFloat(text.slice(0, end));
}

const isHexDigit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
const isOctalDigit = (c: number) => c >= 0x30 && c <= 0x37;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8 = new TextEncoder();
const SURROGATE_ERROR = "'utf-8' codec can't encode a surrogate: surrogates not allowed";

/** A growable array of code points or bytes (doubling, so appending is amortised O(1)). */
class Sink<T extends Uint32Array | Uint8Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2 + 16);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/** `count` hex digits of `cps` at `at` as a number, or Python's "truncated" error. */
function readHex(cps: ArrayLike<number>, length: number, at: number, count: number, what: string): number {
  if (at + count > length) throw new Error(`truncated ${what} escape`);
  let value = 0;
  for (let k = 0; k < count; k++) {
    const c = cps[at + k]!;
    if (!isHexDigit(c)) throw new Error(`truncated ${what} escape`);
    value = value * 16 + hexValue(c);
  }
  return value;
}

/** The code points of `text` (a lone surrogate stays one code point, as Python's str has it). */
function codePoints(text: string): Sink<Uint32Array> {
  const out = new Sink(new Uint32Array(text.length + 16), (n) => new Uint32Array(n));
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    if (c > 0xffff) i++;
    out.push(c);
  }
  return out;
}

/**
 * Step 1 of CUnescape, Python's `re.sub(r'(\\+)x([0-9a-fA-F])(?![0-9a-fA-F])', ...)`: after a run
 * of backslashes of odd length, `x` and exactly one hex digit become `x0` and the digit. One pass
 * over maximal runs (the regular expression backtracks through every shorter run: O(n²)).
 */
function padOneDigitHex(cps: Uint32Array, n: number): Sink<Uint32Array> {
  const out = new Sink(new Uint32Array(n + (n >> 1) + 16), (size) => new Uint32Array(size));
  for (let i = 0; i < n; ) {
    if (cps[i] !== 0x5c) {
      out.push(cps[i++]!);
      continue;
    }
    let j = i;
    while (j < n && cps[j] === 0x5c) out.push(cps[j++]!);
    if ((j - i) % 2 === 1 && j + 1 < n && cps[j] === 0x78 && isHexDigit(cps[j + 1]!) && (j + 2 >= n || !isHexDigit(cps[j + 2]!))) {
      out.push(0x78);
      out.push(0x30);
      out.push(cps[j + 1]!);
      j += 2;
    }
    i = j;
  }
  return out;
}

/**
 * Step 2, `encode('raw_unicode_escape').decode('raw_unicode_escape')`, on code points: the encoder
 * spells every code point above U+00FF as `\uXXXX`/`\UXXXXXXXX` (lowercase hex) and the decoder
 * pairs each backslash with the character after it, resolving `\u`/`\U` escapes. So a character
 * above U+00FF comes back as itself, except right after an unpaired backslash, where its spelled
 * form stays as text; and a `\u` in the text is decoded, its digits read up to such a character.
 */
function rawUnicodeEscapeRoundTrip(cps: Uint32Array, n: number): Sink<Uint32Array> {
  const out = new Sink(new Uint32Array(n + 16), (size) => new Uint32Array(size));
  const spell = (cp: number) => {
    const wide = cp > 0xffff;
    out.push(0x5c);
    out.push(wide ? 0x55 : 0x75);
    const hex = cp.toString(16).padStart(wide ? 8 : 4, '0');
    for (let k = 0; k < hex.length; k++) out.push(hex.charCodeAt(k));
  };
  for (let i = 0; i < n; ) {
    const c = cps[i++]!;
    if (c !== 0x5c || i >= n) {
      out.push(c);
      continue;
    }
    const e = cps[i++]!;
    if (e === 0x75 /* u */ || e === 0x55 /* U */) {
      const count = e === 0x75 ? 4 : 8;
      // A character above U+00FF among the digits is spelled with a backslash: not a hex digit.
      const cp = readHex(cps, n, i, count, e === 0x75 ? '\\uXXXX' : '\\UXXXXXXXX');
      if (cp > 0x10ffff) throw new Error('\\Uxxxxxxxx out of range');
      out.push(cp);
      i += count;
    } else {
      out.push(0x5c);
      if (e > 0xff) spell(e);
      else out.push(e);
    }
  }
  return out;
}

const SIMPLE_ESCAPES: Record<number, number> = { 0x5c: 0x5c, 0x27: 0x27, 0x22: 0x22, 0x62: 8, 0x66: 12, 0x74: 9, 0x6e: 10, 0x72: 13, 0x76: 11, 0x61: 7 };

/**
 * `text_encoding.CUnescape`: the body of a quoted string to bytes. Throws (Python's ValueError,
 * which the tokenizer turns into a parse error) on a trailing backslash, a truncated `\x`, `\u` or
 * `\U`, a code point beyond one byte from an octal escape, a surrogate, or `\N{...}` (Unicode
 * names are not supported here).
 *
 * Python's three steps, each done in one pass (linear in the input; a string without a backslash is
 * simply its UTF-8 bytes):
 * 1. `\xF` becomes `\x0F` where the backslash itself is not escaped;
 * 2. `encode('raw_unicode_escape').decode('raw_unicode_escape')` resolves `\uXXXX`/`\UXXXXXXXX`;
 * 3. `encode('utf-8').decode('unicode_escape').encode('latin-1')`: C escapes, octal, hex, unknown
 *    escapes kept with their backslash, anything that ends beyond one byte an error.
 */
export function cUnescape(text: string): Uint8Array {
  if (!text.includes('\\')) {
    if (LONE_SURROGATE.test(text)) throw new Error(SURROGATE_ERROR);
    return UTF8.encode(text);
  }
  const input = codePoints(text);
  const step1 = padOneDigitHex(input.data, input.length);
  const step2 = rawUnicodeEscapeRoundTrip(step1.data, step1.length);
  const cps = step2.data;
  const n = step2.length;
  // Step 3 encodes everything to UTF-8 before it unescapes: a surrogate anywhere fails first.
  for (let i = 0; i < n; i++) if (cps[i]! >= 0xd800 && cps[i]! <= 0xdfff) throw new Error(SURROGATE_ERROR);
  const out = new Sink(new Uint8Array(n + 16), (size) => new Uint8Array(size));
  const utf8 = (cp: number) => {
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) {
      out.push(0xc0 | (cp >> 6));
      out.push(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out.push(0xe0 | (cp >> 12));
      out.push(0x80 | ((cp >> 6) & 0x3f));
      out.push(0x80 | (cp & 0x3f));
    } else {
      out.push(0xf0 | (cp >> 18));
      out.push(0x80 | ((cp >> 12) & 0x3f));
      out.push(0x80 | ((cp >> 6) & 0x3f));
      out.push(0x80 | (cp & 0x3f));
    }
  };
  const byte = (cp: number) => {
    if (cp > 0xff) throw new Error("'latin-1' codec can't encode a character: ordinal not in range(256)");
    out.push(cp);
  };
  // unicode_escape reads the UTF-8 bytes; escape letters and digits are ASCII, so it reads the same
  // on code points: a non-ASCII character after a backslash is an unknown escape (both kept).
  for (let i = 0; i < n; ) {
    const c = cps[i++]!;
    if (c !== 0x5c) {
      utf8(c);
      continue;
    }
    if (i >= n) throw new Error('\\ at end of string');
    const e = cps[i++]!;
    if (e === 0x0a) continue;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out.push(simple);
    } else if (isOctalDigit(e)) {
      let cp = e - 0x30;
      for (let k = 0; k < 2 && i < n && isOctalDigit(cps[i]!); k++) cp = cp * 8 + (cps[i++]! - 0x30);
      byte(cp);
    } else if (e === 0x78 || e === 0x75 || e === 0x55) {
      const count = e === 0x78 ? 2 : e === 0x75 ? 4 : 8;
      const cp = readHex(cps, n, i, count, e === 0x78 ? '\\xXX' : e === 0x75 ? '\\uXXXX' : '\\UXXXXXXXX');
      if (cp > 0x10ffff) throw new Error('illegal Unicode character');
      i += count;
      byte(cp);
    } else if (e === 0x4e /* N */) {
      throw new Error('\\N{...} escapes are not supported');
    } else {
      out.push(0x5c);
      utf8(e);
    }
  }
  return out.data.slice(0, out.length);
}

/** `text_encoding.CEscape(bytes, as_utf8=False)`, as `MessageToString` writes strings. */
export function cEscape(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x27) out += "\\'";
    else if (b === 0x5c) out += '\\\\';
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Python's `repr(float)` (shortest round-trip digits; exponent form below 1e-4 and from 1e16). */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
