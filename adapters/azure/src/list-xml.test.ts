/**
 * The adapter's List Blobs parser against the SDK's own, on the same bodies served with nock: every
 * listing either parses to exactly what the SDK's path gives (entries, directories, page token,
 * error), or is left to the SDK.
 */
import fc from 'fast-check';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCkptError, type ListPage } from '@ckptkit/gfile';
import { createAzureAdapter } from './azure-adapter.js';
import { createServiceClient } from './client.js';
import { expectFastList, fastListCounts, installFastListParser, parseBlobList } from './list-xml.js';
import { resolveAzureOptions, type AzureAdapterOptions } from './options.js';

const ORIGIN = 'http://azure.listxml.test';
const ACCOUNT = 'acct1';
const KEY = Buffer.alloc(64, 9).toString('base64');
const options: AzureAdapterOptions = { endpoint: `${ORIGIN}/${ACCOUNT}`, account: ACCOUNT, accountKey: KEY, env: {}, timeoutMs: 5000 };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** The adapter's answer to one list call served `body`, read by the adapter's parser or the SDK's. */
async function listWith(
  body: string,
  fastListParser: boolean,
  o: { delimiter?: boolean; startAfter?: string; contentType?: string; auth?: AzureAdapterOptions; origin?: string; status?: number } = {},
): Promise<ListPage | { error: string }> {
  const scope = nock(o.origin ?? ORIGIN)
    .get(`/${ACCOUNT}/box`)
    .query(true)
    .reply(o.status ?? 200, body, { 'content-type': o.contentType ?? 'application/xml' });
  const cfg = resolveAzureOptions({ ...(o.auth ?? options), fastListParser });
  try {
    return await createAzureAdapter('box', await createServiceClient(cfg), cfg).list('run/', { delimiter: o.delimiter ?? true, ...(o.startAfter ? { startAfter: o.startAfter } : {}) });
  } catch (error) {
    return { error: isCkptError(error) ? `${error.code}: ${error.message}` : String(error) };
  } finally {
    expect(scope.isDone()).toBe(true);
  }
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Blob {
  name: string;
  size: number;
  md5: string | undefined;
  /** Azure's form for names with characters XML cannot carry: percent-encoded, `Encoded="true"`. */
  encoded?: boolean;
}

const md5Of = (n: number) => Buffer.alloc(16, n).toString('base64');

/** A List Blobs answer as Azure writes it (every Properties field of a block blob), optionally pretty-printed. */
function listing(blobs: Blob[], prefixes: string[], o: { next?: string; pretty?: boolean; marker?: string } = {}): string {
  const nl = o.pretty ? '\n    ' : '';
  const nameEl = (name: string, encoded?: boolean) => (encoded ? `<Name Encoded="true">${escape(encodeURIComponent(name))}</Name>` : `<Name>${escape(name)}</Name>`);
  const items = [
    ...blobs.map(
      (b) =>
        `${nl}<Blob>${nl}${nameEl(b.name, b.encoded)}${nl}<Properties>${nl}<Creation-Time>Mon, 07 Dec 2026 09:00:00 GMT</Creation-Time>` +
        `<Last-Modified>Mon, 07 Dec 2026 10:00:0${b.size % 10} GMT</Last-Modified><Etag>0x8DC${b.size.toString(16).toUpperCase().padStart(13, '0')}</Etag>` +
        `<Content-Length>${b.size}</Content-Length><Content-Type>application/octet-stream</Content-Type><Content-Encoding /><Content-Language />` +
        `<Content-CRC64 />${b.md5 === undefined ? '<Content-MD5 />' : `<Content-MD5>${b.md5}</Content-MD5>`}<Cache-Control /><Content-Disposition />` +
        `<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus>` +
        `<LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>${nl}</Properties>${nl}<OrMetadata />${nl}</Blob>`,
    ),
    ...prefixes.map((p) => `${nl}<BlobPrefix>${nameEl(p)}</BlobPrefix>`),
  ];
  return (
    `<?xml version="1.0" encoding="utf-8"?>${nl}<EnumerationResults ServiceEndpoint="${ORIGIN}/${ACCOUNT}/" ContainerName="box">${nl}<Prefix>run/</Prefix>` +
    `${o.marker ? `<Marker>${escape(o.marker)}</Marker>` : ''}<MaxResults>5000</MaxResults><Delimiter>/</Delimiter>${nl}<Blobs>${items.join('')}${nl}</Blobs>` +
    `${o.next ? `<NextMarker>${escape(o.next)}</NextMarker>` : '<NextMarker />'}${nl}</EnumerationResults>`
  );
}

const sample: Blob[] = [
  { name: 'run/a b+c&d.index', size: 12, md5: md5Of(1) },
  { name: 'run/ümlaut/€.data-00000-of-00001', size: 0, md5: undefined },
  { name: 'run/<odd>"quote\'s"', size: 9_007_199_254_740, md5: md5Of(200) },
  { name: 'run/ctl\u0001\u001fchars%2F', size: 3, md5: undefined, encoded: true },
  { name: 'run/d1/', size: 0, md5: undefined },
];

describe('the adapter’s List Blobs parser', () => {
  it.each([
    ['encoded names, unicode, entities, a marker blob like its prefix, prefixes, a NextMarker', listing(sample, ['run/d1/', 'run/ä d2/'], { next: '2!148!MDAwMDQ1IXJ1bi9hJmI-', marker: 'm&k' }), true],
    ['the last page, pretty-printed with newlines', listing(sample, ['run/x/'], { pretty: true }), true],
    ['a flat listing', listing(sample, []), false],
    ['an empty listing', listing([], []), true],
    ['an empty listing whose Blobs closes itself', listing([], []).replace('<Blobs></Blobs>', '<Blobs />'), true],
    ['Encoded="false" and single-quoted attributes', listing(sample.slice(0, 1), []).replace('<Name>', '<Name Encoded=\'false\'>'), true],
  ])('%s: reads it, and gives exactly what the SDK gives', async (_, body, delimiter) => {
    expect(parseBlobList(body)).toBeDefined();
    const before = { ...fastListCounts };
    const fast = await listWith(body, true, { delimiter });
    expect(fastListCounts).toEqual({ read: before.read + 1, leftToSdk: before.leftToSdk });
    expect(fast).not.toHaveProperty('error');
    expect(fast).toEqual(await listWith(body, false, { delimiter }));
    expect(fastListCounts.read).toBe(before.read + 1); // fastListParser: false never reaches the policy
  });

  const tokenCredential = { getToken: async () => ({ token: 'nock-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  it.each([
    ['a SAS token', { endpoint: `${ORIGIN}/${ACCOUNT}`, sasToken: 'sv=2026-06-06&sp=rl&sig=NockSig%3D', env: {} }, ORIGIN],
    ['an Entra ID token (https)', { endpoint: `https://azure.listxml.test/${ACCOUNT}`, credential: tokenCredential, env: {} }, 'https://azure.listxml.test'],
  ] as const)('with %s the parser reads the answer too, with the same result', async (_, auth, origin) => {
    const body = listing(sample, ['run/d1/'], { next: 'tok' });
    const before = fastListCounts.read;
    const fast = await listWith(body, true, { auth, origin });
    expect(fastListCounts.read).toBe(before + 1);
    expect(fast).toMatchObject({ nextPageToken: 'tok' });
    expect(fast).toEqual(await listWith(body, false, { auth, origin }));
  });

  it('an error answer (404 ContainerNotFound) is the SDK’s: the same typed error', async () => {
    const body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.</Message></Error>';
    const before = { ...fastListCounts };
    const fast = await listWith(body, true, { status: 404 });
    expect(fastListCounts).toEqual({ read: before.read, leftToSdk: before.leftToSdk + 1 });
    expect(fast).toMatchObject({ error: expect.stringMatching(/^NOT_FOUND/) });
    expect(fast).toEqual(await listWith(body, false, { status: 404 }));
  });

  it('a startAfter listing: the same entries after the key, from either parser', async () => {
    const body = listing(sample, ['run/d1/', 'run/ä d2/']);
    const fast = await listWith(body, true, { startAfter: 'run/b' });
    expect((fast as ListPage).entries.length).toBeGreaterThan(0);
    expect(fast).toEqual(await listWith(body, false, { startAfter: 'run/b' }));
  });

  const base = listing(sample, ['run/d1/']);
  it.each([
    ['a comment', base.replace('<Prefix>', '<!-- hi --><Prefix>')],
    ['CDATA', base.replace('<Prefix>run/</Prefix>', '<Prefix><![CDATA[run/]]></Prefix>')],
    ['a DOCTYPE', base.replace('<EnumerationResults', '<!DOCTYPE x><EnumerationResults')],
    ['CRLF line ends', listing(sample, [], { pretty: true }).replace(/\n/g, '\r\n')],
    ['a character reference', base.replace('<Name>run/a b', '<Name>run/&#97; b')],
    ['an unknown entity', base.replace('<Name>run/a b', '<Name>run/&nbsp; b')],
    ['a stray ampersand', base.replace('<Name>run/a b', '<Name>run/a & b')],
    ['a missing closing tag', base.replace('</Content-Length>', '')],
    ['a mismatched closing tag', base.replace('</Etag>', '</ETag>')],
    ['an error document', '<?xml version="1.0" encoding="utf-8"?><Error><Code>X</Code><Message>m</Message></Error>'],
    ['an HTML page from a proxy', '<html><body>Sign in to the Wi-Fi</body></html>'],
    ['no Blobs element', base.replace(/<Blobs>.*<\/Blobs>/, '')],
    ['a Blob without Properties', base.replace(/<Properties>.*?<\/Properties>/, '')],
    ['a Blob without a Name', base.replace(/<Name>.*?<\/Name>/, '')],
    ['a Content-Length that is not digits', base.replace('<Content-Length>12<', '<Content-Length>1e3<')],
    ['an unparseable Last-Modified', base.replace('Mon, 07 Dec 2026 10:00:02 GMT', 'yesterday')],
    ['a Content-MD5 that is not 16 bytes of base64', base.replace(md5Of(1), 'AAAA')],
    ['an invalid percent-encoding in an encoded name', base.replace('<Name>run/a b', '<Name Encoded="true">run/%E0%A4%A')],
    ['Encoded that is neither true nor false', base.replace('<Name>run/a b', '<Name Encoded="yes">run/a b')],
    ['a field given twice', base.replace('<Etag>', '<Etag>x</Etag><Etag>')],
    ['markup inside a Name', base.replace('<Name>run/a b', '<Name><b/>run/a b')],
    ['children where text is expected', base.replace('<OrMetadata />', '<OrMetadata><a>1</a></OrMetadata>')],
    ['an attribute without quotes', base.replace('ContainerName="box"', 'ContainerName=box')],
    ['a duplicated attribute', base.replace('ContainerName="box"', 'ContainerName="box" ContainerName="box"')],
    ['text after the root', `${base}trailing`],
    ['another processing instruction', base.replace('<Blobs>', '<?pi x?><Blobs>')],
  ])('%s: left to the SDK, with the same result or error as before', async (_, body) => {
    expect(parseBlobList(body)).toBeUndefined();
    const before = fastListCounts.leftToSdk;
    expect(await listWith(body, true)).toEqual(await listWith(body, false));
    expect(fastListCounts.leftToSdk).toBe(before + 1);
  });

  it('a listing served as text/plain is the SDK’s to read, with the same outcome', async () => {
    const body = listing(sample, []);
    expect(await listWith(body, true, { contentType: 'text/plain' })).toEqual(await listWith(body, false, { contentType: 'text/plain' }));
  });

  it('random names, sizes, digests and markers: the same pages as the SDK’s parser (200 listings)', async () => {
    const blob = fc.record({
      name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => `run/${s}`),
      size: fc.nat(),
      md5: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')), { nil: undefined }),
      encoded: fc.boolean(),
    });
    const prefix = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => `run/${s}/`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(blob, { maxLength: 6 }),
        fc.array(prefix, { maxLength: 3 }),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        fc.boolean(),
        async (blobs, prefixes, next, pretty) => {
          const body = listing(blobs, prefixes, { next, pretty });
          if (parseBlobList(body) === undefined) return; // characters XML 1.0 cannot carry: the SDK's to judge
          expect(await listWith(body, true)).toEqual(await listWith(body, false));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the parser’s cost', () => {
  it('grows linearly with the answer: 20,000 blobs (14 MB) in well under 3 s', () => {
    // A search for '&' from each element to the end of the answer made this quadratic: 18 s here.
    const blobs: Blob[] = Array.from({ length: 20_000 }, (_, i) => ({ name: `zoo/m${String(i).padStart(5, '0')}/ckpt-1.data-00000-of-00001`, size: i, md5: md5Of(i % 256) }));
    const body = listing(blobs, []);
    const t0 = performance.now();
    const page = parseBlobList(body);
    const ms = performance.now() - t0;
    expect(page?.blobs.length).toBe(20_000);
    expect(page?.blobs[19_999]).toMatchObject({ name: blobs[19_999]!.name, contentLength: 19_999, md5: md5Of(19_999 % 256) });
    expect(ms).toBeLessThan(3000);
  });
});

describe('the policy in the SDK’s pipeline', () => {
  it('reads the answer of a registered list call, and the SDK then parses an empty listing', async () => {
    const cfg = resolveAzureOptions(options);
    const container = (await createServiceClient(cfg)).getContainerClient('box');
    expect(installFastListParser(container)).toBe(true);
    expect(installFastListParser(container)).toBe(true); // once only: a second policy of the name would throw in the SDK
    nock(ORIGIN).get(`/${ACCOUNT}/box`).query(true).reply(200, listing(sample, ['run/d1/'], { next: 'tok' }), { 'content-type': 'application/xml' });
    const signal = new AbortController().signal;
    const slot = expectFastList(signal);
    const r = await container.listBlobsByHierarchy('/', { prefix: 'run/', abortSignal: signal }).byPage().next();
    expect(r.value.segment.blobItems).toEqual([]);
    expect(slot.page?.blobs.map((b) => b.name)).toEqual(sample.map((b) => b.name));
    expect(slot.page?.prefixes).toEqual(['run/d1/']);
    expect(slot.page?.nextMarker).toBe('tok');
  });

  it('leaves an unregistered list call (a caller’s own) to the SDK', async () => {
    const cfg = resolveAzureOptions(options);
    const container = (await createServiceClient(cfg)).getContainerClient('box');
    installFastListParser(container);
    nock(ORIGIN).get(`/${ACCOUNT}/box`).query(true).reply(200, listing(sample, []), { 'content-type': 'application/xml' });
    const r = await container.listBlobsFlat({ prefix: 'run/' }).byPage().next();
    expect(r.value.segment.blobItems.map((b: { name: string }) => b.name)).toEqual(sample.map((b) => b.name));
  });
});
