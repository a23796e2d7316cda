/**
 * TensorFlow's `checkpoint` state file: the text format of `tensorflow.CheckpointState`
 * (tensorflow/python/training/checkpoint_state.proto), parsed the way `text_format.Merge` parses
 * it and written the way `text_format.MessageToString` writes it.
 */
import { TextFormatError, Tokenizer, cEscape, excerpt, pythonFloatRepr } from './text-format.js';

/** The contents of a `checkpoint` state file. Paths are as recorded (not joined with a directory). */
export interface CheckpointState {
  /** The most recent checkpoint prefix; `''` when the file does not set it. */
  modelCheckpointPath: string;
  /** Every not-yet-deleted checkpoint prefix, oldest first. */
  allModelCheckpointPaths: string[];
  /** Unix timestamps matching `allModelCheckpointPaths` (CheckpointManager only). */
  allModelCheckpointTimestamps: number[];
  /** Unix timestamp of the last checkpoint kept by `keep_checkpoint_every_n_hours`; 0 when unset. */
  lastPreservedTimestamp: number;
}

/** Default name of the state file (`latest_filename=None`). */
export const STATE_FILENAME = 'checkpoint';

type FieldName = 'model_checkpoint_path' | 'all_model_checkpoint_paths' | 'all_model_checkpoint_timestamps' | 'last_preserved_timestamp';

const FIELDS: Record<FieldName, { repeated: boolean; kind: 'string' | 'double' }> = {
  model_checkpoint_path: { repeated: false, kind: 'string' },
  all_model_checkpoint_paths: { repeated: true, kind: 'string' },
  all_model_checkpoint_timestamps: { repeated: true, kind: 'double' },
  last_preserved_timestamp: { repeated: false, kind: 'double' },
};

/** An empty state (what an empty file parses to). */
export function emptyCheckpointState(): CheckpointState {
  return { modelCheckpointPath: '', allModelCheckpointPaths: [], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 };
}

/**
 * Parses state-file text as `text_format.Merge` does: fields in any order, repeated fields
 * interleaved or in `[a, b]` list form, a singular field given twice keeps its last value, `,` or
 * `;` after a field, `#` comments. An empty text is an empty state (not an error: deciding what an
 * empty state means is the caller's business, see {@link getCheckpointState}).
 *
 * @throws TextFormatError on anything `text_format` rejects (syntax, unknown field, wrong value type,
 *   invalid UTF-8 inside a string).
 */
export function parseCheckpointState(text: string): CheckpointState {
  const state = emptyCheckpointState();
  const tok = new Tokenizer(text);
  while (!tok.atEnd()) {
    if (tok.token === '[') throw tok.error('Extensions are not supported by tensorflow.CheckpointState.');
    const name = tok.consumeIdentifierOrNumber();
    const field = Object.hasOwn(FIELDS, name) ? FIELDS[name as FieldName] : undefined;
    if (!field) throw tok.error(`Message type "tensorflow.CheckpointState" has no field named "${excerpt(name)}".`);
    tok.consume(':');
    const mergeOne = () => {
      if (field.kind === 'string') {
        const value = tok.consumeString();
        if (name === 'model_checkpoint_path') state.modelCheckpointPath = value;
        else state.allModelCheckpointPaths.push(value);
      } else {
        const value = tok.consumeFloat();
        if (name === 'last_preserved_timestamp') state.lastPreservedTimestamp = value;
        else state.allModelCheckpointTimestamps.push(value);
      }
    };
    if (field.repeated && tok.tryConsume('[')) {
      if (!tok.tryConsume(']')) {
        while (true) {
          mergeOne();
          if (tok.tryConsume(']')) break;
          tok.consume(',');
        }
      }
    } else {
      mergeOne();
    }
    if (!tok.tryConsume(',')) tok.tryConsume(';');
  }
  return state;
}

/**
 * The text `text_format.MessageToString` writes for a state: fields in field-number order, one
 * `name: value` per line, strings C-escaped with non-ASCII bytes as octal, proto3 defaults (an
 * empty path, a zero `last_preserved_timestamp`) left out.
 */
export function formatCheckpointState(state: CheckpointState): string {
  const enc = new TextEncoder();
  const str = (s: string) => `"${cEscape(enc.encode(s))}"`;
  let out = '';
  if (state.modelCheckpointPath !== '') out += `model_checkpoint_path: ${str(state.modelCheckpointPath)}\n`;
  for (const p of state.allModelCheckpointPaths) out += `all_model_checkpoint_paths: ${str(p)}\n`;
  for (const t of state.allModelCheckpointTimestamps) out += `all_model_checkpoint_timestamps: ${pythonFloatRepr(t)}\n`;
  if (!Object.is(state.lastPreservedTimestamp, 0)) out += `last_preserved_timestamp: ${pythonFloatRepr(state.lastPreservedTimestamp)}\n`;
  return out;
}

export { TextFormatError };
