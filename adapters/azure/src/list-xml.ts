/**
 * A parser for one List Blobs answer (`EnumerationResults`), and the pipeline policy that puts it
 * in place of the SDK's for the adapter's own list calls. The SDK validates the whole body, parses
 * it into a tree of objects (fast-xml-parser), walks that tree with its schema into internal items
 * of ~30 properties each, and copies every item twice more (name decoding, tags): most of a
 * listing's CPU and allocation on the client. This parser jumps from tag to tag over index ranges
 * of the one string and keeps only what the adapter uses: a blob's name (`Encoded="true"` names
 * percent-decoded, as the SDK does), Content-Length, Last-Modified, Etag and Content-MD5, the
 * prefixes' names and NextMarker.
 *
 * It is strict: anything it is not sure of (a comment, CDATA, a DOCTYPE, a processing instruction
 * after the declaration, an entity other than XML's five, a CR, an unexpected attribute, an
 * element with children where the adapter expects text, a field given twice, a value the SDK
 * would read differently) makes it return undefined, and the SDK parses the same body as before,
 * with the same results and errors.
 */
import { decodeXmlText } from '@ckptkit/gfile';

/** One blob of a listing: the fields the adapter reads, as the adapter names them. */
export interface ListedBlob {
  name: string;
  contentLength: number | undefined;
  lastModified: Date | undefined;
  etag: string | undefined;
  /** Content-MD5 in canonical base64 (what the SDK's bytes re-encode to), undefined when empty or absent. */
  md5: string | undefined;
}

/** What one List Blobs answer holds for the adapter. */
export interface BlobListPage {
  blobs: ListedBlob[];
  /** BlobPrefix names (a listing with a delimiter), decoded like blob names. */
  prefixes: string[];
  /** NextMarker's text; '' or undefined on the last page. */
  nextMarker: string | undefined;
}

// Character references are left to the SDK's parser to judge (Azure does not send them for valid names).
const NAMED_ONLY = { characterReferences: false };

/**
 * `xml[from, to)` as a string of its own. A plain slice of 13 characters or more is a view that
 * keeps the whole answer (about 1 KB per blob) alive as long as it lives; names, Etags and
 * digests are kept by callers (`find` keeps every file's), so they are copied.
 */
function detach(xml: string, from: number, to: number): string {
  if (to - from < 13) return xml.slice(from, to);
  return [xml.slice(from, from + 1), xml.slice(from + 1, to)].join('');
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a;
/** A character of an element or attribute name as Azure writes them: ASCII letters, digits, `-`, `_`, `.`, `:`. */
const isNameChar = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e || c === 0x3a;
/** Canonical base64 of 16 bytes: decoding and re-encoding (what the SDK and the adapter do) gives it back unchanged. */
const MD5_RE = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** Thrown inside the parse for a body it leaves to the SDK; caught at the top. */
class NotSure extends Error {}
const NOT_SURE = new NotSure();

/**
 * A cursor over one body. Tags are read in place: names are compared with `startsWith` at their
 * position and only the values the adapter keeps are cut out of the string.
 */
class Scanner {
  pos = 0;
  /** The current start tag: its name's range, and whether it closed itself (`<x/>`). */
  nameFrom = 0;
  nameTo = 0;
  selfClosing = false;
  /** The value of an `Encoded` attribute on the current tag, or undefined. */
  encoded: string | undefined;
  /** The first `&` at or after some earlier position, -1 for none: see {@link ampFrom}. */
  private amp = -2;
  private ampSearchedFrom = 0;

  constructor(readonly xml: string) {}

  /**
   * The first `&` at or after `from`, -1 for none. `indexOf` has no end: asked per element it
   * would scan the rest of the answer each time (most answers hold no `&` at all), so its last
   * answer is kept and reused while it still lies ahead.
   */
  ampFrom(from: number): number {
    if (this.amp === -1 && from >= this.ampSearchedFrom) return -1;
    if (this.amp >= from && from >= this.ampSearchedFrom) return this.amp;
    this.ampSearchedFrom = from;
    this.amp = this.xml.indexOf('&', from);
    return this.amp;
  }

  skipSpace(): void {
    const xml = this.xml;
    while (this.pos < xml.length && isSpace(xml.charCodeAt(this.pos))) this.pos++;
  }

  /** True when the current tag's name is `name`. */
  is(name: string): boolean {
    return this.nameTo - this.nameFrom === name.length && this.xml.startsWith(name, this.nameFrom);
  }

  /**
   * Reads the start tag at `pos` (after whitespace) and its attributes; false when `pos` is at a
   * closing tag instead. With `allowEncoded` (a Blob's or BlobPrefix's children) the only
   * attribute accepted is `Encoded`, and its value is recorded; without it `Encoded` is refused
   * and other attributes are checked and ignored (the root's ServiceEndpoint, ContainerName).
   */
  startTag(allowEncoded: boolean): boolean {
    this.skipSpace();
    const xml = this.xml;
    if (xml.charCodeAt(this.pos) !== 0x3c) throw NOT_SURE;
    if (xml.charCodeAt(this.pos + 1) === 0x2f) return false;
    let i = this.pos + 1;
    const from = i;
    while (i < xml.length && isNameChar(xml.charCodeAt(i))) i++;
    if (i === from) throw NOT_SURE;
    this.nameFrom = from;
    this.nameTo = i;
    this.encoded = undefined;
    let seen: number[] | undefined;
    for (;;) {
      const c = xml.charCodeAt(i);
      if (c === 0x3e) {
        this.selfClosing = false;
        this.pos = i + 1;
        return true;
      }
      if (c === 0x2f) {
        if (xml.charCodeAt(i + 1) !== 0x3e) throw NOT_SURE;
        this.selfClosing = true;
        this.pos = i + 2;
        return true;
      }
      if (!isSpace(c)) throw NOT_SURE;
      while (isSpace(xml.charCodeAt(i))) i++;
      const a = xml.charCodeAt(i);
      if (a === 0x3e || a === 0x2f) continue;
      // An attribute: name="value" or name='value', no spaces around '=', no name twice.
      const attrFrom = i;
      while (i < xml.length && isNameChar(xml.charCodeAt(i))) i++;
      const attrTo = i;
      if (attrTo === attrFrom || xml.charCodeAt(i) !== 0x3d) throw NOT_SURE;
      seen ??= [];
      for (let k = 0; k < seen.length; k += 2) if (sameRange(xml, seen[k]!, seen[k + 1]!, attrFrom, attrTo)) throw NOT_SURE;
      seen.push(attrFrom, attrTo);
      const quote = xml.charCodeAt(i + 1);
      if (quote !== 0x22 && quote !== 0x27) throw NOT_SURE;
      const end = xml.indexOf(quote === 0x22 ? '"' : "'", i + 2);
      if (end < 0) throw NOT_SURE;
      const lt = xml.indexOf('<', i + 2);
      if (lt >= 0 && lt < end) throw NOT_SURE;
      const amp = this.ampFrom(i + 2);
      if (amp >= 0 && amp < end && decodeXmlText(xml.slice(i + 2, end), NAMED_ONLY) === undefined) throw NOT_SURE;
      if (attrTo - attrFrom === 7 && xml.startsWith('Encoded', attrFrom)) {
        if (!allowEncoded) throw NOT_SURE;
        this.encoded = xml.slice(i + 2, end);
      } else if (allowEncoded) {
        throw NOT_SURE;
      }
      i = end + 1;
    }
  }

  /** Reads the closing tag of the current element (named `nameFrom..nameTo`) at `pos`, after whitespace. */
  endTag(nameFrom: number, nameTo: number): void {
    this.skipSpace();
    const xml = this.xml;
    const at = this.pos;
    if (xml.charCodeAt(at) !== 0x3c || xml.charCodeAt(at + 1) !== 0x2f) throw NOT_SURE;
    const len = nameTo - nameFrom;
    if (!sameRange(xml, nameFrom, nameTo, at + 2, at + 2 + len)) throw NOT_SURE;
    let i = at + 2 + len;
    while (isSpace(xml.charCodeAt(i))) i++;
    if (xml.charCodeAt(i) !== 0x3e) throw NOT_SURE;
    this.pos = i + 1;
  }

  /**
   * The text of the current element, which must hold text only, and moves past its closing tag;
   * '' for `<x/>`. With `keep` false the text is only checked, not cut out (undefined is returned);
   * `own`: a string of its own (see {@link detach}), for text the caller keeps.
   */
  text(keep: boolean, own = false): string | undefined {
    const nameFrom = this.nameFrom;
    const nameTo = this.nameTo;
    if (this.selfClosing) return keep ? '' : undefined;
    const xml = this.xml;
    const from = this.pos;
    const lt = xml.indexOf('<', from);
    if (lt < 0) throw NOT_SURE;
    this.pos = lt;
    // The first '<' must close this element: one that opens another means children, not text.
    if (xml.charCodeAt(lt + 1) !== 0x2f) throw NOT_SURE;
    const amp = this.ampFrom(from);
    const hasEntity = amp >= 0 && amp < lt;
    let value: string | undefined;
    if (hasEntity) {
      value = decodeXmlText(xml.slice(from, lt), NAMED_ONLY);
      if (value === undefined) throw NOT_SURE;
    } else if (keep) {
      value = own ? detach(xml, from, lt) : xml.slice(from, lt);
    }
    this.endTag(nameFrom, nameTo);
    return keep ? value : undefined;
  }

  /** Skips the current element, which must hold text only (or nothing). */
  skipLeaf(): void {
    this.text(false);
  }
}

/** True when `xml[a, b)` and `xml[c, d)` hold the same characters. */
function sameRange(xml: string, a: number, b: number, c: number, d: number): boolean {
  if (b - a !== d - c || d > xml.length) return false;
  for (let k = 0; k < b - a; k++) if (xml.charCodeAt(a + k) !== xml.charCodeAt(c + k)) return false;
  return true;
}

/** A Name element's text as the SDK gives it: percent-decoded when `Encoded="true"`. */
function nameOf(s: Scanner): string {
  const encoded = s.encoded;
  if (encoded !== undefined && encoded !== 'true' && encoded !== 'false') throw NOT_SURE;
  const raw = s.text(true, true)!;
  if (raw === '') throw NOT_SURE;
  if (encoded !== 'true') return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw NOT_SURE; // the SDK's decodeURIComponent throws: its error, not ours
  }
}

function readProperties(s: Scanner, blob: ListedBlob): void {
  const nameFrom = s.nameFrom;
  const nameTo = s.nameTo;
  if (s.selfClosing) return;
  let seen = 0;
  while (s.startTag(false)) {
    let bit = 0;
    if (s.is('Content-Length')) {
      bit = 1;
      const t = s.text(true)!;
      if (t.length === 0 || t.length > 15) throw NOT_SURE;
      for (let k = 0; k < t.length; k++) {
        const c = t.charCodeAt(k);
        if (c < 0x30 || c > 0x39) throw NOT_SURE;
      }
      blob.contentLength = Number(t);
    } else if (s.is('Last-Modified')) {
      bit = 2;
      const d = new Date(s.text(true)!);
      if (Number.isNaN(d.getTime())) throw NOT_SURE;
      blob.lastModified = d;
    } else if (s.is('Etag')) {
      bit = 4;
      blob.etag = s.text(true, true);
    } else if (s.is('Content-MD5')) {
      bit = 8;
      const t = s.text(true, true)!;
      if (t !== '' && !MD5_RE.test(t)) throw NOT_SURE;
      blob.md5 = t === '' ? undefined : t;
    } else {
      s.skipLeaf();
    }
    if (seen & bit) throw NOT_SURE;
    seen |= bit;
  }
  s.endTag(nameFrom, nameTo);
}

function readBlob(s: Scanner): ListedBlob {
  const nameFrom = s.nameFrom;
  const nameTo = s.nameTo;
  if (s.selfClosing) throw NOT_SURE;
  const blob: ListedBlob = { name: '', contentLength: undefined, lastModified: undefined, etag: undefined, md5: undefined };
  let named = false;
  let props = false;
  for (;;) {
    const isName = s.startTag(true) ? s.is('Name') : undefined;
    if (isName === undefined) break;
    if (isName) {
      if (named) throw NOT_SURE;
      named = true;
      blob.name = nameOf(s);
      continue;
    }
    if (s.encoded !== undefined) throw NOT_SURE;
    if (s.is('Properties')) {
      if (props) throw NOT_SURE;
      props = true;
      readProperties(s, blob);
    } else {
      s.skipLeaf();
    }
  }
  if (!named || !props) throw NOT_SURE;
  s.endTag(nameFrom, nameTo);
  return blob;
}

function readPrefix(s: Scanner): string {
  const nameFrom = s.nameFrom;
  const nameTo = s.nameTo;
  if (s.selfClosing) throw NOT_SURE;
  let name: string | undefined;
  for (;;) {
    const isName = s.startTag(true) ? s.is('Name') : undefined;
    if (isName === undefined) break;
    if (isName) {
      if (name !== undefined) throw NOT_SURE;
      name = nameOf(s);
      continue;
    }
    if (s.encoded !== undefined) throw NOT_SURE;
    s.skipLeaf();
  }
  if (name === undefined) throw NOT_SURE;
  s.endTag(nameFrom, nameTo);
  return name;
}

function readBlobs(s: Scanner, page: BlobListPage): void {
  const nameFrom = s.nameFrom;
  const nameTo = s.nameTo;
  if (s.selfClosing) return;
  while (s.startTag(false)) {
    if (s.is('Blob')) page.blobs.push(readBlob(s));
    else if (s.is('BlobPrefix')) page.prefixes.push(readPrefix(s));
    else throw NOT_SURE;
  }
  s.endTag(nameFrom, nameTo);
}

/**
 * The listing in one List Blobs answer (flat or with a delimiter), or undefined when the body is
 * not an `EnumerationResults` this parser reads with certainty (the SDK's parser then reads it).
 */
export function parseBlobList(xml: string): BlobListPage | undefined {
  if (xml.includes('<!') || xml.includes(']]>') || xml.includes('\r')) return undefined;
  const s = new Scanner(xml);
  try {
    s.skipSpace();
    if (xml.startsWith('<?xml', s.pos) && isSpace(xml.charCodeAt(s.pos + 5))) {
      const end = xml.indexOf('?>', s.pos);
      if (end < 0) return undefined;
      const lt = xml.indexOf('<', s.pos + 1);
      if (lt >= 0 && lt < end) return undefined;
      s.pos = end + 2;
    }
    if (!s.startTag(false) || !s.is('EnumerationResults') || s.selfClosing) return undefined;
    const rootFrom = s.nameFrom;
    const rootTo = s.nameTo;
    const page: BlobListPage = { blobs: [], prefixes: [], nextMarker: undefined };
    let blobs = false;
    let marker = false;
    while (s.startTag(false)) {
      if (s.is('Blobs')) {
        if (blobs) return undefined;
        blobs = true;
        readBlobs(s, page);
      } else if (s.is('NextMarker')) {
        if (marker) return undefined;
        marker = true;
        page.nextMarker = s.text(true, true);
      } else {
        s.skipLeaf();
      }
    }
    s.endTag(rootFrom, rootTo);
    s.skipSpace();
    if (!blobs || s.pos !== xml.length) return undefined;
    return page;
  } catch (error) {
    if (error instanceof NotSure) return undefined;
    throw error;
  }
}

/** The parts of `@azure/core-rest-pipeline`'s request, response and pipeline used here (not a dependency of ours). */
interface RequestLike {
  url: string;
  abortSignal?: AbortSignal | undefined;
}
interface ResponseLike {
  status: number;
  bodyAsText?: string | null | undefined;
  headers: { get(name: string): string | undefined };
}
/** Structurally `PipelinePolicy` of `@azure/core-rest-pipeline`. */
interface PolicyLike {
  name: string;
  sendRequest(request: RequestLike, next: (request: RequestLike) => Promise<ResponseLike>): Promise<ResponseLike>;
}
interface PipelineLike {
  addPolicy(policy: PolicyLike, options: { afterPhase: 'Retry' }): void;
  getOrderedPolicies(): { name: string }[];
}

/** Where a list call finds the page the policy read for it. */
export interface FastListSlot {
  page?: BlobListPage | undefined;
}

/**
 * The list calls that asked for this parser, by the abort signal they gave the SDK (the adapter
 * makes one per call; the SDK puts that very object on the request).
 */
const slots = new WeakMap<AbortSignal, FastListSlot>();

/**
 * How many list answers of the adapter's calls this process read with the parser, and how many it
 * left to the SDK's (a body it was not sure of, an error, another content type): for tests and
 * diagnostics.
 */
export const fastListCounts = { read: 0, leftToSdk: 0 };

const POLICY_NAME = 'ckptkitFastListParser';
// What the SDK is given to parse once this parser has read the real body: the smallest listing.
const READ_ALREADY = '<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs /></EnumerationResults>';

/** True when the SDK would parse a body of this Content-Type as XML (core-client's deserializationPolicy rule). */
function sdkReadsAsXml(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const parts = contentType.split(';').map((p) => p.toLowerCase());
  if (parts.some((p) => p === 'application/json' || p === 'text/json')) return false;
  return parts.some((p) => p === 'application/xml' || p === 'application/atom+xml');
}

const policy: PolicyLike = {
  name: POLICY_NAME,
  async sendRequest(request, next) {
    const response = await next(request);
    const slot = request.abortSignal === undefined ? undefined : slots.get(request.abortSignal);
    if (slot === undefined || !request.url.includes('comp=list')) return response;
    const body = response.bodyAsText;
    const page = response.status === 200 && typeof body === 'string' && body !== '' && sdkReadsAsXml(response.headers.get('content-type')) ? parseBlobList(body) : undefined;
    if (page === undefined) {
      fastListCounts.leftToSdk++;
      return response;
    }
    fastListCounts.read++;
    slot.page = page;
    response.bodyAsText = READ_ALREADY;
    return response;
  },
};

/**
 * Puts the parser's policy into the pipeline of `client` (a `ContainerClient`; every client made
 * from the same service client shares it), after the retry phase, so that it reads each attempt's
 * raw body before the SDK's deserialization does. Idempotent. The policy acts only on requests
 * whose abort signal was given to {@link expectFastList}: other list calls (a caller's own, on a
 * service client it passed in) are the SDK's alone. False when the SDK no longer has the pipeline
 * where this looks for it: the adapter then lists through the SDK's parser alone.
 */
export function installFastListParser(client: object): boolean {
  // StorageClient's `storageClientContext` is protected in the SDK's types; its `pipeline` is
  // core-client's public ServiceClient.pipeline.
  const pipeline = (client as { storageClientContext?: { pipeline?: Partial<PipelineLike> } }).storageClientContext?.pipeline;
  if (typeof pipeline?.addPolicy !== 'function' || typeof pipeline.getOrderedPolicies !== 'function') return false;
  if (!pipeline.getOrderedPolicies().some((p) => p.name === POLICY_NAME)) pipeline.addPolicy(policy, { afterPhase: 'Retry' });
  return true;
}

/**
 * Registers a list call by the abort signal it passes to the SDK: the policy leaves the page it
 * reads in the returned slot (and the SDK then parses an empty listing), or leaves the slot empty
 * when the answer is the SDK's to read (an error, a body it is not sure of).
 */
export function expectFastList(signal: AbortSignal): FastListSlot {
  const slot: FastListSlot = {};
  slots.set(signal, slot);
  return slot;
}
