/**
 * Archive views over memory://: listing, stat, reads, member URIs, read-only errors, request
 * bounds, and the hostile cases of decision 0016.
 */
import { createGzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createGFile, isCkptError, type FileInfo, type GFile } from '@ckptkit/gfile';
import { makeTar, makeTgz, makeZip, renameInZip, type TarEntry } from '../helpers/archives.js';

let n = 0;
function fresh(): { gfile: GFile; store: string } {
  return { gfile: createGFile({ retry: false }), store: `arch-${process.pid}-${n++}` };
}

const ENTRIES: TarEntry[] = [
  { path: 'ssd/', type: 'Directory' },
  { path: 'ssd/checkpoint/checkpoint', data: 'model_checkpoint_path: "ckpt-0"\n' },
  { path: 'ssd/checkpoint/ckpt-0.index', data: 'index-bytes' },
  { path: 'ssd/checkpoint/ckpt-0.data-00000-of-00001', data: Buffer.alloc(3000, 7) },
  { path: 'ssd/pipeline.config', data: 'model {}\n' },
  { path: 'ssd/saved_model/saved_model.pb', data: 'pb' },
];

async function listAll(gfile: GFile, uri: string, recursive = false): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const f of gfile.list(uri, { recursive })) out.push(f);
  return out;
}

async function put(gfile: GFile, uri: string, bytes: Uint8Array): Promise<void> {
  await gfile.writeFile(uri, bytes);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (isCkptError(error)) return error.code;
    throw error;
  }
  return 'OK';
}

const FORMATS = [
  { name: '.tar', scheme: 'tar', file: 'a.tar', make: async () => makeTar(ENTRIES) },
  { name: '.tar.gz', scheme: 'tar', file: 'a.tar.gz', make: async () => makeTgz(ENTRIES) },
  { name: '.tgz named .bin', scheme: 'tar', file: 'a.bin', make: async () => makeTgz(ENTRIES) },
  { name: '.zip', scheme: 'zip', file: 'a.zip', make: () => makeZip(ENTRIES.filter((e) => e.type !== 'Directory').map((e) => ({ path: e.path, data: e.data }))) },
  { name: '.zip stored', scheme: 'zip', file: 'a.zip', make: () => makeZip(ENTRIES.filter((e) => e.type !== 'Directory').map((e) => ({ path: e.path, data: e.data, compress: false }))) },
  { name: '.zip zip64', scheme: 'zip', file: 'a.zip', make: () => makeZip(ENTRIES.filter((e) => e.type !== 'Directory').map((e) => ({ path: e.path, data: e.data })), { zip64: true }) },
] as const;

describe.each(FORMATS)('archive view: $name', ({ scheme, file, make }) => {
  it('lists, stats and reads members through member URIs', async () => {
    const { gfile, store } = fresh();
    const archive = `memory://${store}/zoo/${file}`;
    await put(gfile, archive, await make());
    const root = `${scheme}:${archive}!/`;
    const top = await listAll(gfile, root);
    expect(top.map((f) => f.uri)).toEqual([`${scheme}:${archive}!/ssd`]);
    const all = await listAll(gfile, `${scheme}:${archive}!/ssd`, true);
    expect(all.filter((f) => f.kind === 'file').map((f) => f.uri)).toEqual([
      `${scheme}:${archive}!/ssd/checkpoint/checkpoint`,
      `${scheme}:${archive}!/ssd/checkpoint/ckpt-0.data-00000-of-00001`,
      `${scheme}:${archive}!/ssd/checkpoint/ckpt-0.index`,
      `${scheme}:${archive}!/ssd/pipeline.config`,
      `${scheme}:${archive}!/ssd/saved_model/saved_model.pb`,
    ]);
    const data = `${scheme}:${archive}!/ssd/checkpoint/ckpt-0.data-00000-of-00001`;
    expect((await gfile.stat(data)).size).toBe(3000);
    expect((await gfile.stat(`${scheme}:${archive}!/ssd/checkpoint`)).kind).toBe('directory');
    expect(Buffer.from(await gfile.readFile(data))).toEqual(Buffer.alloc(3000, 7));
    expect(Buffer.from(await gfile.readFile(data, { offset: 2990, length: 20 }))).toEqual(Buffer.alloc(10, 7));
    expect(await gfile.readText(`${scheme}:${archive}!/ssd/checkpoint/checkpoint`)).toBe('model_checkpoint_path: "ckpt-0"\n');
    expect(await codeOf(gfile.stat(`${scheme}:${archive}!/ssd/nope`))).toBe('NOT_FOUND');
    // Read-only: every write is READ_ONLY, naming the member.
    expect(await codeOf(gfile.writeFile(`${scheme}:${archive}!/ssd/new`, new Uint8Array(1)))).toBe('READ_ONLY');
    expect(await codeOf(gfile.remove(`${scheme}:${archive}!/ssd/pipeline.config`))).toBe('READ_ONLY');
  });

  it('reads the archive headers once per facade (the index is kept)', async () => {
    const { gfile, store } = fresh();
    const archive = `memory://${store}/${file}`;
    await put(gfile, archive, await make());
    const before = { ...gfile.metrics.requests };
    await listAll(gfile, `${scheme}:${archive}!/`, true);
    const afterList = { ...gfile.metrics.requests };
    await listAll(gfile, `${scheme}:${archive}!/ssd`, true);
    await gfile.stat(`${scheme}:${archive}!/ssd/pipeline.config`);
    expect(gfile.metrics.requests).toEqual(afterList);
    expect(afterList.get - (before.get ?? 0)).toBeLessThanOrEqual(3);
  });
});

describe('.tar.gz passes', () => {
  it('large members read at once share one streamed pass; a ranged read stops the pass early', async () => {
    const { gfile, store } = fresh();
    const big = (seed: number) => Buffer.from(Array.from({ length: 6 * 2 ** 20 }, (_, i) => (i * seed + (i >> 9)) & 0xff));
    const a = big(7);
    const b = big(13);
    const archive = `memory://${store}/big.tar.gz`;
    await put(gfile, archive, makeTgz([{ path: 'm/a.data', data: a }, { path: 'm/small', data: 's' }, { path: 'm/b.data', data: b }]));
    await listAll(gfile, `tar:${archive}!/`, true);
    const before = gfile.metrics.snapshot().requests.get;
    const [ra, rb, rs] = await Promise.all([gfile.readFile(`tar:${archive}!/m/a.data`), gfile.readFile(`tar:${archive}!/m/b.data`), gfile.readText(`tar:${archive}!/m/small`)]);
    expect(Buffer.from(ra).equals(a)).toBe(true);
    expect(Buffer.from(rb).equals(b)).toBe(true);
    expect(rs).toBe('s');
    expect(gfile.metrics.snapshot().requests.get - before).toBe(1);
    const part = await gfile.readFile(`tar:${archive}!/m/b.data`, { offset: 100, length: 10 });
    expect(Buffer.from(part).equals(b.subarray(100, 110))).toBe(true);
    expect(gfile.metrics.snapshot().requests.get - before).toBe(2);
  });
});

describe('.tar.gz scans (GFile.scan, decision 0016)', () => {
  const pattern = (seed: number, size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * seed + (i >> 9)) & 0xff));
  const collect = async (body: AsyncIterable<Uint8Array>) => {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    return Buffer.concat(chunks);
  };

  it('the scan is the listing pass: files under the prefix in archive order, whole; listings and small reads after it cost no request', async () => {
    const { gfile, store } = fresh();
    const big = pattern(7, 6 * 2 ** 20);
    const archive = `memory://${store}/z.tar.gz`;
    await put(gfile, archive, makeTgz([{ path: 'm/c/ckpt-0.data-00001-of-00002', data: big }, { path: 'm/other', data: 'x' }, { path: 'm/c/ckpt-0.data-00000-of-00002', data: 'zero' }, { path: 'm/c/ckpt-0.index', data: 'idx' }, { path: 'm/c/../../escape', data: 'no' }]));
    const before = gfile.metrics.snapshot();
    const seen: Array<[string, number, Buffer]> = [];
    expect(await gfile.scan(`tar:${archive}!/m/c/ckpt-0`, async (file, body) => void seen.push([file.uri, file.size, await collect(body)]))).toBe(true);
    expect(seen.map(([uri, size]) => [uri, size])).toEqual([
      [`tar:${archive}!/m/c/ckpt-0.data-00001-of-00002`, big.length],
      [`tar:${archive}!/m/c/ckpt-0.data-00000-of-00002`, 4],
      [`tar:${archive}!/m/c/ckpt-0.index`, 3],
    ]);
    expect(seen[0]![2].equals(big)).toBe(true);
    expect(seen[2]![2].toString()).toBe('idx');
    expect((await listAll(gfile, `tar:${archive}!/`, true)).map((f) => f.name).sort()).toEqual(['ckpt-0.data-00000-of-00002', 'ckpt-0.data-00001-of-00002', 'ckpt-0.index', 'other']);
    expect(await gfile.readText(`tar:${archive}!/m/c/ckpt-0.index`)).toBe('idx');
    expect(gfile.metrics.snapshot().requests.get - before.requests.get).toBe(1);
  });

  it('a scan after the listing: no request when the listing pass kept every file wanted, one pass otherwise', async () => {
    const { gfile, store } = fresh();
    const big = pattern(13, 5 * 2 ** 20);
    const archive = `memory://${store}/z.tar.gz`;
    await put(gfile, archive, makeTgz([{ path: 'a/small', data: 's' }, { path: 'b/big', data: big }, { path: 'b/small', data: 't' }]));
    await listAll(gfile, `tar:${archive}!/`, true);
    const gets = () => gfile.metrics.snapshot().requests.get;
    const before = gets();
    const got: string[] = [];
    await gfile.scan(`tar:${archive}!/a/`, async (file, body) => void got.push(`${file.name}=${(await collect(body)).toString()}`));
    expect(got).toEqual(['small=s']);
    expect(gets() - before).toBe(0);
    const sizes: number[] = [];
    await gfile.scan(`tar:${archive}!/b/`, async (_file, body) => void sizes.push((await collect(body)).length));
    expect(sizes).toEqual([big.length, 1]);
    expect(gets() - before).toBe(1);
  });

  it('only: just the files named are handed over; after the listing, no request when the pass kept them all, else one pass', async () => {
    const { gfile, store } = fresh();
    const big = (seed: number) => Buffer.from(Array.from({ length: 5 * 2 ** 20 }, (_, i) => (i * seed) ^ (i >> 8) ^ (i >> 16) ^ ((i * 2654435761) >>> 24)));
    const archive = `memory://${store}/z.tar.gz`;
    const bytes = makeTgz([{ path: 'd/big1', data: big(3) }, { path: 'd/small', data: 's' }, { path: 'd/big2', data: big(5) }, { path: 'd/big3', data: big(7) }]);
    await put(gfile, archive, bytes);
    const uri = (name: string) => `tar:${archive}!/d/${name}`;
    const got: string[] = [];
    const visit = async (file: FileInfo, body: AsyncIterable<Uint8Array>) => void got.push(`${file.name}:${(await collect(body)).length}`);
    // As the listing pass: only those handed over, the index built whole.
    expect(await gfile.scan(uri(''), visit, { only: [uri('small')] })).toBe(true);
    expect(got).toEqual(['small:1']);
    expect((await listAll(gfile, uri(''))).map((f) => f.name)).toEqual(['big1', 'big2', 'big3', 'small']);
    const snap = () => gfile.metrics.snapshot();
    let before = snap();
    got.length = 0;
    await gfile.scan(uri(''), visit, { only: [uri('small')] });
    expect(got).toEqual(['small:1']);
    expect(snap().requests.get - before.requests.get).toBe(0);
    before = snap();
    got.length = 0;
    await gfile.scan(uri(''), visit, { only: [uri('big2'), uri('small')] });
    expect(got).toEqual(['small:1', `big2:${5 * 2 ** 20}`]);
    expect(snap().requests.get - before.requests.get).toBe(1);
    // Where the pass stops is seen in the bytes of a streamed read: test/archives/verify-tgz.test.ts.
  });

  it('a visitor that reads nothing or part lets the pass go on; one that throws stops it with its error; other stores say false and read nothing', async () => {
    const { gfile, store } = fresh();
    const archive = `memory://${store}/z.tar.gz`;
    await put(gfile, archive, makeTgz([{ path: 'm/a', data: pattern(3, 300_000) }, { path: 'm/b', data: pattern(5, 300_000) }, { path: 'm/c', data: 'c' }]));
    const names: string[] = [];
    await gfile.scan(`tar:${archive}!/m/`, async (file, body) => {
      names.push(file.name);
      if (file.name === 'a') for await (const _ of body) break;
    });
    expect(names).toEqual(['a', 'b', 'c']);
    const { gfile: g2 } = fresh();
    await put(g2, archive, makeTgz([{ path: 'm/a', data: 'a' }, { path: 'm/b', data: pattern(5, 300_000) }]));
    await expect(g2.scan(`tar:${archive}!/m/`, async () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    const before = gfile.metrics.snapshot().requests;
    expect(await gfile.scan(`memory://${store}/`, async () => undefined)).toBe(false);
    expect(gfile.metrics.snapshot().requests).toEqual(before);
  });

  it('an archive whose name does not say: scanned when its bytes are gzip, false (having handed nothing over) when a plain tar', async () => {
    const { gfile, store } = fresh();
    const entries: TarEntry[] = [{ path: 'm/a', data: 'aa' }, { path: 'm/b', data: 'b' }];
    await put(gfile, `memory://${store}/gz.bin`, makeTgz(entries));
    await put(gfile, `memory://${store}/plain.bin`, makeTar(entries));
    const seen: string[] = [];
    expect(await gfile.scan(`tar:memory://${store}/gz.bin!/m/`, async (file, body) => void seen.push(`${file.name}=${(await collect(body)).toString()}`))).toBe(true);
    expect(seen).toEqual(['a=aa', 'b=b']);
    expect(await gfile.scan(`tar:memory://${store}/plain.bin!/m/`, async (file) => void seen.push(file.name))).toBe(false);
    expect(seen).toHaveLength(2);
    // The view still lists and reads the plain tar.
    expect((await listAll(gfile, `tar:memory://${store}/plain.bin!/m/`)).map((f) => f.name)).toEqual(['a', 'b']);
    expect(await gfile.readText(`tar:memory://${store}/plain.bin!/m/a`)).toBe('aa');
  });

  it('a truncated archive: the scan is CORRUPT and the member being read fails, never ends as if whole', async () => {
    const { gfile, store } = fresh();
    const archive = `memory://${store}/cut.tar.gz`;
    const whole = makeTgz([{ path: 'm/a', data: pattern(11, 2 * 2 ** 20) }, { path: 'm/b', data: 'b' }]);
    await put(gfile, archive, whole.subarray(0, Math.floor(whole.length / 2)));
    let bodyError: unknown;
    const scanned = gfile.scan(`tar:${archive}!/m/`, async (_file, body) => {
      try {
        await collect(body);
      } catch (error) {
        bodyError = error;
        throw error;
      }
    });
    expect(await codeOf(scanned)).toBe('CORRUPT');
    expect(bodyError).toBeDefined();
  });
});

describe('.tar.gz shared passes', () => {
  it('reads of large members in name order, fewer at once than members, from an archive that holds them in reverse: every byte right', async () => {
    const { gfile, store } = fresh();
    const members = Array.from({ length: 12 }, (_, i) => Buffer.alloc(5 * 2 ** 20, i + 1));
    const archive = `memory://${store}/rev.tar.gz`;
    await put(gfile, archive, makeTgz(members.map((data, i) => ({ path: `m/s${i}`, data })).reverse()));
    await listAll(gfile, `tar:${archive}!/`, true);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < members.length; i = next++) expect(Buffer.from(await gfile.readFile(`tar:${archive}!/m/s${i}`)).equals(members[i]!)).toBe(true);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  });
});

describe('member URIs', () => {
  it('members and archives whose names hold #, !, :: and .tar.gz/ round-trip', async () => {
    const { gfile, store } = fresh();
    const weird = [{ path: 'a!b/x#1::y.tar.gz/ckpt-1.index', data: 'i' }, { path: 'a!b/%41', data: 'p' }];
    const archive = `memory://${store}/dir!/z%::#.tar.gz`;
    await put(gfile, archive, makeTgz(weird));
    const escaped = `memory://${store}/dir%21/z%25::#.tar.gz`;
    const files = await listAll(gfile, `tar:${escaped}!/`, true);
    expect(files.filter((f) => f.kind === 'file').map((f) => f.uri)).toEqual([`tar:${escaped}!/a!b/%41`, `tar:${escaped}!/a!b/x#1::y.tar.gz/ckpt-1.index`]);
    for (const f of files.filter((x) => x.kind === 'file')) expect((await gfile.stat(f.uri)).uri).toBe(f.uri);
    expect(await gfile.readText(`tar:${escaped}!/a!b/%41`)).toBe('p');
  });

  it('malformed member URIs are INVALID_PATH', async () => {
    const { gfile } = fresh();
    for (const bad of ['tar:', 'tar:!/x', 'zip:memory://s/a.zip!x', 'tar:memory://s/a%2.tar!/x', 'tar:memory://s/dir/!/x']) {
      expect(await codeOf(gfile.locate(bad)), bad).toBe('INVALID_PATH');
    }
  });
});

describe('hostile archives', () => {
  it('tar: unsafe names, links and specials are not listed, and say why', async () => {
    const { gfile, store } = fresh();
    const archive = `memory://${store}/h.tar`;
    await put(gfile, archive, makeTar([
      { path: '../x', data: 'escape' },
      { path: '/abs', data: 'abs' },
      { path: 'C:\\x', data: 'drive' },
      { path: 'ok/../../y', data: 'dots' },
      { path: 'ok/link', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      { path: 'ok/hard', type: 'Link', linkpath: '../../outside' },
      { path: 'ok/fifo', type: 'FIFO' },
      { path: './ok/./file', data: 'fine' },
      { path: 'dup', data: 'first' },
      { path: 'dup', data: 'second' },
    ]));
    const files = await listAll(gfile, `tar:${archive}!/`, true);
    expect(files.filter((f) => f.kind === 'file').map((f) => f.uri)).toEqual([`tar:${archive}!/dup`, `tar:${archive}!/ok/file`]);
    // Duplicate names: the last one wins, as tar extracts them.
    expect(await gfile.readText(`tar:${archive}!/dup`)).toBe('second');
    expect(await codeOf(gfile.readFile(`tar:${archive}!/ok/link`))).toBe('NOT_SUPPORTED');
    expect(await codeOf(gfile.readFile(`tar:${archive}!/ok/hard`))).toBe('NOT_SUPPORTED');
  });

  it('truncated and garbage archives are CORRUPT', async () => {
    const { gfile, store } = fresh();
    const tar = makeTar(ENTRIES);
    const tgz = makeTgz(ENTRIES);
    const zip = await makeZip([{ path: 'a/b', data: 'x'.repeat(5000) }]);
    const cases: [string, Uint8Array][] = [
      ['t1.tar', tar.subarray(0, 1200)],
      ['t2.tar.gz', tgz.subarray(0, tgz.length - 30)],
      ['t3.zip', zip.subarray(0, zip.length - 10)],
      ['t4.zip', zip.subarray(40)],
      ['t5.tar', Buffer.alloc(2048, 0x41)],
      ['t6.tar.gz', Buffer.from('not gzip at all')],
      ['t7.zip', Buffer.alloc(100, 1)],
    ];
    for (const [name, bytes] of cases) {
      await put(gfile, `memory://${store}/${name}`, bytes);
      const scheme = name.endsWith('.zip') ? 'zip' : 'tar';
      expect(await codeOf(listAll(gfile, `${scheme}:memory://${store}/${name}!/`, true)), name).toBe('CORRUPT');
    }
  });

  it('zip: duplicate names, a local header that disagrees, and overlapping members are CORRUPT', async () => {
    const { gfile, store } = fresh();
    const dup = renameInZip(await makeZip([{ path: 'a/x', data: '1' }, { path: 'a/y', data: '2' }]), 'a/y', 'a/x');
    await put(gfile, `memory://${store}/dup.zip`, dup);
    expect(await codeOf(listAll(gfile, `zip:memory://${store}/dup.zip!/`, true))).toBe('CORRUPT');
    const disagree = renameInZip(await makeZip([{ path: 'a/x', data: '1' }]), 'a/x', 'a/z', 'local');
    await put(gfile, `memory://${store}/dis.zip`, disagree);
    expect((await listAll(gfile, `zip:memory://${store}/dis.zip!/`, true)).map((f) => f.name)).toContain('x');
    expect(await codeOf(gfile.readFile(`zip:memory://${store}/dis.zip!/a/x`))).toBe('CORRUPT');
    const unsafe = renameInZip(await makeZip([{ path: 'aa/x', data: '1' }, { path: 'ok', data: '2' }]), 'aa/x', '../x');
    await put(gfile, `memory://${store}/unsafe.zip`, unsafe);
    expect((await listAll(gfile, `zip:memory://${store}/unsafe.zip!/`, true)).map((f) => f.name)).toEqual(['ok']);
  });

  it('zip bombs and gzip bombs stop at the limits, in bounded time', async () => {
    const gfile = createGFile({ retry: false, archiveLimits: { ratioFloor: 1024 * 1024, maxRatio: 100 } });
    const store = `bomb-${process.pid}`;
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    await put(gfile, `memory://${store}/bomb.zip`, await makeZip([{ path: 'z', data: zeros }]));
    expect(await codeOf(listAll(gfile, `zip:memory://${store}/bomb.zip!/`))).toBe('CORRUPT');
    await put(gfile, `memory://${store}/bomb.tar.gz`, gzipSync(makeTar([{ path: 'z', data: zeros }])));
    const t0 = Date.now();
    expect(await codeOf(listAll(gfile, `tar:memory://${store}/bomb.tar.gz!/`))).toBe('CORRUPT');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('an archive with more members than the limit is CORRUPT, early', async () => {
    const gfile = createGFile({ retry: false, archiveLimits: { maxMembers: 1000 } });
    const store = `many-${process.pid}`;
    const entries = Array.from({ length: 1500 }, (_, i) => ({ path: `m/${i}`, data: '' }));
    await put(gfile, `memory://${store}/many.tar`, makeTar(entries));
    expect(await codeOf(listAll(gfile, `tar:memory://${store}/many.tar!/`))).toBe('CORRUPT');
    await put(gfile, `memory://${store}/many.zip`, await makeZip(entries));
    expect(await codeOf(listAll(gfile, `zip:memory://${store}/many.zip!/`))).toBe('CORRUPT');
  });

  it('a million empty members: refused at the member limit, in bounded time and memory, never indexed whole', async () => {
    const gfile = createGFile({ retry: false });
    const store = `million-${process.pid}`;
    // 1,000,000 headers of empty files (512 MB of tar) as a .tar.gz of about 1 MB.
    const block = makeTar([{ path: 'm/empty', data: '' }], { end: false });
    const chunk = Buffer.concat(Array.from({ length: 2000 }, () => block));
    const gz = createGzip();
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((r) => gz.on('end', r));
    for (let i = 0; i < 500; i++) if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
    gz.end(Buffer.alloc(1024));
    await done;
    await put(gfile, `memory://${store}/million.tar.gz`, Buffer.concat(out));
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    const error = await listAll(gfile, `tar:memory://${store}/million.tar.gz!/`).then(() => undefined, (e: unknown) => e);
    expect(isCkptError(error, 'CORRUPT')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(256 * 2 ** 20);
    // A zip says how many members it has in its end record: refused before its directory is read.
    const zip = await makeZip([{ path: 'a', data: '' }], { zip64: true });
    const eocd64 = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
    zip.writeBigUInt64LE(1_000_000n, eocd64 + 24);
    zip.writeBigUInt64LE(1_000_000n, eocd64 + 32);
    await put(gfile, `memory://${store}/million.zip`, zip);
    const before = gfile.metrics.snapshot().requests.get;
    expect(await codeOf(listAll(gfile, `zip:memory://${store}/million.zip!/`))).toBe('CORRUPT');
    expect(gfile.metrics.snapshot().requests.get - before).toBeLessThanOrEqual(2);
  }, 60_000);
});
