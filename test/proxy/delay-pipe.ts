/**
 * One direction of a delaying TCP forwarder: every chunk read from `from` is written to `to`
 * exactly `delayMs` after it arrived, in arrival order.
 *
 * Ordering is the whole point (docs: test-servers.md, "Latency for benchmarks"): a version that
 * armed one timer per chunk, each with its own computed due time, reordered bytes whenever the
 * clock ticked between two chunks. Here there is one FIFO queue and at most one timer per
 * direction; each chunk is stamped with its due time on arrival and the queue is drained strictly
 * from the front. End of stream and connection resets are queued as markers, so they too arrive
 * after the bytes that preceded them.
 *
 * Backpressure: when `to` refuses a write, draining stops until it emits `drain`; when more than
 * `highWaterMark` bytes wait in the queue, `from` is paused until the queue is half empty.
 */
import type { Socket } from 'node:net';

/** Options of {@link DelayPipe}. */
export interface DelayPipeOptions {
  /** One-way delay added to every chunk, in ms (0: forward at once, still in order). */
  delayMs: number;
  /** Bytes queued before reading from the source pauses (default 8 MiB). */
  highWaterMark?: number;
  /** Clock in ms; tests may pass a fake one. */
  now?: () => number;
  /** Called with the size of every chunk actually written to the destination. */
  onBytes?: (n: number) => void;
}

type Item = { due: number; kind: 'data'; chunk: Buffer } | { due: number; kind: 'end' } | { due: number; kind: 'reset' };

/** Forwards `from` to `to` with a fixed delay, in order (see the module comment). */
export class DelayPipe {
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private blocked = false;
  private finished = false;
  /** True while this pipe (not someone else) holds the source paused. */
  private pausedSource = false;
  private readonly delayMs: number;
  private readonly highWaterMark: number;
  private readonly now: () => number;
  private readonly onBytes: ((n: number) => void) | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    options: DelayPipeOptions,
  ) {
    this.delayMs = Math.max(0, options.delayMs);
    this.highWaterMark = options.highWaterMark ?? 8 * 1024 * 1024;
    this.now = options.now ?? (() => performance.now());
    this.onBytes = options.onBytes;
    from.on('data', (chunk: Buffer) => this.push({ due: this.now() + this.delayMs, kind: 'data', chunk }));
    from.on('end', () => this.push({ due: this.now() + this.delayMs, kind: 'end' }));
    // A reset (or any error) of the source is passed on after the bytes that came before it.
    from.on('error', () => this.push({ due: this.now() + this.delayMs, kind: 'reset' }));
    to.on('drain', () => {
      this.blocked = false;
      this.drain();
    });
  }

  /** Drops whatever is queued and stops forwarding (the connection is being torn down). */
  stop(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private push(item: Item): void {
    if (this.finished) return;
    this.queue.push(item);
    if (item.kind === 'data') {
      this.queuedBytes += item.chunk.byteLength;
      if (this.queuedBytes > this.highWaterMark && !this.pausedSource) {
        this.pausedSource = true;
        this.from.pause();
      }
    }
    // A timer already armed is for the head of the queue, which is due no later than this item.
    if (this.timer === undefined && !this.blocked) this.drain();
  }

  private drain(): void {
    this.timer = undefined;
    while (!this.finished && !this.blocked && this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.due - this.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.drain(), Math.ceil(wait));
        return;
      }
      this.queue.shift();
      if (head.kind === 'end') {
        this.finished = true;
        this.to.end();
        return;
      }
      if (head.kind === 'reset') {
        this.stop();
        this.to.resetAndDestroy();
        return;
      }
      this.queuedBytes -= head.chunk.byteLength;
      this.onBytes?.(head.chunk.byteLength);
      if (!this.to.write(head.chunk)) this.blocked = true;
    }
    if (this.pausedSource && this.queuedBytes <= this.highWaterMark / 2) {
      this.pausedSource = false;
      if (!this.from.destroyed) this.from.resume();
    }
  }
}
