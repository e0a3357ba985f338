// A minimal config for the image tests alone, without the repository's global server setup:
//   SAFEHOLD_IMAGE_TESTS=1 npx vitest run --config test/image/vitest.config.ts
// (The full suite runs them through the root vitest.config.ts, which also starts the test servers
// that a backup/restore inside the image needs.)
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/image/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    pool: 'forks',
  },
});
