import { describe, expect, it } from 'vitest';
import { CkptError, type GFile, type UnfinishedWrite } from '@ckptkit/gfile';
import { LEFTOVER_MAX_AGE_MS, leftoverReason, removeLeftovers } from './leftovers.js';

const now = new Date('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const w = (extra: Partial<UnfinishedWrite>): UnfinishedWrite => ({ key: 'run/ckpt-1.index', id: 'x', ...extra });

describe('leftoverReason', () => {
  const none = new Set<string>();
  it('never a write whose process is known to run, however old', () => {
    expect(leftoverReason(w({ ownerAlive: true, startedAt: ago(10 * LEFTOVER_MAX_AGE_MS) }), new Set(['x']), now, LEFTOVER_MAX_AGE_MS)).toBeUndefined();
  });
  it('a write whose process is known dead, however young', () => {
    expect(leftoverReason(w({ ownerAlive: false, startedAt: now }), none, now, LEFTOVER_MAX_AGE_MS)).toBe('owner-dead');
  });
  it('a write recorded by a dead run', () => {
    expect(leftoverReason(w({ startedAt: now }), new Set(['x']), now, LEFTOVER_MAX_AGE_MS)).toBe('recorded-dead');
  });
  it('otherwise only once older than the maximum age (another machine, no owner)', () => {
    expect(leftoverReason(w({ startedAt: ago(LEFTOVER_MAX_AGE_MS - 1000) }), none, now, LEFTOVER_MAX_AGE_MS)).toBeUndefined();
    expect(leftoverReason(w({ startedAt: ago(LEFTOVER_MAX_AGE_MS + 1000) }), none, now, LEFTOVER_MAX_AGE_MS)).toBe('older-than-max-age');
    expect(leftoverReason(w({}), none, now, LEFTOVER_MAX_AGE_MS)).toBeUndefined();
  });
});

describe('removeLeftovers', () => {
  /** A facade with listed unfinished writes; abandonWrite records its calls and fails on `fail`. */
  function fake(listed: UnfinishedWrite[], fail: Record<string, CkptError> = {}) {
    const abandoned: string[] = [];
    const listedPrefixes: string[] = [];
    const gfile = {
      unfinishedWrites: async (prefix: string) => {
        listedPrefixes.push(prefix);
        return listed.map((u) => ({ ...u, uri: `s3://b/${u.key}` }));
      },
      abandonWrite: async (uri: string, id: string) => {
        if (fail[id]) throw fail[id];
        abandoned.push(`${uri} ${id}`);
        return true;
      },
    } as unknown as GFile;
    return { gfile, abandoned, listedPrefixes };
  }

  it('abandons what the rules call leftovers (one listing, one request each) and reports why', async () => {
    const { gfile, abandoned, listedPrefixes } = fake([
      w({ id: 'old', startedAt: ago(2 * LEFTOVER_MAX_AGE_MS) }),
      w({ id: 'young', startedAt: ago(1000) }),
      w({ id: 'live', ownerAlive: true, startedAt: ago(2 * LEFTOVER_MAX_AGE_MS) }),
      w({ id: 'recorded', startedAt: ago(1000) }),
    ]);
    const r = await removeLeftovers('s3://b/run/ckpt-1', { gfile, now, deadWrites: [{ uri: 's3://b/run/ckpt-1.index', id: 'recorded' }] });
    expect(listedPrefixes).toEqual(['s3://b/run/ckpt-1']);
    expect(abandoned).toEqual(['s3://b/run/ckpt-1.index old', 's3://b/run/ckpt-1.index recorded']);
    expect(r.removed.map((x) => [x.id, x.why])).toEqual([
      ['old', 'older-than-max-age'],
      ['recorded', 'recorded-dead'],
    ]);
    expect(r.kept).toEqual([]);
  });

  it('abandons recorded writes the store cannot list (GCS sessions), only under the prefix', async () => {
    const { gfile, abandoned } = fake([]);
    const r = await removeLeftovers('gs://b/run/ckpt-1', {
      gfile,
      now,
      deadWrites: [
        { uri: 'gs://b/run/ckpt-1.index', id: 'session-1' },
        { uri: 'gs://b/other/ckpt-1.index', id: 'session-2' },
      ],
    });
    expect(abandoned).toEqual(['gs://b/run/ckpt-1.index session-1']);
    expect(r.removed).toHaveLength(1);
  });

  it('failures are kept, not thrown: NOT_SUPPORTED for good, anything else for a later run', async () => {
    const { gfile } = fake([], {
      a: new CkptError('NOT_SUPPORTED', { operation: 'delete', message: 'HTTP 501' }),
      b: new CkptError('UNAVAILABLE', { operation: 'delete', message: 'down' }),
    });
    const r = await removeLeftovers('gs://b/run', {
      gfile,
      deadWrites: [
        { uri: 'gs://b/run/x', id: 'a' },
        { uri: 'gs://b/run/y', id: 'b' },
      ],
    });
    expect(r.removed).toEqual([]);
    expect(r.kept.map((k) => [k.id, k.permanent])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});
