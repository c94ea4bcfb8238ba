#!/usr/bin/env node
/** The `promotion` executable. */
import { runCli } from './program.js';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  // First Ctrl-C: stop cleanly (partial outputs removed, live recordings kept). Second: leave now.
  if (++interrupts > 1) process.exit(130);
  process.stderr.write('\nInterrupted: stopping...\n');
  controller.abort();
});
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = code;
