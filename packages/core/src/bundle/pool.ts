/** A bounded pool for independent async jobs (reads of remote ranges). */
import { abortError } from '@ckptkit/gfile';

/**
 * Runs `jobs` with at most `concurrency` in flight; rejects with the first failure (jobs already
 * started finish, no new one starts) or with ABORTED when `signal` fires.
 */
export async function runPool(jobs: ReadonlyArray<() => Promise<void>>, concurrency: number, signal?: AbortSignal, operation = 'verify'): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < jobs.length) {
      if (signal?.aborted) throw abortError(operation, undefined, signal);
      const job = jobs[next++] as () => Promise<void>;
      try {
        await job();
      } catch (e) {
        if (!failed) {
          failed = true;
          failure = e;
        }
        return;
      }
    }
  };
  const n = Math.max(1, Math.min(Math.floor(concurrency) || 1, jobs.length));
  const results = await Promise.allSettled(Array.from({ length: n }, worker));
  if (failed) throw failure;
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
