/**
 * "No allocation sized by an untrusted number", made checkable: while a guard is active, every
 * `new Uint8Array(n)`, `new ArrayBuffer(n)`, `Buffer.alloc(n)` and `Buffer.allocUnsafe(n)` with
 * `n` above the limit throws {@link AllocationTooLarge}. A parser that sizes a buffer from a length
 * field it has not checked against the bytes it holds then fails the property, instead of
 * allocating gigabytes (or crashing the process) on a 200-byte input.
 *
 * The guard replaces the globals (code looks them up at call time); `instanceof` keeps working on
 * values made by the originals.
 */

/** Thrown when a guarded allocation asks for more than the limit. */
export class AllocationTooLarge extends Error {
  constructor(
    readonly what: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`${what}(${bytes}) exceeds the allocation limit of ${limit} bytes for this input`);
    this.name = 'AllocationTooLarge';
  }
}

let limit = Infinity;
let installed = false;

const OriginalUint8Array = globalThis.Uint8Array;
const OriginalArrayBuffer = globalThis.ArrayBuffer;
const originalAlloc = Buffer.alloc.bind(Buffer);
const originalAllocUnsafe = Buffer.allocUnsafe.bind(Buffer);

function check(what: string, n: unknown): void {
  if (typeof n === 'number' && n > limit) throw new AllocationTooLarge(what, n, limit);
}

class GuardedUint8Array extends OriginalUint8Array {
  constructor(...args: unknown[]) {
    check('new Uint8Array', args[0]);
    super(...(args as []));
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof OriginalUint8Array;
  }
}

class GuardedArrayBuffer extends OriginalArrayBuffer {
  constructor(...args: unknown[]) {
    check('new ArrayBuffer', args[0]);
    super(...(args as [number]));
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof OriginalArrayBuffer;
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  globalThis.Uint8Array = GuardedUint8Array as unknown as Uint8ArrayConstructor;
  globalThis.ArrayBuffer = GuardedArrayBuffer as unknown as ArrayBufferConstructor;
  Buffer.alloc = ((size: number, ...rest: unknown[]) => {
    check('Buffer.alloc', size);
    return (originalAlloc as (...a: unknown[]) => Buffer)(size, ...rest);
  }) as typeof Buffer.alloc;
  Buffer.allocUnsafe = ((size: number) => {
    check('Buffer.allocUnsafe', size);
    return originalAllocUnsafe(size);
  }) as typeof Buffer.allocUnsafe;
}

/**
 * Runs `fn` with allocations capped at `maxBytes` (synchronous and asynchronous code alike: the
 * cap stays until the returned promise settles; properties run one at a time).
 */
export async function withAllocationLimit<T>(maxBytes: number, fn: () => T | Promise<T>): Promise<T> {
  install();
  const previous = limit;
  limit = maxBytes;
  try {
    return await fn();
  } finally {
    limit = previous;
  }
}

/** The synchronous form of {@link withAllocationLimit}. */
export function withAllocationLimitSync<T>(maxBytes: number, fn: () => T): T {
  install();
  const previous = limit;
  limit = maxBytes;
  try {
    return fn();
  } finally {
    limit = previous;
  }
}
