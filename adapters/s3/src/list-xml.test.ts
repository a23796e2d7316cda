/**
 * The adapter's ListBucketResult parser against the SDK's own, on the same bodies served with
 * nock: every listing either parses to exactly what the SDK's parser gives, or is left to the SDK.
 */
import fc from 'fast-check';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCkptError, type ListPage } from '@ckptkit/gfile';
import { parseListBucketResult } from './list-xml.js';
import { createS3Adapter } from './index.js';

const EP = 'http://s3.listxml.test:9000';
const options = { endpoint: EP, region: 'us-east-1', credentials: { accessKeyId: 'AKIALISTXMLTEST00000', secretAccessKey: 'listxml-secret' } };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** The adapter's answer to one list call served `body`, with the adapter's parser or the SDK's. */
async function listWith(body: string, fastListParser: boolean): Promise<ListPage | { error: string }> {
  nock(EP).get('/bkt/').query(true).reply(200, body, { 'content-type': 'application/xml' });
  try {
    return await createS3Adapter('bkt', { ...options, fastListParser }).list('run/', { delimiter: true });
  } catch (error) {
    return { error: isCkptError(error) ? `${error.code}: ${error.message}` : String(error) };
  }
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** S3's EncodingType=url: every byte outside the unreserved set percent-encoded, `/` kept. */
const urlEncode = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Entry {
  key: string;
  size: number;
  etag: string;
  owner: boolean;
}

function listing(entries: Entry[], prefixes: string[], o: { next?: string; encoded?: boolean; pretty?: boolean } = {}): string {
  const nl = o.pretty ? '\n  ' : '';
  const contents = entries
    .map(
      (e) =>
        `${nl}<Contents>${nl}<Key>${escape(o.encoded === false ? e.key : urlEncode(e.key))}</Key><LastModified>2026-01-02T03:04:05.678Z</LastModified>` +
        `<ETag>${escape(e.etag)}</ETag><Size>${e.size}</Size>${e.owner ? '<Owner><ID>abc</ID><DisplayName>me &amp; you</DisplayName></Owner>' : ''}` +
        `<StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>${nl}</Contents>`,
    )
    .join('');
  const common = prefixes.map((p) => `<CommonPrefixes><Prefix>${escape(urlEncode(p))}</Prefix></CommonPrefixes>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>${nl}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${nl}<Name>bkt</Name><Prefix>run/</Prefix>` +
    `<KeyCount>${entries.length + prefixes.length}</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>` +
    `<IsTruncated>${o.next ? 'true' : 'false'}</IsTruncated>${o.next ? `<NextContinuationToken>${escape(o.next)}</NextContinuationToken>` : ''}` +
    `${o.encoded === false ? '' : '<EncodingType>url</EncodingType>'}${contents}${common}${nl}</ListBucketResult>`
  );
}

const sample: Entry[] = [
  { key: 'run/a b+c&d.index', size: 12, etag: '"9b2cf535f27731c974343645a3985328"', owner: true },
  { key: 'run/ümlaut/€.data-00000-of-00001', size: 0, etag: '"abc-2"', owner: false },
  { key: 'run/<odd>"quote\'s"', size: 9_007_199_254_740_991, etag: '"x"', owner: true },
];

describe('the adapter’s ListBucketResult parser', () => {
  it.each([
    ['url-encoded keys, entities, owners, prefixes, a continuation token', listing(sample, ['run/d1/', 'run/ä d2/'], { next: '1/a+b=&c' })],
    ['the last page, pretty-printed with newlines', listing(sample, [], { pretty: true })],
    ['keys the server did not encode', listing(sample.slice(0, 1), ['run/x/'], { encoded: false })],
    ['an empty listing', listing([], [])],
  ])('%s: reads it, and gives exactly what the SDK gives', async (_, body) => {
    expect(parseListBucketResult(body)).toBeDefined();
    const fast = await listWith(body, true);
    expect(fast).not.toHaveProperty('error');
    expect(fast).toEqual(await listWith(body, false));
  });

  it.each([
    ['a comment', listing(sample, []).replace('<Name>', '<!-- hi --><Name>')],
    ['CDATA', listing(sample, []).replace('<Name>bkt</Name>', '<Name><![CDATA[bkt]]></Name>')],
    ['CRLF line ends', listing(sample, [], { pretty: true }).replace(/\n/g, '\r\n')],
    ['a stray ampersand', listing(sample, []).replace('<Name>bkt', '<Name>b&kt').replace('&quot;9b2c', '&9b2c')],
    ['an unknown entity', listing(sample, []).replace('&quot;9b2c', '&nbsp;9b2c')],
    ['a missing closing tag', listing(sample, []).replace('</Size>', '')],
    ['another root (an error document)', '<?xml version="1.0"?><Error><Code>X</Code></Error>'],
    ['an HTML page from a proxy', '<html><body>Sign in to the Wi-Fi</body></html>'],
    ['IsTruncated that is not a boolean', listing(sample, []).replace('<IsTruncated>false', '<IsTruncated>maybe')],
    ['a Size that is not a number', listing(sample, []).replace('<Size>12<', '<Size>1e3<')],
    ['markup inside a Key', listing(sample, []).replace('<Key>', '<Key><b/>')],
  ])('%s: left to the SDK, with the same result or error as before', async (_, body) => {
    expect(parseListBucketResult(body)).toBeUndefined();
    expect(await listWith(body, true)).toEqual(await listWith(body, false));
  });

  it('random keys, ETags and tokens: the same pages as the SDK’s parser (200 listings)', async () => {
    const entry = fc.record({
      key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => `run/${s}`),
      size: fc.nat(),
      etag: fc.string({ maxLength: 12 }).map((s) => `"${s}"`),
      owner: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 6 }), fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }), async (entries, next) => {
        const body = listing(entries, [], { next: next?.trim() === '' ? undefined : next });
        if (parseListBucketResult(body) === undefined) return; // characters XML 1.0 cannot carry: the SDK's to judge
        expect(await listWith(body, true)).toEqual(await listWith(body, false));
      }),
      { numRuns: 200 },
    );
  });
});
