/**
 * The `promotion` command line. `runCli` parses argv, runs one command and returns its exit code (see
 * exit-codes.ts); it never calls process.exit, so tests run it in-process.
 */
import { Command, CommanderError } from 'commander';
import { PromotionError } from '../errors.js';
import { VERSION } from '../version.js';
import { defineConvertCommand } from './commands/convert.js';
import { defineDeblurCommand } from './commands/deblur.js';
import { defineDemoCommand } from './commands/demo.js';
import { defineEvalCommand } from './commands/eval.js';
import { definePoseCommand } from './commands/pose.js';
import { defineProbeCommand } from './commands/probe.js';
import { defineScenesCommand } from './commands/scenes.js';
import { defineSynthCommand } from './commands/synth.js';
import { defineProgressCommand } from './commands/progress.js';
import { defineWorkerCommand } from './commands/worker.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import type { CliIo, RunTask } from './io.js';

/** The program with every command; each command file defines its own flags (defineXCommand). */
function buildProgram(io: CliIo, run: RunTask): Command {
  const program = new Command('promotion')
    .description('Hand-pose preprocessing of blurry video: blur synthesis, PROMOTION deblurring, hand landmarks, evaluation.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  for (const define of [defineProbeCommand, defineConvertCommand, defineSynthCommand, defineWorkerCommand, defineProgressCommand, definePoseCommand, defineDeblurCommand, defineScenesCommand, defineEvalCommand, defineDemoCommand]) {
    define(program, io, run);
  }
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let task: (() => Promise<void>) | undefined;
  const program = buildProgram(io, (t) => (task = t));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT_INTERNAL;
      return EXIT_USAGE;
    }
    throw error;
  }
  if (!task) {
    io.stderr.write(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await task();
    return EXIT_OK;
  } catch (error) {
    const code = exitCodeFor(error);
    if (error instanceof PromotionError) io.stderr.write(`promotion: ${error.message}\n`);
    else io.stderr.write(`promotion: unexpected error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return code;
  }
}
