#!/usr/bin/env node
// Rewrites the generated sections of README.md and docs/cli.md (between their
// `<!-- generated:NAME ... -->` and `<!-- /generated:NAME -->` markers) from the exit-code contract
// in cli/src/exit-codes.ts. Run after `tsc -b` whenever the contract changes;
// cli/src/contract-render.test.ts fails until the documents match.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSections } from '../dist/contract-render.js';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
for (const file of ['README.md', 'docs/cli.md']) {
  const full = path.join(repo, file);
  const before = fs.readFileSync(full, 'utf8');
  const after = renderSections(before);
  if (after !== before) fs.writeFileSync(full, after);
  process.stderr.write(`${file}: ${after === before ? 'up to date' : 'rewritten'}\n`);
}
