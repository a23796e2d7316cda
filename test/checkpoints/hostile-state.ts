/**
 * Hostile state files, run against every store (memory, local, S3 on Ceph RGW, GCS on the
 * emulator): every shape of test/fuzz/hostile-state-shapes.ts at full size resolves in bounded time in both modes,
 * with the answer the rules give; paths no store can hold are a property of the file (robust notes
 * them and scans, `tf` answers what TensorFlow answers), never an INVALID_PATH; no request is sent
 * for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint, readStateReport } from '@ckptkit/core';
import { type GFile, isCkptError } from '@ckptkit/gfile';
import { hostileShapes } from '../fuzz/hostile-state-shapes.js';

export interface HostileStateContext {
  gfile: GFile;
  /** An empty directory URI of the store, without a trailing slash. */
  root: string;
  cleanup?: () => Promise<void>;
}

export interface HostileStateTarget {
  name: string;
  /** `local`: TensorFlow's local file system rules (C strings); `object`: an object store. */
  kind: 'local' | 'object';
  scheme: 'file' | 'memory' | 's3' | 'gs';
  /** Size of each hostile state file (default 10 MiB). */
  size?: number;
  setup(): Promise<HostileStateContext>;
}

/** CPU time a single resolution may take: generous for CI; the measured numbers are in docs/reliability.md. */
export const CPU_BUDGET_MS = 3000;
/** Wall time a single resolution may take (a hang, not slowness, on a loaded machine). */
export const WALL_BUDGET_MS = 30_000;

/** Runs `fn` and fails when it spends more than the budgets. */
export async function withinBudget<T>(what: string, fn: () => Promise<T>): Promise<{ value: T; cpuMs: number; wallMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  const wallMs = performance.now() - t0;
  if (cpuMs > CPU_BUDGET_MS || wallMs > WALL_BUDGET_MS) throw new Error(`${what}: ${Math.round(cpuMs)} ms CPU, ${Math.round(wallMs)} ms wall (budget ${CPU_BUDGET_MS} ms CPU, ${WALL_BUDGET_MS} ms wall)`);
  return { value, cpuMs, wallMs };
}

export function defineHostileStateSuite(target: HostileStateTarget): void {
  const size = target.size ?? 10 * 1024 * 1024;
  describe(`hostile state files: ${target.name}`, () => {
    let ctx: HostileStateContext;
    let g: GFile;
    const u = (rel: string) => `${ctx.root}/${rel}`;
    const dirFor = (i: number) => u(`shape-${i}`);
    const robust = (dir: string) => latestCheckpoint(dir, { gfile: g });
    const tf = (dir: string) => latestCheckpoint(dir, { gfile: g, mode: 'tf' });
    const requests = async (fn: () => Promise<unknown>) => {
      const before = g.metrics.snapshot().requests;
      await fn();
      const after = g.metrics.snapshot().requests;
      return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]]).filter(([, v]) => v !== 0));
    };
    /** A directory holding the complete checkpoint ckpt-7 and the given state file. */
    const dirWith = async (rel: string, state: string | Uint8Array) => {
      await g.writeFile(u(`${rel}/ckpt-7.index`), 'index');
      await g.writeFile(u(`${rel}/ckpt-7.data-00000-of-00001`), 'data');
      await g.writeFile(u(`${rel}/checkpoint`), state);
      return u(rel);
    };

    beforeAll(async () => {
      ctx = await target.setup();
      g = ctx.gfile;
    }, 600_000);
    afterAll(async () => ctx?.cleanup?.());

    const shapes = hostileShapes(size);
    shapes.forEach((shape, i) => {
      it(`${shape.name} (${shape.kind}, ${(size / 1048576).toFixed(1)} MiB): both modes within ${CPU_BUDGET_MS} ms CPU`, async () => {
        const dir = await dirWith(`shape-${i}`, shape.text);
        const r = (await withinBudget(`robust ${shape.name}`, () => robust(dir))).value;
        expect(r.checkpoint?.prefix).toBe(`${dir}/ckpt-7`);
        expect(r.checkpoint?.source).toBe(shape.kind === 'valid' ? 'state' : 'scan');
        if (shape.kind === 'impossible') expect(r.notes[0]).toMatch(/^the state file names a path no store can hold: /);
        if (shape.kind === 'malformed') expect(r.notes[0]).toMatch(/does not parse/);
        // Notes stay short whatever the file holds.
        for (const note of r.notes) expect(note.length).toBeLessThan(2000);
        const t = (await withinBudget(`tf ${shape.name}`, () => tf(dir))).value;
        const expected = shape.tf ? shape.tf(target.kind) : shape.kind === 'valid' ? 'ckpt-7' : null;
        expect(t.prefix).toBe(expected === null ? null : `${dirFor(i)}/${expected}`);
      }, 120_000);
    });

    it('a 1,000,000-character name and a NUL byte: noted, scanned past, no request for them; TensorFlow: None', async () => {
      const malformed = await dirWith('malformed', 'model_checkpoint_path: [\n');
      const baseline = await requests(() => robust(malformed));
      for (const [rel, recorded] of [
        ['million', 'b'.repeat(1_000_000)],
        ['nul', 'ckpt-9\\000.index'],
        ['nul-absolute', '/elsewhere/ckpt-9\\000'],
      ] as const) {
        const dir = await dirWith(rel, `model_checkpoint_path: "${recorded}"\n`);
        const spent = await requests(async () => {
          const r = await robust(dir);
          expect(r.checkpoint).toMatchObject({ prefix: `${dir}/ckpt-7`, source: 'scan' });
          expect(r.notes[0]).toMatch(rel === 'million' ? /no store can hold: it has a name of 1,000,000 bytes|no store can hold: its key is/ : /no store can hold: it contains a NUL byte/);
        });
        // The state file's GET and the scan's listing, as for a file that does not parse.
        expect(spent).toEqual(baseline);
        expect((await tf(dir)).prefix).toBeNull();
      }
    });

    it("each store's own limits: a 300-byte name, a 1,100-byte key of short names, a line feed (GCS)", async () => {
      const name300 = await dirWith('name300', `model_checkpoint_path: "${'n'.repeat(300)}"\n`);
      const r300 = await robust(name300);
      expect(r300.checkpoint?.prefix).toBe(`${name300}/ckpt-7`);
      // Local names end at 255 bytes; object keys at 1,024: there it is merely absent (a stale file).
      expect(r300.notes[0]).toMatch(target.kind === 'local' ? /no store can hold: it has a name of 300 bytes/ : /which is not a complete checkpoint/);
      const key1100 = await dirWith('key1100', `model_checkpoint_path: "${'k/'.repeat(550)}ckpt-7"\n`);
      const r1100 = await robust(key1100);
      expect(r1100.checkpoint?.prefix).toBe(`${key1100}/ckpt-7`);
      expect(r1100.notes[0]).toMatch(target.kind === 'local' ? /which is not a complete checkpoint/ : /no store can hold: its key is/);
      const lf = await dirWith('linefeed', 'model_checkpoint_path: "ckpt-\\n7"\n');
      const rlf = await robust(lf);
      expect(rlf.checkpoint?.prefix).toBe(`${lf}/ckpt-7`);
      expect(rlf.notes[0]).toMatch(target.scheme === 'gs' ? /no store can hold: it contains a carriage return or line feed/ : /which is not a complete checkpoint/);
      for (const dir of [name300, key1100, lf]) expect((await tf(dir)).prefix).toBeNull();
    });

    it('a control character is a valid name: a checkpoint so named is found and chosen', async () => {
      const dir = await dirWith('control', 'model_checkpoint_path: "ckpt-\\001-9"\n');
      await g.writeFile(`${dir}/ckpt-\u0001-9.index`, 'index');
      await g.writeFile(`${dir}/ckpt-\u0001-9.data-00000-of-00001`, 'data');
      expect((await robust(dir)).checkpoint).toMatchObject({ prefix: `${dir}/ckpt-\u0001-9`, source: 'state' });
      expect((await tf(dir)).prefix).toBe(`${dir}/ckpt-\u0001-9`);
    });

    it('the state report marks paths no store can hold and never throws for them', async () => {
      const dir = await dirWith('report', `model_checkpoint_path: "ckpt-7\\000"\nall_model_checkpoint_paths: "${'r'.repeat(2000)}"\nall_model_checkpoint_paths: "ckpt-7"\n`);
      const report = await readStateReport(dir, { gfile: g });
      expect(report.status).toBe('ok');
      expect(report.paths.map((p) => p.unstorable === undefined)).toEqual([false, false, true]);
      expect(report.paths[0]!.unstorable).toBe('it contains a NUL byte');
    });

    it('a NUL byte in the directory asked about is a wrong invocation: INVALID_PATH, as before', async () => {
      const error = await robust(`${u('x')}\0y`).catch((e: unknown) => e);
      expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
    });
  });
}
