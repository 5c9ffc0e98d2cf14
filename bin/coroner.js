#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // Not an expected failure: a bug. Keep the stack trace.
    console.error(error);
    process.exitCode = 1;
  },
);
