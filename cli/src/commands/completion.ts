import type { CommandModule } from 'yargs';
import { EXIT, UsageError } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

interface CompletionArgs extends GlobalArgs {
  shell?: Shell | undefined;
}

/** The shell `$SHELL` names, when it is one yargs has a completion script for. */
function shellFromEnv(env: NodeJS.ProcessEnv): Shell | undefined {
  const name = (env.SHELL ?? '').split('/').pop() ?? '';
  return (SHELLS as readonly string[]).includes(name) ? (name as Shell) : undefined;
}

/**
 * The completion script yargs generates for `shell`. yargs picks the template from `$SHELL` when
 * the instance is created (zsh, fish, else bash), so a throwaway instance is made with it set. The
 * script calls `ckpt --get-yargs-completions WORDS...`, which every `ckpt` answers from its
 * commands and options.
 */
export async function completionScript(shell: Shell): Promise<string> {
  const { default: yargs } = await import('yargs');
  const saved = process.env.SHELL;
  process.env.SHELL = `/bin/${shell}`;
  try {
    let script = '';
    const y = yargs([]).scriptName('ckpt').completion('completion', false);
    const log = console.log;
    console.log = (text: unknown) => void (script += `${String(text)}\n`);
    try {
      // @types/yargs omits the arguments: the name scripts call, and the command they say to run.
      (y as unknown as { showCompletionScript($0: string, cmd: string): void }).showCompletionScript('ckpt', `completion ${shell}`);
    } finally {
      console.log = log;
    }
    return script;
  } finally {
    if (saved === undefined) delete process.env.SHELL;
    else process.env.SHELL = saved;
  }
}

/** `ckpt completion [bash|zsh|fish]`: prints the shell completion script (default: the shell of `$SHELL`). */
export const completionCommand: CommandModule<GlobalArgs, CompletionArgs> = {
  command: 'completion [shell]',
  describe: 'Print a shell completion script (bash, zsh or fish; default: the one of $SHELL)',
  builder: (y) =>
    commandHelp(y.positional('shell', { choices: SHELLS, describe: 'The shell to complete in' }), 'completion', [
      ['$0 completion bash >> ~/.bashrc', 'complete commands and options in bash'],
      ['$0 completion zsh > "${fpath[1]}/_ckpt"', 'in zsh (any directory on $fpath)'],
      ['$0 completion fish > ~/.config/fish/completions/ckpt.fish', 'in fish'],
    ]),
  handler: async (argv) => {
    const shell = argv.shell ?? shellFromEnv(process.env);
    if (shell === undefined) throw new UsageError(`name the shell: ckpt completion bash|zsh|fish ($SHELL is ${JSON.stringify(process.env.SHELL ?? '')})`);
    process.stdout.write(await completionScript(shell));
    process.exitCode = EXIT.OK;
  },
};
