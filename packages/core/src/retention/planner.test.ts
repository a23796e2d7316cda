import { describe, expect, it } from 'vitest';
import { isCkptError } from '@ckptkit/gfile';
import type { Step } from '../discovery/step.js';
import { type RetentionCandidate, planRetention } from './planner.js';
import { parseDuration } from './rules.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function ckpt(step: Step | null, init: Partial<RetentionCandidate> & { hours?: number } = {}): RetentionCandidate {
  const name = init.name ?? (step === null ? 'model.ckpt' : `ckpt-${step}`);
  return {
    name,
    facts: { step, epoch: null, pointer: init.pointer, conversion: false, version: 0, temporary: init.temporary ?? false, mtime: undefined, name },
    complete: init.complete ?? true,
    temporary: init.temporary ?? false,
    timeMs: init.timeMs ?? (init.hours === undefined ? T0 : T0 + init.hours * HOUR),
    pointer: init.pointer,
    unclassifiable: init.unclassifiable,
    problems: init.problems,
  };
}

function run(cands: RetentionCandidate[], rules: Parameters<typeof planRetention>[1], nowMs = T0 + 1000 * HOUR, lastPreservedMs?: number) {
  const plan = planRetention(cands, rules, { nowMs, lastPreservedMs });
  return {
    plan,
    kept: plan.filter((d) => d.action === 'keep').map((d) => d.candidate.name),
    deleted: plan.filter((d) => d.action === 'delete').map((d) => d.candidate.name),
    why: (name: string) => plan.find((d) => d.candidate.name === name)!.reasons.join('; '),
  };
}

const steps = (...s: number[]) => s.map((n) => ckpt(n, { hours: n }));

describe('planRetention: keep rules', () => {
  it('keep-last N keeps the N newest complete, in the order of steps (not names, not input order)', () => {
    const r = run([...steps(1, 2, 3, 10, 20, 100)].reverse().concat([]), { keepLast: 2 });
    expect(r.kept).toEqual(['ckpt-100', 'ckpt-20']);
    expect(r.deleted).toEqual(['ckpt-10', 'ckpt-3', 'ckpt-2', 'ckpt-1']);
    expect(r.why('ckpt-10')).toMatch(/no keep rule/);
    expect(r.why('ckpt-20')).toMatch(/keep-last 2/);
  });

  it('keep-last counts complete checkpoints only, and the newest complete is always kept', () => {
    const r = run([...steps(1, 2, 3), ckpt(4, { complete: false, hours: 4, problems: ['no .index'] }), ckpt(5, { temporary: true, complete: false, hours: 5 })], { keepLast: 2 });
    expect(r.kept).toEqual(['ckpt-5', 'ckpt-4', 'ckpt-3', 'ckpt-2']);
    expect(r.why('ckpt-4')).toMatch(/newer than the newest complete checkpoint ckpt-3/);
    expect(r.why('ckpt-3')).toMatch(/newest complete/);
    expect(r.deleted).toEqual(['ckpt-1']);
  });

  it('deletes incomplete checkpoints older than the newest complete one, saying why', () => {
    const r = run([...steps(1, 5), ckpt(3, { complete: false, hours: 3, problems: ['no .index: interrupted'] })], { keepLast: 5 });
    expect(r.deleted).toEqual(['ckpt-3']);
    expect(r.why('ckpt-3')).toMatch(/incomplete \(no \.index: interrupted\), older than the newest complete checkpoint ckpt-5/);
  });

  it('keep-every-steps keeps multiples of K, exactly for steps beyond 2^53', () => {
    const big = '100000000000000000000'; // 10^20, a multiple of 1000
    const off = '100000000000000000001';
    const r = run([...steps(500, 1000, 1500, 2000, 2500), ckpt(big), ckpt(off)], { keepEverySteps: 1000 });
    expect(r.kept).toEqual([`ckpt-${off}`, `ckpt-${big}`, 'ckpt-2000', 'ckpt-1000']);
    expect(r.why(`ckpt-${off}`)).toMatch(/newest complete/);
    expect(r.deleted).toEqual(['ckpt-2500', 'ckpt-1500', 'ckpt-500']);
  });

  it('--keep STEP keeps exactly those steps (number or digit string)', () => {
    const r = run(steps(1, 2, 3, 4), { keep: [2, '1'] });
    expect(r.kept).toEqual(['ckpt-4', 'ckpt-2', 'ckpt-1']);
    expect(r.why('ckpt-2')).toMatch(/keep 2/);
  });

  it('rules combine as a union', () => {
    const r = run(steps(100, 200, 300, 400, 500, 600, 700), { keepLast: 2, keepEverySteps: 300, keep: [100] });
    expect(r.kept).toEqual(['ckpt-700', 'ckpt-600', 'ckpt-300', 'ckpt-100']);
    expect(r.why('ckpt-600')).toMatch(/keep-last.*keep-every-steps/);
  });
});

describe('planRetention: keep-every-hours (TensorFlow CheckpointManager._sweep)', () => {
  it('keeps the first checkpoint at least H hours after the last kept one, oldest first', () => {
    // One checkpoint every 20 minutes for 5 hours.
    const cands = Array.from({ length: 16 }, (_, i) => ckpt(i * 100, { timeMs: T0 + i * 20 * 60_000 }));
    const r = run(cands, { keepEveryHours: 1 });
    // Anchor: 1 s before the oldest (a manager created just before its first save): t0+1h-1s is
    // passed first by the checkpoint at 60 min, then 120, 180, 240, 300 min.
    expect(r.kept).toEqual(['ckpt-1500', 'ckpt-1200', 'ckpt-900', 'ckpt-600', 'ckpt-300']);
  });

  it('ties at exactly H hours keep (>=), and the state file\'s last_preserved_timestamp is the anchor', () => {
    const cands = [ckpt(1, { timeMs: T0 }), ckpt(2, { timeMs: T0 + HOUR }), ckpt(3, { timeMs: T0 + 2 * HOUR }), ckpt(4, { timeMs: T0 + 2.5 * HOUR })];
    expect(run(cands, { keepEveryHours: 1 }, undefined, T0).kept).toEqual(['ckpt-4', 'ckpt-3', 'ckpt-2']);
    // From 1.5 h: ckpt-3 (2 h) is only 0.5 h later; ckpt-4 (2.5 h) is exactly 1 h later.
    const resumed = run(cands, { keepEveryHours: 1 }, undefined, T0 + 1.5 * HOUR);
    expect(resumed.kept).toEqual(['ckpt-4']);
    expect(resumed.why('ckpt-4')).toMatch(/keep-every-hours 1/);
  });

  it('checkpoints of unknown time are neither kept nor counted by the hours rule', () => {
    const cands = [ckpt(1, { timeMs: T0 }), ckpt(2, { timeMs: undefined }), ckpt(3, { timeMs: T0 + 3 * HOUR }), ckpt(4, { timeMs: T0 + 3.1 * HOUR })];
    cands[1]!.timeMs = undefined;
    const r = run(cands, { keepEveryHours: 2 });
    expect(r.kept).toEqual(['ckpt-4', 'ckpt-3']);
    expect(r.deleted).toEqual(['ckpt-2', 'ckpt-1']);
  });
});

describe('planRetention: older-than and the clock', () => {
  it('deletes only what is older than the duration, measured from the injected now', () => {
    const cands = steps(1, 2, 3, 4, 5, 6); // written at T0 + step hours
    const now = T0 + 7 * HOUR;
    const r = run(cands, { keepLast: 1, olderThanMs: 3.5 * HOUR }, now);
    expect(r.deleted).toEqual(['ckpt-3', 'ckpt-2', 'ckpt-1']);
    expect(r.why('ckpt-4')).toMatch(/not older than/);
    expect(run(cands, { keepLast: 1, olderThanMs: 3.5 * HOUR }, now + HOUR).deleted).toEqual(['ckpt-4', 'ckpt-3', 'ckpt-2', 'ckpt-1']);
  });

  it('older-than alone is a rule; a checkpoint of unknown time is kept; a future time is not old', () => {
    const cands = [...steps(1, 2, 3), ckpt(0, { timeMs: undefined })];
    cands[3]!.timeMs = undefined;
    const r = run(cands, { olderThanMs: 0 }, T0 + 2.5 * HOUR);
    expect(r.deleted).toEqual(['ckpt-2', 'ckpt-1']);
    expect(r.why('ckpt-0')).toMatch(/time is unknown/);
    expect(run(steps(1, 2, 3), { olderThanMs: 0 }, T0).deleted).toEqual([]);
  });
});

describe('planRetention: never deleted', () => {
  it('keeps what a pointer names, even when old', () => {
    const r = run([...steps(1, 2, 3), ckpt(0, { pointer: 'latest', hours: 0 })], { keepLast: 1 });
    expect(r.kept).toEqual(['ckpt-3', 'ckpt-0']);
    expect(r.why('ckpt-0')).toMatch(/named by latest/);
  });

  it('keeps everything newer than the newest complete checkpoint (a save in progress), and everything when none is complete', () => {
    const r = run([ckpt(1), ckpt(2), ckpt(3, { complete: false }), ckpt(4, { temporary: true, complete: false })], { keepLast: 1 });
    expect(r.kept).toEqual(['ckpt-4', 'ckpt-3', 'ckpt-2']);
    const none = run([ckpt(1, { complete: false }), ckpt(2, { complete: false })], { keepLast: 1 });
    expect(none.deleted).toEqual([]);
    expect(none.why('ckpt-1')).toMatch(/no complete checkpoint/);
  });

  it('keeps checkpoints it cannot place (no step) or classify, with why', () => {
    const r = run([...steps(1, 2, 3), ckpt(null), ckpt(0, { name: 'snap', unclassifiable: 'a hub snapshot' })], { keepLast: 1 });
    expect(r.kept).toEqual(['ckpt-3', 'model.ckpt', 'snap'].sort((a, b) => r.kept.indexOf(a) - r.kept.indexOf(b)));
    expect(r.why('model.ckpt')).toMatch(/no step/);
    expect(r.why('snap')).toMatch(/cannot be classified: a hub snapshot/);
  });

  it('equal steps: the order decides which is newest (temporary after finished, pointer first)', () => {
    const a = ckpt(5, { name: 'ckpt-5' });
    const b = ckpt(5, { name: 'ckpt-5-tmp', temporary: true, complete: false });
    const r = run([b, a, ckpt(4)], { keepLast: 1 });
    expect(r.why('ckpt-5')).toMatch(/newest complete/);
    expect(r.deleted).toEqual(['ckpt-5-tmp', 'ckpt-4']);
  });
});

describe('rules', () => {
  it('refuses to plan without a keep rule, and bad values', () => {
    for (const rules of [{}, { keepLast: 0 }, { keepEverySteps: 0 }, { keepEveryHours: -1 }, { keep: ['x'] }, { olderThanMs: Number.NaN }]) {
      let caught: unknown;
      try {
        planRetention(steps(1), rules as never, { nowMs: 0 });
      } catch (error) {
        caught = error;
      }
      expect(isCkptError(caught, 'INVALID_CONFIG'), JSON.stringify(rules)).toBe(true);
    }
  });

  it('parses durations', () => {
    expect(parseDuration('7d')).toBe(7 * 24 * HOUR);
    expect(parseDuration('1d12h')).toBe(36 * HOUR);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('1.5h')).toBe(1.5 * HOUR);
    expect(parseDuration('2w')).toBe(14 * 24 * HOUR);
    expect(parseDuration('250ms')).toBe(250);
    for (const bad of ['', '7', 'd', '7 days', '-1d', '1h-']) expect(parseDuration(bad), bad).toBeUndefined();
  });
});
