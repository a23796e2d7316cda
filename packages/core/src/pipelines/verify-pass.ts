/**
 * `verify --deep` of a checkpoint in a store read front to back only (a `.tar.gz`, decision
 * 0016): the pass that lists the archive also checks the data. As the pass goes, a `.index`
 * member under the checkpoint's scope is read and parsed, and each data shard of that index that
 * comes after it is checked as it streams by (backpressure: the archive waits for the checksums;
 * no shard is held). A shard that comes before its index cannot be: where its tensors start and
 * end is in the index, and a CRC32C over bytes not yet split into tensors cannot be taken apart
 * afterwards. Such a shard is checked after the pass, from the bytes the listing pass kept when
 * it was small, else by one more pass over just the shards still to check.
 */
import type { GFile } from '@ckptkit/gfile';
import type { ByteSource } from '../bundle/byte-source.js';
import { bytesSource } from '../bundle/byte-source.js';
import { readBundleIndex, type BundleIndex } from '../bundle/index-reader.js';
import { ShardCheck, type EntryResult } from '../bundle/shard-check.js';
import { shardEntries, windowOptions, type VerifyOptions } from '../bundle/verify.js';
import { scanScope } from './staging.js';

/** Bytes of `.index` members one pass holds in all (each is parsed whole anyway); past it, verify reads an index itself. */
export const PASS_INDEX_BYTES = 64 * 2 ** 20;

const DATA_KEY = /^(.*)\.data-(\d{5})-of-(\d{5})$/;

/** An index as the pass read it. */
interface PassIndex {
  bytes: Uint8Array;
  index: BundleIndex;
  /** Its entries by shard ({@link shardEntries}). */
  entries: ReturnType<typeof shardEntries>;
}

/** What one pass checked, by member key. */
export interface PassChecks {
  /** The bytes of the `.index` member `key` as the pass read them (undefined: not read, or not an index). */
  index(key: string): Uint8Array | undefined;
  /** The results of the data shard `key`, checked in the pass against the index {@link PassChecks.index} returns. */
  shard(key: string): readonly EntryResult[] | undefined;
}

/**
 * Where `uri` lies in a store read front to back only: one pass over the files under its scope
 * (as `cp` stages them) that lists the store and checks, by `options` (windows, chunk sizes), every
 * data shard that comes after its `.index`. Undefined, having read nothing, on every other store.
 *
 * @throws what the pass throws (CORRUPT for a damaged archive, ABORTED, storage errors).
 */
export async function checkDuringPass(gfile: GFile, uri: string, options: Pick<VerifyOptions, 'signal' | 'windowSize' | 'chunkSize' | 'maxGap'>): Promise<PassChecks | undefined> {
  if (!(await gfile.locate(uri, 'verify')).adapter.scan) return undefined;
  const indexes = new Map<string, PassIndex | undefined>();
  const shards = new Map<string, { by: PassIndex; results: EntryResult[] }>();
  let held = 0;
  let indexRead = Promise.resolve();
  const scanned = await gfile.scan(
    scanScope(uri),
    async (file, body) => {
      const { key } = await gfile.locate(file.uri, 'verify');
      if (key.endsWith('.index')) {
        // The pass hands over the next member while this one is still being parsed: the visits
        // of the members after it wait for the parse (they wait only for the CPU; its bytes are in).
        const read = indexRead.then(async () => {
          const prefix = key.slice(0, -'.index'.length);
          // A later member of the same name is what listings show: it replaces the earlier, read or not.
          indexes.set(prefix, undefined);
          if (held + file.size > PASS_INDEX_BYTES) return;
          held += file.size;
          indexes.set(prefix, await parsed(await collect(body, file.size), file.uri));
        });
        indexRead = read.catch(() => undefined);
        return read;
      }
      await indexRead;
      const m = DATA_KEY.exec(key);
      const by = m ? indexes.get(m[1]!) : undefined;
      if (!m || !by) return; // not a shard, or before its index (the listing pass keeps it when small)
      const id = Number(m[2]);
      const n = Number(m[3]);
      if (n !== by.index.header.numShards || id >= n) return; // verify does not ask for it
      const check = new ShardCheck(by.entries(id, { src: streamedOnly(file.uri, file.size), size: file.size }), windowOptions(options));
      await check.checkStream(body);
      shards.set(key, { by, results: check.finish() });
    },
    { signal: options.signal },
  );
  if (!scanned) return undefined;
  return {
    index: (key) => (key.endsWith('.index') ? indexes.get(key.slice(0, -'.index'.length))?.bytes : undefined),
    shard: (key) => {
      const done = shards.get(key);
      const m = DATA_KEY.exec(key);
      // Only results taken with the index the listing shows.
      return done && m && indexes.get(m[1]!) === done.by ? done.results : undefined;
    },
  };
}

/** The index, or undefined when it does not parse (verify reads it again and reports why). */
async function parsed(bytes: Uint8Array, uri: string): Promise<PassIndex | undefined> {
  try {
    const index = await readBundleIndex(bytesSource(bytes, uri));
    return { bytes, index, entries: shardEntries(index) };
  } catch {
    return undefined;
  }
}

async function collect(body: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  for await (const chunk of body) {
    out.set(chunk.subarray(0, size - at), at);
    at = Math.min(size, at + chunk.length);
  }
  return out.subarray(0, at);
}

/** A shard's source in a pass: its URI and size; its bytes come only as the pass streams them. */
function streamedOnly(uri: string, size: number): ByteSource {
  return {
    uri,
    size: () => Promise.resolve(size),
    read: () => Promise.reject(new Error(`${uri} is read in one pass only`)),
  };
}
