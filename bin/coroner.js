#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build writes dist/). The console
// (ink) is loaded only when there is a terminal for it.
import { defaultIo, main } from '../dist/src/cli.js';

const isTerminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const io = isTerminal
  ? {
      ...defaultIo,
      openConsole: async (container, signal, source) => {
        // A person asked for the console on a terminal: ink must draw live even where CI is
        // set (ink reads CI once, at import, and then renders only the last frame).
        for (const name of ['CI', 'CONTINUOUS_INTEGRATION'])
          if (name in process.env) process.env[name] = 'false';
        const [{ openSource }, { runConsole }] = await Promise.all([
          import('../dist/src/app/open-source.js'),
          import('../dist/ui/run-console.js'),
        ]);
        return runConsole(await openSource(source), container, signal);
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
