import { describe, expect, it } from 'vitest';
import { lfsMessage, parseLfsPointer } from './lfs.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('Git LFS pointers', () => {
  it('parses a pointer file and explains what to do', () => {
    const p = parseLfsPointer(enc('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 12345\n'));
    expect(p).toEqual({ oid: 'sha256:4d7a2146', size: 12345 });
    expect(lfsMessage(p as NonNullable<typeof p>)).toMatch(/^this is a Git LFS pointer, fetch the object/);
  });

  it('does not mistake other small files for pointers', () => {
    expect(parseLfsPointer(enc('model_checkpoint_path: "ckpt-1"\n'))).toBeUndefined();
    expect(parseLfsPointer(new Uint8Array(123))).toBeUndefined();
    expect(parseLfsPointer(enc(`version https://git-lfs.github.com/spec/v1\n${'x'.repeat(2000)}`))).toBeUndefined();
  });
});
