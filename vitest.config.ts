import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Native modules (nodejieba) and SDK clients behave best in forked processes.
    pool: 'forks',
  },
});
