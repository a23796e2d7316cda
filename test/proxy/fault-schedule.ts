/**
 * What a test tells the fault proxy: which requests to break, and how. A schedule is a list of
 * rules; each rule counts the requests that match it and fires on a window of them ("the 3rd list
 * request gets a 503", "the next 2 GETs are cut after 100 bytes").
 */

/** What the proxy knows about a request when it decides. */
export interface RequestInfo {
  /** 1-based number of the request since the proxy started. */
  seq: number;
  method: string;
  /** Path and query as the client sent them (`/bucket/?list-type=2&prefix=...`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Which requests a rule counts. Every given field must match. */
export interface RequestMatch {
  /** An HTTP method (`GET`), a list of them, or a pattern. */
  method?: string | readonly string[] | RegExp;
  /** A pattern on path+query, or a substring of it. */
  url?: RegExp | string;
  /** Anything else. */
  when?: (info: RequestInfo) => boolean;
}

/** How a request is broken. */
export type FaultAction =
  /**
   * Answers with `status` (500, 503, 429, ...) and an error body shaped like the store's (S3 XML or
   * GCS JSON, chosen from the path) unless `body` is given (a function of the request: a server
   * that echoes what it was sent). With `forward`, the request first goes
   * to the server and its real answer is thrown away (a write that landed, an answer that was lost).
   */
  | { kind: 'status'; status: number; body?: string | ((info: RequestInfo) => string); headers?: Record<string, string>; forward?: boolean }
  /** Resets the connection (TCP RST) instead of answering; with `forward`, after the server answered. */
  | { kind: 'reset'; forward?: boolean }
  /**
   * Forwards the request, sends the response headers as the server sent them (so the declared
   * length stays) and `afterBytes` bytes of the body, then closes the connection (`close`, a FIN:
   * a body that simply ends early) or resets it (`reset`).
   */
  | { kind: 'cut'; afterBytes: number; how?: 'close' | 'reset' }
  /**
   * Holds the request for `ms` before forwarding it; with `afterBytes`, forwards it and holds the
   * response after that many body bytes instead. Then carries on, unless the client gave up.
   */
  | { kind: 'stall'; ms: number; afterBytes?: number };

/** One rule of a schedule. */
export interface FaultRule {
  /** Requests this rule counts (all of them when absent). */
  match?: RequestMatch;
  /** The first matching request to break, 1-based (default 1: the next one). */
  nth?: number;
  /** How many consecutive matching requests to break from `nth` on (default 1; Infinity for all). */
  times?: number;
  action: FaultAction;
  /** A name for logs and {@link FaultSchedule.pending}. */
  label?: string;
}

/** A fault that was applied, for assertions. */
export interface AppliedFault {
  seq: number;
  method: string;
  url: string;
  label: string;
  action: FaultAction['kind'];
}

function matches(m: RequestMatch | undefined, info: RequestInfo): boolean {
  if (!m) return true;
  if (m.method !== undefined) {
    const ok = typeof m.method === 'string' ? m.method === info.method : m.method instanceof RegExp ? m.method.test(info.method) : m.method.includes(info.method);
    if (!ok) return false;
  }
  if (m.url !== undefined && !(typeof m.url === 'string' ? info.url.includes(m.url) : m.url.test(info.url))) return false;
  return m.when === undefined || m.when(info);
}

function describeRule(rule: FaultRule): string {
  if (rule.label) return rule.label;
  const a = rule.action;
  const what = a.kind === 'status' ? `status ${a.status}` : a.kind === 'cut' ? `cut after ${a.afterBytes} bytes` : a.kind === 'stall' ? `stall ${a.ms} ms` : 'reset';
  return `${what} on match #${rule.nth ?? 1}${(rule.times ?? 1) === 1 ? '' : ` x${rule.times}`}`;
}

/** The rules of one proxy, with the count of matching requests each rule has seen. */
export class FaultSchedule {
  private rules: Array<{ rule: FaultRule; seen: number; fired: number }> = [];
  /** Every fault applied since the schedule was last set. */
  readonly applied: AppliedFault[] = [];

  /** Replaces the rules (counts start again from zero). */
  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
    this.applied.length = 0;
  }

  /** Adds rules to the current ones (their counts start now). */
  add(...rules: FaultRule[]): void {
    for (const rule of rules) this.rules.push({ rule, seen: 0, fired: 0 });
  }

  /** Removes every rule. */
  clear(): void {
    this.set([]);
  }

  /**
   * Counts a request against every rule and returns the action of the first rule whose window it
   * falls in (or undefined: forward it untouched).
   */
  decide(info: RequestInfo): FaultAction | undefined {
    let chosen: FaultAction | undefined;
    for (const r of this.rules) {
      if (!matches(r.rule.match, info)) continue;
      r.seen++;
      const first = r.rule.nth ?? 1;
      const last = first + (r.rule.times ?? 1) - 1;
      if (chosen === undefined && r.seen >= first && r.seen <= last) {
        r.fired++;
        chosen = r.rule.action;
        this.applied.push({ seq: info.seq, method: info.method, url: info.url, label: describeRule(r.rule), action: chosen.kind });
      }
    }
    return chosen;
  }

  /** Rules (by label) that have not fired as often as they asked to; empty when all did. Infinite rules never count as pending. */
  pending(): string[] {
    return this.rules.filter((r) => Number.isFinite(r.rule.times ?? 1) && r.fired < (r.rule.times ?? 1)).map((r) => describeRule(r.rule));
  }
}
