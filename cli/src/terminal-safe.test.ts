import { describe, expect, it } from 'vitest';
import { terminalSafeJson, terminalSafeLine, terminalSafeText } from './terminal-safe.js';

describe('terminal-safe output', () => {
  const hostile = 'ckpt-1\u001b[2J\u001b]0;owned\u0007\nforged line\u009b31m\u202eexe.index';

  it('escapes every control character in a line, keeping tabs', () => {
    const out = terminalSafeLine(`${hostile}\tsize`);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(out).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202e]/);
    expect(out).toContain('\t');
    expect(out).toBe('ckpt-1\\u001b[2J\\u001b]0;owned\\u0007\\u000aforged line\\u009b31m\\u202eexe.index\tsize');
  });

  it('escapes newlines in messages too', () => {
    expect(terminalSafeText('a\nb\tc')).toBe('a\\u000ab\\u0009c');
  });

  it('JSON keeps its meaning: the escapes are the ones JSON uses', () => {
    const doc = JSON.stringify({ name: hostile }, null, 2);
    const safe = terminalSafeJson(doc);
    expect(safe).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(JSON.parse(safe)).toEqual({ name: hostile });
    expect(safe.split('\n')).toHaveLength(3);
  });
});
