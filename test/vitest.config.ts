import { defineConfig } from 'vitest/config';

// Three projects share these settings (`extends: true`); `vitest run` runs them all, and
// `--project unit` (npm run test:unit) runs the fast part alone: no database, Redis or browser.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // expect.poll waits on a condition; its 1 s default is too short for a loaded machine.
    expect: { poll: { timeout: 20_000 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      // The slow ones: Chromium with the Agents Playground, and the fault drills.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts', 'test/drills/**/*.test.ts'] } },
    ],
  },
});
