/**
 * A TCP proxy that adds a fixed one-way delay to everything it forwards, both ways, keeping byte
 * order (see {@link DelayPipe}). It knows nothing about HTTP, so signed requests stay valid (the
 * client signs the proxy's host:port, which is what the server receives in `Host`).
 *
 * Measured on RGW (test-servers.md): 10 ms each way adds about 22 ms per request. Connections are
 * forwarded one to one; the SDKs keep them alive, so a handshake is paid once per connection.
 */
import net from 'node:net';
import { DelayPipe } from './delay-pipe.js';

/** Options of {@link startLatencyProxy}. */
export interface LatencyProxyOptions {
  /** Where to forward: `http://host:port` (only host and port are used) or `host:port`. */
  target: string;
  /** One-way delay in ms, applied to each direction (default 0). */
  latencyMs?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

/** Counters of a proxy, cumulative since it started. */
export interface LatencyProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Bytes forwarded from clients to the target. */
  bytesUp: number;
  /** Bytes forwarded from the target to clients. */
  bytesDown: number;
}

/** A running proxy. */
export interface RunningLatencyProxy {
  /** `http://127.0.0.1:PORT`: point the client here instead of at the target. */
  url: string;
  port: number;
  stats: LatencyProxyStats;
  /** Stops listening and tears down every open connection. */
  close(): Promise<void>;
}

/** `host` and `port` of a target spelled as a URL or as `host:port`. */
export function parseTarget(target: string): { host: string; port: number } {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** Starts a delaying TCP proxy in front of `options.target`. */
export async function startLatencyProxy(options: LatencyProxyOptions): Promise<RunningLatencyProxy> {
  const { host, port } = parseTarget(options.target);
  const delayMs = options.latencyMs ?? 0;
  const stats: LatencyProxyStats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const open = new Set<net.Socket>();

  // allowHalfOpen: each direction ends on its own, after its delayed bytes (an HTTP client may
  // half-close while the response is still on its way).
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    stats.connections++;
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    open.add(client);
    open.add(upstream);
    const up = new DelayPipe(client, upstream, { delayMs, onBytes: (n) => (stats.bytesUp += n) });
    const down = new DelayPipe(upstream, client, { delayMs, onBytes: (n) => (stats.bytesDown += n) });
    // Errors are forwarded (in order) by the pipes as resets; these handlers only keep an error
    // from being thrown as unhandled.
    const onError = () => undefined;
    client.on('error', onError);
    upstream.on('error', onError);
    let closed = 0;
    const onClose = () => {
      // Once both sockets are gone nothing is left to forward.
      if (++closed < 2) return;
      up.stop();
      down.stop();
    };
    client.on('close', () => {
      open.delete(client);
      onClose();
    });
    upstream.on('close', () => {
      open.delete(upstream);
      onClose();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    port: address.port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        open.clear();
        server.close(() => resolve());
      }),
  };
}
