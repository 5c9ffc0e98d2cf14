import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Engine tests build images and run containers on a 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    // One scratch folder for the run's temporary files, removed when it ends.
    globalSetup: ['test/support/scratch-folder.ts'],
  },
});
