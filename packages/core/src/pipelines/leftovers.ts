/**
 * Leftovers of writes that never finished: a local temporary file (`.NAME.ckpt-tmp-HOST-PID-RAND`),
 * an S3 multipart upload, a GCS resumable upload session, left behind by a process that was
 * killed (`kill -9`, a power cut) before it could finish or abandon them.
 */
import { isCkptError, type GFile, type UnfinishedWrite } from '@ckptkit/gfile';

/** Default age after which an unfinished write is a leftover whoever started it: a day. */
export const LEFTOVER_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** A write another run of this program recorded and never saw end, its process now dead. */
export interface DeadWrite {
  /** The file the write was going to create. */
  uri: string;
  /** Its upload id or session URI. */
  id: string;
}

/** Options of {@link removeLeftovers}. */
export interface LeftoverOptions {
  gfile: GFile;
  /** Unfinished writes older than this are leftovers whoever started them (default a day). */
  maxAgeMs?: number | undefined;
  /** Writes recorded by runs that are known to be dead: leftovers at any age. */
  deadWrites?: readonly DeadWrite[] | undefined;
  /** The clock (tests). */
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
}

/** One leftover removed, and the rule that made it one. */
export interface RemovedLeftover {
  uri: string;
  id: string;
  why: 'owner-dead' | 'recorded-dead' | 'older-than-max-age';
}

/** A leftover that could not be removed: `permanent` when the store cannot (NOT_SUPPORTED), else left for a later run. */
export interface KeptLeftover {
  uri: string;
  id: string;
  reason: string;
  permanent: boolean;
}

/** What {@link removeLeftovers} did. */
export interface LeftoverReport {
  removed: RemovedLeftover[];
  kept: KeptLeftover[];
}

/**
 * Why an unfinished write is a leftover, or undefined when it may still be someone's live write.
 * The rules, in order: the process that started it is known to be alive (same machine): never;
 * known dead: yes; recorded by a run now dead: yes; otherwise only once older than `maxAgeMs`
 * (another machine's write, or a name without owner). A live writer is never touched, except one
 * that went a whole `maxAgeMs` without writing a byte (local files: the age is the last write).
 */
export function leftoverReason(w: UnfinishedWrite, deadIds: ReadonlySet<string>, now: Date, maxAgeMs: number): RemovedLeftover['why'] | undefined {
  if (w.ownerAlive === true) return undefined;
  if (w.ownerAlive === false) return 'owner-dead';
  if (deadIds.has(w.id)) return 'recorded-dead';
  if (w.startedAt !== undefined && now.getTime() - w.startedAt.getTime() > maxAgeMs) return 'older-than-max-age';
  return undefined;
}

/**
 * Removes the leftovers of unfinished writes whose target starts with `prefixUri` (a checkpoint
 * prefix such as `…/run/ckpt-5`, or a directory `…/run/ckpt-5/`): the temporary files and
 * multipart uploads the store lists (one listing), judged by {@link leftoverReason}, and the
 * recorded `deadWrites` under that prefix the store cannot list (GCS sessions). Each one is one
 * request to abandon. Failures are reported in `kept`, never thrown (only the listing may throw):
 * left for a later run, or for good where the store cannot abandon writes (a GCS emulator without
 * session cancel: the session expires on its own).
 */
export async function removeLeftovers(prefixUri: string, options: LeftoverOptions): Promise<LeftoverReport> {
  const { gfile, signal } = options;
  const now = options.now ?? new Date();
  const maxAgeMs = options.maxAgeMs ?? LEFTOVER_MAX_AGE_MS;
  const dead = (options.deadWrites ?? []).filter((w) => w.uri.startsWith(prefixUri));
  const deadIds = new Set(dead.map((w) => w.id));
  const removed: RemovedLeftover[] = [];
  const kept: KeptLeftover[] = [];
  const abandon = async (uri: string, id: string, why: RemovedLeftover['why']) => {
    try {
      if (await gfile.abandonWrite(uri, id, { signal })) removed.push({ uri, id, why });
      else kept.push({ uri, id, reason: 'the store cannot abandon unfinished writes', permanent: true });
    } catch (error) {
      if (signal?.aborted) throw error;
      kept.push({ uri, id, reason: isCkptError(error) ? `${error.code}: ${error.message}` : String(error), permanent: isCkptError(error, 'NOT_SUPPORTED') });
    }
  };
  const listed = await gfile.unfinishedWrites(prefixUri, { signal });
  const seen = new Set<string>();
  for (const w of listed) {
    seen.add(w.id);
    const why = leftoverReason(w, deadIds, now, maxAgeMs);
    if (why) await abandon(w.uri, w.id, why);
  }
  for (const w of dead) if (!seen.has(w.id)) await abandon(w.uri, w.id, 'recorded-dead');
  return { removed, kept };
}
