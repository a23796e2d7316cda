import { describe, expect, it } from 'vitest';
import { decodeXmlText } from './xml-text.js';

describe('decodeXmlText', () => {
  it('decodes the five named entities, with or without character references', () => {
    for (const characterReferences of [true, false]) {
      expect(decodeXmlText('&quot;9dd4e461268c8034f5c8564e155c67a6&quot;', { characterReferences })).toBe('"9dd4e461268c8034f5c8564e155c67a6"');
      expect(decodeXmlText('a &amp; b &lt;c&gt; &apos;d&apos;', { characterReferences })).toBe("a & b <c> 'd'");
      expect(decodeXmlText('plain', { characterReferences })).toBe('plain');
    }
  });

  it('decodes character references only when asked to, and refuses what is no reference', () => {
    expect(decodeXmlText('&#x1F600;&#65;', { characterReferences: true })).toBe('😀A');
    expect(decodeXmlText('&#65;', { characterReferences: false })).toBeUndefined();
    for (const bad of ['a & b', '&nbsp;', '&#x;', '&#x110000;', '&constructor;', '&amp', 'x&amp;y&']) {
      expect(decodeXmlText(bad, { characterReferences: true })).toBeUndefined();
    }
  });
});
