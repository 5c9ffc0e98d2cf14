#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build writes dist/). The console
// (ink) is loaded only when there is a terminal for it.
import { defaultIo, main } from '../dist/src/cli.js';

const isTerminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const io = isTerminal
  ? {
      ...defaultIo,
      openConsole: async (container) => {
        const [{ connectEngine }, { runConsole }] = await Promise.all([
          import('../dist/src/docker/engine.js'),
          import('../dist/ui/run-console.js'),
        ]);
        return runConsole(await connectEngine(), container);
      },
    }
  : defaultIo;

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // Not an expected failure: a bug. Keep the stack trace.
    console.error(error);
    process.exitCode = 1;
  },
);
