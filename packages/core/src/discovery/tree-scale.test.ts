import { describe, expect, it } from 'vitest';
import { groupFiles } from '../formats/tf-files.js';
import { makeNode, requireListed } from './tree.js';

// Past about 125,000 elements, spreading an array into one call (`push(...xs)`) overflows the stack.
describe('no size limit but the store\'s', () => {
  it('checks a directory of 300,000 subdirectories without spreading them into a call', () => {
    const root = makeNode('root', 'memory://b/root', 0, undefined, true);
    for (let i = 0; i < 300_000; i++) root.dirs.set(`d${i}`, makeNode(`d${i}`, `memory://b/root/d${i}`, 1, root, true));
    expect(() => requireListed(root)).not.toThrow();
  });

  it('lists the files of a checkpoint of 300,000 shards', () => {
    const data = Array.from({ length: 300_000 }, (_, shard) => ({ shard, file: { name: `m.data-${shard}`, uri: `u/${shard}`, size: 1 } }));
    const files = groupFiles({ data, tempstate: [] } as unknown as Parameters<typeof groupFiles>[0]);
    expect(files).toHaveLength(300_000);
  });
});
