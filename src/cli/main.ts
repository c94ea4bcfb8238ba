#!/usr/bin/env node
/** The `promotion` executable. */
import { runCli } from './program.js';
import { leavingAtOnceMessage } from './io.js';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  // First Ctrl-C: stop cleanly (partial outputs removed, live recordings kept). Second: leave now, saying which
  // partial outputs stay behind.
  if (++interrupts > 1) {
    process.stderr.write(leavingAtOnceMessage());
    process.exit(130);
  }
  process.stderr.write('\nInterrupted: stopping...\n');
  controller.abort();
});
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = code;
