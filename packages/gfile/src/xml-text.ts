/**
 * XML text content decoded for the adapters' own listing parsers (S3's ListBucketResult, Azure's
 * List Blobs), which read listings faster than their SDKs and with a fraction of the garbage.
 */

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * `raw` with XML's five named entities decoded and, with `characterReferences`, `&#N;` and `&#xH;`
 * too; undefined for any other `&` (the caller then leaves the body to its SDK's parser). Scanned
 * by hand: every S3 ETag is `&quot;…&quot;`, and a regular expression's matches cost more than the
 * rest of an entry's parse. Decoded text is joined into one new string: concatenated slices of the
 * answer would keep the whole answer alive for as long as the text lives (`find` keeps every
 * file's ETag). Text without `&` is returned as it is.
 */
export function decodeXmlText(raw: string, options: { characterReferences: boolean }): string | undefined {
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  const parts: string[] = [];
  let from = 0;
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0) return undefined;
    const ref = raw.slice(amp + 1, semi);
    let text = Object.hasOwn(NAMED, ref) ? NAMED[ref] : undefined;
    if (text === undefined) {
      if (!options.characterReferences) return undefined;
      const code = /^#x[0-9a-fA-F]+$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]+$/.test(ref) ? Number(ref.slice(1)) : NaN;
      if (!(code >= 0 && code <= 0x10ffff)) return undefined;
      text = String.fromCodePoint(code);
    }
    parts.push(raw.slice(from, amp), text);
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  parts.push(raw.slice(from));
  return parts.join('');
}
