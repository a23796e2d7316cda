/**
 * A page of listed entries held for a consumer that has not reached it yet, in columns. Parallel
 * listings run ahead of the consumer (`flat-ranges.ts` holds up to 128 pages at the defaults), and
 * with a slow consumer (`ckpt ls -R | slow-reader`) what they hold is most of a listing's memory:
 * as objects, an entry is its `ObjectMeta`, a `Date` and its strings, about 300 bytes, plus, through
 * strings the XML parser sliced from its answer (an ETag), that answer's whole text; packed, it is
 * its key's characters in one string per page, its size and time as doubles and an S3-style ETag
 * as 16 bytes, about 80, and nothing of the answer. Measured (issue 23): `ls -R --jsonl` of
 * 200,000 keys on RGW into a reader that waits 4 s, live heap at its peak 120 MB as objects, 72 MB
 * packed.
 *
 * Unpacking gives entries equal in every field to the ones packed (keys as slices of the page's
 * string; a fresh `Date` per entry).
 */
import type { ObjectMeta } from '../adapter.js';

// An S3/RGW/Azure-style ETag: an MD5 in hex between quotes (multipart ones carry `-N` and stay strings).
const HEX_ETAG = /^"[0-9a-f]{32}"$/;

/** A page of entries in columns (see the module comment). */
export class PackedPage {
  /** Entries in the page. */
  readonly length: number;
  private readonly keys: string = '';
  private readonly ends: Uint32Array | undefined;
  private readonly numbers: Float64Array | undefined;
  // ETags as 16 bytes each, and which entries have one.
  private readonly md5s: Uint8Array | undefined;
  private readonly etagged: Uint8Array | undefined;
  // A page holding anything else (directories, other ETags, GCS checksums and generations, links,
  // the memory store's generations): kept as it came, since columns would hold most of it twice.
  private readonly asIs: readonly ObjectMeta[] | undefined;

  constructor(entries: readonly ObjectMeta[]) {
    const n = entries.length;
    this.length = n;
    if (!entries.every(plain)) {
      this.asIs = entries;
      return;
    }
    const ends = new Uint32Array(n);
    const numbers = new Float64Array(2 * n);
    let md5s: Uint8Array | undefined;
    let etagged: Uint8Array | undefined;
    const keys: string[] = new Array<string>(n);
    let end = 0;
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      keys[i] = e.key;
      end += e.key.length;
      ends[i] = end;
      numbers[2 * i] = e.size;
      numbers[2 * i + 1] = e.mtime === undefined ? NaN : e.mtime.getTime();
      if (e.etag !== undefined) {
        md5s ??= new Uint8Array(16 * n);
        etagged ??= new Uint8Array(n);
        putHex(md5s, 16 * i, e.etag, 1);
        etagged[i] = 1;
      }
    }
    this.keys = keys.join('');
    this.ends = ends;
    this.numbers = numbers;
    this.md5s = md5s;
    this.etagged = etagged;
  }

  /** The entry at `i`, equal in every field to the one packed. */
  at(i: number): ObjectMeta {
    if (this.asIs) return this.asIs[i]!;
    const ends = this.ends!;
    const numbers = this.numbers!;
    const from = i === 0 ? 0 : ends[i - 1]!;
    const e: ObjectMeta = { key: this.keys.slice(from, ends[i]), kind: 'file', size: numbers[2 * i]! };
    const t = numbers[2 * i + 1]!;
    if (!Number.isNaN(t)) e.mtime = new Date(t);
    if (this.md5s && this.etagged![i] === 1) e.etag = quotedHex(this.md5s, 16 * i);
    return e;
  }

  /** Its entries in order. */
  entries(): ObjectMeta[] {
    if (this.asIs) return this.asIs as ObjectMeta[];
    const out = new Array<ObjectMeta>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** True for an entry the columns hold exactly: a file with a size, maybe a time and an MD5 ETag, nothing else. */
function plain(e: ObjectMeta): boolean {
  if (e.kind !== 'file' || e.crc32c !== undefined || e.md5 !== undefined || e.generation !== undefined) return false;
  if (e.linkTarget !== undefined || e.danglingLink !== undefined) return false;
  if (e.etag !== undefined && !HEX_ETAG.test(e.etag)) return false;
  if (e.mtime !== undefined && Number.isNaN(e.mtime.getTime())) return false;
  return Number.isFinite(e.size);
}

/** Writes the 16 bytes spelled by the 32 hex digits of `text` from `from` (checked by {@link HEX_ETAG}) at `at`. */
function putHex(into: Uint8Array, at: number, text: string, from: number): void {
  for (let k = 0; k < 16; k++) into[at + k] = (nibble(text.charCodeAt(from + 2 * k)) << 4) | nibble(text.charCodeAt(from + 2 * k + 1));
}

function nibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

const DIGITS = '0123456789abcdef';
const ETAG_CODES = new Array<number>(34).fill(0x22);

/** `"` + the 16 bytes at `at` in lower-case hex + `"`: one string, made at once. */
function quotedHex(bytes: Uint8Array, at: number): string {
  for (let k = 0; k < 16; k++) {
    const b = bytes[at + k]!;
    ETAG_CODES[1 + 2 * k] = DIGITS.charCodeAt(b >> 4);
    ETAG_CODES[2 + 2 * k] = DIGITS.charCodeAt(b & 15);
  }
  return String.fromCharCode(...ETAG_CODES);
}
