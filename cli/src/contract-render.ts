/**
 * Renders the exit-code contract of exit-codes.ts into the places people read it: the "Exit codes"
 * epilog of every command's `--help`, and the generated sections of README.md and docs/cli.md
 * (rewritten by `node cli/scripts/render-contract.mjs`, checked by contract-render.test.ts).
 */
import { COMMAND_NAMES, type CommandName, EXIT_CODES, type ExitCodeDoc, errorCodesFor, exitCodesOf } from './exit-codes.js';

/** The shape of an error line with --json (one line per error on stderr, nothing else there). */
export const ERROR_JSON_SHAPE = '{"error":{"code":"NOT_FOUND","message":"...","uri":"...","operation":"..."}}';

const SIGNALS = new Set(['SIGINT', 'SIGPIPE', 'SIGTERM']);

/** The "Exit codes" epilog of `ckpt <command> --help`. */
export function exitCodesEpilog(command: CommandName): string {
  const docs = exitCodesOf(command);
  const plain = docs.filter((d) => !SIGNALS.has(d.name));
  const signals = docs.filter((d) => SIGNALS.has(d.name));
  const lines = plain.map((d) => `  ${String(d.code).padEnd(4)}${d.perCommand?.[command] ?? d.summary}`);
  if (signals.length > 0) lines.push(`  ${signals.map((d) => d.code).join('/')} ${signals.map((d) => d.summary).join(', ')}`);
  return [
    'Exit codes:',
    ...lines,
    '',
    `Errors: one line "ckpt: CODE: message" on stderr; with --json ${ERROR_JSON_SHAPE} and nothing on stdout. The full contract: docs/cli.md.`,
  ].join('\n');
}

/** `|`, backslashes and newlines kept out of a Markdown table cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function codes(d: ExitCodeDoc): string {
  const list = errorCodesFor(d.code);
  return list.length === 0 ? '' : list.map((c) => `\`${c}\``).join(', ');
}

/** The exit-code table in Markdown: code, meaning, the error codes that give it. */
export function exitCodesMarkdown(): string {
  return [
    '| exit | meaning | error codes (`{"error":{"code"}}`) |',
    '|---|---|---|',
    ...EXIT_CODES.map((d) => `| ${d.code} | ${cell(d.detail)} | ${codes(d)} |`),
  ].join('\n');
}

/** The short exit-code table of the README: code and summary, the signals on one row. */
export function exitSummaryMarkdown(): string {
  const plain = EXIT_CODES.filter((d) => !SIGNALS.has(d.name));
  const signals = EXIT_CODES.filter((d) => SIGNALS.has(d.name));
  return [
    '| exit | meaning |',
    '|---|---|',
    // The commands are named where only some can end so (every command can fail on storage).
    ...plain.map((d) => `| ${d.code} | ${cell(d.summary)}${d.commands && d.commands.length < COMMAND_NAMES.length - 1 ? ` (${d.commands.map((c) => `\`${c}\``).join(', ')})` : ''} |`),
    `| ${signals.map((d) => d.code).join(', ')} | ${cell(signals.map((d) => d.summary).join(', '))} |`,
  ].join('\n');
}

/** Which command can end with which exit code, in Markdown. */
export function commandMatrixMarkdown(): string {
  const exits = EXIT_CODES.filter((d) => !SIGNALS.has(d.name));
  return [
    `| command | ${exits.map((d) => d.code).join(' | ')} |`,
    `|---|${exits.map(() => '---').join('|')}|`,
    ...COMMAND_NAMES.map((c) => `| \`${c}\` | ${exits.map((d) => (d.commands === undefined || d.commands.includes(c) ? cell(d.perCommand?.[c] ?? 'yes') : '')).join(' | ')} |`),
  ].join('\n');
}

/** The generated sections of a document, by marker name. */
export const SECTIONS = {
  'exit-summary': exitSummaryMarkdown,
  'exit-codes': exitCodesMarkdown,
  'command-exit-codes': commandMatrixMarkdown,
} as const;

export type SectionName = keyof typeof SECTIONS;

const begin = (name: string) => `<!-- generated:${name} (node cli/scripts/render-contract.mjs) -->`;
const end = (name: string) => `<!-- /generated:${name} -->`;

/**
 * `text` with every generated section (between its begin and end markers) replaced by its current
 * rendering; sections without markers are left out. Throws on a begin marker without its end.
 */
export function renderSections(text: string): string {
  let out = text;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const b = out.indexOf(begin(name));
    if (b < 0) continue;
    const e = out.indexOf(end(name), b);
    if (e < 0) throw new Error(`${begin(name)} without ${end(name)}`);
    out = `${out.slice(0, b)}${begin(name)}\n${render()}\n${out.slice(e)}`;
  }
  return out;
}

/** The names of the generated sections `text` holds. */
export function sectionsIn(text: string): SectionName[] {
  return (Object.keys(SECTIONS) as SectionName[]).filter((name) => text.includes(begin(name)));
}
