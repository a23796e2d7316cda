import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanPosixPath } from './posix-path.js';
import { recordedPathProblem, shownPath, unstorablePathReason } from './storable-path.js';

describe('unstorablePathReason', () => {
  it('a NUL byte: no store', () => {
    for (const p of ['a\0b', '/x/\0', 's3://b/k\0', 'gs://b/\0', 'memory://m/a\0', 'file:///x\0']) expect(unstorablePathReason(p)).toBe('it contains a NUL byte');
  });

  it('local disks: 255-byte names and 4,095-byte paths, counted in UTF-8 after cleaning', () => {
    expect(unstorablePathReason(`/tmp/${'a'.repeat(255)}`)).toBeUndefined();
    expect(unstorablePathReason(`/tmp/${'a'.repeat(256)}`)).toMatch(/a name of 256 bytes, over the 255-byte limit/);
    expect(unstorablePathReason(`/tmp/${'é'.repeat(128)}`)).toMatch(/a name of 256 bytes/);
    expect(unstorablePathReason(`/tmp/${'a'.repeat(300)}/..`)).toBeUndefined();
    expect(unstorablePathReason(`/${'d/'.repeat(2046)}xy`)).toBeUndefined();
    expect(unstorablePathReason(`/${'d/'.repeat(2047)}x`)).toMatch(/4,096 bytes long, over the 4,095-byte path limit/);
    expect(unstorablePathReason(`file:///${'d/'.repeat(2048)}x`)).toMatch(/path limit/);
    expect(unstorablePathReason('file://host/x')).toMatch(/must be absolute/);
    expect(unstorablePathReason('/tmp/ckpt-\u0001-\n-9')).toBeUndefined();
  });

  it('object stores: 1,024-byte keys; GCS without CR/LF, . or ..', () => {
    for (const s of ['s3', 'gs', 'memory']) {
      expect(unstorablePathReason(`${s}://b/${'k'.repeat(1024)}`)).toBeUndefined();
      expect(unstorablePathReason(`${s}://b/${'k'.repeat(1025)}`)).toMatch(/its key is 1,025 bytes, over the 1,024-byte limit/);
    }
    expect(unstorablePathReason('s3://b/a\nb')).toBeUndefined();
    expect(unstorablePathReason('gs://b/a\nb')).toMatch(/carriage return or line feed/);
    expect(unstorablePathReason('gs://b/..')).toMatch(/no object named \.\./);
    expect(unstorablePathReason('s3://')).toMatch(/no bucket/);
    expect(unstorablePathReason('az://acct/x')).toBeUndefined();
  });

  it('Azure: 1,024 characters of blob name, not bytes', () => {
    expect(unstorablePathReason(`az://c/${'é'.repeat(1024)}`)).toBeUndefined();
    expect(unstorablePathReason(`az://c/${'k'.repeat(1025)}`)).toMatch(/its name is 1,025 characters, over the 1,024-character limit of Azure blob names/);
    expect(unstorablePathReason('az://')).toMatch(/no bucket/);
  });

  it('is linear: 10 MB paths of every shape within a second of CPU', () => {
    const big = 10 * 1024 * 1024;
    for (const p of ['a'.repeat(big), '/'.repeat(big), 'a/'.repeat(big / 2), '../'.repeat(big / 3), `s3://b/${'k/'.repeat(big / 2)}`, `/${'a/../'.repeat(big / 5)}x`]) {
      const c0 = process.cpuUsage();
      unstorablePathReason(p);
      const c = process.cpuUsage(c0);
      expect((c.user + c.system) / 1000).toBeLessThan(1000);
    }
  });

  it('recordedPathProblem: an absolute or URI path on its own store first, then where it is looked up', () => {
    let looked = 0;
    expect(recordedPathProblem('/x/\0', () => (looked++, 's3://b/ok'))).toBe('it contains a NUL byte');
    expect(looked).toBe(0);
    expect(recordedPathProblem('ckpt-1', () => `s3://b/${'k'.repeat(2000)}`)).toMatch(/its key is/);
    expect(recordedPathProblem('ckpt-1', () => 's3://b/run/ckpt-1')).toBeUndefined();
  });

  it('shownPath keeps short paths and cuts long ones with their length', () => {
    expect(shownPath('ckpt-1')).toBe('ckpt-1');
    expect(shownPath('a'.repeat(1_000_000))).toBe(`${'a'.repeat(120)}… (1,000,000 characters)`);
  });
});

describe('cleanPosixPath', () => {
  it('is path.posix.normalize without the trailing slash (TensorFlow CleanPath), for any path', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '..', '', '...', '.a'), { maxLength: 10 }), fc.boolean(), fc.boolean(), (parts, abs, trailing) => {
        const p = `${abs ? '/' : ''}${parts.join('/')}${trailing ? '/' : ''}`;
        let want = path.posix.normalize(p === '' ? '.' : p);
        if (want.length > 1 && want.endsWith('/')) want = want.slice(0, -1);
        expect(cleanPosixPath(p).path).toBe(want);
      }),
    );
  });

  it('does not build a result longer than asked for', () => {
    const r = cleanPosixPath('a/'.repeat(5_000_000), 4095);
    expect(r.path).toBeUndefined();
    expect(r.chars).toBe(9_999_999);
    expect(cleanPosixPath('/a/b', 4095).path).toBe('/a/b');
  });
});
