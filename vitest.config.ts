// Three tiers: unit (no processes), integration (real redis-server / nats-server on random loopback
// ports), end-to-end (real SIP and SMTP peers). `npm test` runs all of them, as CI does.
// Tests that fax in real time (20 ms media ticks against real peers) run last and one file at a
// time: on a 2-core machine, sharing the cores with CPU-heavy tests made their timing flaky.
import { defineConfig } from 'vitest/config';

const REALTIME_FAX = [
  'test/integration/fax/rtpengine.int.test.ts',
  'test/integration/fax/cli.int.test.ts',
  'test/integration/fax/tshark.int.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'test/unit/**/*.test.ts',
            'src/**/*.test.ts',
            'actors/**/*.test.ts',
            'cluster/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts', 'src/**/*.int.test.ts', 'cluster/**/*.int.test.ts'],
          exclude: [...REALTIME_FAX, '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-realtime',
          include: REALTIME_FAX,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
