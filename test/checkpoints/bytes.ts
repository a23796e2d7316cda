/**
 * Small, well-formed stand-ins for checkpoint files, so that trees stay tiny on every store while
 * the content checks (zip trailer, HDF5 superblock, TensorFlow table footer) see what real files
 * have at the places they look.
 */

const enc = new TextEncoder();

/** `n` bytes of a repeating pattern. */
export function filler(n: number, seed = 7): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

/** A zip archive of `n` bytes (a local-header start, filler, and the end-of-central-directory record last). */
export function zip(n = 64): Uint8Array {
  if (n < 26) throw new RangeError('a zip stand-in needs at least 26 bytes');
  const out = filler(n);
  out.set([0x50, 0x4b, 0x03, 0x04], 0);
  const eocd = new Uint8Array(22);
  eocd.set([0x50, 0x4b, 0x05, 0x06], 0);
  out.set(eocd, n - 22);
  return out;
}

/** A zip archive cut short: it starts like one but has no end-of-central-directory record. */
export function truncatedZip(n = 48): Uint8Array {
  const out = filler(n);
  out.set([0x50, 0x4b, 0x03, 0x04], 0);
  return out;
}

/** An HDF5 file of `n` bytes whose version-0 superblock records `claimed` bytes (default `n`). */
export function hdf5(n = 128, claimed = n): Uint8Array {
  const out = filler(Math.max(n, 56));
  out.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  out.set([0, 0, 0, 0, 0, 8, 8, 0], 8); // versions, sizeof offsets = sizeof lengths = 8
  const view = new DataView(out.buffer);
  view.setBigUint64(24, 0n, true); // base address
  view.setBigUint64(32, 0xffffffffffffffffn, true); // free-space info: undefined
  view.setBigUint64(40, BigInt(claimed), true); // end-of-file address
  return out.subarray(0, n);
}

/** A TensorFlow table (V1 checkpoint) of `n` bytes: filler and the footer's magic number last. */
export function table(n = 96): Uint8Array {
  const out = filler(n);
  out.set([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb], n - 8);
  return out;
}

/** JSON text. */
export function json(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

/** A `checkpoint` state file as TensorFlow writes it (relative or absolute paths verbatim). */
export function stateFile(model: string, all: string[] = [model], timestamps: number[] = []): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  let text = `model_checkpoint_path: ${q(model)}\n`;
  for (const p of all) text += `all_model_checkpoint_paths: ${q(p)}\n`;
  for (const t of timestamps) text += `all_model_checkpoint_timestamps: ${t}\n`;
  return text;
}

/** What a tree maps each relative path to: bytes, text, a size of filler, or `null` for a directory. */
export type TreeSpec = Record<string, Uint8Array | string | number | null>;

/** The files of a V2 bundle: `.index` and `shards` data files (with `missing` shards left out). */
export function bundle(prefix: string, options: { shards?: number; missing?: number[]; meta?: boolean; size?: number } = {}): TreeSpec {
  const shards = options.shards ?? 1;
  const out: TreeSpec = { [`${prefix}.index`]: 40 };
  for (let i = 0; i < shards; i++) {
    if (options.missing?.includes(i)) continue;
    out[`${prefix}.data-${String(i).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`] = options.size ?? 64;
  }
  if (options.meta) out[`${prefix}.meta`] = 32;
  return out;
}
