/**
 * Which process writes a directory of work in progress (a staging directory of `cp`), spelled in
 * its name as the local adapter spells its temporary files' owners (`HOST-PID`, HOST 8 hex digits
 * of a hash of the host name, never the name itself), so that a later run on the same machine can
 * tell a killed writer's leftover from a live writer's work at once, without waiting for an age.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';

let hostTagCache: string | undefined;
function hostTag(): string {
  return (hostTagCache ??= createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8));
}

/** This process as a name part: `HOST-PID`. */
export function ownerTag(): string {
  return `${hostTag()}-${process.pid}`;
}

/**
 * Whether the process `HOST-PID` names runs: true or false on this machine (signal 0 probes;
 * EPERM means it runs as another user), undefined for another machine. A recycled pid reads as
 * running: the safe side.
 */
export function ownerRuns(host: string, pid: number): boolean | undefined {
  if (host !== hostTag()) return undefined;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
