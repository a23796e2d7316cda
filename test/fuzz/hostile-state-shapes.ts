/**
 * Hostile `checkpoint` state files, by shape: what a state file can hold that no TensorFlow ever
 * wrote (huge paths, huge escapes, millions of entries, deep nesting, long comments, NUL bytes,
 * glob metacharacters). Shared by the per-store hostile suite, the CLI tests and the fuzz suite,
 * each at its own size. Every shape is about `size` bytes and is written beside one complete
 * checkpoint `ckpt-7` (a scan finds it).
 */

/** How a shape reads. */
export type ShapeKind =
  /** Parses, and names `ckpt-7` (relative): both modes answer it from the state file. */
  | 'valid'
  /** Does not parse: robust scans, TensorFlow returns None. */
  | 'malformed'
  /** Parses, and names a path no store can hold: robust notes it and scans, TensorFlow finds nothing. */
  | 'impossible';

export interface HostileShape {
  name: string;
  kind: ShapeKind;
  text: string;
  /**
   * What `--tf-compat` answers when it is not None (the prefix, relative to the directory), for
   * the stores where that differs from the kind's default.
   */
  tf?: (store: 'local' | 'object') => string | null;
}

/**
 * The shapes at about `size` bytes each. From 8,192 bytes on, every `impossible` shape is beyond
 * every store's limits (a path over 4,095 bytes, a name over 1,024).
 */
export function hostileShapes(size: number): HostileShape[] {
  const n = (unit: number) => Math.max(1, Math.floor(size / unit));
  const model = 'model_checkpoint_path: "ckpt-7"\n';
  return [
    { name: 'one huge name', kind: 'impossible', text: `model_checkpoint_path: "${'a'.repeat(n(1))}"\n` },
    { name: 'escaped backslashes', kind: 'impossible', text: `model_checkpoint_path: "${'\\\\'.repeat(n(2))}"\n` },
    { name: 'octal escapes', kind: 'impossible', text: `model_checkpoint_path: "${'\\101'.repeat(n(4))}"\n` },
    { name: 'one-digit hex escapes', kind: 'impossible', text: `model_checkpoint_path: "${'\\x4'.repeat(n(3))}"\n` },
    { name: 'unicode escapes', kind: 'impossible', text: `model_checkpoint_path: "${'\\u00e9'.repeat(n(6))}"\n` },
    { name: 'a backslash before each wide character', kind: 'impossible', text: `model_checkpoint_path: "${'\\€'.repeat(n(4))}"\n` },
    { name: 'non-ASCII name', kind: 'impossible', text: `model_checkpoint_path: "${'é€'.repeat(n(5))}"\n` },
    { name: 'adjacent literals', kind: 'impossible', text: `model_checkpoint_path: ${'"a" '.repeat(n(4))}\n` },
    { name: 'deep path', kind: 'impossible', text: `model_checkpoint_path: "${'a/'.repeat(n(2))}ckpt-7"\n` },
    { name: 'NUL then a long tail', kind: 'impossible', text: `model_checkpoint_path: "ckpt-7\\000${'x'.repeat(n(1))}"\n` },
    // The C string TensorFlow's local file system sees ends before the name: `DIR/`, which exists.
    { name: 'NUL first', kind: 'impossible', text: `model_checkpoint_path: "\\000ckpt-7${'x'.repeat(n(1))}"\n`, tf: (store) => (store === 'local' ? `\0ckpt-7${'x'.repeat(n(1))}` : null) },
    { name: 'unclosed brackets', kind: 'impossible', text: `model_checkpoint_path: "${'['.repeat(n(1))}"\n` },
    { name: 'unclosed classes', kind: 'impossible', text: `model_checkpoint_path: "${'[[:'.repeat(n(3))}"\n` },
    { name: 'stars after a name', kind: 'impossible', text: `model_checkpoint_path: "ckpt-7${'*'.repeat(n(1))}"\n`, tf: () => `ckpt-7${'*'.repeat(n(1))}` },
    { name: 'star-letter pairs', kind: 'impossible', text: `model_checkpoint_path: "${'*a'.repeat(n(2))}"\n` },
    { name: 'millions of listed paths', kind: 'valid', text: model + 'all_model_checkpoint_paths: "ckpt-7"\n'.repeat(n(37)) },
    { name: 'one-line list', kind: 'valid', text: `${model}all_model_checkpoint_paths: [${'"a",'.repeat(n(4))}"a"]\n` },
    { name: 'timestamps', kind: 'valid', text: model + 'all_model_checkpoint_timestamps: 1.5e9\n'.repeat(n(40)) },
    { name: 'one long comment', kind: 'valid', text: `# ${'x'.repeat(n(1))}\n${model}` },
    { name: 'many comments', kind: 'valid', text: `${'#\n'.repeat(n(2))}${model}` },
    { name: 'deep nesting', kind: 'malformed', text: `model_checkpoint_path: ${'['.repeat(n(1))}\n` },
    { name: 'nested braces', kind: 'malformed', text: `${'model_checkpoint_path { '.repeat(n(24))}\n` },
    { name: 'long float', kind: 'malformed', text: `${model}last_preserved_timestamp: 1${'f'.repeat(n(1))}1\n` },
    { name: 'long field name', kind: 'malformed', text: `${'x'.repeat(n(1))}: "a"\n` },
    { name: 'unterminated string', kind: 'malformed', text: `model_checkpoint_path: "${'a'.repeat(n(1))}` },
  ];
}
