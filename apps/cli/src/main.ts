#!/usr/bin/env node
/**
 * `atkd`: the atkd command line. Dispatches `atkd <command> ...` to the command registry
 * (src/commands/index.ts). Errors go to stderr as one clear line and a non-zero exit code
 * (2: usage — bad flag, unknown command; 1: bad input or failure).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.js';
import type { CommandIO } from './command.js';
import { COMMANDS } from './commands/index.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function help(): string {
  const names = [...COMMANDS.values()];
  const w = Math.max(...names.map((c) => c.name.length));
  return [
    'Usage: atkd <command> [flags]',
    '',
    'Adaptive-temperature knowledge distillation (Matsuyama et al. 2025) as Arrow/RxJS stages.',
    '',
    'Commands:',
    ...names.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Run `atkd <command> --help` for its flags.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.get(name);
  try {
    if (command === undefined) throw new UsageError(`atkd: unknown command "${name}" (commands: ${[...COMMANDS.keys()].join(', ')}; see atkd --help)`);
    return await command.run(rest, io);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    io.stderr.write(`${e instanceof UsageError || message.startsWith('atkd') ? '' : `atkd ${name}: `}${message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

function isEntryPoint(): boolean {
  if (process.argv[1] === undefined) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * Runs the CLI on `process.argv` and sets the exit code: what `node dist/main.js` and the committed
 * bin shim (`bin/atkd.js`, linked by npm as `atkd`) both do.
 */
export function runCli(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(1); // downstream closed early
  });
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`atkd: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

if (isEntryPoint()) runCli();
