import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // 2-core CI machine: keep worker count low so wasm threads have cores to use.
    maxWorkers: 2,
  },
});
