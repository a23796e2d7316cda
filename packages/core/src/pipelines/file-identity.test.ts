import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile, createMemoryAdapter, createRegistry } from '@ckptkit/gfile';
import { crc32c } from '../bundle/crc.js';
import { candidatePartSizes, compareFiles, declaredHashes } from './file-identity.js';

const STORE = 'file-identity-test';
const MiB = 1024 * 1024;
afterEach(() => clearMemoryStore(STORE));

const md5b64 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');
const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const crcB64 = (b: Uint8Array) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(b));
  return out.toString('base64');
};
/** The ETag S3 gives a multipart upload in parts of `part` bytes, computed independently. */
function multipartEtag(b: Uint8Array, part: number): string {
  const digests: Buffer[] = [];
  for (let off = 0; off < b.byteLength; off += part) digests.push(createHash('md5').update(b.subarray(off, off + part)).digest());
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
}

describe('declared hashes', () => {
  it('reads an S3 ETag as MD5 only when it has the shape of one, and never another store’s ETag', () => {
    const data = Buffer.from('hello');
    expect(declaredHashes({ uri: 's3://b/x', size: 5, etag: `"${md5hex(data)}"` })).toEqual({ md5: md5b64(data) });
    expect(declaredHashes({ uri: 's3://b/x', size: 5, etag: `"${'a'.repeat(32)}-3"` })).toEqual({ multipart: { etag: `${'a'.repeat(32)}-3`, parts: 3 } });
    // The memory store's ETag is a generation counter; GCS's is opaque: neither is a content hash.
    expect(declaredHashes({ uri: 'memory://m/x', size: 5, etag: `"${md5hex(data)}"` })).toEqual({});
    expect(declaredHashes({ uri: 'gs://b/x', size: 5, etag: 'CKih16GjycICEAE=', crc32c: 'AAAAAA==', md5: 'md5' })).toEqual({ crc32c: 'AAAAAA==', md5: 'md5' });
  });

  it('finds the whole-MiB part sizes that give a multipart ETag its part count', () => {
    expect(candidatePartSizes(20 * MiB, 3)).toEqual([7 * MiB, 8 * MiB, 9 * MiB]);
    expect(candidatePartSizes(16 * MiB + 1, 3)).toEqual([6 * MiB, 7 * MiB, 8 * MiB]);
    expect(candidatePartSizes(3 * MiB, 1)).toEqual([3 * MiB]);
    for (const p of candidatePartSizes(100 * MiB + 12345, 13)) expect(Math.ceil((100 * MiB + 12345) / p)).toBe(13);
  });
});

describe('compareFiles', () => {
  const g = createGFile();

  it('different sizes are never identical, and nothing is read to say so', async () => {
    g.metrics.reset();
    const v = await compareFiles(g, { uri: `memory://${STORE}/a`, size: 3 }, { uri: `memory://${STORE}/b`, size: 4 });
    expect(v).toMatchObject({ identical: false, reason: expect.stringMatching(/sizes differ/) });
    expect(g.metrics.snapshot().requests.get).toBe(0);
  });

  it('two local-like files: CRC-32C of both, so same-size different bytes are caught', async () => {
    await g.writeFile(`memory://${STORE}/a`, Buffer.from('abcd'));
    await g.writeFile(`memory://${STORE}/b`, Buffer.from('abcd'));
    await g.writeFile(`memory://${STORE}/c`, Buffer.from('abce'));
    expect(await compareFiles(g, { uri: `memory://${STORE}/a`, size: 4 }, { uri: `memory://${STORE}/b`, size: 4 })).toEqual({ identical: true, by: 'crc32c (computed)' });
    expect(await compareFiles(g, { uri: `memory://${STORE}/a`, size: 4 }, { uri: `memory://${STORE}/c`, size: 4 })).toMatchObject({ identical: false, reason: 'crc32c differs' });
  });

  it('remote against remote: a shared hash decides; none shared means copy again', async () => {
    const data = Buffer.from('payload');
    const gs = { uri: 'gs://b/x', size: data.length, crc32c: crcB64(data), md5: md5b64(data) };
    expect(await compareFiles(g, { uri: 's3://b/x', size: data.length, etag: `"${md5hex(data)}"` }, gs)).toEqual({ identical: true, by: 'md5' });
    expect(await compareFiles(g, { uri: 's3://b/x', size: data.length, etag: `"${md5hex(Buffer.from('payloaX'))}"` }, gs)).toMatchObject({ identical: false, reason: 'md5 differs' });
    expect(await compareFiles(g, gs, { ...gs, uri: 'gs://c/x' })).toEqual({ identical: true, by: 'crc32c' });
    expect(await compareFiles(g, { uri: 's3://b/x', size: data.length, etag: `"${'a'.repeat(32)}-2"` }, gs)).toMatchObject({ identical: false, reason: /no content hash in common/ });
    expect(await compareFiles(g, { uri: 's3://b/x', size: 1, etag: '"abc-2"' }, { uri: 's3://c/y', size: 1, etag: '"abc-2"' })).toMatchObject({ identical: false });
  });

  it('two remote stores without a shared hash: readSource hashes the source (a download, no upload)', async () => {
    // A remote-looking store (not file:// or memory://) backed by memory for the test.
    const remote = createGFile({ registry: createRegistry().register('remote', () => (store: string) => createMemoryAdapter(`${STORE}-${store}`)) });
    const data = randomBytes(9 * MiB);
    await remote.writeFile('remote://a/obj', data);
    const etag = multipartEtag(data, 8 * MiB);
    const src = { uri: 'remote://a/obj', size: data.length };
    const dst = { uri: 's3://b/obj', size: data.length, etag: `"${etag}"` };
    remote.metrics.reset();
    expect(await compareFiles(remote, src, dst)).toMatchObject({ identical: false, reason: /no content hash in common/ });
    expect(remote.metrics.snapshot().bytesRead).toBe(0);
    expect(await compareFiles(remote, src, dst, { readSource: true })).toEqual({ identical: true, by: 's3-etag (computed from the source)' });
    expect(await compareFiles(remote, src, { uri: 'gs://b/obj', size: data.length, md5: md5b64(Buffer.from('other')) }, { readSource: true })).toMatchObject({ identical: false, reason: 'md5 differs' });
    expect(remote.metrics.snapshot().requests.put).toBe(0);
    clearMemoryStore(`${STORE}-a`);
  });

  it('a local-like file against a remote hash: that hash is computed locally (CRC-32C, MD5, multipart ETag)', async () => {
    const data = randomBytes(20 * MiB + 123);
    await g.writeFile(`memory://${STORE}/big`, data);
    const local = { uri: `memory://${STORE}/big`, size: data.length };
    expect(await compareFiles(g, local, { uri: 'gs://b/big', size: data.length, crc32c: crcB64(data) })).toEqual({ identical: true, by: 'crc32c (computed)' });
    expect(await compareFiles(g, { uri: 's3://b/big', size: data.length, etag: `"${md5hex(data)}"` }, local)).toEqual({ identical: true, by: 'md5 (computed)' });
    // Uploaded in 8 MiB parts (the S3 adapter's default): 3 parts.
    const etag = multipartEtag(data, 8 * MiB);
    expect(etag).toMatch(/-3$/);
    expect(await compareFiles(g, local, { uri: 's3://b/big', size: data.length, etag: `"${etag}"` })).toEqual({ identical: true, by: 's3-etag (computed)' });
    // Same parts, one byte changed in the middle part: not identical.
    const changed = Buffer.from(data);
    changed[10 * MiB] ^= 1;
    await g.writeFile(`memory://${STORE}/changed`, changed);
    expect(await compareFiles(g, { uri: `memory://${STORE}/changed`, size: data.length }, { uri: 's3://b/big', size: data.length, etag: `"${etag}"` })).toMatchObject({ identical: false });
  });
});
