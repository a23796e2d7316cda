import { describe, expect, it } from 'vitest';
import { isCkptError } from './errors.js';
import { createGFile } from './gfile.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { createRegistry } from './registry.js';

describe('AdapterRegistry', () => {
  it('lists the known schemes when a URI names an unknown one', async () => {
    const g = createGFile({ registry: createRegistry().register('gs', () => (b) => createMemoryAdapter(`gs-${b}`)) });
    const error = await g.stat('ftp://host/x').catch((e: unknown) => e);
    expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
    expect((error as Error).message).toContain('gs://');
    expect((error as Error).message).toContain('memory://');
  });

  it('loads a scheme once, on first use, and one adapter per store', async () => {
    let loads = 0;
    let made = 0;
    const registry = createRegistry().register('fake', async () => {
      loads++;
      return (store) => {
        made++;
        return createMemoryAdapter(`fake-${store}`);
      };
    });
    expect(loads).toBe(0);
    const g = createGFile({ registry });
    await g.writeText('fake://one/a', 'x');
    await g.writeText('fake://one/b', 'x');
    await g.writeText('fake://two/a', 'x');
    expect(loads).toBe(1);
    expect(made).toBe(2);
  });

  it('reports a loader failure as INVALID_CONFIG and tries again next time', async () => {
    let attempts = 0;
    const registry = createRegistry().register('broken', () => {
      attempts++;
      throw new Error('Cannot find package @ckptkit/broken');
    });
    const g = createGFile({ registry });
    for (let i = 0; i < 2; i++) {
      const error = await g.stat('broken://b/x').catch((e: unknown) => e);
      expect(isCkptError(error, 'INVALID_CONFIG')).toBe(true);
    }
    expect(attempts).toBe(2);
  });
});
