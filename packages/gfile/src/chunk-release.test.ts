import { describe, expect, it, vi } from 'vitest';
import { releasableChunk, releaseChunk } from './chunk-release.js';

describe('chunk release', () => {
  it('calls a marked chunk\'s release once; unmarked chunks and slices of marked ones are left alone', () => {
    const calls: string[] = [];
    const buffer = new Uint8Array(8);
    const chunk = releasableChunk(buffer.subarray(0, 8), () => calls.push('released'));
    releaseChunk(chunk.subarray(0, 4));
    releaseChunk(buffer);
    releaseChunk(new Uint8Array(8));
    expect(calls).toEqual([]);
    releaseChunk(chunk);
    releaseChunk(chunk);
    expect(calls).toEqual(['released']);
  });

  it('shares one registry across copies of the module (the CLI bundles gfile more than once)', async () => {
    vi.resetModules();
    const again = await import('./chunk-release.js');
    expect(again.releasableChunk).not.toBe(releasableChunk);
    let released = 0;
    const chunk = again.releasableChunk(new Uint8Array(1), () => released++);
    releaseChunk(chunk);
    expect(released).toBe(1);
  });
});
