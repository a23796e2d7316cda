/**
 * The test proxy between ckptkit's SDK clients and the real servers, in two modes:
 *
 * - latency only (`faults: false`): a TCP proxy adding a fixed one-way delay with byte order kept
 *   (one FIFO queue and one timer per direction). For benchmarks: it adds nothing else.
 * - faults (the default): an HTTP proxy that breaks requests on a schedule (statuses, resets,
 *   bodies cut short, stalls), optionally behind the same delay.
 *
 * ```ts
 * const proxy = await startProxy({ target: server.endpoint });
 * proxy.schedule.set([{ match: { url: /list-type=2/ }, nth: 3, action: { kind: 'status', status: 503 } }]);
 * // ... point the S3 adapter's `endpoint` (GCS: `apiEndpoint`) at proxy.url ...
 * expect(proxy.schedule.pending()).toEqual([]); // every scheduled fault fired
 * await proxy.close();
 * ```
 */
import { FaultSchedule, type FaultRule } from './fault-schedule.js';
import { startFaultProxy, type RequestRecord } from './fault-proxy.js';
import { startLatencyProxy } from './latency-proxy.js';

export { DelayPipe, type DelayPipeOptions } from './delay-pipe.js';
export { FaultSchedule, type AppliedFault, type FaultAction, type FaultRule, type RequestInfo, type RequestMatch } from './fault-schedule.js';
export { errorBody, startFaultProxy, type FaultProxyOptions, type FaultProxyStats, type RequestRecord, type RunningFaultProxy } from './fault-proxy.js';
export { parseTarget, startLatencyProxy, type LatencyProxyOptions, type LatencyProxyStats, type RunningLatencyProxy } from './latency-proxy.js';

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  /** The real server: `http://127.0.0.1:PORT`. */
  target: string;
  /** One-way delay in ms added to each direction (default 0). */
  latencyMs?: number;
  /** Rules to start with (faults mode). Tests usually set them later with `schedule.set`. */
  schedule?: readonly FaultRule[];
  /** False: the pure latency TCP proxy, no HTTP parsing, no faults (default true). */
  faults?: boolean;
}

/** What {@link startProxy} returns. */
export interface RunningProxy {
  /** Point the client here. */
  url: string;
  stats: {
    /** Client connections accepted (at the outermost layer). */
    connections: number;
    /** Bytes through the delay layer (0 without latency). */
    bytesUp: number;
    bytesDown: number;
    /** Every request seen (faults mode; empty in latency-only mode). */
    requests: RequestRecord[];
  };
  /** The fault rules (faults mode); in latency-only mode setting rules throws. */
  schedule: FaultSchedule;
  close(): Promise<void>;
}

class NoFaults extends FaultSchedule {
  override set(rules: readonly FaultRule[]): void {
    if (rules.length > 0) throw new Error('this proxy was started with faults: false (latency only)');
    super.set(rules);
  }
  override add(): void {
    throw new Error('this proxy was started with faults: false (latency only)');
  }
}

/** Starts a proxy in front of `options.target` (see the module comment). */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const latencyMs = options.latencyMs ?? 0;
  if (options.faults === false) {
    const tcp = await startLatencyProxy({ target: options.target, latencyMs });
    const stats = { connections: 0, bytesUp: 0, bytesDown: 0, requests: [] as RequestRecord[] };
    return {
      url: tcp.url,
      get stats() {
        return Object.assign(stats, tcp.stats);
      },
      schedule: new NoFaults(),
      close: () => tcp.close(),
    };
  }
  const http = await startFaultProxy({ target: options.target });
  if (options.schedule) http.schedule.set(options.schedule);
  if (latencyMs <= 0) {
    return {
      url: http.url,
      get stats() {
        return { connections: http.stats.connections, bytesUp: 0, bytesDown: 0, requests: http.stats.requests };
      },
      schedule: http.schedule,
      close: () => http.close(),
    };
  }
  // Delay in front of the fault layer: the client sees the latency on every byte, faults included.
  const tcp = await startLatencyProxy({ target: http.url, latencyMs });
  return {
    url: tcp.url,
    get stats() {
      return { connections: tcp.stats.connections, bytesUp: tcp.stats.bytesUp, bytesDown: tcp.stats.bytesDown, requests: http.stats.requests };
    },
    schedule: http.schedule,
    close: async () => {
      await tcp.close();
      await http.close();
    },
  };
}
