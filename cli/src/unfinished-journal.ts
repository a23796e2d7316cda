/**
 * The records that let a later run clean up after a killed one. An S3 multipart upload or a GCS
 * resumable session carries no mark of who started it (S3 lists uploads by key and date only; GCS
 * does not list sessions at all), so each `ckpt` process writes down the ones it opens, in
 * `$XDG_STATE_HOME/ckptkit/unfinished/HOST-PID.jsonl` (default `~/.local/state/...`; HOST as in
 * the local adapter's temporary names), one JSON line per start and per end, mode 0600 (a GCS
 * session URI is a bearer capability). A process that ends with nothing open removes its file.
 *
 * A file of this machine whose process no longer runs names that process's unfinished uploads:
 * `ckpt cp` abandons those under its destination before copying (see core's removeLeftovers), and
 * rewrites the file without them (deletes it once empty). Records of live processes, and of other
 * machines, are never acted on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { UnfinishedWriteListener } from '@ckptkit/gfile';

/** A write recorded by a process that no longer runs. */
export interface RecordedWrite {
  uri: string;
  id: string;
}

interface Line {
  phase: 'started' | 'ended';
  uri: string;
  id: string;
}

const FILE = /^([0-9a-f]{8})-([1-9][0-9]{0,9})\.jsonl$/;

/** Where the records are kept. */
export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'ckptkit', 'unfinished');
}

/**
 * This process's record: a listener for the adapters' `onUnfinishedWrite`, appending one line per
 * event (synchronously: a record must be on disk before the upload it names can be orphaned).
 * Failing to write a record never fails the upload.
 */
export function createJournal(host: string, env: NodeJS.ProcessEnv = process.env): { listener: UnfinishedWriteListener; close: () => void } {
  const file = path.join(journalDir(env), `${host}-${process.pid}.jsonl`);
  const open = new Set<string>();
  let created = false;
  const listener: UnfinishedWriteListener = ({ phase, uri, id }) => {
    if (phase === 'started') open.add(id);
    else if (!open.delete(id)) return;
    try {
      if (!created) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        created = true;
      }
      fs.appendFileSync(file, `${JSON.stringify({ phase, uri, id })}\n`, { mode: 0o600 });
    } catch {
      // no record: the age rule still applies to this upload
    }
  };
  const close = () => {
    if (created && open.size === 0) fs.rmSync(file, { force: true });
  };
  return { listener, close };
}

/** Whether a process of this machine runs (EPERM: as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The uploads that processes of this machine recorded as started, never as ended, and that no
 * longer run; and `settle`, which rewrites their records without the ones given (abandoned now),
 * deleting a record left empty.
 */
export function readDeadRecords(host: string, env: NodeJS.ProcessEnv = process.env): { writes: RecordedWrite[]; settle: (done: Iterable<string>) => void } {
  const dir = journalDir(env);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { writes: [], settle: () => undefined };
  }
  const files = new Map<string, Map<string, RecordedWrite>>();
  for (const name of names) {
    const m = FILE.exec(name);
    if (!m || m[1] !== host || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    const pending = new Map<string, RecordedWrite>();
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a line cut by the kill
      }
      if (typeof line?.id !== 'string' || typeof line.uri !== 'string') continue;
      if (line.phase === 'started') pending.set(line.id, { uri: line.uri, id: line.id });
      else pending.delete(line.id);
    }
    files.set(name, pending);
  }
  const settle = (done: Iterable<string>) => {
    const gone = new Set(done);
    for (const [name, pending] of files) {
      for (const id of gone) pending.delete(id);
      const file = path.join(dir, name);
      try {
        if (pending.size === 0) fs.rmSync(file, { force: true });
        else fs.writeFileSync(file, [...pending.values()].map((w) => `${JSON.stringify({ phase: 'started', ...w })}\n`).join(''), { mode: 0o600 });
      } catch {
        // kept as it was; settled by a later run
      }
    }
  };
  return { writes: [...files.values()].flatMap((m) => [...m.values()]), settle };
}
