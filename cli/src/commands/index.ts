import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global-args.js';
import { completionCommand } from './completion.js';
import { cpCommand } from './cp.js';
import { findCommand } from './find.js';
import { globCommand } from './glob.js';
import { inspectCommand } from './inspect.js';
import { latestCommand } from './latest.js';
import { lsCommand } from './ls.js';
import { pruneCommand } from './prune.js';
import { stateCommand } from './state.js';
import { statCommand } from './stat.js';
import { verifyCommand } from './verify.js';
import { watchCommand } from './watch.js';

/**
 * Every `ckpt` command. Command modules stay small and import heavy code (core, SDKs) inside their
 * handlers, so starting the CLI loads only what the chosen command needs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<GlobalArgs, any>[] = [
  lsCommand,
  statCommand,
  globCommand,
  latestCommand,
  findCommand,
  inspectCommand,
  verifyCommand,
  watchCommand,
  cpCommand,
  stateCommand,
  pruneCommand,
  completionCommand,
];
