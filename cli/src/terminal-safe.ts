/**
 * Names come from other people's buckets and directories, and a name may hold control characters:
 * `ESC [ 2 J` clears the screen, OSC sequences retitle the terminal or plant links, a newline forges
 * an extra line of output, U+202E reverses what follows. Everything `ckpt` prints goes through these
 * helpers, which write such characters as `\u00XX` escapes: readable, and in JSON output the very
 * same escape JSON would use, so documents keep their meaning.
 */

// C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_EXCEPT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// What JSON.stringify leaves raw inside strings: DEL, C1 and the bidi controls.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

// Bytes of a local file name that are not UTF-8, carried as U+DC80..U+DCFF (gfile names.ts): `\xFF`.
const ESCAPED_BYTE = /[\uDC80-\uDCFF]/gu;
function escapeByte(c: string): string {
  return `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** One line of human output: every control character escaped (tabs kept for columns). */
export function terminalSafeLine(line: string): string {
  return line.replace(UNSAFE_EXCEPT_TAB, escape).replace(ESCAPED_BYTE, escapeByte);
}

/** A message for stderr: every control character escaped, tabs and newlines included. */
export function terminalSafeText(text: string): string {
  return text.replace(UNSAFE, escape).replace(ESCAPED_BYTE, escapeByte);
}

/** JSON text: the characters JSON.stringify leaves raw in strings, escaped the JSON way. */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, escape);
}
