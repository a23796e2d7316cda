import { describe, expect, it } from 'vitest';
import { TextFormatError, checkpointStateFor, formatCheckpointState, parseCheckpointState } from './index.js';

const MANAGER = `model_checkpoint_path: "ckpt-19"
all_model_checkpoint_paths: "ckpt-17"
all_model_checkpoint_paths: "ckpt-18"
all_model_checkpoint_paths: "ckpt-19"
all_model_checkpoint_timestamps: 1673735799.685766
all_model_checkpoint_timestamps: 1673735913.342593
all_model_checkpoint_timestamps: 1673736140.596798
last_preserved_timestamp: 1673735591.495455
`;

describe('parseCheckpointState (text_format.Merge into CheckpointState)', () => {
  it('reads a CheckpointManager state file with timestamps', () => {
    expect(parseCheckpointState(MANAGER)).toEqual({
      modelCheckpointPath: 'ckpt-19',
      allModelCheckpointPaths: ['ckpt-17', 'ckpt-18', 'ckpt-19'],
      allModelCheckpointTimestamps: [1673735799.685766, 1673735913.342593, 1673736140.596798],
      lastPreservedTimestamp: 1673735591.495455,
    });
  });

  it('parses an empty file to an empty state (the caller decides that this raises)', () => {
    expect(parseCheckpointState('')).toEqual({ modelCheckpointPath: '', allModelCheckpointPaths: [], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 });
    expect(parseCheckpointState('  # only a comment\n\n').modelCheckpointPath).toBe('');
  });

  it('keeps the last value of a repeated singular field and interleaved repeated fields', () => {
    const s = parseCheckpointState('model_checkpoint_path: "a"\nall_model_checkpoint_paths: "x"\nmodel_checkpoint_path: "b"\nall_model_checkpoint_paths: "y"');
    expect(s.modelCheckpointPath).toBe('b');
    expect(s.allModelCheckpointPaths).toEqual(['x', 'y']);
  });

  it('accepts single quotes, adjacent literals, escapes, separators, list syntax, comments and odd spacing', () => {
    const s = parseCheckpointState(
      "model_checkpoint_path:'run' \"/\" 'ckpt-\\0611'; # comment\nall_model_checkpoint_paths : [ \"a\" , 'b\\n' ],all_model_checkpoint_timestamps:[1, 2.5f, inf]\r\nlast_preserved_timestamp:-1_0.5",
    );
    expect(s.modelCheckpointPath).toBe('run/ckpt-11');
    expect(s.allModelCheckpointPaths).toEqual(['a', 'b\n']);
    expect(s.allModelCheckpointTimestamps).toEqual([1, 2.5, Infinity]);
    expect(s.lastPreservedTimestamp).toBe(-10.5);
  });

  it('decodes octal-escaped UTF-8 as TensorFlow writes non-ASCII paths', () => {
    expect(parseCheckpointState('model_checkpoint_path: "caf\\303\\251/ckpt-1"').modelCheckpointPath).toBe('café/ckpt-1');
  });

  const malformed: Array<[string, string]> = [
    ['an unknown field (a typo)', 'model_checkpoint: "x"'],
    ['a field name in the wrong case', 'Model_checkpoint_path: "x"'],
    ['a missing colon', 'model_checkpoint_path "x"'],
    ['a number where a string is expected', 'model_checkpoint_path: 5'],
    ['a string where a double is expected', 'all_model_checkpoint_timestamps: "5"'],
    ['an unterminated string', 'model_checkpoint_path: "ckpt-1'],
    ['a bad escape', 'model_checkpoint_path: "\\x"'],
    ['invalid UTF-8 inside a string', 'model_checkpoint_path: "\\377"'],
    ['list syntax on a singular field', 'model_checkpoint_path: ["a"]'],
    ['a trailing field name', 'model_checkpoint_path: "a" all_model_checkpoint_paths'],
    ['a byte-order mark', '\ufeffmodel_checkpoint_path: "a"'],
    ['an extension', '[ext]: "a"'],
    ['a message value', 'model_checkpoint_path { }'],
    ['hexadecimal for a double (Python float() rejects it)', 'last_preserved_timestamp: 0x10'],
  ];
  for (const [what, text] of malformed) {
    it(`rejects ${what}`, () => {
      expect(() => parseCheckpointState(text)).toThrow(TextFormatError);
    });
  }
});

describe('formatCheckpointState (text_format.MessageToString)', () => {
  it('writes what TensorFlow writes, byte for byte', () => {
    expect(formatCheckpointState(parseCheckpointState(MANAGER))).toBe(MANAGER);
  });
  it('omits proto3 defaults and escapes non-ASCII bytes as octal', () => {
    const text = formatCheckpointState({ modelCheckpointPath: 'café"1', allModelCheckpointPaths: ['café"1'], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 });
    expect(text).toBe('model_checkpoint_path: "caf\\303\\251\\"1"\nall_model_checkpoint_paths: "caf\\303\\251\\"1"\n');
    expect(parseCheckpointState(text).modelCheckpointPath).toBe('café"1');
  });
  it('writes integral timestamps as Python does (1.0, not 1)', () => {
    expect(formatCheckpointState({ ...checkpointStateFor('ckpt-1', { allModelCheckpointTimestamps: [1] }), lastPreservedTimestamp: 2 })).toBe(
      'model_checkpoint_path: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-1"\nall_model_checkpoint_timestamps: 1.0\nlast_preserved_timestamp: 2.0\n',
    );
  });
});

describe('checkpointStateFor (generate_checkpoint_state_proto)', () => {
  it('appends the model path unless it is already last', () => {
    expect(checkpointStateFor('c', { allModelCheckpointPaths: ['a', 'b'] }).allModelCheckpointPaths).toEqual(['a', 'b', 'c']);
    expect(checkpointStateFor('b', { allModelCheckpointPaths: ['a', 'b'] }).allModelCheckpointPaths).toEqual(['a', 'b']);
  });
  it('refuses timestamps that do not match the paths', () => {
    expect(() => checkpointStateFor('b', { allModelCheckpointPaths: ['a', 'b'], allModelCheckpointTimestamps: [1] })).toThrow(/timestamps/);
  });
});
