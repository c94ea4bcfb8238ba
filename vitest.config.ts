import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep files in parallel modest so ffmpeg-heavy tests don't starve each other.
    maxWorkers: 2,
  },
});
