import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCkptError, rangedBody, type BodyRange } from '@ckptkit/gfile';
import { TEMP_MARKER, createLocalAdapter } from './index.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ranged-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setTimeout(r, 1));

interface Plan {
  /** Bytes this range brings instead of its own (shorter, longer). */
  deliver?: Uint8Array;
  fail?: Error;
  /** Waits for the signal and records that it fired. */
  hang?: boolean;
}

/** Ranges of `data` in `n` parts, delivered in small chunks with pauses (later ranges faster, so they finish first). */
function ranges(data: Uint8Array, n: number, plans: Record<number, Plan> = {}, log: string[] = []): BodyRange[] {
  const step = Math.ceil(data.length / n);
  const out: BodyRange[] = [];
  for (let i = 0; i * step < data.length; i++) {
    const offset = i * step;
    const length = Math.min(step, data.length - offset);
    const plan = plans[i] ?? {};
    out.push({
      offset,
      length,
      async *open(signal) {
        log.push(`open ${i}`);
        if (plan.hang) {
          // Stopped before it opened (a slow machine: the abort came while the file was created) or while it hangs.
          await new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));
          log.push(`stopped ${i}`);
          throw new Error('aborted');
        }
        const mine = plan.deliver ?? data.subarray(offset, offset + length);
        for (let at = 0; at < mine.length; at += 4096) {
          for (let k = 0; k < n - i; k++) await tick();
          yield mine.slice(at, at + 4096);
        }
        if (plan.fail) throw plan.fail;
        log.push(`done ${i}`);
      },
    });
  }
  return out;
}

const leftovers = async () => (await fs.readdir(dir)).filter((f) => f.includes(TEMP_MARKER));
const key = (name: string) => path.join(dir, name).slice(1);

describe('local adapter: ranged bodies', () => {
  it('writes the ranges side by side at their offsets, finishing out of order, into one whole file', async () => {
    const adapter = createLocalAdapter();
    expect(adapter.capabilities.rangedWrites).toBe(true);
    const data = randomBytes(300_000);
    const log: string[] = [];
    await adapter.write(key('f.bin'), rangedBody(ranges(data, 4, {}, log), { concurrency: 4 }));
    expect(Buffer.from(await fs.readFile(path.join(dir, 'f.bin'))).equals(data)).toBe(true);
    // All four were open before the first finished, and the last range finished first.
    expect(log.slice(0, 4)).toEqual(['open 0', 'open 1', 'open 2', 'open 3']);
    expect(log[4]).toBe('done 3');
    expect(await leftovers()).toEqual([]);
  });

  it('keeps at most `concurrency` ranges open', async () => {
    const data = randomBytes(100_000);
    const log: string[] = [];
    await createLocalAdapter().write(key('g.bin'), rangedBody(ranges(data, 5, {}, log), { concurrency: 2 }));
    let open = 0;
    let most = 0;
    for (const e of log) {
      open += e.startsWith('open') ? 1 : -1;
      most = Math.max(most, open);
    }
    expect(most).toBe(2);
    expect(Buffer.from(await fs.readFile(path.join(dir, 'g.bin'))).equals(data)).toBe(true);
  });

  it.each([
    ['short', (d: Uint8Array) => d.subarray(0, 1000), /ended after 1000 of 25000 bytes/],
    ['long', (d: Uint8Array) => Buffer.concat([d.subarray(0, 25_000), Buffer.alloc(10)]), /brought more than 25000 bytes/],
  ])('a range that brings %s of its length fails the write CORRUPT; the old file stays, no temporary is left', async (_, deliver, message) => {
    const data = randomBytes(100_000);
    await fs.writeFile(path.join(dir, 'h.bin'), 'old');
    const body = rangedBody(ranges(data, 4, { 1: { deliver: deliver(data.subarray(25_000, 50_000)) } }), { concurrency: 4 });
    const error = await createLocalAdapter().write(key('h.bin'), body).catch((e: unknown) => e);
    expect(isCkptError(error, 'CORRUPT'), String(error)).toBe(true);
    expect(String(error)).toMatch(message);
    expect(await fs.readFile(path.join(dir, 'h.bin'), 'utf8')).toBe('old');
    expect(await leftovers()).toEqual([]);
  });

  it('the first failing range stops the others (their signal fires) and its error is the one thrown', async () => {
    const data = randomBytes(100_000);
    const log: string[] = [];
    const body = rangedBody(ranges(data, 4, { 0: { hang: true }, 2: { fail: new Error('connection reset') } }, log), { concurrency: 4 });
    await expect(createLocalAdapter().write(key('i.bin'), body)).rejects.toThrow('connection reset');
    expect(log).toContain('stopped 0');
    await expect(fs.access(path.join(dir, 'i.bin'))).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it("the caller's signal aborts every range: ABORTED, nothing written", async () => {
    const data = randomBytes(100_000);
    const log: string[] = [];
    const controller = new AbortController();
    const body = rangedBody(ranges(data, 2, { 0: { hang: true }, 1: { hang: true } }, log), { concurrency: 2 });
    const writing = createLocalAdapter().write(key('j.bin'), body, { signal: controller.signal }).catch((e: unknown) => e);
    await tick();
    controller.abort();
    const error = await writing;
    expect(log.filter((e) => e.startsWith('stopped')).sort()).toEqual(['stopped 0', 'stopped 1']);
    expect(isCkptError(error, 'ABORTED') || String(error).includes('aborted'), String(error)).toBe(true);
    expect(await leftovers()).toEqual([]);
  });
});
